#include "detector/phi_accrual_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "detector/phi_math.h"

namespace picket::detector {
namespace {

std::string Millis(Duration d) {
  return std::to_string(std::chrono::duration<double, std::milli>(d).count()) + "ms";
}

double Nanos(Duration d) { return static_cast<double>(d.count()); }

// Real intervals after which the empirical model drops the two seeds.
constexpr std::size_t kEmpiricalSeedsKept = 10;

const PhiConfig& Validated(const PhiConfig& config) {
  if (const Status valid = config.Validate(); !valid) throw std::invalid_argument(valid.error());
  return config;
}

}  // namespace

Status PhiConfig::Validate() const {
  if (!(threshold > 0.0) || !std::isfinite(threshold)) {
    return Fail("threshold must be > 0 and finite (got " + std::to_string(threshold) + ")");
  }
  if (window_size < 1 || window_size > kMaxWindowSize) {
    return Fail("window_size must be in [1, " + std::to_string(kMaxWindowSize) + "] (got " +
                std::to_string(window_size) + ")");
  }
  switch (distribution) {
    case Distribution::kNormal:
    case Distribution::kLogistic:
    case Distribution::kEmpirical:  // unused, but a switch to normal must not meet 0
      if (min_std_deviation <= Duration::zero()) {
        return Fail("min_std_deviation must be > 0 (got " + Millis(min_std_deviation) + ")");
      }
      break;
    case Distribution::kExponential:
      if (min_std_deviation < Duration::zero()) {
        return Fail("min_std_deviation must be >= 0 (got " + Millis(min_std_deviation) + ")");
      }
      break;
    default:
      return Fail("distribution must be normal, logistic, exponential or empirical");
  }
  // Checked whatever the distribution, so that a switch to empirical cannot
  // meet an invalid value.
  if (false_suspicion_cost <= Duration::zero()) {
    return Fail("false_suspicion_cost must be > 0 (got " + Millis(false_suspicion_cost) + ")");
  }
  if (min_bandwidth <= Duration::zero()) {
    return Fail("min_bandwidth must be > 0 (got " + Millis(min_bandwidth) + ")");
  }
  if (recent_window_size > window_size) {
    return Fail("recent_window_size must be in [0, window_size = " + std::to_string(window_size) +
                "] (got " + std::to_string(recent_window_size) + ")");
  }
  if (acceptable_heartbeat_pause < Duration::zero()) {
    return Fail("acceptable_heartbeat_pause must be >= 0 (got " +
                Millis(acceptable_heartbeat_pause) + ")");
  }
  if (first_heartbeat_estimate <= Duration::zero()) {
    return Fail("first_heartbeat_estimate must be > 0 (got " + Millis(first_heartbeat_estimate) +
                ")");
  }
  return {};
}

PhiAccrualDetector::PhiAccrualDetector(const PhiConfig& config)
    : config_(Validated(config)),
      window_(config.window_size),
      pause_ns_(Nanos(config.acceptable_heartbeat_pause)),
      min_std_dev_ns_(Nanos(config.min_std_deviation)),
      threshold_inverse_(config.distribution == Distribution::kEmpirical
                             ? 0.0
                             : PhiInverse(config.distribution, config.threshold)) {
  if (config_.distribution == Distribution::kEmpirical) {
    empirical_.emplace(config_.window_size, Nanos(config_.min_bandwidth),
                       Nanos(config_.false_suspicion_cost));
    if (config_.recent_window_size > 0) {
      recent_.emplace(config_.recent_window_size, Nanos(config_.min_bandwidth),
                      Nanos(config_.false_suspicion_cost));
    }
  }
}

void PhiAccrualDetector::AddSample(double interval_ns) {
  window_.Add(interval_ns);
  if (empirical_) {
    empirical_->Add(interval_ns);
    if (recent_) recent_->Add(interval_ns);
    log_survival_at_cutoff_.reset();
  }
}

void PhiAccrualDetector::Heartbeat(TimePoint now) {
  if (!last_heartbeat_) {
    // Akka's bootstrap: two samples around the estimate, deviation mean / 4.
    const Duration mean = config_.first_heartbeat_estimate;
    const Duration deviation = mean / 4;
    AddSample(Nanos(mean - deviation));
    AddSample(Nanos(mean + deviation));
    last_heartbeat_ = now;
    UpdateStatistics();
    return;
  }
  if (now < *last_heartbeat_) return;
  if (config_.learn_suspected_intervals || IsAvailable(now)) {
    AddSample(Nanos(now - *last_heartbeat_));
    ++samples_recorded_;
    // The seeds are a guess; the empirical model gives every sample the same
    // weight, so they would hold half a short window: they leave once real
    // intervals can speak for themselves.
    if (empirical_ && samples_recorded_ == kEmpiricalSeedsKept) {
      empirical_->DropOldest(2);
      if (recent_) recent_->DropOldest(2);
    }
    UpdateStatistics();
  }
  last_heartbeat_ = now;
}

void PhiAccrualDetector::UpdateStatistics() {
  mean_ns_ = window_.Mean();
  std_dev_ns_ = std::max(window_.StdDeviation(), min_std_dev_ns_);
}

double PhiAccrualDetector::Phi(TimePoint now) const {
  if (!last_heartbeat_) return 0.0;
  const double elapsed = Nanos(now - *last_heartbeat_);
  if (empirical_) return EmpiricalPhi(elapsed);
  return PhiOf(config_.distribution, elapsed, mean_ns_, std_dev_ns_, pause_ns_);
}

const EmpiricalModel& PhiAccrualDetector::Governing() const {
  return recent_ && recent_->cutoff() > empirical_->cutoff() ? *recent_ : *empirical_;
}

double PhiAccrualDetector::EmpiricalCrossingNs() const {
  return std::ceil(Governing().cutoff() + pause_ns_);
}

double PhiAccrualDetector::EmpiricalPhi(double elapsed_ns) const {
  // O(window) each: computed when phi is asked for, not per heartbeat.
  const EmpiricalModel& model = Governing();
  if (!log_survival_at_cutoff_) log_survival_at_cutoff_ = model.LogSurvival(model.cutoff());
  const double at_cutoff = *log_survival_at_cutoff_;
  const double level =
      config_.threshold * model.LogSurvival(elapsed_ns - pause_ns_) / std::max(at_cutoff, 1e-9);
  // Exactly at and after the crossing the level is at least the threshold,
  // and below it before, whatever the rounding: IsAvailable and
  // SuspicionTime agree.
  if (elapsed_ns >= EmpiricalCrossingNs()) return std::max(level, config_.threshold);
  return std::min(level, std::nextafter(config_.threshold, 0.0));
}

bool PhiAccrualDetector::IsAvailable(TimePoint now) const {
  if (empirical_ && last_heartbeat_) return Nanos(now - *last_heartbeat_) < EmpiricalCrossingNs();
  return Phi(now) < config_.threshold;
}

void PhiAccrualDetector::Reset() {
  window_.Clear();
  if (empirical_) empirical_->Clear();
  if (recent_) recent_->Clear();
  log_survival_at_cutoff_.reset();
  last_heartbeat_.reset();
  samples_recorded_ = 0;
  mean_ns_ = 0.0;
  std_dev_ns_ = 1.0;
}

std::size_t PhiAccrualDetector::sample_count() const {
  return std::min(samples_recorded_, config_.window_size);
}

std::optional<TimePoint> PhiAccrualDetector::last_heartbeat() const { return last_heartbeat_; }

const PhiConfig& PhiAccrualDetector::config() const { return config_; }

std::optional<TimePoint> PhiAccrualDetector::SuspicionTime() const {
  if (!last_heartbeat_) return std::nullopt;
  const TimePoint last = *last_heartbeat_;
  double elapsed = 0.0;
  if (empirical_) {
    // Exact by construction: Phi reaches the threshold at this nanosecond.
    const double crossing = EmpiricalCrossingNs();
    if (!(crossing < Nanos(TimePoint::max() - last))) return TimePoint::max();
    return last + Duration(static_cast<Duration::rep>(crossing));
  }
  if (config_.distribution == Distribution::kExponential) {
    elapsed = pause_ns_ + threshold_inverse_ * mean_ns_;
  } else {
    elapsed = mean_ns_ + pause_ns_ + threshold_inverse_ * std_dev_ns_;
  }
  elapsed = std::max(0.0, std::ceil(elapsed));
  const double headroom = Nanos(TimePoint::max() - last);
  // Leave room for the +/- 1 ns corrections below.
  if (!(elapsed < headroom - 1024.0)) return TimePoint::max();
  TimePoint t = last + Duration(static_cast<Duration::rep>(elapsed));
  // The closed form can be off by rounding; settle on the exact grid point.
  // Each loop runs at most a few steps (bounded in case of huge elapsed).
  const double threshold = config_.threshold;
  for (int i = 0; i < 64 && Phi(t) < threshold; ++i) t += Duration(1);
  for (int i = 0; i < 64 && t > last && Phi(t - Duration(1)) >= threshold; ++i) t -= Duration(1);
  return t;
}

}  // namespace picket::detector
