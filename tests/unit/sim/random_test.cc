#include "sim/random.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

TEST_CASE("Rng: same seed, same sequence, different seeds differ", "[sim][random]") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.Next();
    REQUIRE(x == b.Next());
    differs = differs || x != c.Next();
  }
  CHECK(differs);
}

TEST_CASE("Rng: Uniform, Below and Bernoulli stay in range", "[sim][random]") {
  Rng rng(7);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.Uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    REQUIRE(rng.Below(10) < 10);
    hits += rng.Bernoulli(0.1) ? 1 : 0;
  }
  CHECK(hits > 9400);
  CHECK(hits < 10600);
  CHECK_FALSE(rng.Bernoulli(0.0));
  CHECK(rng.Bernoulli(1.0));
}

TEST_CASE("DeriveSeed: sub-streams are distinct and stable", "[sim][random]") {
  CHECK(DeriveSeed(1, 0) != DeriveSeed(1, 1));
  CHECK(DeriveSeed(1, 0) != DeriveSeed(2, 0));
  CHECK(DeriveSeed(5, 9) == DeriveSeed(5, 9));
}

}  // namespace
}  // namespace picket::sim
