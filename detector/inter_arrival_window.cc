#include "detector/inter_arrival_window.h"

#include <algorithm>
#include <cmath>

namespace picket::detector {

namespace acc = boost::accumulators;

InterArrivalWindow::Accumulator InterArrivalWindow::MakeAccumulator(std::size_t capacity) {
  return Accumulator(acc::tag::rolling_window::window_size = capacity);
}

InterArrivalWindow::InterArrivalWindow(std::size_t capacity)
    : capacity_(capacity), accumulator_(MakeAccumulator(capacity)) {}

void InterArrivalWindow::Add(double sample) { accumulator_(sample); }

void InterArrivalWindow::Clear() { accumulator_ = MakeAccumulator(capacity_); }

std::size_t InterArrivalWindow::count() const { return acc::rolling_count(accumulator_); }

double InterArrivalWindow::Mean() const { return acc::rolling_mean(accumulator_); }

double InterArrivalWindow::Variance() const {
  const std::size_t n = count();
  if (n < 2) return 0.0;
  // Boost gives the sample variance (sum of squares / (n - 1)); Akka and the
  // paper use the population variance (/ n).
  const double sample_variance = acc::rolling_variance(accumulator_);
  const double population = sample_variance * static_cast<double>(n - 1) / static_cast<double>(n);
  return std::max(population, 0.0);
}

double InterArrivalWindow::StdDeviation() const { return std::sqrt(Variance()); }

}  // namespace picket::detector
