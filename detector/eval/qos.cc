#include "detector/eval/qos.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "detector/eval/sampler.h"
#include "detector/percentile.h"

namespace picket::detector::eval {
namespace {

constexpr double kNanosPerHour = 3600e9;

double Nanos(Duration d) { return static_cast<double>(d.count()); }

// One crash trial: the crash instant, the index of the first arrival after it,
// and (filled in by the first pass) the last arrival the observer gets.
struct CrashTrial {
  Duration at = Duration::zero();
  std::size_t next_arrival = 0;
  Duration last_arrival = Duration::zero();
};

Duration Percentile(const std::vector<Duration>& sorted, double q) {
  return sorted.empty() ? Duration::zero() : NearestRank(sorted, q);
}

void FillDetection(std::vector<Duration> detection, QosStats& stats) {
  std::sort(detection.begin(), detection.end());
  stats.detection_median = Percentile(detection, 0.50);
  stats.detection_p90 = Percentile(detection, 0.90);
  stats.detection_p99 = Percentile(detection, 0.99);
  stats.detection_max = detection.empty() ? Duration::zero() : detection.back();
}

void FillMistakes(std::uint64_t count, Duration total, Duration evaluated, QosStats& stats) {
  stats.mistakes = count;
  stats.mistakes_per_hour = static_cast<double>(count) / (Nanos(evaluated) / kNanosPerHour);
  stats.mistake_duration_mean =
      count == 0 ? Duration::zero() : total / static_cast<Duration::rep>(count);
  stats.query_accuracy = 1.0 - Nanos(total) / Nanos(evaluated);
}

std::vector<CrashTrial> PlaceCrashTrials(const Trace& trace, Duration from, Duration to,
                                         const EvalOptions& options) {
  std::size_t count = options.crash_trials | 1;
  Sampler rng(options.seed);
  std::vector<CrashTrial> trials(count);
  for (CrashTrial& trial : trials) {
    trial.at = from + Duration(static_cast<Duration::rep>(rng.Uniform() * Nanos(to - from)));
  }
  std::sort(trials.begin(), trials.end(),
            [](const CrashTrial& a, const CrashTrial& b) { return a.at < b.at; });
  for (CrashTrial& trial : trials) {
    trial.next_arrival = static_cast<std::size_t>(
        std::upper_bound(trace.arrivals.begin(), trace.arrivals.end(), trial.at) -
        trace.arrivals.begin());
  }
  return trials;
}

// Calls on_arrival(index) for every heartbeat still in flight when the sender
// crashes at trial.at (sent before it, arriving after it), in arrival order.
template <typename F>
void ForEachInFlight(const Trace& trace, const CrashTrial& trial, F&& on_arrival) {
  if (trace.sent.empty()) return;
  for (std::size_t j = trial.next_arrival;
       j < trace.arrivals.size() && trace.arrivals[j] <= trial.at + trace.max_delay; ++j) {
    if (trace.sent[j] < trial.at) on_arrival(j);
  }
}

// Replays the trace through one phi detector.
QosStats EvaluatePhi(const Trace& trace, const EvalOptions& options, double threshold,
                     Duration alive_end, const std::vector<CrashTrial>& trials) {
  PhiConfig config = options.phi;
  if (options.sweep == EvalOptions::Sweep::kFalseSuspicionCost) {
    config.false_suspicion_cost =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(threshold));
  } else {
    config.threshold = threshold;
  }
  PhiAccrualDetector detector(config);
  const TimePoint origin{};

  std::uint64_t mistakes = 0;
  Duration mistake_time = Duration::zero();
  // A gap from the last arrival to `gap_end`: a mistake if phi crossed before.
  auto check_gap = [&](Duration gap_end) {
    const auto last = detector.last_heartbeat();
    if (!last || *last - origin < options.warmup) return;
    const TimePoint suspect = *detector.SuspicionTime();
    if (suspect < origin + gap_end) {
      ++mistakes;
      mistake_time += origin + gap_end - suspect;
    }
  };

  std::vector<Duration> detection;
  detection.reserve(trials.size());
  std::size_t next_trial = 0;
  // Crash trials between the last processed arrival and `limit`.
  auto run_trials_before = [&](Duration limit) {
    for (; next_trial < trials.size() && trials[next_trial].at < limit; ++next_trial) {
      const CrashTrial& trial = trials[next_trial];
      std::optional<PhiAccrualDetector> after;  // copied only if heartbeats are in flight
      ForEachInFlight(trace, trial, [&](std::size_t j) {
        if (!after) after.emplace(detector);
        after->Heartbeat(origin + trace.arrivals[j]);
      });
      const TimePoint suspect = *(after ? *after : detector).SuspicionTime();
      detection.push_back(std::max(Duration::zero(), suspect - (origin + trial.at)));
    }
  };

  for (const Duration arrival : trace.arrivals) {
    if (arrival >= alive_end) break;
    check_gap(arrival);
    run_trials_before(arrival);
    detector.Heartbeat(origin + arrival);
  }
  check_gap(alive_end);
  run_trials_before(Duration::max());

