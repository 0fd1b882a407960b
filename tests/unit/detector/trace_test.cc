#include "detector/eval/trace.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <set>
#include <sstream>

#include "detector/eval/trace_families.h"

namespace picket::detector::eval {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TraceSpec Spec(Conditions conditions, Duration duration = std::chrono::hours(1)) {
  TraceSpec spec;
  spec.phases = {Phase{conditions, Duration::zero()}};
  spec.duration = duration;
  return spec;
}

double Ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

TEST_CASE("A perfect network delivers every heartbeat one period apart") {
  Conditions c;
  c.base_delay = milliseconds(3);
  const Trace trace = GenerateTrace(Spec(c, seconds(100)), 1);
  REQUIRE(trace.arrivals.size() == 200);
  CHECK(trace.heartbeats_sent == 200);
  CHECK(trace.heartbeats_lost == 0);
  for (std::size_t i = 0; i < trace.arrivals.size(); ++i) {
    CHECK(trace.sent[i] == milliseconds(500) * static_cast<Duration::rep>(i));
    CHECK(trace.arrivals[i] == trace.sent[i] + milliseconds(3));
  }
  CHECK(trace.max_delay == milliseconds(3));
  CHECK(trace.end == seconds(100));
}

TEST_CASE("The same seed gives the same trace, another seed another one") {
  const TraceFamily family = StandardFamilies(std::chrono::hours(1))[2];  // lossy
  const Trace a = GenerateTrace(family.spec, 7);
  const Trace b = GenerateTrace(family.spec, 7);
  const Trace c = GenerateTrace(family.spec, 8);
  CHECK(a.arrivals == b.arrivals);
  CHECK(a.sent == b.sent);
  CHECK(a.arrivals != c.arrivals);
}

TEST_CASE("Independent loss drops about the configured fraction") {
  Conditions c;
  c.loss = 0.05;
  const Trace trace = GenerateTrace(Spec(c, std::chrono::hours(20)), 3);  // 144,000 heartbeats
  const double rate =
      static_cast<double>(trace.heartbeats_lost) / static_cast<double>(trace.heartbeats_sent);
  CHECK(rate == Approx(0.05).margin(0.003));
  CHECK(trace.arrivals.size() == trace.heartbeats_sent - trace.heartbeats_lost);
}

TEST_CASE("Loss bursts have the configured mean length") {
  Conditions c;
  c.burst_rate = 0.01;
  c.burst_length = 4.0;
  const Trace trace = GenerateTrace(Spec(c, std::chrono::hours(20)), 5);
  // Runs of consecutive missing heartbeats, from the gaps in send times.
  std::uint64_t runs = 0;
  std::uint64_t lost = 0;
  for (std::size_t i = 1; i < trace.sent.size(); ++i) {
    const auto missing = (trace.sent[i] - trace.sent[i - 1]) / milliseconds(500) - 1;
    if (missing > 0) {
      ++runs;
      lost += static_cast<std::uint64_t>(missing);
    }
  }
  REQUIRE(runs > 1000);
  CHECK(static_cast<double>(lost) / static_cast<double>(runs) == Approx(4.0).epsilon(0.06));
}

TEST_CASE("Jitter is half-normal on top of the base delay") {
  Conditions c;
  c.base_delay = milliseconds(1);
  c.jitter = milliseconds(20);
  const Trace trace = GenerateTrace(Spec(c), 9);
  double sum = 0.0;
  Duration min_delay = Duration::max();
  for (std::size_t i = 0; i < trace.arrivals.size(); ++i) {
    const Duration delay = trace.arrivals[i] - trace.sent[i];
    sum += Ms(delay);
    min_delay = std::min(min_delay, delay);
  }
  const double mean_extra = sum / static_cast<double>(trace.arrivals.size()) - 1.0;
  CHECK(mean_extra == Approx(20.0 * std::sqrt(2.0 / std::numbers::pi)).epsilon(0.03));  // E|N(0, s)|
  CHECK(min_delay >= milliseconds(1));
}

TEST_CASE("Pareto delays follow their tail law") {
  Conditions c;
  c.base_delay = Duration::zero();
  c.tail = DelayTail::kPareto;
  c.tail_scale = milliseconds(10);
  c.tail_shape = 1.8;
  const Trace trace = GenerateTrace(Spec(c, std::chrono::hours(20)), 11);
  for (const double x_ms : {10.0, 50.0, 200.0}) {
    std::size_t above = 0;
    for (std::size_t i = 0; i < trace.arrivals.size(); ++i) {
      if (Ms(trace.arrivals[i] - trace.sent[i]) > x_ms) ++above;
    }
    const double expected = std::pow(1.0 + x_ms / 10.0, -1.8);
    INFO("x = " << x_ms << " ms");
    CHECK(static_cast<double>(above) / static_cast<double>(trace.arrivals.size()) ==
          Approx(expected).epsilon(0.08));
  }
}

TEST_CASE("Sender stalls delay the due heartbeat to the end of the stall") {
  Conditions c;
  c.stall_every = seconds(30);
  c.stall_median = seconds(2);
  c.stall_sigma = 0.0;  // every stall lasts exactly 2 s
  const Trace trace = GenerateTrace(Spec(c, std::chrono::hours(10)), 13);
  std::size_t long_gaps = 0;
  for (std::size_t i = 1; i < trace.sent.size(); ++i) {
    const Duration gap = trace.sent[i] - trace.sent[i - 1];
    REQUIRE(gap >= milliseconds(500));
    if (gap > milliseconds(500)) {
      ++long_gaps;
      CHECK(gap > seconds(2));
      CHECK(gap <= milliseconds(2500));
    }
  }
  // A Poisson process of rate 1 / 30 s over 10 h: about 1200 stalls.
  CHECK(static_cast<double>(long_gaps) == Approx(1200.0).epsilon(0.1));
}

TEST_CASE("A crash stops the heartbeats and leaves everything before it unchanged") {
  TraceSpec spec = StandardFamilies(std::chrono::hours(1))[5].spec;  // heavy-tailed
  const Trace full = GenerateTrace(spec, 17);
  spec.crash_at = std::chrono::minutes(30) + milliseconds(123);
  const Trace crashed = GenerateTrace(spec, 17);
  CHECK(crashed.crash_at == spec.crash_at);
  std::vector<std::pair<Duration, Duration>> expected;
  for (std::size_t i = 0; i < full.arrivals.size(); ++i) {
    if (full.sent[i] < *spec.crash_at) expected.emplace_back(full.arrivals[i], full.sent[i]);
  }
  REQUIRE(crashed.arrivals.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(crashed.arrivals[i] == expected[i].first);
    CHECK(crashed.sent[i] == expected[i].second);
  }
}

TEST_CASE("Phases alternate their conditions") {
  Conditions calm;
  Conditions lossy;
  lossy.loss = 0.5;
  TraceSpec spec;
  spec.phases = {Phase{calm, std::chrono::minutes(10)}, Phase{lossy, std::chrono::minutes(10)}};
  spec.duration = std::chrono::hours(2);
  const Trace trace = GenerateTrace(spec, 19);
  std::set<Duration> delivered(trace.sent.begin(), trace.sent.end());
  for (Duration t = Duration::zero(); t < spec.duration; t += milliseconds(500)) {
    const bool calm_phase = (t % std::chrono::minutes(20)) < std::chrono::minutes(10);
    if (calm_phase) REQUIRE(delivered.count(t) == 1);
  }
  CHECK(trace.heartbeats_lost > 3000);
}

TEST_CASE("TraceSpec::Validate names the invalid field") {
  auto error_of = [](auto mutate) {
    TraceSpec spec;
    mutate(spec);
    const auto valid = spec.Validate();
    return valid ? std::string() : valid.error();
  };
  using Catch::Matchers::StartsWith;
  CHECK(error_of([](TraceSpec&) {}).empty());
  CHECK_THAT(error_of([](TraceSpec& s) { s.period = Duration::zero(); }), StartsWith("period"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.duration = Duration::zero(); }), StartsWith("duration"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.phases.clear(); }), StartsWith("phases"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.phases[0].conditions.loss = 1.0; }), StartsWith("loss"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.phases[0].conditions.jitter = -milliseconds(1); }),
             StartsWith("jitter"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.phases[0].conditions.burst_length = 0.5; }),
             StartsWith("burst_length"));
  CHECK_THAT(error_of([](TraceSpec& s) { s.phases[0].conditions.tail_shape = 0.0; }),
             StartsWith("tail_shape"));
  CHECK_THAT(error_of([](TraceSpec& s) {
               s.phases = {Phase{}, Phase{}};
               s.phases[0].length = seconds(1);
             }),
             StartsWith("phase 1: length"));
}

