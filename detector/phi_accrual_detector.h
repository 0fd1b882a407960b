#pragma once

// Phi Accrual failure detector (Hayashibara et al., 2004) for one subject.
// Heartbeat arrival times in, phi out. Pure computation: time is passed in.
//
// Thread safety: none; one owner calls everything.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "common/expected.h"
#include "detector/empirical_model.h"
#include "detector/inter_arrival_window.h"

namespace picket::detector {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Which distribution models the inter-arrival times.
enum class Distribution {
  kNormal,       // exact normal tail, computed in log space (default)
  kLogistic,     // Akka's logistic approximation of the normal CDF
  kExponential,  // Cassandra: phi = elapsed / (mean * ln 10)
  // The window's intervals as they are, with the cutoff that minimizes
  // detection time + false_suspicion_cost * P(false suspicion)
  // (detector/empirical_model.h); phi is scaled to reach `threshold` there.
  kEmpirical,
};

struct PhiConfig {
  // Suspect once phi reaches this. > 0 and finite. With the normal model, 8
  // means P(the heartbeat is merely late) = 1e-8: elapsed = mean + pause +
  // 5.61 std_dev.
  double threshold = 8.0;
  // Largest window_size.
  static constexpr std::size_t kMaxWindowSize = 1'000'000;

  // Inter-arrival samples kept (rolling window). 1 .. kMaxWindowSize.
  std::size_t window_size = 1000;
  // Floor on the standard deviation, so a very regular history does not make
  // phi jump at the first small delay. > 0 (unused, and may be 0, with the
  // exponential distribution).
  Duration min_std_deviation = 100ms;
  // Added to the mean: a pause this long is tolerated before phi grows. >= 0.
  Duration acceptable_heartbeat_pause = 0ms;
  // Assumed interval before real samples exist: the first heartbeat seeds the
  // window with this mean (and mean/4 deviation), so phi is meaningful from the
  // second heartbeat on. > 0.
  Duration first_heartbeat_estimate = 500ms;
  Distribution distribution = Distribution::kNormal;
  // Whether an interval that ends while phi is already at or above the
  // threshold (the heartbeat came after the subject was suspected) enters the
  // window. true: phi learns the losses and pauses it sees and stops
  // suspecting them. false: Akka's rule; a long outage never skews the
  // statistics, but a gap longer than the suspicion time is never learned.
  bool learn_suspected_intervals = true;
  // Empirical model only. What one false suspicion is worth in detection
  // time: the cutoff moves up by t only if that removes at least
  // t / false_suspicion_cost of the probability of a false suspicion per
  // interval. > 0.
  Duration false_suspicion_cost = 50s;
  // Empirical model only. Floor on the kernel bandwidth (the smoothing of the
  // window's intervals, and the scale of the margin above the largest ones).
  // > 0.
  Duration min_bandwidth = 1ms;
  // Empirical model only. A second, short window of the latest intervals
  // (0: none). The cutoff is the larger of the two windows' cutoffs (the
  // two-window detector of Tomsic et al., 2015): the long window prices the
  // rare long gaps, the short one covers a change (the onset of loss) within
  // a few heartbeats. 0 .. window_size.
  std::size_t recent_window_size = 0;

  // Success, or an error naming the first invalid field.
  [[nodiscard]] Status Validate() const;
};

class PhiAccrualDetector {
 public:
  // REQUIRES: config.Validate() is ok; otherwise throws
  // std::invalid_argument carrying Validate()'s message.
  explicit PhiAccrualDetector(const PhiConfig& config);

  // Records a heartbeat arriving at `now`. The first one (after construction
  // or Reset) seeds the window with first_heartbeat_estimate -/+ a quarter of
  // it (Akka's bootstrap); each later one adds the interval since the previous
  // heartbeat (see learn_suspected_intervals). Arrivals must not go back in
  // time (an earlier `now` is ignored). O(1).
  void Heartbeat(TimePoint now);

  // Suspicion level at `now`: -log10(P(the next heartbeat is merely late))
  // under the configured distribution (the empirical model scales it so that
  // it reaches `threshold` exactly at its cutoff). 0 before the first
  // heartbeat; finite, >= 0 and non-decreasing in `now` after it, however
  // late `now` is.
  [[nodiscard]] double Phi(TimePoint now) const;

  // Phi(now) < threshold.
  [[nodiscard]] bool IsAvailable(TimePoint now) const;

  // Forgets the history: the next heartbeat is a first heartbeat again. Use it
  // after a local pause (the silence was ours) and when a subject that was
  // declared failed comes back, so its outage never enters the window.
  void Reset();

  // Real inter-arrival samples in the window (0 before the second heartbeat;
  // at most window_size). The two first-heartbeat seeds are not counted.
  [[nodiscard]] std::size_t sample_count() const;
  [[nodiscard]] std::optional<TimePoint> last_heartbeat() const;
  [[nodiscard]] const PhiConfig& config() const;

  // The earliest time t (on the nanosecond grid) with Phi(t) >= threshold if
  // no heartbeat arrives before t; nullopt before the first heartbeat. Between
  // heartbeats the statistics are frozen and phi only grows with time, so this
  // is exact: a runtime can schedule one timer at this point instead of
  // polling phi, and the QoS evaluation uses it to replay traces exactly.
  // TimePoint::max() if the crossing is beyond the clock's range.
  [[nodiscard]] std::optional<TimePoint> SuspicionTime() const;

  // The statistics phi uses now: mean inter-arrival time (without the
  // acceptable pause) and standard deviation after the min_std_deviation
  // floor. REQUIRES: last_heartbeat() has a value.
  [[nodiscard]] double mean_interval_ns() const { return mean_ns_; }
  [[nodiscard]] double std_deviation_ns() const { return std_dev_ns_; }

 private:
  // Recomputes mean_ns_ and std_dev_ns_ from the window.
  void UpdateStatistics();
  // Adds one interval to the window (and to the empirical model).
  void AddSample(double interval_ns);
  // Empirical model: the elapsed time of the crossing, and phi there.
  [[nodiscard]] double EmpiricalCrossingNs() const;
  [[nodiscard]] double EmpiricalPhi(double elapsed_ns) const;
  // The empirical window whose cutoff is the later one.
  [[nodiscard]] const EmpiricalModel& Governing() const;

  PhiConfig config_;
  InterArrivalWindow window_;
  // Set with Distribution::kEmpirical only.
  std::optional<EmpiricalModel> empirical_;
  // Set with Distribution::kEmpirical and recent_window_size > 0.
  std::optional<EmpiricalModel> recent_;
  // Its -log10 P(interval > cutoff), computed on the first Phi() after a fit.
  mutable std::optional<double> log_survival_at_cutoff_;
  std::optional<TimePoint> last_heartbeat_;
  // Real inter-arrival samples recorded since construction or Reset().
  std::size_t samples_recorded_ = 0;
  // Cached statistics (nanoseconds), valid once last_heartbeat_ is set.
  double mean_ns_ = 0.0;
  double std_dev_ns_ = 1.0;
  double pause_ns_ = 0.0;
  double min_std_dev_ns_ = 0.0;
  // PhiInverse(distribution, threshold), computed once.
  double threshold_inverse_ = 0.0;
};

}  // namespace picket::detector
