#pragma once

// Heartbeat traces for evaluating failure detectors: a seeded generator
// (periodic heartbeats through a network with jitter, heavy-tailed delays,
// random loss, loss bursts, sender stalls and a crash) and a reader/writer for
// recorded traces (one arrival time per line).
//
// Thread safety: pure functions; no shared state.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "detector/phi_accrual_detector.h"

#include "common/expected.h"

namespace picket::detector::eval {

// Extra one-way delay with a heavy tail, added on top of base delay and jitter.
enum class DelayTail {
  kNone,
  kPareto,     // Lomax: P(extra > x) = (1 + x / scale)^-shape
  kLognormal,  // scale * exp(shape * N(0, 1)): median `scale`, log-deviation `shape`
};

// Network and sender behaviour during one phase of a trace.
struct Conditions {
  // Fixed one-way delay. >= 0.
  Duration base_delay = std::chrono::microseconds(200);
  // Delay jitter: each heartbeat gets base_delay + |N(0, jitter)| (half-normal,
  // so it never arrives before base_delay). >= 0.
  Duration jitter = Duration::zero();
  DelayTail tail = DelayTail::kNone;
  // Scale of the heavy tail (see DelayTail). >= 0.
  Duration tail_scale = Duration::zero();
  // Shape of the heavy tail (Pareto: smaller is heavier, < 2 has infinite
  // variance; lognormal: sigma). > 0.
  double tail_shape = 2.0;
  // Independent loss probability of each heartbeat. [0, 1).
  double loss = 0.0;
  // Probability, per heartbeat, that a loss burst starts with it. [0, 1).
  double burst_rate = 0.0;
  // Mean heartbeats lost per burst (geometric, >= 1 each). >= 1.
  double burst_length = 1.0;
  // Mean time between stop-the-world stalls of the sender (exponential gaps);
  // zero disables stalls. Heartbeats due during a stall are sent once, late,
  // when it ends (a timer firing late), and the schedule restarts from there.
  Duration stall_every = Duration::zero();
  // Stall length: lognormal with this median and log-deviation stall_sigma.
  Duration stall_median = Duration::zero();
  double stall_sigma = 0.6;
};

// A stretch of time with fixed conditions. Phases repeat in a cycle.
struct Phase {
  Conditions conditions;
  // Length of the phase; ignored when there is a single phase. > 0 otherwise.
  Duration length = Duration::zero();
};

struct TraceSpec {
  // The sender's heartbeat interval. > 0.
  Duration period = std::chrono::milliseconds(500);
  // At least one; cycled (phase i lasts phases[i].length) when several.
  // (Sized, not brace-initialized: GCC 12 at -O2 with TSan warns that the
  // initializer list's temporary may be uninitialized.)
  std::vector<Phase> phases = std::vector<Phase>(1);
  // Trace length (observation ends here). > 0.
  Duration duration = std::chrono::hours(1);
  // The sender crashes here: no heartbeat is sent at or after it (heartbeats
  // already in flight still arrive). Everything before it is identical to the
  // trace without a crash for the same seed.
  std::optional<Duration> crash_at;

  // Success, or an error naming the first invalid field.
  [[nodiscard]] Status Validate() const;
};

// Heartbeat arrivals at one observer, as offsets from the start of the trace.
struct Trace {
  // Arrival times, sorted (reordered heartbeats appear in arrival order).
  std::vector<Duration> arrivals;
  // sent[i]: when arrivals[i] was sent; empty for recorded traces.
  std::vector<Duration> sent;
  // End of observation, >= every arrival.
  Duration end = Duration::zero();
  std::optional<Duration> crash_at;
  // Generator statistics (0 for recorded traces).
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t heartbeats_lost = 0;
  // max(arrival - sent) over the trace; 0 for recorded traces.
  Duration max_delay = Duration::zero();
};

// Generates a trace. Same spec and seed, same trace. REQUIRES: spec.Validate()
// is nullopt.
[[nodiscard]] Trace GenerateTrace(const TraceSpec& spec, std::uint64_t seed);

enum class TimeUnit { kSeconds, kMilliseconds, kMicroseconds, kNanoseconds };

struct TraceReadResult {
  Trace trace;
  // Empty on success; otherwise "line N: what is wrong".
  std::string error;
  [[nodiscard]] bool ok() const { return error.empty(); }
};

// Reads a recorded trace: one arrival time per line (a decimal number in
// `unit`; any origin, e.g. Unix time), non-decreasing; blank lines and lines
// starting with '#' are skipped. Times are shifted so the first arrival is at
// 0, and `end` is the last arrival. At least 3 arrivals.
[[nodiscard]] TraceReadResult ReadTrace(std::istream& in, TimeUnit unit);
[[nodiscard]] TraceReadResult ReadTraceFile(const std::string& path, TimeUnit unit);

// Writes the arrivals, one per line in seconds with nanosecond precision, in
// the format ReadTrace(kSeconds) reads.
void WriteTrace(std::ostream& out, const Trace& trace);

}  // namespace picket::detector::eval
