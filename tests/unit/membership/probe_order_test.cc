#include "membership/detail/probe_order.h"

#include <catch2/catch.hpp>
#include <set>

namespace picket::membership::detail {
namespace {
using namespace std::chrono_literals;
const TimePoint kT = TimePoint{} + 10s;
}  // namespace

TEST_CASE("probe order: every live member once per round, in a shuffled order", "[probe]") {
  MemberTable t;
  const MemberIndex self = t.Insert("self", "s:1", 0, MemberState::kAlive, {}, kT);
  for (int i = 0; i < 10; ++i) {
    t.Insert("m" + std::to_string(i), "a:1", 0, MemberState::kAlive, {}, kT);
  }
  t.SetState(t.Find("m3"), MemberState::kFailed, 0, kT);
  t.SetState(t.Find("m4"), MemberState::kSuspect, 0, kT);
  ProbeOrder order;
  Random random(3);
  std::vector<MemberIndex> first, second;
  for (int i = 0; i < 9; ++i) first.push_back(order.Next(t, self, random));
  for (int i = 0; i < 9; ++i) second.push_back(order.Next(t, self, random));
  const std::set<MemberIndex> a(first.begin(), first.end()), b(second.begin(), second.end());
  CHECK(a.size() == 9);  // 10 others minus the failed one; the suspect is probed
  CHECK(a == b);
  CHECK(a.count(t.Find("m3")) == 0);
  CHECK(a.count(t.Find("m4")) == 1);
  CHECK(a.count(self) == 0);
  CHECK(first != second);  // reshuffled (seeded: deterministic)
}

TEST_CASE("probe order: a newcomer is probed within the current round", "[probe]") {
  MemberTable t;
  const MemberIndex self = t.Insert("self", "s:1", 0, MemberState::kAlive, {}, kT);
  for (int i = 0; i < 5; ++i) t.Insert("m" + std::to_string(i), "a:1", 0, MemberState::kAlive, {}, kT);
  ProbeOrder order;
  Random random(5);
  order.Next(t, self, random);  // round starts
  const MemberIndex late = t.Insert("late", "l:1", 0, MemberState::kAlive, {}, kT);
  order.Add(late, random);
  std::set<MemberIndex> rest;
  for (int i = 0; i < 5; ++i) rest.insert(order.Next(t, self, random));
  CHECK(rest.count(late) == 1);
}

TEST_CASE("probe order: nobody to probe", "[probe]") {
  MemberTable t;
  const MemberIndex self = t.Insert("self", "s:1", 0, MemberState::kAlive, {}, kT);
  ProbeOrder order;
  Random random(1);
  CHECK(order.Next(t, self, random) == kNoMember);
}

}  // namespace picket::membership::detail
