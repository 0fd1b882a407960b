// Google Benchmark for the Phi Accrual detector's hot paths: Heartbeat() (one
// window update) and Phi() (one tail evaluation). Targets (docs/architecture.md): <= 50 ns
// and <= 100 ns. Run: build/detector_bench

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "detector/inter_arrival_window.h"
#include "detector/phi_accrual_detector.h"
#include "detector/phi_math.h"

namespace {

using picket::detector::Distribution;
using picket::detector::Duration;
using picket::detector::PhiAccrualDetector;
using picket::detector::PhiConfig;
using picket::detector::TimePoint;

// Arrival offsets of a jittery 500 ms heartbeat, so the window sees varied data.
std::vector<Duration> JitteredIntervals(std::size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> jitter(0.0, 20e6);
  std::vector<Duration> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double ns = 500e6 + jitter(rng);
    out.push_back(Duration(static_cast<std::int64_t>(ns < 1e6 ? 1e6 : ns)));
  }
  return out;
}

PhiConfig ConfigFor(Distribution distribution, std::size_t window, std::size_t recent = 0) {
  PhiConfig config;
  config.distribution = distribution;
  config.window_size = window;
  config.recent_window_size = recent;
  return config;
}

// Steady state: the window is full, so every Heartbeat() also evicts a sample.
void HeartbeatBenchmark(benchmark::State& state, Distribution distribution,
                        std::size_t recent = 0) {
  const auto window = static_cast<std::size_t>(state.range(0));
  PhiAccrualDetector detector(ConfigFor(distribution, window, recent));
  const std::vector<Duration> intervals = JitteredIntervals(4096);
  TimePoint now{};
  for (std::size_t i = 0; i < 2 * window + 2; ++i) {
    now += intervals[i % intervals.size()];
    detector.Heartbeat(now);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    now += intervals[i++ & 4095];
    detector.Heartbeat(now);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(detector.mean_interval_ns());
}
void BM_Heartbeat(benchmark::State& state) { HeartbeatBenchmark(state, Distribution::kNormal); }
// The empirical model refits its cutoff on every heartbeat.
void BM_HeartbeatEmpirical(benchmark::State& state) {
  HeartbeatBenchmark(state, Distribution::kEmpirical);
}
BENCHMARK(BM_Heartbeat)->Arg(1000)->Arg(100);
BENCHMARK(BM_HeartbeatEmpirical)->Arg(1000)->Arg(100);
// The agent's default: a long window and a 20-interval recent one, both refit.
void BM_HeartbeatTwoWindows(benchmark::State& state) {
  HeartbeatBenchmark(state, Distribution::kEmpirical, 20);
}
BENCHMARK(BM_HeartbeatTwoWindows)->Arg(1000);

// Phi() at elapsed times spread over the useful range (phi 0 .. ~40) and, for
// the "tail" variant, far into the tail (phi in the hundreds to millions).
void PhiBenchmark(benchmark::State& state, Distribution distribution, double max_elapsed_ms) {
  PhiAccrualDetector detector(ConfigFor(distribution, 1000));
  const std::vector<Duration> intervals = JitteredIntervals(2000);
  TimePoint now{};
  for (const Duration d : intervals) {
    now += d;
    detector.Heartbeat(now);
  }
  std::vector<TimePoint> queries;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> elapsed_ms(0.0, max_elapsed_ms);
  for (int i = 0; i < 1024; ++i) {
    queries.push_back(now + Duration(static_cast<std::int64_t>(elapsed_ms(rng) * 1e6)));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(detector.Phi(queries[i++ & 1023]));
  }
}

void BM_PhiNormal(benchmark::State& state) { PhiBenchmark(state, Distribution::kNormal, 1500.0); }
void BM_PhiNormalTail(benchmark::State& state) {
  PhiBenchmark(state, Distribution::kNormal, 500'000.0);
}
void BM_PhiLogistic(benchmark::State& state) {
  PhiBenchmark(state, Distribution::kLogistic, 1500.0);
}
void BM_PhiExponential(benchmark::State& state) {
  PhiBenchmark(state, Distribution::kExponential, 1500.0);
}
// O(window): the smoothed survival sums a kernel per sample near `elapsed`.
void BM_PhiEmpirical(benchmark::State& state) {
  PhiBenchmark(state, Distribution::kEmpirical, 1500.0);
}
BENCHMARK(BM_PhiNormal);
BENCHMARK(BM_PhiEmpirical);
BENCHMARK(BM_PhiNormalTail);
BENCHMARK(BM_PhiLogistic);
BENCHMARK(BM_PhiExponential);

// The exact suspicion time (a runtime's timer deadline), for reference.
void BM_SuspicionTime(benchmark::State& state) {
  PhiAccrualDetector detector(ConfigFor(Distribution::kNormal, 1000));
  TimePoint now{};
  for (const Duration d : JitteredIntervals(2000)) {
    now += d;
    detector.Heartbeat(now);
  }
  for (auto _ : state) benchmark::DoNotOptimize(detector.SuspicionTime());
}
BENCHMARK(BM_SuspicionTime);

}  // namespace

BENCHMARK_MAIN();
