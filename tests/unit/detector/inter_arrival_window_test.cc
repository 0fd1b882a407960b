#include "detector/inter_arrival_window.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <deque>
#include <random>

namespace picket::detector {
namespace {

TEST_CASE("InterArrivalWindow computes mean and population variance (Akka's statistics)") {
  // AccrualFailureDetectorSpec: "calculate correct mean and variance".
  InterArrivalWindow window(20);
  for (const double sample : {100.0, 200.0, 125.0, 340.0, 130.0}) window.Add(sample);
  CHECK(window.count() == 5);
  CHECK(window.Mean() == Approx(179.0).margin(1e-5));
  CHECK(window.Variance() == Approx(7584.0).margin(1e-5));
  CHECK(window.StdDeviation() == Approx(std::sqrt(7584.0)));
}

TEST_CASE("InterArrivalWindow has zero variance with one sample") {
  InterArrivalWindow window(600);
  window.Add(1000.0);
  CHECK(window.count() == 1);
  CHECK(window.Mean() == 1000.0);
  CHECK(window.Variance() == 0.0);
}

TEST_CASE("InterArrivalWindow slides: the oldest sample leaves once it is full") {
  // AccrualFailureDetectorSpec: "be capped by the specified maxSampleSize".
  InterArrivalWindow window(3);
  for (const double sample : {100.0, 110.0, 90.0}) window.Add(sample);
  CHECK(window.Mean() == Approx(100.0).margin(1e-5));
  CHECK(window.Variance() == Approx(66.6666667).margin(1e-5));
  window.Add(140.0);
  CHECK(window.count() == 3);
  CHECK(window.Mean() == Approx(113.333333).margin(1e-5));
  CHECK(window.Variance() == Approx(422.222222).margin(1e-5));
  window.Add(80.0);
  CHECK(window.Mean() == Approx(103.333333).margin(1e-5));
  CHECK(window.Variance() == Approx(688.88888889).margin(1e-5));
}

TEST_CASE("InterArrivalWindow agrees with a recomputed window over a long random run") {
  constexpr std::size_t kCapacity = 50;
  InterArrivalWindow window(kCapacity);
  std::deque<double> model;
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> sample(std::log(500e6), 0.3);  // nanoseconds
  for (int i = 0; i < 20000; ++i) {
    const double x = sample(rng);
    window.Add(x);
    model.push_back(x);
    if (model.size() > kCapacity) model.pop_front();
  }
  double mean = 0.0;
  for (const double x : model) mean += x;
  mean /= static_cast<double>(model.size());
  double variance = 0.0;
  for (const double x : model) variance += (x - mean) * (x - mean);
  variance /= static_cast<double>(model.size());
  CHECK(window.count() == kCapacity);
  CHECK(window.Mean() == Approx(mean).epsilon(1e-9));
  CHECK(window.Variance() == Approx(variance).epsilon(1e-6));
}

TEST_CASE("InterArrivalWindow of capacity 1 keeps only the last sample") {
  InterArrivalWindow window(1);
  window.Add(5.0);
  window.Add(7.0);
  CHECK(window.count() == 1);
  CHECK(window.Mean() == 7.0);
  CHECK(window.Variance() == 0.0);
}

TEST_CASE("InterArrivalWindow::Clear forgets the samples and keeps the capacity") {
  InterArrivalWindow window(4);
  for (const double sample : {1.0, 2.0, 3.0}) window.Add(sample);
  window.Clear();
  CHECK(window.count() == 0);
  CHECK(window.capacity() == 4);
  window.Add(10.0);
  CHECK(window.Mean() == 10.0);
}

}  // namespace
}  // namespace picket::detector
