#pragma once

// Failure-detector quality of service (Chen, Toueg and Aguilera, "On the
// Quality of Service of Failure Detectors", 2002) measured on heartbeat
// traces, for Phi Accrual detectors (several thresholds) and fixed-timeout
// detectors (several timeouts) replaying the same trace:
//
// - detection time T_D: from a crash to the start of the suspicion that never
//   ends, over many crash trials (a trial at time c replays the trace as if
//   the sender had crashed at c: heartbeats sent before c still arrive, none
//   after);
// - mistake rate: false suspicions per hour of a live sender;
// - mistake duration T_M: mean length of a false suspicion;
// - query accuracy P_A: the fraction of live time the detector trusts the
//   sender.
//
// Exactness: between two arrivals a detector's state is frozen and its
// suspicion grows with time, so each detector suspects at one computable
// instant per gap (PhiAccrualDetector::SuspicionTime, last arrival + timeout).
// Mistakes and detection times are computed from those instants, as if the
// detector were queried continuously, with no polling grid.
//
// Thread safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "detector/eval/fixed_timeout.h"
#include "detector/eval/trace.h"
#include "detector/phi_accrual_detector.h"

namespace picket::detector::eval {

struct EvalOptions {
  // The phi detector's settings; `threshold` is replaced by each entry of
  // `thresholds`.
  PhiConfig phi;
  std::vector<double> thresholds = {1, 2, 3, 4, 5, 6, 8, 10, 12, 16};
  std::vector<Duration> timeouts = {
      std::chrono::milliseconds(750),  std::chrono::milliseconds(1000),
      std::chrono::milliseconds(1250), std::chrono::milliseconds(1500),
      std::chrono::milliseconds(2000), std::chrono::milliseconds(2500),
      std::chrono::milliseconds(3000), std::chrono::milliseconds(4000)};
  // Crash trials, spread uniformly over the evaluated part of the trace.
  // Rounded up to an odd number so the median is one of them. >= 1.
  std::size_t crash_trials = 1001;
  // The start of the trace is history only: no mistakes are counted and no
  // crash is placed before it (the detector fills its window). >= 0.
  Duration warmup = std::chrono::minutes(5);
  // Seed for placing the crash trials.
  std::uint64_t seed = 1;
  // What `thresholds` sweeps: the phi threshold, or (the empirical model,
  // whose threshold only scales phi) the false-suspicion cost in seconds.
  enum class Sweep { kThreshold, kFalseSuspicionCost };
  Sweep sweep = Sweep::kThreshold;

  // How one swept value is named in reports: "phi 8", "cost 50 s".
  [[nodiscard]] std::string Label(double value) const;

  // Success, or an error naming the first invalid field.
  [[nodiscard]] Status Validate() const;
};

// QoS of one detector setting on one trace.
struct QosStats {
  // "phi" or "timeout".
  std::string kind;
  // The swept value (kind "phi": EvalOptions::thresholds, see Sweep) or the
  // timeout (kind "timeout"), and the setting's name in reports.
  double threshold = 0.0;
  std::string label;
  Duration timeout = Duration::zero();
  // Detection time over the crash trials.
  Duration detection_median = Duration::zero();
  Duration detection_p90 = Duration::zero();
  Duration detection_p99 = Duration::zero();
  Duration detection_max = Duration::zero();
  // False suspicions while the sender was alive.
  std::uint64_t mistakes = 0;
  double mistakes_per_hour = 0.0;
  // Mean length of a false suspicion (0 when there was none).
  Duration mistake_duration_mean = Duration::zero();
  // 1 - (time wrongly suspected) / (time evaluated).
  double query_accuracy = 1.0;
};

// Phi at one threshold against the fixed timeout that matches it, computed
// exactly on the same trace (the timeout need not be in the timeout list).
struct MatchedComparison {
  double threshold = 0.0;
  // The timeout with the same median detection time as phi (a fixed timeout
  // detects in last arrival + timeout - crash, so this is solved exactly), its
  // mistakes, and how many fewer phi makes: 1 - phi / timeout (negative when
  // phi makes more); nullopt when the timeout makes none.
  Duration equal_speed_timeout = Duration::zero();
  std::uint64_t equal_speed_timeout_mistakes = 0;
  double equal_speed_timeout_mistakes_per_hour = 0.0;
  std::optional<double> fewer_mistakes;
  // The shortest timeout that makes no more mistakes than phi, its median
  // detection time, and how much faster phi's is: 1 - phi / timeout.
  Duration equal_mistakes_timeout = Duration::zero();
  Duration equal_mistakes_detection_median = Duration::zero();
  std::optional<double> faster;
};

struct TraceEvaluation {
  // Hours of live sender evaluated (after the warmup).
  double hours = 0.0;
  std::uint64_t arrivals = 0;
  std::uint64_t crash_trials = 0;
  // One entry per threshold / timeout, in the order of EvalOptions.
  std::vector<QosStats> phi;
  std::vector<QosStats> timeouts;
  std::vector<MatchedComparison> matched;
  // The fixed-timeout detector on this trace, for any timeout (the entries of
  // `timeouts` and `matched` come from it).
  FixedTimeoutModel fixed_timeout;
};

// Replays `trace` through every setting. A trace with crash_at is evaluated as
// live up to crash_at. REQUIRES: options.Validate() is nullopt, and the trace
// has arrivals after the warmup (otherwise the result has hours == 0).
[[nodiscard]] TraceEvaluation EvaluateTrace(const Trace& trace, const EvalOptions& options);

}  // namespace picket::detector::eval
