#include "detector/phi_math.h"

#include <cmath>

#include "detector/phi_accrual_detector.h"

namespace picket::detector {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kLnSqrt2Pi = 0.91893853320467274178;  // ln(sqrt(2 pi))

// Below this z, glibc's erfc is exact to about 1 ulp and far from underflow
// (erfc underflows near z = 37.5). From z = 10 on, 12 terms of the continued
// fraction give the tail to full double precision (checked against mpmath).
constexpr double kTailSwitchZ = 10.0;
constexpr int kContinuedFractionTerms = 12;

// Akka's logistic coefficients.
constexpr double kLogisticA = 1.5976;
constexpr double kLogisticB = 0.070566;

// -ln Q(z) for z >= kTailSwitchZ: Q(z) = phi(z) / (z + 1/(z + 2/(z + 3/(...)))),
// evaluated bottom-up.
double NormalTailMinusLn(double z) {
  double t = z;
  for (int k = kContinuedFractionTerms; k >= 1; --k) t = z + static_cast<double>(k) / t;
  return 0.5 * z * z + kLnSqrt2Pi + std::log(t);
}

}  // namespace

double NormalPhi(double z) {
  if (std::isnan(z)) return 0.0;
  if (z < 0.0) {
    // Q(z) = 1 - Q(-z): log1p keeps the full precision of tiny phi values.
    return -std::log1p(-0.5 * std::erfc(-z * kInvSqrt2)) * kPhiFactor;
  }
  if (z < kTailSwitchZ) return -std::log10(0.5 * std::erfc(z * kInvSqrt2));
  if (std::isinf(z)) return HUGE_VAL;
  return NormalTailMinusLn(z) * kPhiFactor;
}

double LogisticPhi(double z) {
  if (std::isnan(z)) return 0.0;
  const double a = z * (kLogisticA + kLogisticB * z * z);
  // -log10(e / (1 + e)) with e = exp(-a) is softplus(a) / ln 10.
  if (a > 0.0) return (a + std::log1p(std::exp(-a))) * kPhiFactor;
  return std::log1p(std::exp(a)) * kPhiFactor;
}

double ExponentialPhi(double elapsed, double mean) {
  if (!(elapsed > 0.0)) return 0.0;
  return kPhiFactor * elapsed / mean;
}

double PhiOf(Distribution distribution, double elapsed, double mean, double std_dev, double pause) {
  switch (distribution) {
    case Distribution::kNormal:
      return NormalPhi((elapsed - (mean + pause)) / std_dev);
    case Distribution::kLogistic:
      return LogisticPhi((elapsed - (mean + pause)) / std_dev);
    case Distribution::kExponential:
      return ExponentialPhi(elapsed - pause, mean);
    case Distribution::kEmpirical:
      break;  // needs the whole window: PhiAccrualDetector
  }
  return 0.0;
}

double PhiInverse(Distribution distribution, double phi) {
  if (distribution == Distribution::kExponential) return phi / kPhiFactor;
  auto f = distribution == Distribution::kNormal ? NormalPhi : LogisticPhi;
  // Bracket: f is non-decreasing, f(-40) = 0 in doubles, f(z) grows like z^2.
  double lo = -40.0;
  double hi = 1.0;
  while (f(hi) < phi) {
    lo = hi;
    hi *= 2.0;
  }
  // Bisect to adjacent doubles: the smallest z found with f(z) >= phi.
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2.0;
    if (mid <= lo || mid >= hi) break;
    if (f(mid) >= phi) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

std::string_view DistributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::kNormal:
      return "normal";
    case Distribution::kLogistic:
      return "logistic";
    case Distribution::kExponential:
      return "exponential";
    case Distribution::kEmpirical:
      return "empirical";
  }
  return "unknown";
}

}  // namespace picket::detector
