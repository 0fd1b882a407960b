#pragma once

// A fixed-timeout failure detector on one trace, exactly and for any timeout:
// it suspects `timeout` after the last heartbeat, so on a given trace it makes
// one mistake per inter-arrival gap longer than the timeout, and in a crash
// trial it detects at (last heartbeat received + timeout). Built once from the
// gaps and the crash trials, then answers every timeout in O(log n).
//
// Thread safety: immutable after construction; const methods may be called
// concurrently.

#include <cstdint>
#include <vector>

#include "detector/phi_accrual_detector.h"

namespace picket::detector::eval {

class FixedTimeoutModel {
 public:
  FixedTimeoutModel() = default;
  // `gaps`: every inter-arrival gap of the evaluated span (the last one cut at
  // its end). `last_minus_crash`: for each crash trial, the last heartbeat the
  // observer receives minus the crash time (<= max one-way delay).
  // REQUIRES: last_minus_crash is not empty.
  FixedTimeoutModel(std::vector<Duration> gaps, std::vector<Duration> last_minus_crash);

  // False suspicions with this timeout, and their total length.
  [[nodiscard]] std::uint64_t Mistakes(Duration timeout) const;
  [[nodiscard]] Duration MistakeTime(Duration timeout) const;

  // Detection time in each crash trial, sorted: max(0, last - crash + timeout).
  [[nodiscard]] std::vector<Duration> DetectionTimes(Duration timeout) const;
  // Their median (exact: median(max(0, u + t)) = max(0, median(u) + t)).
  [[nodiscard]] Duration DetectionMedian(Duration timeout) const;

  // The shortest timeout with at most `mistakes` mistakes.
  [[nodiscard]] Duration ShortestWithAtMost(std::uint64_t mistakes) const;
  // The timeout whose median detection time is `median` (0 if none shorter).
  [[nodiscard]] Duration WithDetectionMedian(Duration median) const;

  // The longest gap (every timeout at or above it makes no mistake).
  [[nodiscard]] Duration LongestGap() const;

 private:
  std::vector<Duration> gaps_;    // decreasing
  std::vector<Duration> prefix_;  // prefix_[i] = sum of the i longest gaps
  std::vector<Duration> u_;       // last - crash per trial, increasing
};

}  // namespace picket::detector::eval
