#include "detector/phi_accrual_detector.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <vector>

#include "detector/phi_math.h"

namespace picket::detector {
namespace {

using std::chrono::milliseconds;

// Akka's fakeTimeGenerator: every call to Next() returns the following time,
// the first one at 0, each later one `interval` ms after the previous.
class FakeClock {
 public:
  explicit FakeClock(std::vector<long> intervals_ms) : intervals_(std::move(intervals_ms)) {}
  TimePoint Next() {
    now_ += milliseconds(intervals_.at(index_++));
    return now_;
  }

 private:
  std::vector<long> intervals_;
  std::size_t index_ = 0;
  TimePoint now_{};
};

// Akka's createFailureDetector defaults.
PhiConfig AkkaConfig() {
  PhiConfig config;
  config.threshold = 8.0;
  config.window_size = 1000;
  config.min_std_deviation = 100ms;
  config.acceptable_heartbeat_pause = 0ms;
  config.first_heartbeat_estimate = 1s;
  config.distribution = Distribution::kLogistic;
  config.learn_suspected_intervals = false;
  return config;
}

TimePoint At(long ms) { return TimePoint{} + milliseconds(ms); }

TEST_CASE("Zero heartbeats: phi is 0, the subject is available, nothing is known") {
  PhiAccrualDetector detector(PhiConfig{});
  CHECK(detector.Phi(At(0)) == 0.0);
  CHECK(detector.Phi(At(1'000'000)) == 0.0);
  CHECK(detector.IsAvailable(At(1'000'000)));
  CHECK(detector.sample_count() == 0);
  CHECK_FALSE(detector.last_heartbeat().has_value());
  CHECK_FALSE(detector.SuspicionTime().has_value());
}

TEST_CASE("One heartbeat: phi comes from the first-heartbeat estimate") {
  // Akka: "return phi based on guess when only one heartbeat" (estimate 1 s,
  // so mean 1000 ms and deviation 250 ms), for both the logistic and the exact
  // normal model.
  for (const Distribution distribution : {Distribution::kLogistic, Distribution::kNormal}) {
    PhiConfig config = AkkaConfig();
    config.distribution = distribution;
    FakeClock clock({0, 1000, 1000, 1000});
    PhiAccrualDetector detector(config);
    detector.Heartbeat(clock.Next());
    CHECK(detector.sample_count() == 0);
    CHECK(detector.Phi(clock.Next()) == Approx(0.3).margin(0.2));
    CHECK(detector.Phi(clock.Next()) == Approx(4.5).margin(0.3));
    CHECK(detector.Phi(clock.Next()) > 15.0);
  }
  // Exactly: z = (elapsed - 1000) / 250 for the normal model.
  PhiConfig config;
  config.first_heartbeat_estimate = 1s;
  PhiAccrualDetector detector(config);
  detector.Heartbeat(At(0));
  CHECK(detector.Phi(At(2000)) == Approx(NormalPhi(4.0)).epsilon(1e-12));
}

TEST_CASE("Two heartbeats: the first real interval joins the seeds") {
  // Akka: "return phi value using first interval after second heartbeat".
  FakeClock clock({0, 100, 100, 100});
  PhiAccrualDetector detector(AkkaConfig());
  detector.Heartbeat(clock.Next());
  CHECK(detector.Phi(clock.Next()) > 0.0);
  detector.Heartbeat(clock.Next());
  CHECK(detector.sample_count() == 1);
  CHECK(detector.Phi(clock.Next()) > 0.0);
  // Window = {750, 1250, 200} ms: mean 733.3 ms, population deviation 432.0 ms.
  CHECK(detector.mean_interval_ns() == Approx(2200e6 / 3));
  CHECK(detector.std_deviation_ns() ==
        Approx(std::sqrt((750.0 * 750 + 1250.0 * 1250 + 200.0 * 200) / 3 -
                         (2200.0 / 3) * (2200.0 / 3)) *
               1e6));
}

TEST_CASE("Akka scenario: marks the subject available after a series of heartbeats") {
  FakeClock clock({0, 1000, 100, 100});
  PhiAccrualDetector detector(AkkaConfig());
  detector.Heartbeat(clock.Next());
  detector.Heartbeat(clock.Next());
  detector.Heartbeat(clock.Next());
  CHECK(detector.last_heartbeat().has_value());
  CHECK(detector.IsAvailable(clock.Next()));
}

TEST_CASE("Akka scenario: marks the subject dead when heartbeats are missed") {
  PhiConfig config = AkkaConfig();
  config.threshold = 3.0;
  FakeClock clock({0, 1000, 100, 100, 7000});
  PhiAccrualDetector detector(config);
  detector.Heartbeat(clock.Next());                 // 0
  detector.Heartbeat(clock.Next());                 // 1000
  detector.Heartbeat(clock.Next());                 // 1100
  CHECK(detector.IsAvailable(clock.Next()));        // 1200
  CHECK_FALSE(detector.IsAvailable(clock.Next()));  // 8200
}

TEST_CASE("Akka scenario: available again after a restart, dead again after a 7 s silence") {
  std::vector<long> intervals = {0};
  for (int i = 0; i < 999; ++i) intervals.push_back(1000);
  for (const long ms : {5L * 60 * 1000, 100L, 900L, 100L, 7000L, 100L, 900L, 100L, 900L}) {
    intervals.push_back(ms);
  }
  PhiConfig config = AkkaConfig();
  config.acceptable_heartbeat_pause = 3s;
  FakeClock clock(intervals);
  PhiAccrualDetector detector(config);
  for (int i = 0; i < 1000; ++i) detector.Heartbeat(clock.Next());
  CHECK_FALSE(detector.IsAvailable(clock.Next()));  // after the long pause
  detector.Heartbeat(clock.Next());
  CHECK(detector.IsAvailable(clock.Next()));
  detector.Heartbeat(clock.Next());
  CHECK_FALSE(detector.IsAvailable(clock.Next()));  // after the 7 s pause
  detector.Heartbeat(clock.Next());
  CHECK(detector.IsAvailable(clock.Next()));
  detector.Heartbeat(clock.Next());
  CHECK(detector.IsAvailable(clock.Next()));
}

TEST_CASE("Akka scenario: accepts the configured missing heartbeats, then fails") {
  PhiConfig config = AkkaConfig();
  config.acceptable_heartbeat_pause = 3s;
  {
    FakeClock clock({0, 1000, 1000, 1000, 4000, 1000, 1000});
    PhiAccrualDetector detector(config);
    for (int i = 0; i < 4; ++i) detector.Heartbeat(clock.Next());
    CHECK(detector.IsAvailable(clock.Next()));
    detector.Heartbeat(clock.Next());
    CHECK(detector.IsAvailable(clock.Next()));
  }
  {
    FakeClock clock({0, 1000, 1000, 1000, 1000, 1000, 500, 500, 5000});
    PhiAccrualDetector detector(config);
    for (int i = 0; i < 6; ++i) detector.Heartbeat(clock.Next());
    CHECK(detector.IsAvailable(clock.Next()));
    detector.Heartbeat(clock.Next());
    CHECK_FALSE(detector.IsAvailable(clock.Next()));
  }
}

TEST_CASE("The window slides: old intervals stop counting (Akka: use maxSampleSize heartbeats)") {
  PhiConfig config = AkkaConfig();
  config.window_size = 3;
  FakeClock clock({0, 100, 100, 100, 100, 600, 500, 500, 500, 500, 500});
  PhiAccrualDetector detector(config);
  for (int i = 0; i < 4; ++i) detector.Heartbeat(clock.Next());  // 100 ms intervals
  const double phi1 = detector.Phi(clock.Next());
  for (int i = 0; i < 4; ++i) detector.Heartbeat(clock.Next());  // 500 ms intervals
  const double phi2 = detector.Phi(clock.Next());
  CHECK(phi2 == Approx(phi1).margin(0.001));
  CHECK(detector.sample_count() == 3);
  CHECK(detector.mean_interval_ns() == Approx(500e6));
}

TEST_CASE("learn_suspected_intervals decides whether a late heartbeat's interval is learned") {
  for (const bool learn : {true, false}) {
    PhiConfig config;
    config.learn_suspected_intervals = learn;
    PhiAccrualDetector detector(config);
    TimePoint now{};
    for (int i = 0; i < 100; ++i) {
      now += 500ms;
      detector.Heartbeat(now);
    }
    now += 3s;  // phi far above 8 by then
    REQUIRE_FALSE(detector.IsAvailable(now));
    detector.Heartbeat(now);
    INFO("learn = " << learn);
    CHECK(detector.sample_count() == (learn ? 100u : 99u));  // 100 heartbeats: 99 intervals
    CHECK(detector.IsAvailable(now));                        // a heartbeat always clears suspicion
  }
}

TEST_CASE("Phi stays finite and non-decreasing far into the tail (elapsed = 1000 x mean)") {
  for (const Distribution distribution :
       {Distribution::kNormal, Distribution::kLogistic, Distribution::kExponential}) {
    PhiConfig config;
    config.distribution = distribution;
    PhiAccrualDetector detector(config);
    TimePoint now{};
    for (int i = 0; i < 50; ++i) {
      now += 500ms;
      detector.Heartbeat(now);
    }
    const TimePoint last = now;
    double previous = detector.Phi(last);
    for (Duration elapsed = 0ms; elapsed <= 500s; elapsed += 10ms) {
      const double phi = detector.Phi(last + elapsed);
      REQUIRE(std::isfinite(phi));
      REQUIRE(phi >= previous);
      previous = phi;
    }
    INFO(DistributionName(distribution) << " phi at 1000 x mean = " << previous);
    CHECK(previous > 400.0);  // exponential: 1000 / ln 10; the others far more
    // Hours and years later: still finite.
    CHECK(std::isfinite(detector.Phi(last + std::chrono::hours(24 * 365 * 100))));
  }
  // The exact value at 1000 x mean for the normal model: z = (500 s - 0.5 s) / 0.1 s.
  PhiAccrualDetector detector(PhiConfig{});
  TimePoint now{};
  for (int i = 0; i < 2000; ++i) {
    now += 500ms;
    detector.Heartbeat(now);
  }
  CHECK(detector.Phi(now + 500s) == Approx(5417833.1880495344882).epsilon(1e-9));
}

TEST_CASE("A noisier history gives a lower phi at the same elapsed time") {
  auto phi_after = [](double jitter_ms) {
    PhiConfig config;
    config.min_std_deviation = 1ms;
    PhiAccrualDetector detector(config);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> jitter(0.0, jitter_ms);
    TimePoint now{};
    for (int i = 0; i < 1000; ++i) {
      now += Duration(static_cast<Duration::rep>((500.0 + jitter(rng)) * 1e6));
      detector.Heartbeat(now);
    }
    return detector.Phi(now + 700ms);
  };
  const double quiet = phi_after(5.0);
  const double noisy = phi_after(50.0);
  const double noisier = phi_after(120.0);
  CHECK(quiet > noisy);
  CHECK(noisy > noisier);
}

TEST_CASE("SuspicionTime is the exact first nanosecond at which phi reaches the threshold") {
  for (const Distribution distribution :
       {Distribution::kNormal, Distribution::kLogistic, Distribution::kExponential}) {
    PhiConfig config;
    config.distribution = distribution;
    config.acceptable_heartbeat_pause = 150ms;
    PhiAccrualDetector detector(config);
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<Duration::rep> interval(400'000'000, 700'000'000);
    TimePoint now{};
    for (int i = 0; i < 300; ++i) {
      now += Duration(interval(rng));
      detector.Heartbeat(now);
      const auto at = detector.SuspicionTime();
      REQUIRE(at.has_value());
      REQUIRE(detector.Phi(*at) >= config.threshold);
      REQUIRE(detector.Phi(*at - Duration(1)) < config.threshold);
      REQUIRE_FALSE(detector.IsAvailable(*at));
      REQUIRE(detector.IsAvailable(*at - Duration(1)));
    }
  }
}

TEST_CASE("Reset forgets the history, so the next heartbeat is a first heartbeat again") {
  PhiAccrualDetector detector(PhiConfig{});
  TimePoint now{};
  for (int i = 0; i < 10; ++i) {
    now += 500ms;
    detector.Heartbeat(now);
  }
  detector.Reset();
  CHECK(detector.sample_count() == 0);
  CHECK_FALSE(detector.last_heartbeat().has_value());
  CHECK(detector.Phi(now + 10s) == 0.0);
  detector.Heartbeat(now + 10s);
  CHECK(detector.sample_count() == 0);
  CHECK(detector.mean_interval_ns() == Approx(500e6));
}

TEST_CASE("A heartbeat earlier than the last one is ignored") {
  PhiAccrualDetector detector(PhiConfig{});
  detector.Heartbeat(At(1000));
  detector.Heartbeat(At(1500));
  detector.Heartbeat(At(1200));
  CHECK(detector.sample_count() == 1);
  CHECK(detector.last_heartbeat() == At(1500));
}

TEST_CASE("PhiConfig::Validate names the invalid parameter") {
  CHECK(PhiConfig{}.Validate().has_value());
  auto error_of = [](auto mutate) {
    PhiConfig config;
    mutate(config);
    const auto valid = config.Validate();
    return valid ? std::string() : valid.error();
  };
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;
  CHECK_THAT(error_of([](PhiConfig& c) { c.threshold = 0.0; }),
             StartsWith("threshold must be > 0"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.threshold = -1.0; }), StartsWith("threshold"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.threshold = std::nan(""); }), StartsWith("threshold"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.threshold = HUGE_VAL; }), StartsWith("threshold"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.window_size = 0; }),
             StartsWith("window_size must be in [1, 1000000]") && Contains("got 0"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.min_std_deviation = -5ms; }),
             StartsWith("min_std_deviation must be > 0") && Contains("-5.0"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.min_std_deviation = 0ms; }),
             StartsWith("min_std_deviation must be > 0"));
  CHECK(error_of([](PhiConfig& c) {
          c.min_std_deviation = 0ms;
          c.distribution = Distribution::kExponential;
        }).empty());
  CHECK_THAT(error_of([](PhiConfig& c) { c.acceptable_heartbeat_pause = -1ms; }),
             StartsWith("acceptable_heartbeat_pause must be >= 0"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.first_heartbeat_estimate = 0ms; }),
             StartsWith("first_heartbeat_estimate must be > 0"));
  CHECK_THAT(error_of([](PhiConfig& c) { c.distribution = static_cast<Distribution>(42); }),
             StartsWith("distribution"));
}

TEST_CASE("The constructor rejects an invalid configuration with Validate's message") {
  PhiConfig config;
  config.window_size = 0;
  CHECK_THROWS_AS(PhiAccrualDetector(config), std::invalid_argument);
  CHECK_THROWS_WITH(PhiAccrualDetector(config), Catch::Matchers::StartsWith("window_size"));
}

}  // namespace
}  // namespace picket::detector
