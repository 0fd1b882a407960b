#include "detector/phi_math.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <utility>
#include <vector>

#include "detector/phi_accrual_detector.h"

namespace picket::detector {
namespace {

// Inverse of phi as Akka's tests write it: the CDF value phi stands for.
double Cdf(double phi) { return 1.0 - std::pow(10.0, -phi); }

// Akka's private phi(timeDiff, mean, stdDeviation), through our PhiOf.
double AkkaPhi(double time_diff, double mean, double std_dev) {
  return PhiOf(Distribution::kLogistic, time_diff, mean, std_dev, 0.0);
}

TEST_CASE("NormalPhi matches high-precision reference values, far into the tail") {
  // Reference: -log10(erfc(z / sqrt 2) / 2) at 60 significant digits, computed with
  //   python3 -c "import mpmath as m; m.mp.dps = 60
  //   for z in ['-8','-3', ...]: print(z, m.nstr(-m.log10(m.erfc(m.mpf(z)/m.sqrt(2))/2), 20))"
  // (mpmath 1.3.0).
  const std::vector<std::pair<double, double>> reference = {
      {-8.0, 2.7017288495439212877e-16},
      {-3.0, 0.00058664931379006669102},
      {-1.0, 0.075026012957818023238},
      {0.0, 0.30102999566398119521},
      {0.5, 0.51069198926524077447},
      {1.0, 0.79954554149197050003},
      {2.0, 1.643016080140937048},
      {3.0, 2.8696990359293690772},
      {4.0, 4.4993349075564788648},
      {5.0, 6.5426456723906544963},
      {8.0, 15.206142551017154558},
      {9.99, 23.074219453284458652},
      {10.0, 23.118053405486075894},
      {10.01, 23.161930376928156365},
      {15.0, 50.435219614275511368},
      {20.0, 88.56009534307559192},
      {30.0, 197.30920926166094939},
      {37.5, 307.33673707464463773},  // erfc itself is subnormal here
      {38.0, 315.53978970396250789},  // ... and 0 (underflow) from about 38.6
      {40.0, 349.43700645934584209},
      {100.0, 2173.8715428690343765},
      {1000.0, 217150.64004199438628},
      {4995.0, 5417833.1880495344882},
      {100000.0, 2171472414.9153490725},
  };
  for (const auto& [z, expected] : reference) {
    INFO("z = " << z);
    CHECK(NormalPhi(z) == Approx(expected).epsilon(1e-13));
  }
  CHECK(NormalPhi(-20.0) >= 0.0);
  CHECK(NormalPhi(-20.0) < 1e-80);
}

TEST_CASE("NormalPhi is finite and non-decreasing over the whole range") {
  double previous = NormalPhi(-50.0);
  for (double z = -50.0; z <= 2000.0; z += 0.001) {
    const double phi = NormalPhi(z);
    REQUIRE(std::isfinite(phi));
    REQUIRE(phi >= previous);
    previous = phi;
  }
  // Around the switch from erfc to the continued fraction, at the finest steps.
  previous = NormalPhi(9.999999);
  for (double z = 9.999999; z <= 10.000001; z = std::nextafter(z, 11.0) + 1e-12) {
    REQUIRE(NormalPhi(z) >= previous);
    previous = NormalPhi(z);
  }
  CHECK(std::isfinite(NormalPhi(1e150)));
}

TEST_CASE("LogisticPhi reproduces Akka's AccrualFailureDetectorSpec examples") {
  // akka-remote/src/test/scala/akka/remote/AccrualFailureDetectorSpec.scala,
  // "use good enough cumulative distribution function".
  CHECK(Cdf(AkkaPhi(0, 0, 10)) == Approx(0.5).margin(0.001));
  CHECK(Cdf(AkkaPhi(6, 0, 10)) == Approx(0.7257).margin(0.001));
  CHECK(Cdf(AkkaPhi(15, 0, 10)) == Approx(0.9332).margin(0.001));
  CHECK(Cdf(AkkaPhi(20, 0, 10)) == Approx(0.97725).margin(0.001));
  CHECK(Cdf(AkkaPhi(25, 0, 10)) == Approx(0.99379).margin(0.001));
  CHECK(Cdf(AkkaPhi(35, 0, 10)) == Approx(0.99977).margin(0.001));
  CHECK(Cdf(AkkaPhi(40, 0, 10)) == Approx(0.99997).margin(0.0001));
  for (int x = 0; x < 40; ++x) CHECK(AkkaPhi(x, 0, 10) < AkkaPhi(x + 1, 0, 10));
  CHECK(Cdf(AkkaPhi(22, 20.0, 3)) == Approx(0.7475).margin(0.001));

  // "handle outliers without losing precision or hitting exceptions".
  CHECK(AkkaPhi(10, 0, 1) == Approx(38.0).margin(1.0));
  CHECK(AkkaPhi(-25, 0, 1) == 0.0);

  // "return realistic phi values" (mean 1000 ms, deviation 100 ms).
  const std::vector<std::pair<double, double>> realistic = {
      {0, 0.0}, {500, 0.1}, {1000, 0.3}, {1200, 1.6}, {1400, 4.7}, {1600, 10.8}, {1700, 15.3},
  };
  for (const auto& [time_diff, expected] : realistic) {
    INFO("timeDiff = " << time_diff);
    CHECK(AkkaPhi(time_diff, 1000.0, 100.0) == Approx(expected).margin(0.1));
  }
  // Larger deviation, lower phi.
  CHECK(AkkaPhi(1100, 1000.0, 500.0) < AkkaPhi(1100, 1000.0, 100.0));
}

TEST_CASE("LogisticPhi equals Akka's own two-branch formula where that is finite") {
  // Akka: e = exp(-y (1.5976 + 0.070566 y^2)); y > 0: -log10(e / (1 + e)),
  // else -log10(1 - 1 / (1 + e)).
  for (double y = -12.0; y <= 12.0; y += 0.0625) {
    const double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
    const double akka = y > 0 ? -std::log10(e / (1.0 + e)) : -std::log10(1.0 - 1.0 / (1.0 + e));
    INFO("y = " << y);
    CHECK(LogisticPhi(y) == Approx(akka).epsilon(1e-12).margin(1e-15));
  }
  // Where Akka's e underflows (y above ~21) it returns infinity; we stay finite
  // and keep growing.
  CHECK(std::isfinite(LogisticPhi(40.0)));
  CHECK(LogisticPhi(40.0) > LogisticPhi(30.0));
  CHECK(std::isfinite(LogisticPhi(1e100)));
}

TEST_CASE("ExponentialPhi is Cassandra's closed form elapsed / (mean ln 10)") {
  CHECK(kPhiFactor == Approx(1.0 / std::log(10.0)).epsilon(1e-16));
  CHECK(ExponentialPhi(1000.0, 1000.0) == Approx(1.0 / std::log(10.0)).epsilon(1e-15));
  CHECK(ExponentialPhi(5000.0, 500.0) == Approx(10.0 / std::log(10.0)).epsilon(1e-15));
  // -log10(P(X > t)) for X ~ Exp(mean): exp(-t / mean).
  CHECK(ExponentialPhi(1234.0, 321.0) == Approx(-std::log10(std::exp(-1234.0 / 321.0))));
  CHECK(ExponentialPhi(0.0, 500.0) == 0.0);
  CHECK(ExponentialPhi(-10.0, 500.0) == 0.0);
  CHECK(PhiOf(Distribution::kExponential, 2500.0, 500.0, 0.0, 500.0) == Approx(4.0 * kPhiFactor));
}

TEST_CASE("PhiInverse inverts each distribution") {
  for (const double phi : {0.05, 0.301, 1.0, 3.0, 8.0, 16.0, 100.0, 1e4}) {
    INFO("phi = " << phi);
    const double zn = PhiInverse(Distribution::kNormal, phi);
    CHECK(NormalPhi(zn) >= phi);
    CHECK(NormalPhi(std::nextafter(zn, -1e9)) < phi);
    const double zl = PhiInverse(Distribution::kLogistic, phi);
    CHECK(LogisticPhi(zl) >= phi);
    CHECK(LogisticPhi(std::nextafter(zl, -1e9)) < phi);
    CHECK(ExponentialPhi(PhiInverse(Distribution::kExponential, phi), 1.0) == Approx(phi));
  }
  // Threshold 8 with the normal model: 5.612 standard deviations.
  CHECK(PhiInverse(Distribution::kNormal, 8.0) == Approx(5.6120012).epsilon(1e-7));
}

TEST_CASE("DistributionName names each distribution") {
  CHECK(DistributionName(Distribution::kNormal) == "normal");
  CHECK(DistributionName(Distribution::kLogistic) == "logistic");
  CHECK(DistributionName(Distribution::kExponential) == "exponential");
}

}  // namespace
}  // namespace picket::detector
