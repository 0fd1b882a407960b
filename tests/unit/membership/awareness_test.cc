#include "membership/detail/awareness.h"

#include <catch2/catch.hpp>

namespace picket::membership::detail {
using namespace std::chrono_literals;

TEST_CASE("awareness: timeouts scale by (1 + score), score clamped", "[awareness]") {
  Awareness a(8);
  struct Step {
    int delta;
    int score;
    Duration scaled;  // of 500 ms
  };
  const Step steps[] = {
      {0, 0, 500ms}, {1, 1, 1000ms}, {2, 3, 2000ms}, {-1, 2, 1500ms},
      {100, 8, 4500ms}, {-3, 5, 3000ms}, {-100, 0, 500ms},
  };
  for (const auto& s : steps) {
    a.Apply(s.delta);
    CHECK(a.score() == s.score);
    CHECK(a.Scale(500ms) == s.scaled);
  }
}

TEST_CASE("awareness: a zero maximum disables it", "[awareness]") {
  Awareness a(0);
  a.Apply(5);
  CHECK(a.score() == 0);
  CHECK(a.Scale(1s) == 1s);
}

}  // namespace picket::membership::detail
