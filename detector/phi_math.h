#pragma once

// The phi functions themselves: phi = -log10(P(the next heartbeat has still
// not arrived | elapsed)), for the three distributions PhiConfig offers. Pure
// functions of doubles; PhiAccrualDetector and `picket phi` both use them, so
// they print the same numbers.
//
// Thread safety: all functions are pure and may be called from any thread.

#include <string_view>

namespace picket::detector {

enum class Distribution;

// 1 / ln(10): Cassandra's PHI_FACTOR. phi = kPhiFactor * -ln(P).
inline constexpr double kPhiFactor = 0.43429448190325182765;

// Normal distribution: -log10(Q(z)), Q(z) = P(X > z) = erfc(z / sqrt 2) / 2 for
// a standard normal X. Exact to a few ulps for every finite z, computed in log
// space: erfc for z < 10, the Laplace continued fraction of the Mills ratio
// (ln Q = -z^2/2 - ln sqrt(2 pi) - ln(z + 1/(z + 2/(z + ...)))) beyond, so it
// never underflows to infinity. Finite, >= 0 and non-decreasing in z;
// NormalPhi(0) = log10(2); NormalPhi(z) ~ z^2 / (2 ln 10) for large z.
[[nodiscard]] double NormalPhi(double z);

// Akka's logistic approximation of the normal CDF (PhiAccrualFailureDetector,
// "beta Mathematics Handbook"): with a = z (1.5976 + 0.070566 z^2),
// phi = -log10(e / (1 + e)), e = exp(-a). Evaluated as log1p/softplus so that
// it equals Akka's value wherever Akka's is finite and stays finite where
// Akka's overflows to infinity (z above about 21). Non-decreasing in z.
[[nodiscard]] double LogisticPhi(double z);

// Cassandra's exponential model: phi = kPhiFactor * elapsed / mean.
// REQUIRES: mean > 0. Returns 0 for elapsed <= 0.
[[nodiscard]] double ExponentialPhi(double elapsed, double mean);

// Phi of a history with this inter-arrival `mean` and `std_dev`, `elapsed`
// after the last heartbeat, with `pause` tolerated (all in one time unit):
//   normal / logistic: z = (elapsed - (mean + pause)) / std_dev
//   exponential:       ExponentialPhi(elapsed - pause, mean)   (std_dev unused)
// REQUIRES: mean > 0; std_dev > 0 unless exponential. The empirical model
// needs the whole window, not two statistics: 0 (use PhiAccrualDetector).
[[nodiscard]] double PhiOf(Distribution distribution, double elapsed, double mean, double std_dev,
                           double pause);

// The z at which NormalPhi / LogisticPhi reaches `phi` (the inverse, to within
// a few ulps; found by bisection, so call it once per threshold, not per
// query). For exponential, the elapsed / mean ratio: phi / kPhiFactor.
// REQUIRES: phi > 0 and finite; not the empirical model (it has no closed
// form: PhiAccrualDetector::SuspicionTime).
[[nodiscard]] double PhiInverse(Distribution distribution, double phi);

// "normal", "logistic", "exponential", "empirical".
[[nodiscard]] std::string_view DistributionName(Distribution distribution);

}  // namespace picket::detector