TEST_CASE("The standard families are valid and distinct") {
  const auto families = StandardFamilies(std::chrono::hours(1));
  CHECK(families.size() == 7);
  std::set<std::string> names;
  for (const auto& family : families) {
    INFO(family.name);
    CHECK(family.spec.Validate().has_value());
    names.insert(family.name);
  }
  CHECK(names.size() == families.size());
}

TEST_CASE("ReadTrace reads one arrival per line, in any unit and origin") {
  std::istringstream in(
      "# recorded by hand\n"
      "1700000000.250\n"
      "\n"
      "1700000000.750   # a comment\n"
      "  1700000001.2505\n");
  const TraceReadResult result = ReadTrace(in, TimeUnit::kSeconds);
  REQUIRE(result.ok());
  REQUIRE(result.trace.arrivals.size() == 3);
  CHECK(result.trace.arrivals[0] == Duration::zero());
  CHECK(result.trace.arrivals[1] == milliseconds(500));
  CHECK(result.trace.arrivals[2] == std::chrono::microseconds(1'000'500));
  CHECK(result.trace.end == result.trace.arrivals[2]);
  CHECK(result.trace.sent.empty());

  std::istringstream ms("10\n20\n35\n");
  const TraceReadResult in_ms = ReadTrace(ms, TimeUnit::kMilliseconds);
  REQUIRE(in_ms.ok());
  CHECK(in_ms.trace.arrivals[2] == milliseconds(25));
}

