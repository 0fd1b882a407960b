#include "detector/eval/qos.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "detector/eval/fixed_timeout.h"
#include "detector/eval/fleet.h"
#include "detector/eval/trace_families.h"

namespace picket::detector::eval {
namespace {

using std::chrono::milliseconds;

std::string ErrorOf(const Status& valid) { return valid ? std::string() : valid.error(); }
using std::chrono::seconds;

Trace HandTrace(std::vector<Duration> arrivals, Duration end) {
  Trace trace;
  trace.arrivals = std::move(arrivals);
  trace.end = end;
  return trace;
}

EvalOptions NoWarmup() {
  EvalOptions options;
  options.warmup = Duration::zero();
  return options;
}

TEST_CASE("FixedTimeoutModel answers any timeout exactly") {
  const FixedTimeoutModel model({seconds(1), seconds(3), seconds(1), milliseconds(1500)},
                                {-milliseconds(400), -milliseconds(100), -milliseconds(250)});
  CHECK(model.Mistakes(milliseconds(999)) == 4);
  CHECK(model.Mistakes(seconds(1)) == 2);  // a gap equal to the timeout is no mistake
  CHECK(model.MistakeTime(seconds(1)) == milliseconds(2000 + 500));
  CHECK(model.Mistakes(seconds(3)) == 0);
  CHECK(model.ShortestWithAtMost(0) == seconds(3));
  CHECK(model.ShortestWithAtMost(1) == milliseconds(1500));
  CHECK(model.ShortestWithAtMost(10) == Duration::zero());
  CHECK(model.DetectionMedian(seconds(1)) == milliseconds(750));
  CHECK(model.WithDetectionMedian(milliseconds(750)) == seconds(1));
  CHECK(model.DetectionTimes(milliseconds(200)) ==
        std::vector<Duration>{Duration::zero(), Duration::zero(), milliseconds(100)});
  CHECK(model.LongestGap() == seconds(3));
}

TEST_CASE("A fixed timeout's mistakes on a hand-made trace") {
  // Heartbeats every second, one 3 s gap, observed until 10 s.
  const Trace trace = HandTrace({seconds(0), seconds(1), seconds(2), seconds(5), seconds(6),
                                 seconds(7), seconds(8), seconds(9)},
                                seconds(10));
  EvalOptions options = NoWarmup();
  options.timeouts = {milliseconds(1500), milliseconds(999)};
  const TraceEvaluation e = EvaluateTrace(trace, options);
  CHECK(e.hours == Approx(10.0 / 3600));
  CHECK(e.arrivals == 8);
  REQUIRE(e.timeouts.size() == 2);
  CHECK(e.timeouts[0].mistakes == 1);
  CHECK(e.timeouts[0].mistake_duration_mean == milliseconds(1500));
  CHECK(e.timeouts[0].query_accuracy == Approx(1.0 - 1.5 / 10));
  // 999 ms: every 1 s gap, the 3 s gap, and the open gap 9 s .. 10 s.
  CHECK(e.timeouts[1].mistakes == 8);
}

TEST_CASE("Detection time of a fixed timeout on a perfect periodic trace") {
  Conditions perfect;
  perfect.base_delay = Duration::zero();
  TraceSpec spec;
  spec.phases = {Phase{perfect, Duration::zero()}};
  spec.duration = std::chrono::hours(1);
  const Trace trace = GenerateTrace(spec, 1);
  EvalOptions options;
  options.timeouts = {seconds(1)};
  options.thresholds = {8.0};
  const TraceEvaluation e = EvaluateTrace(trace, options);
  CHECK(e.crash_trials == 1001);
  // The crash falls uniformly between two heartbeats: T_D = timeout - U(0, 500 ms).
  CHECK(Approx(750.0).margin(25.0) ==
        std::chrono::duration<double, std::milli>(e.timeouts[0].detection_median).count());
  CHECK(e.timeouts[0].detection_max <= seconds(1));
  CHECK(e.timeouts[0].detection_p99 > milliseconds(990));
  CHECK(e.timeouts[0].mistakes == 0);
  // Phi: deviation 0, floored to 100 ms: suspicion at 500 + 5.612 * 100 ms.
  CHECK(Approx(1061.2 - 250.0).margin(25.0) ==
        std::chrono::duration<double, std::milli>(e.phi[0].detection_median).count());
  CHECK(e.phi[0].mistakes == 0);
}

TEST_CASE("Heartbeats in flight at the crash still arrive") {
  Conditions slow;
  slow.base_delay = seconds(2);  // four heartbeats in flight at any time
  TraceSpec spec;
  spec.phases = {Phase{slow, Duration::zero()}};
  spec.duration = std::chrono::minutes(30);
  const Trace trace = GenerateTrace(spec, 1);
  EvalOptions options;
  options.timeouts = {seconds(1)};
  options.thresholds = {8.0};
  const TraceEvaluation e = EvaluateTrace(trace, options);
  // Last heartbeat sent U(0, 500 ms) before the crash, received 2 s later.
  CHECK(Approx(2750.0).margin(25.0) ==
        std::chrono::duration<double, std::milli>(e.timeouts[0].detection_median).count());
  CHECK(Approx(2000.0 + 1061.2 - 250.0).margin(25.0) ==
        std::chrono::duration<double, std::milli>(e.phi[0].detection_median).count());
}

// Brute force: query phi every millisecond and count the false suspicions.
struct GridCount {
  std::uint64_t mistakes = 0;
  double suspected_ms = 0;
};
GridCount BruteForce(const Trace& trace, PhiConfig config, Duration warmup) {
  PhiAccrualDetector detector(config);
  const TimePoint origin{};
  GridCount count;
  for (std::size_t i = 0; i < trace.arrivals.size(); ++i) {
    if (i > 0 && trace.arrivals[i - 1] >= warmup) {
      bool suspected = false;
      for (Duration t = trace.arrivals[i - 1]; t < trace.arrivals[i]; t += milliseconds(1)) {
        const bool now = !detector.IsAvailable(origin + t);
        if (now && !suspected) ++count.mistakes;
        if (now) count.suspected_ms += 1.0;
        suspected = now;
      }
    }
    detector.Heartbeat(origin + trace.arrivals[i]);
  }
  return count;
}

TEST_CASE("Phi's mistakes computed exactly agree with a 1 ms polling grid") {
  // Jittery, lossy, with stalls: plenty of mistakes at low thresholds.
  Conditions rough;
  rough.jitter = milliseconds(40);
  rough.loss = 0.05;
  rough.stall_every = seconds(20);
  rough.stall_median = milliseconds(400);
  TraceSpec spec;
  spec.phases = {Phase{rough, Duration::zero()}};
  spec.duration = std::chrono::minutes(40);
  const Trace trace = GenerateTrace(spec, 5);
  // The last arrival is the end, so there is no open gap at the end.
  Trace closed = trace;
  closed.end = trace.arrivals.back();

  EvalOptions options;
  options.thresholds = {1.0, 3.0, 8.0};
  options.phi.min_std_deviation = milliseconds(20);
  const TraceEvaluation e = EvaluateTrace(closed, options);
  for (std::size_t i = 0; i < options.thresholds.size(); ++i) {
    PhiConfig config = options.phi;
    config.threshold = options.thresholds[i];
    const GridCount grid = BruteForce(closed, config, options.warmup);
    const QosStats& exact = e.phi[i];
    INFO("threshold " << config.threshold << ": exact " << exact.mistakes << ", grid "
                      << grid.mistakes);
    CHECK(exact.mistakes > 10);
    // The grid misses suspicions shorter than its step and merges none (a
    // heartbeat always ends one), so it can only count fewer.
    CHECK(grid.mistakes <= exact.mistakes);
    CHECK(grid.mistakes >= exact.mistakes - exact.mistakes / 50 - 1);
    const double exact_ms =
        std::chrono::duration<double, std::milli>(exact.mistake_duration_mean *
                                                  static_cast<Duration::rep>(exact.mistakes))
            .count();
    CHECK(grid.suspected_ms == Approx(exact_ms).margin(static_cast<double>(exact.mistakes) + 1.0));
  }
}

TEST_CASE("The matched timeout has exactly phi's median detection time") {
  const auto families = StandardFamilies(std::chrono::hours(2));
  const Trace trace = GenerateTrace(families[2].spec, 3);  // lossy-5
  EvalOptions options;
  options.thresholds = {4.0, 8.0};
  const TraceEvaluation e = EvaluateTrace(trace, options);
  REQUIRE(e.matched.size() == 2);
  for (std::size_t i = 0; i < e.matched.size(); ++i) {
    const MatchedComparison& m = e.matched[i];
    CHECK(e.fixed_timeout.DetectionMedian(m.equal_speed_timeout) == e.phi[i].detection_median);
    CHECK(e.fixed_timeout.Mistakes(m.equal_speed_timeout) == m.equal_speed_timeout_mistakes);
    CHECK(e.fixed_timeout.Mistakes(m.equal_mistakes_timeout) <= e.phi[i].mistakes);
    CHECK(e.fixed_timeout.Mistakes(m.equal_mistakes_timeout - Duration(1)) > e.phi[i].mistakes);
    REQUIRE(m.fewer_mistakes.has_value());
    CHECK(*m.fewer_mistakes ==
          Approx(1.0 - static_cast<double>(e.phi[i].mistakes) /
                           static_cast<double>(m.equal_speed_timeout_mistakes)));
  }
}

TEST_CASE("CompareFleet finds the single timeouts that match phi over all families") {
  const auto families = StandardFamilies(std::chrono::hours(1));
  EvalOptions options;
  options.thresholds = {8.0};
  std::vector<TraceEvaluation> evaluations;
  for (std::size_t i : {0u, 2u, 4u}) {
    evaluations.push_back(EvaluateTrace(GenerateTrace(families[i].spec, i), options));
  }
  std::vector<const TraceEvaluation*> pointers;
  for (const auto& e : evaluations) pointers.push_back(&e);
  const FleetComparison c = CompareFleet(pointers, 8.0);
  CHECK(c.hours == Approx(3 * (1.0 - 5.0 / 60)));
  REQUIRE(c.families.size() == 3);
  std::uint64_t phi_total = 0;
  double timeout_median_sum = 0;
  std::uint64_t at_most = 0;
  std::uint64_t just_below = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    phi_total += evaluations[i].phi[0].mistakes;
    timeout_median_sum += static_cast<double>(
        evaluations[i].fixed_timeout.DetectionMedian(c.equal_speed_timeout).count());
    at_most += evaluations[i].fixed_timeout.Mistakes(c.equal_mistakes_timeout);
    just_below += evaluations[i].fixed_timeout.Mistakes(c.equal_mistakes_timeout - Duration(1));
  }
  CHECK(c.phi_mistakes == phi_total);
  CHECK(timeout_median_sum / 3 ==
        Approx(static_cast<double>(c.phi_mean_detection_median.count())).margin(2.0));
  CHECK(at_most <= phi_total);
  CHECK(just_below > phi_total);
}

TEST_CASE("EvalOptions::Validate names the invalid field") {
  using Catch::Matchers::StartsWith;
  CHECK(EvalOptions{}.Validate().has_value());
  EvalOptions options;
  options.thresholds = {};
  CHECK_THAT(ErrorOf(options.Validate()), StartsWith("thresholds"));
  options = EvalOptions{};
  options.thresholds = {8.0, -1.0};
  CHECK_THAT(ErrorOf(options.Validate()), StartsWith("thresholds"));
  options = EvalOptions{};
  options.timeouts = {Duration::zero()};
  CHECK_THAT(ErrorOf(options.Validate()), StartsWith("timeouts"));
  options = EvalOptions{};
  options.phi.window_size = 0;
  CHECK_THAT(ErrorOf(options.Validate()), StartsWith("phi: window_size"));
}

TEST_CASE("A trace shorter than the warmup evaluates nothing") {
  const Trace trace = HandTrace({seconds(0), seconds(1), seconds(2)}, seconds(3));
  const TraceEvaluation e = EvaluateTrace(trace, EvalOptions{});
  CHECK(e.hours == 0.0);
  CHECK(e.phi.empty());
}

}  // namespace
}  // namespace picket::detector::eval
