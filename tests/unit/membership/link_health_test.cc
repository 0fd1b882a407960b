#include "membership/detail/link_health.h"

#include <catch2/catch.hpp>

namespace picket::membership::detail {
using namespace std::chrono_literals;
using Round = LinkHealth::Round;

TEST_CASE("link health: poor after 3 silent of the last 4 rounds, since the third",
          "[link-health]") {
  LinkHealth h;
  const TimePoint t0{};
  h.Record(Round::kSilent, t0);
  h.Record(Round::kHeard, t0 + 1s);
  h.Record(Round::kSilent, t0 + 2s);
  CHECK_FALSE(h.Poor());
  CHECK_FALSE(h.poor_since());
  CHECK(h.LastSilent());
  h.Record(Round::kSilent, t0 + 3s);
  CHECK(h.Poor());
  REQUIRE(h.poor_since());
  CHECK(*h.poor_since() == t0 + 3s);
  // Still poor: the time it began stays.
  h.Record(Round::kSilent, t0 + 4s);
  CHECK(*h.poor_since() == t0 + 3s);
  // Two answered rounds leave 2 silent of the last 4: no longer poor.
  h.Record(Round::kHeard, t0 + 5s);
  CHECK(h.Poor());
  h.Record(Round::kDirect, t0 + 6s);
  CHECK_FALSE(h.Poor());
  CHECK_FALSE(h.poor_since());
  CHECK_FALSE(h.LastSilent());
}

TEST_CASE("link health: unanswered rounds neither count as silent nor keep the direct streak",
          "[link-health]") {
  LinkHealth h;
  const TimePoint t0{};
  h.Record(Round::kDirect, t0);
  h.Record(Round::kDirect, t0 + 1s);
  CHECK(h.direct_streak() == 2);
  for (int i = 0; i < 4; ++i) h.Record(Round::kUnanswered, t0 + 2s + i * 1s);
  CHECK(h.direct_streak() == 0);
  CHECK_FALSE(h.Poor());
  CHECK_FALSE(h.LastSilent());
  h.Record(Round::kHeard, t0 + 6s);
  h.Record(Round::kDirect, t0 + 7s);
  CHECK(h.direct_streak() == 1);
}

TEST_CASE("link health: Clear forgets the rounds and the trouble", "[link-health]") {
  LinkHealth h;
  const TimePoint t0{};
  for (int i = 0; i < 4; ++i) h.Record(Round::kSilent, t0 + i * 1s);
  REQUIRE(h.Poor());
  h.Clear();
  CHECK_FALSE(h.Poor());
  CHECK_FALSE(h.poor_since());
  CHECK(h.direct_streak() == 0);
}

}  // namespace picket::membership::detail