TEST_CASE("ReadTrace reports the line of a bad or decreasing time") {
  using Catch::Matchers::StartsWith;
  std::istringstream decreasing("1.0\n2.0\n1.5\n3.0\n");
  CHECK_THAT(ReadTrace(decreasing, TimeUnit::kSeconds).error, StartsWith("line 3: "));
  std::istringstream garbage("1.0\n2.0 3.0\n");
  CHECK_THAT(ReadTrace(garbage, TimeUnit::kSeconds).error, StartsWith("line 2: expected one"));
  std::istringstream words("1.0\nhello\n");
  CHECK_THAT(ReadTrace(words, TimeUnit::kSeconds).error, StartsWith("line 2: "));
  std::istringstream short_trace("1.0\n2.0\n");
  CHECK_THAT(ReadTrace(short_trace, TimeUnit::kSeconds).error,
             StartsWith("a trace needs at least 3"));
  CHECK_THAT(ReadTraceFile("/nonexistent/trace.txt", TimeUnit::kSeconds).error,
             StartsWith("cannot open trace file"));
}

TEST_CASE("WriteTrace and ReadTrace round-trip to the nanosecond") {
  const Trace trace = GenerateTrace(StandardFamilies(std::chrono::minutes(10))[1].spec, 23);
  std::stringstream buffer;
  WriteTrace(buffer, trace);
  const TraceReadResult read = ReadTrace(buffer, TimeUnit::kSeconds);
  REQUIRE(read.ok());
  REQUIRE(read.trace.arrivals.size() == trace.arrivals.size());
  for (std::size_t i = 0; i < trace.arrivals.size(); ++i) {
    REQUIRE(read.trace.arrivals[i] == trace.arrivals[i] - trace.arrivals[0]);
  }
}

}  // namespace
}  // namespace picket::detector::eval
