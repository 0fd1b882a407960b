#pragma once

// Seeded random variates for the trace generator and the crash trials. Built
// on std::mt19937_64 with our own transforms (not std::*_distribution, whose
// algorithms differ between standard libraries), so a seed gives the same
// trace on every platform.
//
// Thread safety: none; one owner.

#include <cmath>
#include <cstdint>
#include <random>

namespace picket::detector::eval {

class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform in (0, 1]: safe for log().
  double UniformPositive() { return 1.0 - Uniform(); }

  // True with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }

  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    constexpr double kTwoPi = 6.283185307179586477;
    return std::sqrt(-2.0 * std::log(UniformPositive())) * std::cos(kTwoPi * Uniform());
  }

  // Exponential with this mean.
  double Exponential(double mean) { return -mean * std::log(UniformPositive()); }

  // Lomax (Pareto type II, starting at 0): scale * (U^(-1/shape) - 1).
  // Tail P(X > x) = (1 + x / scale)^-shape. REQUIRES: shape > 0.
  double Lomax(double scale, double shape) {
    return scale * (std::pow(UniformPositive(), -1.0 / shape) - 1.0);
  }

  // Lognormal with this median and log-space deviation sigma.
  double Lognormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

  // Geometric number of trials >= 1 with this mean (>= 1).
  std::uint64_t Geometric(double mean) {
    if (mean <= 1.0) return 1;
    const double p = 1.0 / mean;
    return 1 + static_cast<std::uint64_t>(std::floor(std::log(UniformPositive()) / std::log1p(-p)));
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace picket::detector::eval
