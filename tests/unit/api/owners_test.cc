#include "api/owners.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "api_test_util.h"

namespace picket::api {
namespace {

using membership::MemberState;

std::vector<membership::MemberInfo> Members(int n) {
  std::vector<membership::MemberInfo> members;
  for (int i = 0; i < n; ++i) {
    members.push_back(testing::MakeMember("node-" + std::to_string(i), MemberState::kAlive,
                                          membership::TimePoint{}));
  }
  return members;
}

std::string OwnerOf(const std::vector<membership::MemberInfo>& members, const std::string& key) {
  const auto owners = RendezvousOwners(members, key, 1);
  return owners.empty() ? std::string() : members[owners.front()].name;
}

TEST_CASE("the hash is 64-bit FNV-1a with the fmix64 finalizer", "[api][owners]") {
  // Published FNV-1a test vectors.
  CHECK(Fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(Fnv1a64("foobar") == 0x85944171f73967e8ULL);
  CHECK(Mix64(0) == 0);
  // Pinned: other implementations (and older agents) must agree.
  CHECK(RendezvousWeight("node-1", "shard-7") ==
        Mix64(Fnv1a64("shard-7", Fnv1a64(std::string_view("\0", 1), Fnv1a64("node-1")))));
  CHECK(RendezvousWeight("a", "bc") != RendezvousWeight("ab", "c"));  // the separator matters
}

TEST_CASE("owners depend on names and key only, not on member order", "[api][owners]") {
  auto members = Members(10);
  auto reversed = std::vector<membership::MemberInfo>(members.rbegin(), members.rend());
  for (int k = 0; k < 50; ++k) {
    const std::string key = "key-" + std::to_string(k);
    const auto a = RendezvousOwners(members, key, 3);
    const auto b = RendezvousOwners(reversed, key, 3);
    REQUIRE(a.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(members[a[i]].name == reversed[b[i]].name);
  }
}

TEST_CASE("when a member fails only its keys move", "[api][owners]") {
  auto members = Members(8);
  std::map<std::string, std::string> before;
  for (int k = 0; k < 1000; ++k) {
    const std::string key = "k" + std::to_string(k);
    before[key] = OwnerOf(members, key);
  }
  members[3].state = MemberState::kFailed;
  int moved = 0;
  for (const auto& [key, owner] : before) {
    const std::string now = OwnerOf(members, key);
    CHECK(now != "node-3");
    if (owner != "node-3") {
      CHECK(now == owner);
    } else {
      ++moved;
    }
  }
  // Roughly 1/8 of the keys were node-3's (a loose bound: this checks the
  // spread, not randomness quality).
  CHECK(moved > 60);
  CHECK(moved < 200);
}

TEST_CASE("suspect members stay owners, failed and left do not", "[api][owners]") {
  auto members = Members(3);
  members[0].state = MemberState::kSuspect;
  members[1].state = MemberState::kLeft;
  members[2].state = MemberState::kFailed;
  const auto owners = RendezvousOwners(members, "x", 5);
  REQUIRE(owners.size() == 1);
  CHECK(owners.front() == 0);
  CHECK(RendezvousOwners({}, "x", 3).empty());
}

TEST_CASE("members whose service is critical or in maintenance own nothing unless asked",
          "[api][owners]") {
  auto members = Members(4);
  using membership::ServiceHealth;
  members[0].service = membership::ServiceStatus{ServiceHealth::kCritical, "down", 1};
  members[1].service = membership::ServiceStatus{ServiceHealth::kMaintenance, "", 1};
  members[2].service = membership::ServiceStatus{ServiceHealth::kWarning, "slow", 1};
  // members[3] runs no checks: it owns keys like before.
  auto owners = RendezvousOwners(members, "x", 4);
  std::sort(owners.begin(), owners.end());
  CHECK(owners == std::vector<std::size_t>{2, 3});
  owners = RendezvousOwners(members, "x", 4, /*include_unhealthy=*/true);
  CHECK(owners.size() == 4);
  // Only the keys of the unhealthy members move.
  for (int k = 0; k < 200; ++k) {
    const std::string key = "key-" + std::to_string(k);
    const auto all = RendezvousOwners(members, key, 1, true).front();
    const auto healthy = RendezvousOwners(members, key, 1).front();
    if (all >= 2) CHECK(healthy == all);
  }
}

}  // namespace
}  // namespace picket::api
