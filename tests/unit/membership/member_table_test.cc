#include "membership/detail/member_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "membership/detail/random.h"
#include "membership/tuning.h"

namespace picket::membership::detail {
namespace {
using namespace std::chrono_literals;
const TimePoint kT = TimePoint{} + 10s;
}  // namespace

TEST_CASE("member table: insert, find, update, remove", "[member_table]") {
  MemberTable t;
  const MemberIndex a = t.Insert("alpha", "10.0.0.1:9746", 1, MemberState::kAlive, {}, kT);
  const MemberIndex b =
      t.Insert("beta", "10.0.0.2:9746", 4, MemberState::kSuspect, {{"zone", "a"}}, kT);
  CHECK(t.Find("alpha") == a);
  CHECK(t.Find("beta") == b);
  CHECK(t.Find("gamma") == kNoMember);
  CHECK(t.Name(b) == "beta");
  CHECK(t.AddressOf(b) == "10.0.0.2:9746");
  CHECK(t.TagsOf(b).at("zone") == "a");
  CHECK(t.TagsOf(a).empty());
  CHECK(t.Count(MemberState::kAlive) == 1);
  CHECK(t.Count(MemberState::kSuspect) == 1);

  t.SetState(b, MemberState::kSuspect, 5, kT + 1s);
  CHECK(t.StateSince(b) == kT);  // same state: the clock does not restart
  t.SetState(b, MemberState::kFailed, 5, kT + 2s);
  CHECK(t.StateSince(b) == kT + 2s);
  CHECK(t.Count(MemberState::kFailed) == 1);
  t.SetAddress(b, "10.9.9.9:1");
  CHECK(t.AddressOf(b) == "10.9.9.9:1");

  t.Remove(a);
  CHECK(t.Find("alpha") == kNoMember);
  CHECK(t.size() == 1);
  const MemberIndex c = t.Insert("gamma", "g:1", 0, MemberState::kAlive, {}, kT);
  CHECK(c == a);  // index reused
  CHECK(t.Find("beta") == b);
}

TEST_CASE("member table: bucket digests add up to the digest, a change moves one bucket",
          "[member_table]") {
  MemberTable t;
  for (int i = 0; i < 300; ++i) {
    t.Insert("m" + std::to_string(i), "a:1", 0, MemberState::kAlive, {}, kT);
  }
  for (const std::size_t count : {std::size_t{2}, std::size_t{64}, tuning::kMaxSyncBuckets}) {
    const auto before = t.BucketDigests(count);
    REQUIRE(before.size() == count);
    std::uint64_t sum = 0;
    for (const std::uint64_t d : before) sum += d;
    CHECK(sum == t.Digest());
    // One member's state changes: only its own bucket's digest moves.
    const MemberIndex m = t.Find("m42");
    t.SetState(m, MemberState::kSuspect, 1, kT);
    const auto after = t.BucketDigests(count);
    const std::uint32_t bucket = MemberTable::SyncBucket(t.RingHash(m), count);
    CHECK(bucket < count);
    for (std::size_t b = 0; b < count; ++b) CHECK((after[b] != before[b]) == (b == bucket));
    t.SetState(m, MemberState::kAlive, 0, kT);
    CHECK(t.BucketDigests(count) == before);
  }
  // The members spread over the buckets (the name hash's top bits).
  const auto digests = t.BucketDigests(64);
  CHECK(std::count(digests.begin(), digests.end(), 0u) < 8);
}

TEST_CASE("member table: stays consistent against a std::map model", "[member_table]") {
  MemberTable t;
  std::map<std::string, std::pair<std::string, std::uint64_t>> model;
  Random random(42);
  for (int step = 0; step < 20000; ++step) {
    const std::string name = "node-" + std::to_string(random.Uniform(300));
    const MemberIndex m = t.Find(name);
    REQUIRE((m != kNoMember) == (model.count(name) != 0));
    switch (random.Uniform(3)) {
      case 0:
        if (m == kNoMember) {
          const std::string addr = "10.0." + std::to_string(random.Uniform(256)) + ":9746";
          t.Insert(name, addr, 0, MemberState::kAlive, {}, kT);
          model[name] = {addr, 0};
        }
        break;
      case 1:
        if (m != kNoMember) {
          t.Remove(m);
          model.erase(name);
        }
        break;
      default:
        if (m != kNoMember) {
          const std::string addr = "host-" + std::to_string(random.Uniform(1000)) + ":1";
          t.SetAddress(m, addr);
          t.SetState(m, MemberState::kAlive, model[name].second + 1, kT);
          model[name] = {addr, model[name].second + 1};
        }
        break;
    }
  }
  CHECK(t.size() == static_cast<int>(model.size()));
  for (const auto& [name, value] : model) {
    const MemberIndex m = t.Find(name);
    REQUIRE(m != kNoMember);
    CHECK(t.Name(m) == name);
    CHECK(t.AddressOf(m) == value.first);
    CHECK(t.Incarnation(m) == value.second);
  }
}

TEST_CASE("member table: tombstones remember reaped members until they expire",
          "[member_table]") {
  MemberTable t;
  t.AddTombstone("gone", 7, MemberState::kLeft, kT + 60s);
  REQUIRE(t.FindTombstone("gone") != nullptr);
  CHECK(t.FindTombstone("gone")->incarnation == 7);
  CHECK(t.FindTombstone("gone")->state == MemberState::kLeft);
  t.AddTombstone("gone", 3, MemberState::kFailed, kT + 30s);  // older news changes nothing
  CHECK(t.FindTombstone("gone")->incarnation == 7);
  t.ExpireTombstones(kT + 59s);
  CHECK(t.tombstone_count() == 1);
  t.ExpireTombstones(kT + 60s);
  CHECK(t.FindTombstone("gone") == nullptr);
}

}  // namespace picket::membership::detail
