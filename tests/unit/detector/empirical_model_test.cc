#include "detector/empirical_model.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "detector/phi_accrual_detector.h"

namespace picket::detector {
namespace {

constexpr double kMs = 1e6;  // the detector's unit is the nanosecond

// Heartbeats every 500 ms with |N(0, jitter)| delays, each lost with
// probability `loss`: the intervals a receiver sees.
std::vector<double> Intervals(std::size_t count, double jitter_ms, double loss,
                              std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> jitter(0.0, jitter_ms);
  std::bernoulli_distribution lost(loss);
  std::vector<double> out;
  double previous_arrival = 0.0;
  for (std::size_t i = 1; out.size() < count; ++i) {
    if (lost(rng)) continue;
    const double arrival = static_cast<double>(i) * 500.0 + std::abs(jitter(rng));
    if (previous_arrival > 0.0) out.push_back((arrival - previous_arrival) * kMs);
    previous_arrival = arrival;
  }
  return out;
}

EmpiricalModel Fitted(const std::vector<double>& samples, double cost_s = 50.0) {
  EmpiricalModel model(1000, 1.0 * kMs, cost_s * 1000.0 * kMs);
  for (const double s : samples) model.Add(s);
  return model;
}

TEST_CASE("EmpiricalModel: tight intervals get a cutoff a few milliseconds above the largest") {
  const EmpiricalModel model = Fitted(Intervals(1000, 0.5, 0.0, 1));
  CHECK(model.bandwidth() == 1.0 * kMs);  // the floor: the quartiles are closer
  CHECK(model.cutoff() > 501.0 * kMs);
  CHECK(model.cutoff() < 510.0 * kMs);
}

TEST_CASE("EmpiricalModel: 5% loss covers the single losses, not the doubles") {
  // About 50 intervals of 1 s and 2-3 of 1.5 s in the window: covering the 1 s
  // ones saves 5% of false suspicions for 500 ms (worth it at 50 s a false
  // suspicion), covering the 1.5 s ones saves 0.25% (not worth it).
  const EmpiricalModel model = Fitted(Intervals(1000, 2.0, 0.05, 2));
  CHECK(model.cutoff() > 1000.0 * kMs);
  CHECK(model.cutoff() < 1030.0 * kMs);
  // A cost 100 times higher pays for the doubles too.
  const EmpiricalModel careful = Fitted(Intervals(1000, 2.0, 0.05, 2), 5000.0);
  CHECK(careful.cutoff() > 1500.0 * kMs);
}

TEST_CASE("EmpiricalModel: a higher cost never lowers the cutoff, jitter widens the margin") {
  const std::vector<double> jittery = Intervals(1000, 50.0, 0.01, 3);
  double previous = 0.0;
  for (const double cost_s : {1.0, 5.0, 20.0, 50.0, 200.0, 1000.0}) {
    const EmpiricalModel model = Fitted(jittery, cost_s);
    INFO("cost " << cost_s << " s");
    CHECK(model.cutoff() >= previous);
    previous = model.cutoff();
  }
  // 50 ms of jitter: the bandwidth follows the quartiles, not the floor.
  const EmpiricalModel model = Fitted(jittery);
  CHECK(model.bandwidth() > 20.0 * kMs);
  CHECK(model.bandwidth() < 80.0 * kMs);
}

TEST_CASE("EmpiricalModel: the survival level is non-decreasing and finite far out") {
  const EmpiricalModel model = Fitted(Intervals(1000, 2.0, 0.05, 4));
  double previous = 0.0;
  for (double ms = 0.0; ms < 100'000.0; ms += ms < 2000.0 ? 0.25 : 997.0) {
    const double level = model.LogSurvival(ms * kMs);
    INFO(ms << " ms");
    REQUIRE(std::isfinite(level));
    REQUIRE(level >= previous);
    previous = level;
  }
  // Half the window is below 500 ms, 5% of it beyond 1 s.
  CHECK(model.LogSurvival(500.0 * kMs) == Approx(-std::log10(0.5)).margin(0.1));
  CHECK(model.LogSurvival(1000.0 * kMs) < -std::log10(0.02));
}

TEST_CASE("EmpiricalModel: the oldest interval leaves the window, Clear forgets all") {
  EmpiricalModel model(10, 1.0 * kMs, 50e3 * kMs);
  model.Add(2000.0 * kMs);
  for (int i = 0; i < 9; ++i) model.Add(500.0 * kMs);
  CHECK(model.cutoff() > 2000.0 * kMs);  // one interval in ten: worth covering
  model.Add(500.0 * kMs);                // pushes the 2 s one out
  CHECK(model.count() == 10);
  CHECK(model.cutoff() < 510.0 * kMs);
  model.Clear();
  CHECK(model.count() == 0);
}

PhiConfig EmpiricalConfig() {
  PhiConfig config;
  config.distribution = Distribution::kEmpirical;
  return config;
}

TEST_CASE("Empirical phi reaches the threshold exactly at SuspicionTime, never before") {
  PhiAccrualDetector detector(EmpiricalConfig());
  TimePoint now{};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> jitter(0.0, 3.0);
  for (int i = 0; i < 300; ++i) {
    now += std::chrono::microseconds(500'000 + static_cast<long>(std::abs(jitter(rng)) * 1000));
    detector.Heartbeat(now);
  }
  const TimePoint crossing = *detector.SuspicionTime();
  CHECK(crossing - now > 500ms);
  CHECK(crossing - now < 560ms);
  const double threshold = detector.config().threshold;
  CHECK(detector.Phi(crossing) >= threshold);
  CHECK(detector.Phi(crossing - Duration(1)) < threshold);
  CHECK_FALSE(detector.IsAvailable(crossing));
  CHECK(detector.IsAvailable(crossing - Duration(1)));
  double previous = 0.0;
  for (TimePoint t = now; t < now + 3600s; t += t < now + 2s ? Duration(1ms) : Duration(7s)) {
    const double phi = detector.Phi(t);
    REQUIRE(std::isfinite(phi));
    REQUIRE(phi >= previous);
    previous = phi;
  }
  detector.Reset();
  CHECK(detector.Phi(now + 1h) == 0.0);
  CHECK_FALSE(detector.SuspicionTime().has_value());
}

TEST_CASE("Empirical phi: the first-heartbeat seeds set a wide cutoff, then leave") {
  PhiAccrualDetector detector(EmpiricalConfig());
  TimePoint now{};
  detector.Heartbeat(now);
  // Seeds at 375 and 625 ms, each half the window: the cutoff covers both.
  CHECK(*detector.SuspicionTime() - now > 625ms);
  CHECK(*detector.SuspicionTime() - now < 2s);
  // After 10 real intervals of 500 ms the seeds are gone.
  for (int i = 0; i < 10; ++i) detector.Heartbeat(now += 500ms);
  CHECK(*detector.SuspicionTime() - now < 510ms);
  CHECK(detector.sample_count() == 10);
}

TEST_CASE("Two windows: a recent loss is covered at once, and only while it is recent") {
  PhiConfig two_windows = EmpiricalConfig();
  two_windows.window_size = 1000;
  two_windows.recent_window_size = 20;
  PhiConfig long_only = two_windows;
  long_only.recent_window_size = 0;
  PhiAccrualDetector detector(two_windows);
  PhiAccrualDetector reference(long_only);
  TimePoint now{};
  const auto beat = [&](Duration interval) {
    now += interval;
    detector.Heartbeat(now);
    reference.Heartbeat(now);
  };
  for (int i = 0; i < 400; ++i) beat(i % 2 == 0 ? 500ms : 502ms);
  CHECK(*detector.SuspicionTime() - now < 510ms);
  CHECK(*detector.SuspicionTime() == *reference.SuspicionTime());

  // One lost heartbeat: 1 interval in 20 is worth covering (50 s x 5% > 500 ms),
  // 1 in 400 is not (50 s x 0.25% < 500 ms).
  beat(1000ms);
  CHECK(*detector.SuspicionTime() - now > 1000ms);
  CHECK(*detector.SuspicionTime() - now < 1100ms);
  CHECK(*reference.SuspicionTime() - now < 510ms);
  const double threshold = two_windows.threshold;
  CHECK(detector.Phi(*detector.SuspicionTime()) >= threshold);
  CHECK(detector.Phi(*detector.SuspicionTime() - Duration(1)) < threshold);

  // Twenty heartbeats later the loss has left the short window.
  for (int i = 0; i < 19; ++i) beat(500ms);
  CHECK(*detector.SuspicionTime() - now > 1000ms);
  beat(500ms);
  CHECK(*detector.SuspicionTime() - now < 510ms);
  CHECK(*detector.SuspicionTime() == *reference.SuspicionTime());
}

TEST_CASE("PhiConfig::Validate checks the empirical model's settings") {
  PhiConfig config = EmpiricalConfig();
  config.false_suspicion_cost = 0s;
  CHECK(config.Validate().error().find("false_suspicion_cost") != std::string::npos);
  config = EmpiricalConfig();
  config.min_bandwidth = -1ms;
  CHECK(config.Validate().error().find("min_bandwidth") != std::string::npos);
  config = EmpiricalConfig();
  config.window_size = 100;
  config.recent_window_size = 101;
  CHECK(config.Validate().error().find("recent_window_size") != std::string::npos);
  CHECK(EmpiricalConfig().Validate().has_value());
}

}  // namespace
}  // namespace picket::detector
