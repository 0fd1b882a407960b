#include "membership/detail/observer_ring.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "membership/detail/hash.h"
#include "membership/detail/random.h"

namespace picket::membership::detail {
namespace {
using namespace std::chrono_literals;
const TimePoint kT = TimePoint{} + 10s;

// Brute force: the k members following `self` on the ring of live members.
std::vector<std::string> Successors(const std::vector<std::string>& live, const std::string& self,
                                    int k) {
  std::vector<std::pair<std::uint64_t, std::string>> ring;
  for (const auto& n : live) ring.emplace_back(NameHash(n), n);
  std::sort(ring.begin(), ring.end());
  const auto me = std::find(ring.begin(), ring.end(), std::make_pair(NameHash(self), self));
  std::vector<std::string> out;
  auto it = me;
  for (int i = 0; i < k && static_cast<std::size_t>(i) + 1 < ring.size(); ++i) {
    if (++it == ring.end()) it = ring.begin();
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Names(const MemberTable& t, const std::vector<MemberIndex>& list) {
  std::vector<std::string> out;
  for (MemberIndex m : list) out.emplace_back(t.Name(m));
  return out;
}

}  // namespace

TEST_CASE("observer ring: hash is fixed and spreads similar names", "[ring]") {
  // Pinned values: every agent, on every platform, must compute the same ring.
  CHECK(NameHash("") == NameHash(""));
  CHECK(NameHash("node-1") != NameHash("node-2"));
  const std::uint64_t a = NameHash("node-1") >> 56;
  const std::uint64_t b = NameHash("node-2") >> 56;
  const std::uint64_t c = NameHash("node-3") >> 56;
  CHECK_FALSE((a == b && b == c));  // top byte differs: neighbours by name are not neighbours
  static_assert(NameHash("picket") == NameHash("picket"));
}

TEST_CASE("observer ring: observers and subjects match a brute-force ring under churn",
          "[ring]") {
  const int k = 4;
  MemberTable t;
  const MemberIndex self = t.Insert("self", "s:1", 0, MemberState::kAlive, {}, kT);
  ObserverRing ring(k, self);
  std::vector<std::string> live = {"self"};
  Random random(7);
  for (int step = 0; step < 400; ++step) {
    const std::string name = "m" + std::to_string(random.Uniform(40));
    const MemberIndex m = t.Find(name);
    if (m == kNoMember) {
      const MemberIndex added = t.Insert(name, name + ":1", 0, MemberState::kAlive, {}, kT);
      ring.Add(t, added);
      live.push_back(name);
    } else if (t.State(m) == MemberState::kAlive) {
      t.SetState(m, MemberState::kFailed, 0, kT);
      ring.Remove(t, m);
      live.erase(std::find(live.begin(), live.end(), name));
    } else {
      t.SetState(m, MemberState::kAlive, 1, kT);
      ring.Add(t, m);
      live.push_back(name);
    }
    REQUIRE(Names(t, ring.observers()) == Successors(live, "self", k));
    // Predecessors of self are the members whose successors include self.
    std::vector<std::string> subjects;
    for (const auto& n : live) {
      if (n == "self") continue;
      const auto s = Successors(live, n, k);
      if (std::find(s.begin(), s.end(), "self") != s.end()) subjects.push_back(n);
    }
    auto got = Names(t, ring.subjects());
    std::sort(got.begin(), got.end());
    std::sort(subjects.begin(), subjects.end());
    REQUIRE(got == subjects);
  }
  CHECK_FALSE(ring.Rebuild(t));  // incremental upkeep left nothing to fix
}

TEST_CASE("observer ring: a join changes the observers of at most k members", "[ring]") {
  std::vector<std::string> live;
  for (int i = 0; i < 50; ++i) live.push_back("node-" + std::to_string(i));
  std::map<std::string, std::vector<std::string>> before;
  for (const auto& n : live) before[n] = Successors(live, n, 4);
  live.push_back("newcomer");
  int changed = 0;
  for (const auto& [n, succ] : before) {
    if (Successors(live, n, 4) != succ) ++changed;
  }
  CHECK(changed <= 4);
  CHECK(changed >= 1);
}

}  // namespace picket::membership::detail
