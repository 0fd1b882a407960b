#pragma once

// The immutable snapshot of the local agent's view that the event loop
// publishes after every change and the HTTP API serves. The API never touches
// protocol state: it only reads the latest ClusterView.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "membership/counters.h"
#include "membership/types.h"

namespace picket::api {

struct ClusterView {
  membership::MemberInfo self;
  std::vector<membership::MemberInfo> members;  // self included, sorted by name
  membership::Quorum quorum;
  int health_score = 0;
  bool joined = false;   // /readyz answers 200 once true
  bool leaving = false;  // a graceful leave is in progress
  std::string cluster_name;
  membership::Counters counters;

  // The two clocks at publication, so steady TimePoints (state_since) can be
  // shown as wall time: wall(t) = published_wall - (published_steady - t).
  membership::TimePoint published_steady{};
  std::chrono::system_clock::time_point published_wall{};
};

using ClusterViewPtr = std::shared_ptr<const ClusterView>;

}  // namespace picket::api