  QosStats stats;
  stats.kind = "phi";
  stats.threshold = threshold;
  stats.label = options.Label(threshold);
  FillDetection(std::move(detection), stats);
  FillMistakes(mistakes, mistake_time, alive_end - options.warmup, stats);
  return stats;
}

}  // namespace

std::string EvalOptions::Label(double value) const {
  char buffer[64];
  if (sweep == Sweep::kFalseSuspicionCost) {
    std::snprintf(buffer, sizeof buffer, "cost %g s", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "phi %g", value);
  }
  return buffer;
}

Status EvalOptions::Validate() const {
  if (const Status valid = phi.Validate(); !valid) return Fail("phi: " + valid.error());
  if (thresholds.empty()) return Fail("thresholds must not be empty");
  for (const double t : thresholds) {
    if (!(t > 0.0) || !std::isfinite(t)) return Fail("thresholds must be > 0 and finite");
  }
  for (const Duration t : timeouts) {
    if (t <= Duration::zero()) return Fail("timeouts must be > 0");
  }
  if (crash_trials < 1) return Fail("crash_trials must be >= 1");
  if (warmup < Duration::zero()) return Fail("warmup must be >= 0");
  return {};
}

TraceEvaluation EvaluateTrace(const Trace& trace, const EvalOptions& options) {
  TraceEvaluation result;
  const Duration alive_end = trace.crash_at ? std::min(*trace.crash_at, trace.end) : trace.end;
  if (trace.arrivals.empty() || alive_end <= options.warmup ||
      trace.arrivals.front() >= alive_end) {
    return result;
  }
  const Duration evaluated = alive_end - options.warmup;
  result.hours = Nanos(evaluated) / kNanosPerHour;

  // Gaps (for the fixed timeouts) over the same span phi is judged on: from
  // each arrival at or after the warmup to the next one, or to alive_end.
  std::vector<Duration> gaps;
  for (std::size_t i = 0; i < trace.arrivals.size() && trace.arrivals[i] < alive_end; ++i) {
    ++result.arrivals;
    if (trace.arrivals[i] < options.warmup) continue;
    const bool has_next = i + 1 < trace.arrivals.size() && trace.arrivals[i + 1] < alive_end;
    gaps.push_back((has_next ? trace.arrivals[i + 1] : alive_end) - trace.arrivals[i]);
  }

  // Crash trials start once the first heartbeat has arrived and the warmup is over.
  const Duration first_crash = std::max(options.warmup, trace.arrivals.front());
  std::vector<CrashTrial> trials = PlaceCrashTrials(trace, first_crash, alive_end, options);
  result.crash_trials = trials.size();
  // The last heartbeat the observer gets in each trial; a fixed timeout
  // detects at last + timeout, so u = last - crash decides every timeout.
  std::vector<Duration> u;
  u.reserve(trials.size());
  for (CrashTrial& trial : trials) {
    trial.last_arrival = trace.arrivals[trial.next_arrival - 1];
    ForEachInFlight(trace, trial, [&](std::size_t j) { trial.last_arrival = trace.arrivals[j]; });
    u.push_back(trial.last_arrival - trial.at);
  }
  result.fixed_timeout = FixedTimeoutModel(std::move(gaps), std::move(u));
  const FixedTimeoutModel& fixed = result.fixed_timeout;

  for (const Duration timeout : options.timeouts) {
    QosStats stats;
    stats.kind = "timeout";
    stats.timeout = timeout;
    FillDetection(fixed.DetectionTimes(timeout), stats);
    FillMistakes(fixed.Mistakes(timeout), fixed.MistakeTime(timeout), evaluated, stats);
    result.timeouts.push_back(stats);
  }

  for (const double threshold : options.thresholds) {
    const QosStats phi = EvaluatePhi(trace, options, threshold, alive_end, trials);
    result.phi.push_back(phi);

    MatchedComparison match;
    match.threshold = threshold;
    match.equal_speed_timeout = fixed.WithDetectionMedian(phi.detection_median);
    match.equal_speed_timeout_mistakes = fixed.Mistakes(match.equal_speed_timeout);
    match.equal_speed_timeout_mistakes_per_hour =
        static_cast<double>(match.equal_speed_timeout_mistakes) / result.hours;
    if (match.equal_speed_timeout_mistakes > 0) {
      match.fewer_mistakes = 1.0 - static_cast<double>(phi.mistakes) /
                                       static_cast<double>(match.equal_speed_timeout_mistakes);
    }
    match.equal_mistakes_timeout = fixed.ShortestWithAtMost(phi.mistakes);
    match.equal_mistakes_detection_median = fixed.DetectionMedian(match.equal_mistakes_timeout);
    if (match.equal_mistakes_detection_median > Duration::zero()) {
      match.faster =
          1.0 - Nanos(phi.detection_median) / Nanos(match.equal_mistakes_detection_median);
    }
    result.matched.push_back(match);
  }
  return result;
}

}  // namespace picket::detector::eval
