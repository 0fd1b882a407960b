#include "membership/detail/suspicion.h"

#include <catch2/catch.hpp>

namespace picket::membership::detail {
namespace {
using namespace std::chrono_literals;
const TimePoint kStart = TimePoint{} + 100s;
}  // namespace

TEST_CASE("suspicion: timeout shrinks with confirmations (memberlist formula)", "[suspicion]") {
  // max(min, max - (max - min) * log(c + 1) / log(k + 1)), floored to 1 ms.
  struct Row {
    int confirmations;
    int expected;
    Duration min;
    Duration max;
    Duration want;
  };
  const Row rows[] = {
      {0, 3, 2s, 30s, 30s},
      {1, 3, 2s, 30s, 16s},      // 30 - 28 * ln2/ln4 = 16
      {2, 3, 2s, 30s, 7'810ms},  // 30 - 28 * ln3/ln4 = 7.8105
      {3, 3, 2s, 30s, 2s},
      {4, 3, 2s, 30s, 2s},       // never below min
      {0, 0, 2s, 30s, 2s},       // no confirmations expected: min at once
      {5, 0, 2s, 30s, 2s},
      {0, 1, 1s, 6s, 6s},
      {1, 1, 1s, 6s, 1s},
      {0, 3, 5s, 5s, 5s},        // max == min
      {1, 3, 5s, 4s, 5s},        // max below min is treated as min
  };
  for (const auto& row : rows) {
    INFO("c=" << row.confirmations << " k=" << row.expected);
    CHECK(SuspicionTimeout(row.confirmations, row.expected, row.min, row.max) == row.want);
  }
}

TEST_CASE("suspicion: minimum scales with log10 of the cluster size", "[suspicion]") {
  CHECK(SuspicionMinTimeout(1.0, 1s, 1) == 1s);
  CHECK(SuspicionMinTimeout(1.0, 1s, 10) == 1s);
  CHECK(SuspicionMinTimeout(1.0, 1s, 100) == 2s);
  CHECK(SuspicionMinTimeout(2.0, 500ms, 1000) == 3s);
  CHECK(SuspicionMinTimeout(1.0, 1s, 32) > 1'500ms - 1ms);
  CHECK(SuspicionMinTimeout(1.0, 1s, 32) < 1'506ms);
}

TEST_CASE("suspicion: independent confirmations move the deadline earlier", "[suspicion]") {
  Suspicions s;
  const auto& e = s.Start(/*member=*/7, /*incarnation=*/3, /*originator=*/100, kStart, 2s, 30s, 3);
  CHECK(e.deadline == kStart + 30s);
  const std::uint64_t first_generation = e.generation;

  CHECK(s.Confirm(7, 100) == nullptr);  // the originator is not a confirmation
  const auto* c1 = s.Confirm(7, 200);
  REQUIRE(c1 != nullptr);
  CHECK(c1->deadline == kStart + 16s);
  CHECK(c1->generation != first_generation);
  CHECK_FALSE(s.IsCurrent(7, first_generation));
  CHECK(s.Confirm(7, 200) == nullptr);  // counted once
  REQUIRE(s.Confirm(7, 300) != nullptr);
  const auto* c3 = s.Confirm(7, 400);
  REQUIRE(c3 != nullptr);
  CHECK(c3->deadline == kStart + 2s);
  CHECK(s.Confirm(7, 500) == nullptr);  // beyond expected: nothing changes
  CHECK(s.Confirm(8, 200) == nullptr);  // no suspicion of member 8
}

TEST_CASE("suspicion: restart replaces, clear removes, postpone delays", "[suspicion]") {
  Suspicions s;
  s.Start(1, 1, 10, kStart, 1s, 6s, 0);
  CHECK(s.Find(1)->deadline == kStart + 1s);
  s.Start(1, 2, 11, kStart + 1s, 1s, 6s, 2);
  CHECK(s.Find(1)->incarnation == 2);
  CHECK(s.Find(1)->deadline == kStart + 7s);
  s.Start(2, 1, 10, kStart, 1s, 6s, 0);
  const auto moved = s.Postpone(kStart + 3s);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].first == 2);
  CHECK(s.Find(2)->deadline == kStart + 3s);
  CHECK(s.Find(1)->deadline == kStart + 7s);
  s.Clear(1);
  CHECK(s.Find(1) == nullptr);
  CHECK(s.size() == 1);
}

}  // namespace picket::membership::detail
