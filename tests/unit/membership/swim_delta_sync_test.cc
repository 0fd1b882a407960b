// Delta sync between two large tables (membership.proto, PushPull): a join
// or sync is answered with only what the request lacks, and a summary
// exchange sends bucket digests, then only the buckets that differ.

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "membership/detail/codec.h"
#include "membership/detail/messages.h"
#include "membership/swim.h"
#include "membership/tuning.h"
#include "test_support.h"

namespace picket::membership::testing {
namespace {

using namespace std::chrono_literals;

// Members both agents know, enough for delta sync.
constexpr int kCommon = 200;

// One agent driven by hand, its streams relayed by the test.
struct Agent {
  explicit Agent(const std::string& name, Config config)
      : swim(std::move(config), Identity{name, name + ":1", {}}, 7, runtime, T0()) {}

  // Learns `name` alive at `incarnation` from a datagram of its own.
  void Learn(const std::string& name, std::uint64_t incarnation = 0) {
    Peer peer(name);
    swim.HandleDatagram(
        name + ":1", peer.Datagram(detail::AliveMsg{name, name + ":1", incarnation, {}, {}}), T0());
  }
  std::set<std::string> View() const {
    std::set<std::string> out;
    for (const MemberInfo& m : swim.Members(T0() + 1h)) {
      out.insert(m.name + "@" + std::to_string(m.incarnation));
    }
    return out;
  }

  RecordingRuntime runtime;
  Swim swim;
};

const detail::PushPullMsg& PushPullOf(Inspector& inspector, const std::vector<std::uint8_t>& b) {
  const detail::Envelope* e = inspector.Decode(b);
  REQUIRE(e != nullptr);
  return std::get<detail::PushPullMsg>(e->messages.front());
}

std::set<std::string> NamesOf(const detail::PushPullMsg& pp) {
  std::set<std::string> out;
  for (const auto& m : pp.members) out.insert(std::string(m.name));
  return out;
}

bool IsPushPull(const StartedStream& s) {
  Inspector inspector(detail::Channel::kStream);
  const detail::Envelope* e = inspector.Decode(s.request);
  return e != nullptr && std::holds_alternative<detail::PushPullMsg>(e->messages.front());
}

// Takes the one push-pull stream `from` started (the fallback probes of
// members that never answer are dropped).
StartedStream TakeStream(Agent& from) {
  std::vector<StartedStream> streams = std::move(from.runtime.streams);
  from.runtime.streams.clear();
  std::erase_if(streams, [](const StartedStream& s) { return !IsPushPull(s); });
  REQUIRE(streams.size() == 1);
  return streams.front();
}

TEST_CASE("swim: large tables sync by delta, only what differs", "[swim][pushpull]") {
  REQUIRE(kCommon >= tuning::kDeltaSyncMinMembers);
  Config config;
  config.push_pull_interval = 30s;  // catch-ups follow a join
  Agent a("a", config);
  Agent b("b", config);
  for (int i = 0; i < kCommon; ++i) {
    a.Learn("m" + std::to_string(i));
    b.Learn("m" + std::to_string(i), i == 7 ? 1 : 0);  // b has m7's newer incarnation
  }
  for (const char* only : {"onlyA1", "onlyA2", "onlyA3"}) a.Learn(only);
  for (const char* only : {"onlyB1", "onlyB2"}) b.Learn(only);
  a.runtime.Clear();
  b.runtime.Clear();
  Inspector inspector(detail::Channel::kStream);

  // A join carries a's whole table; b answers with what a lacks or holds older.
  a.swim.Join({"b:1"}, T0());
  const auto join = TakeStream(a);
  CHECK(PushPullOf(inspector, join.request).members.size() == kCommon + 4);
  const auto join_answer = b.swim.HandleStreamRequest("a:1", join.request, T0());
  Inspector answer_inspector(detail::Channel::kStream);
  const auto& delta = PushPullOf(answer_inspector, join_answer);
  CHECK(delta.bucket_digests.empty());
  CHECK(NamesOf(delta) == std::set<std::string>{"b", "m7", "onlyB1", "onlyB2"});
  a.swim.HandleStreamResult(join.id, StreamResult::Answered(join_answer), T0());
  REQUIRE(a.swim.Joined());
  CHECK(a.View() == b.View());

  // Each learns one member the other does not know.
  a.Learn("lateA");
  b.Learn("lateB");
  REQUIRE(a.View() != b.View());
  a.runtime.Clear();

  // a's catch-up: its summary asks for bucket digests.
  TimePoint now = T0();
  for (int i = 0;
       i < 1000 && std::none_of(a.runtime.streams.begin(), a.runtime.streams.end(), IsPushPull);
       ++i) {
    now += 10ms;
    a.swim.Tick(now);
    a.runtime.datagrams.clear();
  }
  const auto catch_up = TakeStream(a);
  const auto& ask = PushPullOf(inspector, catch_up.request);
  CHECK(ask.members.empty());
  CHECK(ask.buckets.empty());
  const std::uint32_t buckets = ask.bucket_count;
  CHECK(buckets >= 2);
  CHECK(buckets <= tuning::kMaxSyncBuckets);
  CHECK(buckets * tuning::kSyncMembersPerBucket >= kCommon);
  // b's answer: its bucket digests, no members.
  const auto digests_answer = b.swim.HandleStreamRequest(catch_up.to, catch_up.request, now);
  const auto& digests = PushPullOf(answer_inspector, digests_answer);
  CHECK(digests.members.empty());
  CHECK(digests.bucket_digests.size() == buckets);
  a.swim.HandleStreamResult(catch_up.id, StreamResult::Answered(digests_answer), now);

  // a sends its members of the differing buckets (lateA's and lateB's).
  const auto sync = TakeStream(a);
  CHECK(sync.to == catch_up.to);
  const auto& partial = PushPullOf(inspector, sync.request);
  CHECK(partial.bucket_count == buckets);
  CHECK(partial.buckets.size() >= 1);
  CHECK(partial.buckets.size() <= 2);
  CHECK(NamesOf(partial).count("lateA") == 1);
  CHECK(NamesOf(partial).count("lateB") == 0);
  CHECK(partial.members.size() < kCommon / 4);
  // b merges them and answers with what a lacks of those buckets: lateB.
  const auto sync_answer = b.swim.HandleStreamRequest(sync.to, sync.request, now);
  CHECK(NamesOf(PushPullOf(answer_inspector, sync_answer)) == std::set<std::string>{"lateB"});
  a.swim.HandleStreamResult(sync.id, StreamResult::Answered(sync_answer), now);
  CHECK(a.View() == b.View());
  CHECK(a.View().count("lateB@0") == 1);
  CHECK(b.View().count("lateA@0") == 1);
}

TEST_CASE("swim: a summary without a bucket count gets the whole table (older agents)",
          "[swim][pushpull]") {
  Config config;
  config.push_pull_interval = 30s;
  Agent b("b", config);
  for (int i = 0; i < kCommon; ++i) b.Learn("m" + std::to_string(i));
  detail::PushPullMsg summary;  // an agent that predates delta sync
  summary.digest = 1;
  summary.count = 1;
  const auto answer = b.swim.HandleStreamRequest("old:1", Peer("old").StreamMessage(summary), T0());
  Inspector inspector(detail::Channel::kStream);
  const auto& table = PushPullOf(inspector, answer);
  CHECK(table.bucket_digests.empty());
  CHECK(table.members.size() == kCommon + 1);
}

}  // namespace
}  // namespace picket::membership::testing
