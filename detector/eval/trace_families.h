#pragma once

// The standard trace families `picket detector-eval` runs by default: one
// network/sender condition each, heartbeats every 500 ms (picket's default
// heartbeat_interval).

#include <string>
#include <vector>

#include "detector/eval/trace.h"

namespace picket::detector::eval {

struct TraceFamily {
  // Short, stable name (used by --family and in JSON).
  std::string name;
  // One line saying what the trace models.
  std::string description;
  TraceSpec spec;
};

// The families, each `duration` long: steady-lan, jittery, lossy-5,
// bursty-loss, gc-pauses, heavy-tailed, changing.
[[nodiscard]] std::vector<TraceFamily> StandardFamilies(Duration duration);

}  // namespace picket::detector::eval
