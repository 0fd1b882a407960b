// The core driven alone, by hand: what it sends, what it concludes, and
// which events it reports.

#include "membership/swim.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "membership/detail/suspicion.h"
#include "membership/tuning.h"
#include "swim_harness.h"

namespace picket::membership::testing {
namespace {

using detail::AckMsg;
using detail::AliveMsg;
using detail::FailedMsg;
using detail::HeartbeatMsg;
using detail::LeftMsg;
using detail::PhiReportMsg;
using detail::PingMsg;
using detail::SuspectMsg;

std::optional<MemberState> StateOf(SwimHarness& h, const std::string& name) {
  auto m = h.swim().Member(name, h.now());
  if (!m) return std::nullopt;
  return m->state;
}

template <typename T>
int CountMessages(const std::vector<SentDatagram>& sent,
                  const std::function<bool(const T&)>& pred) {
  Inspector inspector;
  int n = 0;
  for (const auto& d : sent) {
    for (const T& m : inspector.All<T>(d.bytes)) n += pred(m);
  }
  return n;
}

}  // namespace

TEST_CASE("swim: answers a ping with an ack to the sender", "[swim]") {
  SwimHarness h;
  h.From("p1", PingMsg{42, "self", 0});
  const auto sent = h.Sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].to == "p1:1");
  Inspector inspector;
  const auto acks = inspector.All<AckMsg>(sent[0].bytes);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].seq == 42);
  CHECK(h.swim().counters().datagrams_in == 1);
  CHECK(h.swim().counters().datagrams_out == 1);
  CHECK(h.swim().counters().bytes_out == sent[0].bytes.size());
}

TEST_CASE("swim: a ping meant for another member is not answered", "[swim]") {
  SwimHarness h;
  h.From("p1", PingMsg{42, "somebody-else", 0});
  CHECK(h.Sent().empty());
  CHECK(h.swim().counters().dropped[static_cast<int>(DropReason::kContradictory)] == 1);
}

TEST_CASE("swim: a prober with an older view of us gets our Alive beside the Ack",
          "[swim][dissemination]") {
  SwimHarness h;
  REQUIRE(h.swim().SetTags({{"role", "primary"}}, h.now()));
  REQUIRE(h.swim().Self().incarnation == 1);
  Inspector inspector;
  // Let the tag update's own retransmissions (piggybacked on Acks) run out.
  for (std::uint32_t seq = 1; seq < 32; ++seq) h.From("p1", PingMsg{seq, "self", 1});
  REQUIRE(CountMessages<AliveMsg>(h.Sent(), [](const AliveMsg&) { return true; }) >= 1);
  h.From("p1", PingMsg{41, "self", 1});
  REQUIRE(CountMessages<AliveMsg>(h.Sent(), [](const AliveMsg&) { return true; }) == 0);
  REQUIRE(h.swim().counters().stale_views_refreshed == 0);

  h.From("p1", PingMsg{42, "self", 0});
  auto sent = h.Sent();
  REQUIRE(sent.size() == 1);
  REQUIRE(inspector.All<AckMsg>(sent[0].bytes).size() == 1);
  const auto alive = inspector.All<AliveMsg>(sent[0].bytes);
  REQUIRE(alive.size() == 1);
  CHECK(alive[0].name == "self");
  CHECK(alive[0].incarnation == 1);
  CHECK(alive[0].tags.size() == 1);
  CHECK(h.swim().counters().stale_views_refreshed == 1);

  // A prober that is up to date, or one that did not name us, gets the Ack only.
  h.From("p1", PingMsg{43, "self", 1});
  h.From("p2", PingMsg{44, "", 0});
  sent = h.Sent();
  REQUIRE(sent.size() == 2);
  for (const auto& d : sent) CHECK(inspector.All<AliveMsg>(d.bytes).empty());
  CHECK(h.swim().counters().stale_views_refreshed == 1);
}

TEST_CASE("swim: a heartbeat newer than our view makes us ping its sender for the update",
          "[swim][dissemination]") {
  SwimHarness h;
  h.Learn("p1", 2);
  h.Sent();
  h.From("p1", HeartbeatMsg{2});
  CHECK(CountMessages<PingMsg>(h.Sent(), [](const PingMsg&) { return true; }) == 0);

  h.From("p1", HeartbeatMsg{3});
  CHECK(CountMessages<PingMsg>(h.Sent(), [](const PingMsg& p) {
          return p.target == "p1" && p.target_incarnation == 2;
        }) == 1);

  // Its Alive arrives (on the Ack, in the real thing): no more pings.
  h.From("p1", AliveMsg{"p1", "p1:1", 3, {}, {}});
  h.Sent();
  h.From("p1", HeartbeatMsg{3});
  CHECK(CountMessages<PingMsg>(h.Sent(), [](const PingMsg&) { return true; }) == 0);
}

TEST_CASE("swim: bad datagrams are counted by reason and change nothing", "[swim]") {
  SwimHarness h;
  Peer foreign("p1", "other-cluster");
  h.swim().HandleDatagram("p1:1", foreign.Datagram(AliveMsg{"p1", "p1:1", 1, {}, {}}), h.now());
  std::vector<std::uint8_t> garbage = {1, 2, 3};
  h.swim().HandleDatagram("p1:1", garbage, h.now());
  Peer impostor("self");
  h.swim().HandleDatagram("x:1", impostor.Datagram(AliveMsg{"p1", "p1:1", 1, {}, {}}), h.now());
  const auto& c = h.swim().counters();
  CHECK(c.dropped[static_cast<int>(DropReason::kWrongCluster)] == 1);
  CHECK(c.dropped[static_cast<int>(DropReason::kMalformed)] == 1);
  CHECK(c.dropped[static_cast<int>(DropReason::kContradictory)] == 1);
  CHECK(c.datagrams_in == 3);
  CHECK(h.swim().Members(h.now()).size() == 1);
}

TEST_CASE("swim: SWIM precedence, applied through gossip", "[swim][precedence]") {
  // Each row: a sequence of claims about "m" (state, incarnation) and the
  // state/incarnation the core must end with. Time does not move, so no
  // suspicion times out.
  struct Claim {
    MemberState state;
    std::uint64_t incarnation;
  };
  struct Row {
    const char* what;
    std::vector<Claim> claims;
    std::optional<MemberState> want_state;
    std::uint64_t want_incarnation;
  };
  using S = MemberState;
  const Row rows[] = {
      {"alive adds", {{S::kAlive, 1}}, S::kAlive, 1},
      {"suspect of an unknown member is ignored", {{S::kSuspect, 1}}, std::nullopt, 0},
      {"failed of an unknown member is ignored", {{S::kFailed, 1}}, std::nullopt, 0},
      {"suspect beats alive at equal incarnation",
       {{S::kAlive, 1}, {S::kSuspect, 1}},
       S::kSuspect,
       1},
      {"alive does not beat suspect at equal incarnation",
       {{S::kAlive, 1}, {S::kSuspect, 1}, {S::kAlive, 1}},
       S::kSuspect,
       1},
      {"higher alive refutes suspect",
       {{S::kAlive, 1}, {S::kSuspect, 1}, {S::kAlive, 2}},
       S::kAlive,
       2},
      {"older suspect is ignored", {{S::kAlive, 3}, {S::kSuspect, 2}}, S::kAlive, 3},
      {"failed beats suspect", {{S::kAlive, 1}, {S::kSuspect, 1}, {S::kFailed, 1}}, S::kFailed, 1},
      {"suspect does not beat failed",
       {{S::kAlive, 1}, {S::kFailed, 1}, {S::kSuspect, 1}},
       S::kFailed,
       1},
      {"left beats failed", {{S::kAlive, 1}, {S::kFailed, 1}, {S::kLeft, 1}}, S::kLeft, 1},
      {"failed does not beat left", {{S::kAlive, 1}, {S::kLeft, 1}, {S::kFailed, 1}}, S::kLeft, 1},
      {"higher alive revives failed",
       {{S::kAlive, 1}, {S::kFailed, 1}, {S::kAlive, 2}},
       S::kAlive,
       2},
      {"equal alive does not revive failed",
       {{S::kAlive, 1}, {S::kFailed, 1}, {S::kAlive, 1}},
       S::kFailed,
       1},
      {"higher suspect beats alive", {{S::kAlive, 1}, {S::kSuspect, 5}}, S::kSuspect, 5},
      {"higher failed beats alive", {{S::kAlive, 1}, {S::kFailed, 4}}, S::kFailed, 4},
      {"old alive cannot resurrect a failed unknown",
       {{S::kFailed, 3}, {S::kAlive, 2}},
       std::nullopt,
       0},
      {"newer alive after a failed unknown joins", {{S::kFailed, 3}, {S::kAlive, 4}}, S::kAlive, 4},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    SwimHarness h;
    for (const auto& c : row.claims) {
      switch (c.state) {
        case S::kAlive:
          h.From("p1", AliveMsg{"m", "m:1", c.incarnation, {}, {}});
          break;
        case S::kSuspect:
          h.From("p1", SuspectMsg{"m", c.incarnation, "p1"});
          break;
        case S::kFailed:
          h.From("p1", FailedMsg{"m", c.incarnation, "p1"});
          break;
        case S::kLeft:
          h.From("p1", LeftMsg{"m", c.incarnation});
          break;
      }
    }
    const auto m = h.swim().Member("m", h.now());
    CHECK(m.has_value() == row.want_state.has_value());
    if (m && row.want_state) {
      CHECK(m->state == *row.want_state);
      CHECK(m->incarnation == row.want_incarnation);
    }
    CHECK(h.swim().CheckInvariants() == "");
  }
}

TEST_CASE("swim: events for every transition", "[swim][events]") {
  SwimHarness h;
  auto& rt = h.runtime();
  h.From("p1", AliveMsg{"m", "m:1", 1, {}, {}});
  CHECK(rt.CountEvents(EventType::kJoined, "m") == 1);
  h.From("p1", AliveMsg{"m", "m:1", 2, {{"role", "db"}}, {}});
  CHECK(rt.CountEvents(EventType::kUpdated, "m") == 1);
  h.From("p1", SuspectMsg{"m", 2, "p1"});
  CHECK(rt.CountEvents(EventType::kSuspect, "m") == 1);
  h.From("p1", AliveMsg{"m", "m:1", 3, {{"role", "db"}}, {}});
  CHECK(rt.CountEvents(EventType::kAlive, "m") == 1);
  h.From("p1", FailedMsg{"m", 3, "p1"});
  CHECK(rt.CountEvents(EventType::kFailed, "m") == 1);
  h.From("p1", AliveMsg{"m", "m:1", 4, {}, {}});
  CHECK(rt.CountEvents(EventType::kJoined, "m") == 2);  // back after failed
  h.From("p1", LeftMsg{"m", 4});
  CHECK(rt.CountEvents(EventType::kLeft, "m") == 1);
  const auto& last = rt.events.back();
  CHECK(last.member.name == "m");
  CHECK(last.member.state == MemberState::kLeft);
  CHECK(last.quorum.members >= 1);
}

TEST_CASE("swim: refutes suspicion of itself with a higher incarnation", "[swim][refute]") {
  SwimHarness h;
  h.Learn("p1");
  h.Sent();
  REQUIRE(h.swim().Self().incarnation == 0);
  h.From("p1", SuspectMsg{"self", 0, "p1"});
  CHECK(h.swim().Self().incarnation == 1);
  CHECK(h.swim().Self().state == MemberState::kAlive);
  CHECK(h.swim().counters().refutations == 1);
  CHECK(h.swim().HealthScore() == 1);
  // The accuser hears the refutation at once.
  const auto sent = h.Sent();
  CHECK(CountMessages<AliveMsg>(
            sent, [](const AliveMsg& a) { return a.name == "self" && a.incarnation == 1; }) >= 1);
  // Old accusations do not cost another incarnation.
  h.From("p1", SuspectMsg{"self", 0, "p1"});
  CHECK(h.swim().Self().incarnation == 1);
  // Failed and left claims are refuted too; the new incarnation outbids them.
  h.From("p1", FailedMsg{"self", 5, "p1"});
  CHECK(h.swim().Self().incarnation == 6);
  h.From("p1", LeftMsg{"self", 6});
  CHECK(h.swim().Self().incarnation == 7);
}

TEST_CASE("swim: heartbeats go to the K ring successors every interval", "[swim][heartbeat]") {
  SwimHarness h;
  for (int i = 0; i < 8; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(1s);
  h.Sent();
  h.Advance(5s);
  const auto sent = h.Sent();
  std::map<std::string, int> per_target;
  Inspector inspector;
  for (const auto& d : sent) {
    if (!inspector.All<HeartbeatMsg>(d.bytes).empty()) ++per_target[d.to];
  }
  CHECK(per_target.size() == 4);  // K = 4 observers
  for (const auto& [to, n] : per_target) {
    INFO(to);
    CHECK(n >= 9);  // every 500 ms for 5 s
    CHECK(n <= 11);
  }
  CHECK(h.swim().counters().heartbeats_out >= 40);
}

TEST_CASE("swim: an update is piggybacked retransmit_multiplier * ceil(log10(N+1)) times",
          "[swim][dissemination]") {
  SwimHarness h;
  for (int i = 0; i < 4; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(2s);  // the peers' own updates have been spread
  h.Sent();
  h.Learn("x");  // N = 6: limit = 4 * ceil(log10(7)) = 4
  h.Advance(1s);
  const int sent =
      CountMessages<AliveMsg>(h.Sent(), [](const AliveMsg& a) { return a.name == "x"; });
  CHECK(sent == 4);
}

TEST_CASE("swim: relayed phi reports stay within a fixed allowance per probe round",
          "[swim][dissemination][phi]") {
  SwimHarness h;
  constexpr int kPeers = 100;  // 100 reports, sent 3 times each: far more than the allowance
  std::vector<std::string> names;
  for (int i = 0; i < kPeers; ++i) names.push_back("p" + std::to_string(i));
  for (const auto& name : names) h.Learn(name);
  h.Advance(5s);  // the peers' own updates have been spread
  h.Sent();
  // Each peer reports a phi crossing of the next one: all news.
  for (int i = 0; i < kPeers; ++i) {
    h.From(names[static_cast<std::size_t>(i)],
           PhiReportMsg{names[static_cast<std::size_t>(i)],
                        names[static_cast<std::size_t>((i + 1) % kPeers)], 9.0});
  }
  const auto start = h.swim().counters().probes;
  h.Advance(10s);
  const auto rounds = h.swim().counters().probes - start + 1;  // the one under way at the start
  std::size_t report_bytes = 0;
  int reports = 0;
  Inspector inspector;
  detail::Encoder encoder("default", "self");
  for (const auto& d : h.Sent()) {
    for (const auto& r : inspector.All<PhiReportMsg>(d.bytes)) {
      ++reports;
      report_bytes += encoder.EncodeMessage(r).size();
    }
  }
  const auto allowance =
      static_cast<std::size_t>(static_cast<double>(SwimHarness::DefaultConfig().packet_budget) *
                               tuning::kPhiReportBudgetFraction);
  CHECK(report_bytes <= rounds * allowance);
  // The allowance is used (but for what no report fits in): reports were waiting.
  CHECK(report_bytes * 10 > rounds * allowance * 8);
  CHECK(reports > 40);
}

TEST_CASE("swim: a phi report is relayed with one more hop, up to about log2(N) hops",
          "[swim][dissemination][phi]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));  // N = 7: 3 + 2 hops at most
  h.Advance(5s);
  h.Sent();
  auto relayed = [&h]() {
    h.Advance(2s);
    Inspector inspector;
    std::vector<std::uint32_t> hops;
    for (const auto& d : h.Sent()) {
      for (const auto& r : inspector.All<PhiReportMsg>(d.bytes)) hops.push_back(r.hops);
    }
    return hops;
  };
  h.From("p0", PhiReportMsg{"p0", "p1", 9.0, 0});
  const auto first = relayed();
  REQUIRE(!first.empty());
  CHECK(std::all_of(first.begin(), first.end(), [](std::uint32_t n) { return n == 1; }));
  h.From("p2", PhiReportMsg{"p2", "p3", 9.0, 3});
  const auto fourth = relayed();
  REQUIRE(!fourth.empty());
  CHECK(std::all_of(fourth.begin(), fourth.end(), [](std::uint32_t n) { return n == 4; }));
  h.From("p4", PhiReportMsg{"p4", "p5", 9.0, 4});  // its fifth hop would reach the limit
  CHECK(relayed().empty());
}

TEST_CASE("swim: every datagram fits the packet budget", "[swim][dissemination]") {
  Config config = SwimHarness::DefaultConfig();
  config.packet_budget = 600;
  SwimHarness h(config);
  for (int i = 0; i < 60; ++i) {
    h.From("p" + std::to_string(i),
           AliveMsg{"p" + std::to_string(i),
                    "p" + std::to_string(i) + ":1",
                    0,
                    {{"role", std::string(40, 'r')}, {"zone", "eu-west-1a"}},
                    {}});
  }
  for (int i = 0; i < 60; ++i) h.SetLive("p" + std::to_string(i), true);
  h.Advance(3s);
  const auto sent = h.Sent();
  REQUIRE(sent.size() > 10);
  std::size_t largest = 0;
  int with_updates = 0;
  Inspector inspector;
  for (const auto& d : sent) {
    largest = std::max(largest, d.bytes.size());
    with_updates += inspector.All<AliveMsg>(d.bytes).size() > 1;
  }
  CHECK(largest <= 600);
  CHECK(largest > 450);  // packed close to the budget
  CHECK(with_updates > 5);
}

TEST_CASE("swim: probe interval scales with the health score", "[swim][awareness]") {
  SwimHarness h;
  h.Learn("p1");
  h.Advance(2s);
  h.Sent();
  h.Advance(10s);
  const auto pings = [&] {
    return CountMessages<PingMsg>(h.Sent(), [](const PingMsg& p) { return p.target == "p1"; });
  };
  const int healthy = pings();
  // Three refutations: score 3, probing four times slower.
  for (std::uint64_t i = 0; i < 3; ++i)
    h.From("p1", SuspectMsg{"self", h.swim().Self().incarnation, "p1"});
  REQUIRE(h.swim().HealthScore() == 3);
  h.Sent();
  h.Advance(10s);
  const int unhealthy = pings();
  // Score 3 -> 2 -> 1 -> 0 as probes succeed: intervals 4 s, 3 s, 2 s, 1 s.
  CHECK(healthy >= 9);
  CHECK(unhealthy <= 5);
  CHECK(h.swim().HealthScore() < 3);  // successful probes bring it back down
}

TEST_CASE("swim: a silent member is suspected, then failed after the suspicion timeout",
          "[swim][suspicion]") {
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(3s);
  h.SetLive("p0", false);  // crashed
  h.Advance(10s, 5ms);
  CHECK(StateOf(h, "p0") == MemberState::kSuspect);
  CHECK(h.swim().counters().suspicions >= 1);
  h.Advance(10s);
  CHECK(StateOf(h, "p0") == MemberState::kFailed);
  CHECK(h.swim().counters().failures == 1);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p0") == 1);
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
}

// Five peers send heartbeats every 500 ms for 5 s (every observed one feeds
// its watch), then `silent` stop answering and sending; the others go on.
void HeartbeatsThenSilence(SwimHarness& h, const std::vector<std::string>& silent) {
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  for (int t = 0; t < 10; ++t) {
    for (int i = 0; i < 5; ++i) h.From("p" + std::to_string(i), HeartbeatMsg{0});
    h.Advance(500ms);
  }
  for (const std::string& name : silent) h.SetLive(name, false);
}

// A heartbeat from each of p0..p(n-1) but `silent`.
void BeatAllBut(SwimHarness& h, int n, const std::string& silent) {
  for (int i = 0; i < n; ++i) {
    if ("p" + std::to_string(i) != silent) h.From("p" + std::to_string(i), HeartbeatMsg{0});
  }
}

// `beats` heartbeats 500 ms apart from each of p0..p(n-1); returns the first
// member this agent observes (its detector has a phi).
std::string HeartbeatsThenSubject(SwimHarness& h, int n, int beats) {
  for (int t = 0; t < beats; ++t) {
    BeatAllBut(h, n, "");
    h.Advance(500ms);
  }
  for (const auto& m : h.swim().Members(h.now())) {
    if (m.phi) return m.name;
  }
  return {};
}

TEST_CASE("swim: a deaf agent withholds its accusations, then accuses after a while",
          "[swim][suspicion][gray]") {
  // Everything stops reaching us at once: the others did not all die, we hear
  // nothing (all incoming traffic cut). Accusing them would make healthy
  // members suspect everywhere.
  SwimHarness h;
  HeartbeatsThenSilence(h, {"p0", "p1", "p2", "p3", "p4"});
  const auto withhold = h.swim().config().probe_interval * tuning::kDeafWithholdIntervals;
  h.Advance(withhold - 500ms, 5ms);
  CHECK(h.swim().counters().suspicions == 0);
  CHECK(h.swim().counters().accusations_withheld >= 1);
  for (int i = 0; i < 5; ++i) CHECK(StateOf(h, "p" + std::to_string(i)) == MemberState::kAlive);
  // Silent for longer: we are cut off for good (or everyone is gone) and
  // accuse again, so that this agent loses its quorum.
  h.Advance(20s, 5ms);
  CHECK(h.swim().counters().suspicions >= 1);
}

// Peers p0..p5, answering; then nothing this agent sends is answered (its
// own link is broken: no ack, no helper's nack) for `silence`.
void LinkBreaks(SwimHarness& h, Duration silence) {
  for (int i = 0; i < 6; ++i) h.SetLive("p" + std::to_string(i), false);
  h.Advance(silence);
}
void LinkHeals(SwimHarness& h) {
  for (int i = 0; i < 6; ++i) h.SetLive("p" + std::to_string(i), true);
}

TEST_CASE("swim: suspected again while its own rounds hear nobody, a member stands down, "
          "and clean rounds bring it back, later each time",
          "[swim][gray][stand-down]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  LinkBreaks(h, 6s);
  // A first claim is refuted: it may be the heal of a clean cut.
  h.From("p0", SuspectMsg{"self", 0, "p0"});
  CHECK(h.swim().counters().refutations == 1);
  CHECK(h.swim().Self().incarnation == 1);
  h.Advance(2s);
  h.Sent();
  h.From("p0", SuspectMsg{"self", 1, "p0"});
  // The second is not: failed by its own word, at the incarnation it was
  // suspected at.
  CHECK(h.swim().counters().refutations == 1);
  CHECK(h.swim().counters().stand_downs == 1);
  CHECK(h.swim().Self().state == MemberState::kFailed);
  CHECK(h.swim().Self().incarnation == 1);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "self") == 1);
  const auto own_word = [](const FailedMsg& f) {
    return f.name == "self" && f.incarnation == 1 && f.from == "self";
  };
  CHECK(CountMessages<FailedMsg>(h.Sent(), own_word) >= 1);
  // Further claims are not refuted either; a check on us gets the verdict.
  h.From("p1", FailedMsg{"self", 1, "p1"});
  h.From("p2", PingMsg{77, "self", 1});
  CHECK(h.swim().Self().incarnation == 1);
  CHECK(CountMessages<FailedMsg>(h.Sent(), own_word) >= 1);
  // A new tag does not bring it back; it goes out with its return.
  REQUIRE(h.swim().SetTags(Tags{{"zone", "b"}}, h.now()));
  CHECK(h.swim().Self().state == MemberState::kFailed);
  CHECK(h.swim().Self().incarnation == 1);
  // Its link works again: three rounds in a row answered directly.
  LinkHeals(h);
  h.Advance(4500ms);
  CHECK(h.swim().Self().state == MemberState::kAlive);
  CHECK(h.swim().Self().incarnation == 2);
  CHECK(h.runtime().CountEvents(EventType::kJoined, "self") == 1);
  CHECK(CountMessages<AliveMsg>(h.Sent(), [](const AliveMsg& a) {
          return a.name == "self" && a.incarnation == 2 && a.tags.size() == 1;
        }) >= 1);
  // It breaks again: it stood down lately, so the first claim is enough,
  // and the second stand-down lasts four times as many clean rounds.
  LinkBreaks(h, 12s);
  h.From("p0", SuspectMsg{"self", 2, "p0"});
  CHECK(h.swim().counters().stand_downs == 2);
  LinkHeals(h);
  // Standing down, it probes twice a probe interval: 12 rounds take 6 s.
  h.Advance(4500ms);
  CHECK(h.swim().Self().state == MemberState::kFailed);
  h.Advance(3s);
  CHECK(h.swim().Self().state == MemberState::kAlive);
  CHECK(h.swim().Self().incarnation == 3);
  CHECK(h.swim().counters().refutations == 1);
}

TEST_CASE("swim: a member whose rounds are answered refutes as before",
          "[swim][gray][stand-down]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  h.From("p0", SuspectMsg{"self", 0, "p0"});
  h.Advance(2s);
  h.From("p0", SuspectMsg{"self", 1, "p0"});
  CHECK(h.swim().counters().refutations == 2);
  CHECK(h.swim().counters().stand_downs == 0);
  CHECK(h.swim().Self().state == MemberState::kAlive);
}

// Twelve peers send heartbeats every 500 ms for 5 s, then all fall silent;
// only `answering` still answers pings. Returns the datagrams sent since.
std::vector<SentDatagram> TwelveThenSilence(SwimHarness& h, const std::string& answering,
                                            Duration silence) {
  h.swim().Join({}, h.now());  // deafness counts once joined
  for (int i = 0; i < 12; ++i) h.Learn("p" + std::to_string(i));
  for (int t = 0; t < 10; ++t) {
    for (int i = 0; i < 12; ++i) h.From("p" + std::to_string(i), HeartbeatMsg{0});
    h.Advance(500ms);
  }
  for (int i = 0; i < 12; ++i) {
    const std::string name = "p" + std::to_string(i);
    h.SetLive(name, name == answering);
  }
  h.Sent();
  h.Advance(silence, 5ms);
  return h.Sent();
}

TEST_CASE("swim: a deaf member pings many at once before it stands down",
          "[swim][gray][stand-down]") {
  SwimHarness h;
  const auto sent = TwelveThenSilence(h, "", 4s);
  // Every live member (at most kDeafCheckPings) got a ping outside the rounds.
  std::set<std::string> pinged;
  for (const auto& d : sent) {
    Inspector inspector;
    const auto* e = inspector.Decode(d.bytes);
    if (e == nullptr) continue;
    for (const auto& m : e->messages) {
      if (std::holds_alternative<PingMsg>(m)) pinged.insert(d.to);
    }
  }
  CHECK(pinged.size() == 12);
  CHECK(h.swim().counters().stand_downs == 1);
  CHECK(h.swim().Self().state == MemberState::kFailed);
}

TEST_CASE("swim: a silent member that one ping of its deafness check reaches stays up",
          "[swim][gray][stand-down]") {
  // The small side of a partition in a large cluster: little comes from the
  // few members in reach, but they answer.
  SwimHarness h;
  TwelveThenSilence(h, "p7", 4s);
  CHECK(h.swim().counters().stand_downs == 0);
  CHECK(h.swim().Self().state == MemberState::kAlive);
}

TEST_CASE("swim: a member takes another's word that it stood down", "[swim][gray][stand-down]") {
  SwimHarness h;
  h.Learn("p0");
  h.Learn("p1");
  // p1 just joined here, so its accusations of others would be checked
  // first; its own word about itself is not.
  h.From("p1", FailedMsg{"p1", 0, "p1"});
  CHECK(StateOf(h, "p1") == MemberState::kFailed);
  CHECK(h.swim().counters().claim_checks == 0);
}

TEST_CASE("swim: an agent that still hears others accuses a silent member at once",
          "[swim][suspicion][gray]") {
  SwimHarness h;
  HeartbeatsThenSilence(h, {"p0", "p1"});
  // p2..p4 keep sending heartbeats: only p0 and p1 went silent.
  for (int t = 0; t < 8; ++t) {
    for (int i = 2; i < 5; ++i) h.From("p" + std::to_string(i), HeartbeatMsg{0});
    h.Advance(500ms, 5ms);
  }
  CHECK(h.swim().counters().accusations_withheld == 0);
  CHECK(h.swim().counters().suspicions >= 1);
}

TEST_CASE("swim: confirmations bring the suspicion timeout down to its minimum",
          "[swim][suspicion]") {
  // N = 6: min = 1 s * max(1, log10 6) = 1 s, max = 6 s, k = 3.
  // p0 answers pings (but never refutes), so our own probes add no confirmation.
  const auto failed_after = [](int confirmations) {
    SwimHarness h;
    for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
    h.Settle();
    h.From("p1", SuspectMsg{"p0", 0, "p1"});
    const TimePoint start = h.now();
    for (int c = 0; c < confirmations; ++c) {
      h.From("p" + std::to_string(c + 2), SuspectMsg{"p0", 0, "p" + std::to_string(c + 2)});
    }
    for (int ms = 0; ms < 10'000 && StateOf(h, "p0") != MemberState::kFailed; ++ms) {
      h.Advance(1ms, 1ms);
    }
    return h.now() - start;
  };
  CHECK(failed_after(1) == 3'500ms);  // 6 - 5 * ln2/ln4
  CHECK(failed_after(2) == 2'037ms);  // 6 - 5 * ln3/ln4, floored to ms
  CHECK(failed_after(3) == 1s);
}

TEST_CASE("swim: an observer's own crossing confirms a suspicion another member started",
          "[swim][suspicion][phi]") {
  // A member dies and another member's accusation reaches us before our own
  // phi of it crosses. Our check still runs, and its silence is our
  // confirmation (Lifeguard: each one shortens the timeout), gossiped at once;
  // without it the first accuser's gossip would silence every other observer.
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  const std::string subject = HeartbeatsThenSubject(h, 5, 10);
  REQUIRE(!subject.empty());
  const std::string accuser = subject == "p0" ? "p1" : "p0";
  h.SetLive(subject, false);
  h.From(accuser, SuspectMsg{subject, 0, accuser});
  REQUIRE(StateOf(h, subject) == MemberState::kSuspect);
  h.Sent();
  // Phi crosses about 505 ms after the last heartbeat, the check gives up
  // 200 ms later (phi_probe_timeout).
  BeatAllBut(h, 5, subject);
  h.Advance(500ms, 1ms);
  BeatAllBut(h, 5, subject);
  h.Advance(300ms, 1ms);
  CHECK(h.swim().counters().phi_checks == 1);
  CHECK(CountMessages<SuspectMsg>(h.Sent(), [&subject](const SuspectMsg& m) {
          return m.name == subject && m.from == "self";
        }) >= 1);
}

TEST_CASE("swim: an unconfirmed suspicion of a member that still answers does not fail",
          "[swim][suspicion]") {
  // We missed its refutation: the final check reaches it, the accusation in
  // the ping makes it re-assert its incarnation, and the suspicion is dropped.
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  h.From("p1", SuspectMsg{"p0", 0, "p1"});
  h.Advance(6'100ms);
  CHECK(StateOf(h, "p0") == MemberState::kSuspect);  // answered the check: extended
  h.From("p0", AliveMsg{"p0", "p0:1", 1, {}, {}});
  CHECK(StateOf(h, "p0") == MemberState::kAlive);
  h.Advance(10s);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p0") == 0);
}

TEST_CASE("swim: a stale accusation is answered with the current incarnation", "[swim][refute]") {
  SwimHarness h;
  h.Learn("p1");
  h.From("p1", SuspectMsg{"self", 0, "p1"});  // refuted: incarnation 1
  h.Sent();
  h.Advance(2s);
  h.Sent();
  h.From("p1", SuspectMsg{"self", 0, "p1"});  // p1 missed the refutation
  CHECK(h.swim().Self().incarnation == 1);    // no new incarnation for old news
  std::vector<SentDatagram> to_p1;
  for (auto& d : h.Sent()) {
    if (d.to == "p1:1") to_p1.push_back(d);
  }
  CHECK(CountMessages<AliveMsg>(
            to_p1, [](const AliveMsg& a) { return a.name == "self" && a.incarnation == 1; }) == 1);
}

TEST_CASE("swim: a suspected member that refutes in time is not failed", "[swim][suspicion]") {
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  h.From("p1", SuspectMsg{"p0", 0, "p1"});
  h.Advance(500ms);
  h.From("p0", AliveMsg{"p0", "p0:1", 1, {}, {}});
  h.Advance(10s);
  CHECK(StateOf(h, "p0") == MemberState::kAlive);
  CHECK(h.runtime().CountEvents(EventType::kAlive, "p0") == 1);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p0") == 0);
}

TEST_CASE("swim: a gossiped suspicion from an accuser alive only lately is checked, not spread",
          "[swim][suspicion][partition]") {
  // At a heal, a member of the cut-off side refutes its failure (alive here
  // again, lately) and its suspicions of members it could not reach arrive
  // right after. We check the member ourselves: it answers, so nothing is
  // suspected or spread.
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Sent();
  h.From("p1", SuspectMsg{"p0", 0, "p1"});
  CHECK(StateOf(h, "p0") == MemberState::kAlive);
  CHECK(CountMessages<PingMsg>(h.Sent(), [](const PingMsg& p) { return p.target == "p0"; }) >= 1);
  h.Advance(10s);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p0") == 0);
  // The same claim about a member that does not answer: suspected, by us.
  h.SetLive("p2", false);
  h.From("p3", AliveMsg{"p3", "p3:1", 1, {}, {}});  // p3 came back from a refutation
  h.From("p3", SuspectMsg{"p2", 0, "p3"});
  h.Advance(2s);
  CHECK(StateOf(h, "p2") == MemberState::kSuspect);
}

TEST_CASE("swim: with a poor health score a confirmed suspicion is checked before it fails",
          "[swim][suspicion][awareness]") {
  // An agent whose own probes failed lately may be cut off together with
  // everyone who confirmed the suspicion; at the deadline it looks again.
  for (const bool p0_live : {true, false}) {
    SwimHarness h;
    for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
    h.Settle();
    h.SetLive("p0", p0_live);  // live: answers pings, never refutes
    for (std::uint64_t i = 0; i < 3; ++i) {
      h.From("p1", SuspectMsg{"self", h.swim().Self().incarnation, "p1"});
    }
    REQUIRE(h.swim().HealthScore() == 3);
    h.From("p1", SuspectMsg{"p0", 0, "p1"});
    h.From("p2", SuspectMsg{"p0", 0, "p2"});  // confirmed: deadline at 3.5 s
    h.Advance(6s, 5ms);
    if (p0_live) {
      CHECK(StateOf(h, "p0") == MemberState::kSuspect);  // it answered: extended
      h.From("p0", AliveMsg{"p0", "p0:1", 1, {}, {}});
      CHECK(StateOf(h, "p0") == MemberState::kAlive);
      CHECK(h.runtime().CountEvents(EventType::kFailed, "p0") == 0);
    } else {
      CHECK(StateOf(h, "p0") == MemberState::kFailed);
    }
  }
}

TEST_CASE("swim: a doubtful agent's final check waits at most kFinalCheckMaxScale probe timeouts",
          "[swim][suspicion][awareness]") {
  // At a heal the small side's health score is at its top: a final check
  // scaled by it kept a crash of the other side up for 4.5 s per check.
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  h.SetLive("p0", false);
  for (int i = 0; i < 8; ++i) {
    h.From("p1", SuspectMsg{"self", h.swim().Self().incarnation, "p1"});
  }
  REQUIRE(h.swim().HealthScore() >= 6);
  h.From("p1", SuspectMsg{"p0", 0, "p1"});
  h.From("p2", SuspectMsg{"p0", 0, "p2"});  // confirmed: deadline at 3.5 s
  h.Advance(3500ms - 5ms, 5ms);
  REQUIRE(StateOf(h, "p0") == MemberState::kSuspect);
  REQUIRE(h.swim().HealthScore() > tuning::kFinalCheckMaxScale);  // scaled, it would wait longer
  h.Advance(Config{}.probe_timeout * tuning::kFinalCheckMaxScale + 20ms, 5ms);
  CHECK(StateOf(h, "p0") == MemberState::kFailed);
}

TEST_CASE("swim: buddy system - the suspect is told directly", "[swim][suspicion]") {
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(3s);
  h.SetLive("p0", false);
  h.Sent();
  while (StateOf(h, "p0") != MemberState::kSuspect) h.Advance(5ms, 5ms);
  std::vector<SentDatagram> to_p0;
  for (auto& d : h.Sent()) {
    if (d.to == "p0:1") to_p0.push_back(d);
  }
  CHECK(CountMessages<SuspectMsg>(to_p0, [](const SuspectMsg& s) { return s.name == "p0"; }) >= 1);
}

TEST_CASE("swim: a local pause discards heartbeat evidence and raises the health score",
          "[swim][pause]") {
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  // Heartbeats from every peer every 500 ms, for 10 s.
  for (int t = 0; t < 20; ++t) {
    for (int i = 0; i < 5; ++i) h.From("p" + std::to_string(i), HeartbeatMsg{0});
    h.Advance(500ms);
  }
  REQUIRE(h.swim().counters().local_pauses == 0);
  // Paused for 3 s: nothing ran. Then the late tick, then the backlog.
  h.Jump(3s);
  h.TickNow();
  for (int i = 0; i < 5; ++i) h.From("p" + std::to_string(i), HeartbeatMsg{0});
  CHECK(h.swim().counters().local_pauses == 1);
  // +2 for the pause, -1 for the probe that the late tick sent and that was answered.
  CHECK(h.swim().HealthScore() >= tuning::kLocalPausePenalty - 1);
  h.Advance(2s);
  for (int i = 0; i < 5; ++i) {
    INFO("p" << i);
    CHECK(StateOf(h, "p" + std::to_string(i)) == MemberState::kAlive);
  }
  CHECK(h.swim().counters().suspicions == 0);
}

TEST_CASE("swim: phi crossing triggers a verification probe on every path", "[swim][phi]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(1s);
  // Find our subjects: feed heartbeats from everyone; only subjects get a phi.
  const std::string subject = HeartbeatsThenSubject(h, 6, 20);
  REQUIRE(!subject.empty());
  // The subject's heartbeats stop (we feed the others), but it answers pings.
  h.Sent();
  const std::uint64_t streams_before = h.swim().counters().stream_probes;
  for (int t = 0; t < 6; ++t) {
    BeatAllBut(h, 6, subject);
    h.Advance(500ms, 5ms);
  }
  CHECK(h.swim().counters().stream_probes > streams_before);
  CHECK(h.swim().counters().indirect_probes > 0);
  CHECK(StateOf(h, subject) == MemberState::kAlive);  // it answered: no suspicion
  CHECK(h.swim().counters().phi_checks == 1);
  CHECK(h.swim().counters().phi_checks_answered == 1);
  // It answered, so no further check until its next heartbeat; the history
  // stays (the late heartbeat will be a sample of this link).
  CHECK(h.swim().Member(subject, h.now())->phi.has_value());
  // Still silent toward us ten heartbeat intervals after it answered: it does
  // not send us heartbeats at all, and the history is forgotten.
  for (int t = 0; t < 12; ++t) {
    BeatAllBut(h, 6, subject);
    h.Advance(500ms, 5ms);
  }
  CHECK(h.swim().counters().phi_checks == 1);
  CHECK_FALSE(h.swim().Member(subject, h.now())->phi.has_value());
  CHECK(h.swim().counters().suspicions == 0);
}

TEST_CASE("swim: a heartbeat late enough to be checked is learned once the member answered",
          "[swim][phi]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(1s);
  const std::string subject = HeartbeatsThenSubject(h, 6, 20);
  REQUIRE(!subject.empty());
  const Duration before = h.swim().Member(subject, h.now())->detector->expected_interval;
  // Three heartbeats lost in a row; it answers the check phi starts.
  for (int t = 0; t < 4; ++t) {
    BeatAllBut(h, 6, subject);
    h.Advance(500ms, 5ms);
  }
  REQUIRE(h.swim().counters().phi_checks_answered == 1);
  BeatAllBut(h, 6, "");
  h.Advance(1ms);
  // The 2 s interval entered the window (a forgotten history would restart
  // from the 500 ms first-heartbeat estimate).
  const auto info = h.swim().Member(subject, h.now());
  REQUIRE(info->detector.has_value());
  CHECK(info->detector->expected_interval > before);
  CHECK(StateOf(h, subject) == MemberState::kAlive);
  CHECK(h.swim().counters().suspicions == 0);
}

TEST_CASE(
    "swim: observed members carry the detector's estimate, and fed heartbeats reach the runtime",
    "[swim][phi]") {
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(1s);
  h.runtime().Clear();
  std::map<std::string, std::vector<TimePoint>> sent;
  for (int t = 0; t < 20; ++t) {
    for (int i = 0; i < 6; ++i) {
      const std::string name = "p" + std::to_string(i);
      h.From(name, HeartbeatMsg{0});
      sent[name].push_back(h.now());
      // A duplicate right behind it: a burst, not fed to the detector.
      if (t == 10) h.From(name, HeartbeatMsg{0});
    }
    h.Advance(500ms);
  }
  std::map<std::string, std::vector<TimePoint>> fed;
  for (const auto& [subject, at] : h.runtime().heartbeats_fed) fed[subject].push_back(at);
  int observed = 0;
  for (const auto& m : h.swim().Members(h.now())) {
    INFO(m.name);
    if (m.name == "self") continue;
    // The hook fires exactly for the subjects, with every arrival fed.
    CHECK(m.phi.has_value() == m.detector.has_value());
    if (!m.detector) {
      CHECK(fed.count(m.name) == 0);
      continue;
    }
    ++observed;
    CHECK(fed[m.name] == sent[m.name]);
    // Exactly 500 ms apart (the bootstrap seeds average 500 ms too): the
    // empirical model's cutoff is a few kernel bandwidths (the 1 ms floor)
    // above them.
    CHECK(m.detector->expected_interval > 500ms - 1us);
    CHECK(m.detector->expected_interval < 500ms + 1us);
    CHECK(m.detector->suspect_after > 500ms);
    CHECK(m.detector->suspect_after < 510ms);
    CHECK(m.detector->suspect_at == sent[m.name].back() + m.detector->suspect_after);
  }
  CHECK(observed == static_cast<int>(h.swim().config().observers));
}

TEST_CASE("swim: joins through a seed, retrying with backoff", "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.join_retry_initial = 1s;
  config.join_retry_max = 4s;
  config.join_timeout = 20s;
  SwimHarness h(config);
  h.swim().Join({"seed:1", "self:1"}, h.now());  // our own address is skipped
  h.TickNow();                                   // moves the join request to the harness
  auto& pending = h.pending_streams_;
  std::vector<TimePoint> attempts;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].to == "seed:1");
    attempts.push_back(h.now());
    const StreamId id = pending[0].id;
    pending.clear();
    h.swim().HandleStreamResult(id, StreamResult::NotAnswered(StreamResult::Kind::kFailed),
                                h.now());
    CHECK_FALSE(h.swim().Joined());
    while (pending.empty()) h.Advance(10ms, 10ms);
  }
  // Backoff doubles (with up to 20% jitter) and stops at join_retry_max.
  CHECK(attempts[1] - attempts[0] >= 1s);
  CHECK(attempts[1] - attempts[0] < 1'250ms);
  CHECK(attempts[2] - attempts[1] >= 2s);
  CHECK(attempts[3] - attempts[2] >= 4s);
  CHECK(attempts[3] - attempts[2] < 4'850ms);

  // This time the seed answers with its table.
  Inspector stream_inspector(detail::Channel::kStream);
  const auto* request = stream_inspector.Decode(pending[0].request);
  REQUIRE(request != nullptr);
  const auto& pp = std::get<detail::PushPullMsg>(request->messages.front());
  CHECK(pp.join);
  REQUIRE(pp.members.size() == 1);
  CHECK(pp.members[0].name == "self");

  detail::Encoder seed_encoder("default", "seed");
  std::string envelope = seed_encoder.header();
  detail::PushPullMsg state;
  state.members.push_back({"seed", "seed:1", 3, MemberState::kAlive, {}, {}});
  state.members.push_back({"other", "other:1", 1, MemberState::kAlive, {}, {}});
  state.members.push_back({"dead", "dead:1", 1, MemberState::kFailed, {}, {}});
  seed_encoder.AppendMessage(state, envelope);
  std::vector<std::uint8_t> response;
  detail::Encoder::Frame(detail::Channel::kStream, envelope, response);
  h.swim().HandleStreamResult(pending[0].id, StreamResult::Answered(response), h.now());
  CHECK(h.swim().Joined());
  CHECK(StateOf(h, "seed") == MemberState::kAlive);
  CHECK(StateOf(h, "other") == MemberState::kAlive);
  // Departed members are listed too (F1: a joiner's view matches the others'),
  // without events: they were gone before we knew them.
  CHECK(StateOf(h, "dead") == MemberState::kFailed);
  CHECK(h.runtime().CountEvents(EventType::kJoined, "dead") == 0);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "dead") == 0);
  CHECK(h.swim().counters().push_pulls == 1);
}

TEST_CASE("swim: join gives up after join_timeout", "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.join_timeout = 5s;
  SwimHarness h(config);
  h.swim().Join({"seed:1"}, h.now());
  h.TickNow();
  for (int i = 0; i < 40 && !h.swim().JoinFailed(); ++i) {
    auto streams = std::move(h.pending_streams_);
    h.pending_streams_.clear();
    for (const auto& s : streams) {
      h.swim().HandleStreamResult(s.id, StreamResult::NotAnswered(StreamResult::Kind::kFailed),
                                  h.now());
    }
    h.Advance(500ms, 10ms);
  }
  CHECK(h.swim().JoinFailed());
  CHECK_FALSE(h.swim().Joined());
  CHECK(h.now() - T0() <= 6s);
}

TEST_CASE("swim: joining with no seeds starts a cluster of one", "[swim][join]") {
  SwimHarness h;
  h.swim().Join({}, h.now());
  CHECK(h.swim().Joined());
  CHECK(h.swim().GetQuorum().alive == 1);
  CHECK(h.swim().GetQuorum().has_majority);
}

TEST_CASE("swim: answers stream requests (push-pull and fallback ping)", "[swim][stream]") {
  SwimHarness h;
  h.Learn("p1", 2);
  detail::Encoder encoder("default", "joiner");
  std::string envelope = encoder.header();
  detail::PushPullMsg state;
  state.join = true;
  state.members.push_back({"joiner", "joiner:1", 0, MemberState::kAlive, {}, {}});
  encoder.AppendMessage(state, envelope);
  std::vector<std::uint8_t> request;
  detail::Encoder::Frame(detail::Channel::kStream, envelope, request);
  const auto response = h.swim().HandleStreamRequest("joiner:1", request, h.now());
  CHECK(h.swim().Joined());  // someone joined through us
  CHECK(StateOf(h, "joiner") == MemberState::kAlive);
  Inspector inspector(detail::Channel::kStream);
  const auto* e = inspector.Decode(response);
  REQUIRE(e != nullptr);
  const auto& table = std::get<detail::PushPullMsg>(e->messages.front());
  // self and p1: not the joiner's own entry, which the request carried.
  REQUIRE(table.members.size() == 2);
  CHECK(table.members[0].name != "joiner");
  CHECK(table.members[1].name != "joiner");
  // A join announced only (another seed sends the table): the summary back.
  state.summary_only = true;
  envelope = encoder.header();
  encoder.AppendMessage(state, envelope);
  detail::Encoder::Frame(detail::Channel::kStream, envelope, request);
  const auto* summary =
      inspector.Decode(h.swim().HandleStreamRequest("joiner:1", request, h.now()));
  REQUIRE(summary != nullptr);
  CHECK(std::get<detail::PushPullMsg>(summary->messages.front()).members.empty());

  envelope = encoder.header();
  encoder.AppendMessage(PingMsg{9, "self", 0}, envelope);
  detail::Encoder::Frame(detail::Channel::kStream, envelope, request);
  const auto ack = h.swim().HandleStreamRequest("joiner:1", request, h.now());
  const auto* a = inspector.Decode(ack);
  REQUIRE(a != nullptr);
  CHECK(std::get<AckMsg>(a->messages.front()).seq == 9);

  std::vector<std::uint8_t> garbage = {0xB7, 9, 1};  // a fixed64 field cut short
  CHECK(h.swim().HandleStreamRequest("joiner:1", garbage, h.now()).empty());
  CHECK(h.swim().counters().dropped[static_cast<int>(DropReason::kMalformed)] == 1);
}

TEST_CASE("swim: graceful leave spreads left and completes", "[swim][leave]") {
  SwimHarness h;
  for (int i = 0; i < 5; ++i) h.Learn("p" + std::to_string(i));
  h.Advance(1s);
  h.Sent();
  h.swim().Leave(h.now());
  h.TickNow();
  CHECK(h.swim().Self().state == MemberState::kLeft);
  CHECK(h.swim().Self().incarnation == 1);
  // Sent at once to the observers and others, retransmit-limit times in all
  // (4 * ceil(log10(7)) = 4): then the leave is complete.
  CHECK(CountMessages<LeftMsg>(h.Sent(), [](const LeftMsg& l) { return l.name == "self"; }) == 4);
  CHECK(h.swim().LeaveComplete());
  CHECK_FALSE(h.swim().SetTags({{"a", "b"}}, h.now()));
  // A leaving member does not refute.
  h.From("p1", SuspectMsg{"self", 1, "p1"});
  CHECK(h.swim().Self().state == MemberState::kLeft);
}

TEST_CASE("swim: leave completes at the deadline even if nothing could be sent", "[swim][leave]") {
  SwimHarness h;
  h.swim().Leave(h.now());
  CHECK(h.swim().LeaveComplete());  // nobody to tell
}

TEST_CASE("swim: tags are validated and spread as an update", "[swim][tags]") {
  SwimHarness h;
  h.Learn("p1");
  CHECK_FALSE(h.swim().SetTags({{"", "x"}}, h.now()));
  CHECK_FALSE(h.swim().SetTags({{"k", std::string(600, 'v')}}, h.now()));
  CHECK_FALSE(h.swim().SetTags({{"k", std::string("\xff", 1)}}, h.now()));
  CHECK(h.swim().Self().incarnation == 0);
  CHECK(h.swim().SetTags({{"role", "primary"}}, h.now()));
  CHECK(h.swim().Self().incarnation == 1);
  CHECK(h.swim().Self().tags.at("role") == "primary");
  h.Advance(1s);
  CHECK(CountMessages<AliveMsg>(h.Sent(), [](const AliveMsg& a) {
          return a.name == "self" && a.tags.size() == 1;
        }) >= 1);
}

TEST_CASE("swim: a name claimed at a second address is logged, not merged", "[swim][conflict]") {
  SwimHarness h;
  h.Learn("p1", 1);
  h.From("p2", AliveMsg{"p1", "elsewhere:1", 5, {}, {}});
  const auto m = h.swim().Member("p1", h.now());
  CHECK(m->address == "p1:1");
  CHECK(m->incarnation == 1);
  CHECK(h.swim().counters().name_conflicts == 1);
  REQUIRE(!h.runtime().logs.empty());
  CHECK(h.runtime().logs.back().first == LogLevel::kWarn);
  // Once the first one is failed, the name may move (a restart elsewhere).
  h.From("p2", FailedMsg{"p1", 1, "p2"});
  h.From("p2", AliveMsg{"p1", "elsewhere:1", 5, {}, {}});
  CHECK(h.swim().Member("p1", h.now())->address == "elsewhere:1");
  CHECK(h.runtime().CountEvents(EventType::kJoined, "p1") == 2);
}

TEST_CASE("swim: reaped members leave a tombstone that blocks old news", "[swim][reap]") {
  Config config = SwimHarness::DefaultConfig();
  config.reap_after = 10s;
  SwimHarness h(config);
  h.Learn("p1", 3);
  h.Learn("p2");
  h.Settle();
  h.From("p2", FailedMsg{"p1", 3, "p2"});
  h.Advance(11s);
  CHECK_FALSE(h.swim().Member("p1", h.now()).has_value());  // reaped
  h.From("p2", AliveMsg{"p1", "p1:1", 3, {}, {}});          // stale
  CHECK_FALSE(h.swim().Member("p1", h.now()).has_value());
  // A restarted p1 that talks to us is told how it ended, and can refute.
  h.Sent();
  h.From("p1", HeartbeatMsg{0});
  CHECK(CountMessages<FailedMsg>(h.Sent(), [](const FailedMsg& f) {
          return f.name == "p1" && f.incarnation == 3;
        }) == 1);
  h.From("p1", AliveMsg{"p1", "p1:1", 4, {}, {}});
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: quorum lost and regained, carried on events", "[swim][quorum]") {
  SwimHarness h;
  h.Learn("p1");
  h.Learn("p2");
  h.Settle();
  CHECK(h.swim().GetQuorum().alive == 3);
  CHECK(h.swim().GetQuorum().has_majority);
  h.From("p1", FailedMsg{"p2", 0, "p1"});
  CHECK(h.swim().GetQuorum().has_majority);  // 2 of 3
  CHECK(h.runtime().events.back().quorum.alive == 2);
  // (Heard from a third member: p2's own word would be distrusted, it is failed.)
  h.From("p3", FailedMsg{"p1", 0, "p3"});
  const Quorum q = h.swim().GetQuorum();
  CHECK(q.alive == 1);
  CHECK(q.members == 3);
  CHECK_FALSE(q.has_majority);
  CHECK(h.runtime().events.back().type == EventType::kQuorumLost);
  CHECK_FALSE(h.runtime().events.back().quorum.has_majority);
  h.From("p1", AliveMsg{"p1", "p1:1", 1, {}, {}});
  CHECK(h.runtime().events.back().type == EventType::kQuorumRegained);
  // Left members do not count.
  h.From("p2", LeftMsg{"p2", 1});
  CHECK(h.swim().GetQuorum().members == 2);
}

TEST_CASE("swim: a failed claim by an accuser that was cut off is verified first",
          "[swim][suspicion]") {
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3", "p4"}) h.Learn(name);
  h.Settle();
  h.From("p3", FailedMsg{"p1", 0, "p3"});
  REQUIRE(StateOf(h, "p1") == MemberState::kFailed);
  // p1, failed here, accuses p2 (p4 passes it on): it judged from its own
  // isolation. p2 is checked on every path, answers, and nobody hears of a
  // suspicion. p2 is told of the claim naming p1, not us: a live p2 syncs
  // with its accuser (the other side of a cut).
  h.Sent();
  h.From("p4", FailedMsg{"p2", 0, "p1"});
  const auto sent = h.Sent();
  CHECK(CountMessages<FailedMsg>(sent, [](const FailedMsg& f) {
          return f.name == "p2" && f.from == "p1";
        }) >= 1);
  CHECK(CountMessages<PingMsg>(sent, [](const PingMsg& p) { return p.target == "p2"; }) >= 1);
  h.Advance(1s);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p2") == 0);
  CHECK(h.swim().counters().distrusted_failures == 1);
  // p1 refutes and is back; its accusations are still checked for a while.
  // This time the accused is silent on every path: failed, with the check
  // as our own verdict (no suspicion to wait out).
  h.From("p1", AliveMsg{"p1", "p1:1", 1, {}, {}});
  h.SetLive("p3", false);
  h.From("p1", FailedMsg{"p3", 0, "p1"});
  CHECK(StateOf(h, "p3") == MemberState::kAlive);
  h.Advance(Config{}.probe_timeout + 10ms, 10ms);
  CHECK(StateOf(h, "p3") == MemberState::kFailed);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p3") == 1);
  CHECK(h.swim().counters().distrusted_failures == 2);
  CHECK(h.swim().CheckInvariants() == "");
  // A live member's accusation is taken as it is.
  h.From("p4", FailedMsg{"p2", 0, "p4"});
  CHECK(StateOf(h, "p2") == MemberState::kFailed);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p2") == 1);
}

TEST_CASE("swim: claim checks are capped, beyond the cap they wait, one per member",
          "[swim][suspicion][partition]") {
  // A heal: p0, back from a cut-off, repeats its stale `failed` claims about
  // twelve members. At most tuning::kMaxClaimChecks are checked at once; the
  // rest wait their turn, and a claim whose member refuted meanwhile is
  // dropped without a check.
  SwimHarness h;
  for (int i = 0; i < 14; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  h.From("p13", FailedMsg{"p0", 0, "p13"});
  h.From("p0", AliveMsg{"p0", "p0:1", 1, {}, {}});  // p0 came back: alive here only lately
  for (int i = 1; i <= 12; ++i) h.SetLive("p" + std::to_string(i), false);
  const std::uint64_t before = h.swim().counters().claim_checks;
  for (int i = 1; i <= 12; ++i) {
    const std::string name = "p" + std::to_string(i);
    h.From("p0", FailedMsg{name, 0, "p0"});
    h.From("p0", FailedMsg{name, 0, "p0"});  // repeated: still one check, one wait
  }
  CHECK(h.swim().counters().claim_checks - before == tuning::kMaxClaimChecks);
  CHECK(h.swim().counters().claim_checks_waited == 12 - tuning::kMaxClaimChecks);
  // p12 waits, and refutes: its claim is settled without a check.
  h.From("p12", AliveMsg{"p12", "p12:1", 1, {}, {}});
  h.Advance(3 * Config{}.probe_timeout, 10ms);
  CHECK(h.swim().counters().claim_checks - before == 11);
  for (int i = 1; i <= 11; ++i) CHECK(StateOf(h, "p" + std::to_string(i)) == MemberState::kFailed);
  CHECK(StateOf(h, "p12") == MemberState::kAlive);
  CHECK(StateOf(h, "p13") == MemberState::kAlive);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: after a comeback, members still held failed are told so every probe interval",
          "[swim][partition]") {
  // A heal: p1 comes back from failed. p2's refutation may have been lost in
  // the burst, so p2 (still failed here) hears of it every probe interval for
  // a while, not only at the next reconnect_interval.
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3", "p4"}) h.Learn(name);
  h.Settle();
  h.From("p4", FailedMsg{"p1", 0, "p4"});
  h.From("p4", FailedMsg{"p2", 0, "p4"});
  REQUIRE(StateOf(h, "p2") == MemberState::kFailed);
  h.Sent();
  h.From("p3", AliveMsg{"p1", "p1:1", 1, {}, {}});  // p1 refuted: back
  REQUIRE(StateOf(h, "p1") == MemberState::kAlive);
  h.Advance(4'500ms, 10ms);
  std::vector<SentDatagram> to_p2;
  for (auto& d : h.Sent()) {
    if (d.to == "p2:1") to_p2.push_back(d);
  }
  const int notices =
      CountMessages<FailedMsg>(to_p2, [](const FailedMsg& f) { return f.name == "p2"; });
  CHECK(notices >= 4);
  CHECK(notices <= 6);  // once per probe interval
}

TEST_CASE("swim: a failed claim by a member known only lately is verified first",
          "[swim][suspicion]") {
  // A joiner (or a member that just joined) has no history of the accuser:
  // the accuser may be an agent cut off until a moment ago.
  SwimHarness h;
  h.Learn("p1");
  h.Learn("p2");
  h.From("p1", FailedMsg{"p2", 0, "p1"});
  h.Advance(1s);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);  // it answered
  CHECK(h.swim().counters().distrusted_failures == 1);
  // A member nobody told us about yet is trusted (there is nothing to weigh).
  h.From("p9", FailedMsg{"p1", 0, "p9"});
  CHECK(StateOf(h, "p1") == MemberState::kFailed);
  CHECK(h.swim().counters().distrusted_failures == 1);
}

TEST_CASE("swim: a push-pull peer's failed claim is verified, and a silent member fails",
          "[swim][pushpull]") {
  // The peer may be stale (cut off from the member), or we may be (cut off
  // while the member crashed, its failure gossiped out before we were back).
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3"}) h.Learn(name);
  h.Settle();
  h.SetLive("p2", false);
  h.Sent();
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p1", "p1:1", 0, MemberState::kFailed, {}, {}},
                        {"p2", "p2:1", 0, MemberState::kFailed, {}, {}}});
  // Both are told (a live one refutes) and checked at once.
  const auto sent = h.Sent();
  for (const char* name : {"p1", "p2"}) {
    CHECK(CountMessages<FailedMsg>(sent, [name](const FailedMsg& f) { return f.name == name; }) >=
          1);
  }
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);
  h.Advance(Config{}.probe_timeout + 10ms, 10ms);
  CHECK(StateOf(h, "p1") == MemberState::kAlive);  // it answered
  CHECK(StateOf(h, "p2") == MemberState::kFailed);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p1") == 0);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: a claim check whose verdict was withheld is run again later",
          "[swim][pushpull][gray]") {
  // A heal: our last rounds went across the cut and heard nobody, so our link
  // looks poor for a moment, and a peer's table says p2 (crashed on the other
  // side meanwhile) failed. The check of that claim hears nothing, but we
  // withhold the verdict (the silence may be ours); dropping the claim there
  // left p2 up in our view. It is checked again once our link looks sound.
  SwimHarness h;
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  LinkBreaks(h, 6500ms);  // three silent rounds recorded by then: poor
  const std::uint64_t withheld = h.swim().counters().accusations_withheld;
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p2", "p2:1", 0, MemberState::kFailed, {}, {}}});
  h.Advance(Config{}.probe_timeout + 10ms, 10ms);
  CHECK(h.swim().counters().accusations_withheld > withheld);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);
  LinkHeals(h);
  h.SetLive("p2", false);
  const std::uint64_t checks = h.swim().counters().claim_checks;
  // Checked again a probe interval later, until the verdict counts: failed,
  // with the peer's claim as the second verdict (no suspicion first).
  h.Advance(tuning::kClaimRechecks * (Config{}.probe_interval + Config{}.probe_timeout), 10ms);
  CHECK(h.swim().counters().claim_checks > checks);
  CHECK(StateOf(h, "p2") == MemberState::kFailed);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p2") == 0);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: a failed claim about a member we suspect is checked again when withheld",
          "[swim][pushpull][gray]") {
  // As above, but we come to suspect p2 while the failed claim's check runs:
  // a suspicion nobody confirms (the others failed p2 long ago) runs to its
  // longest timeout. The check hears nothing while our link looks poor;
  // checked again once it looks sound, the claim fails p2 long before that. (Long
  // suspicions here, as in a large cluster: the timeout grows with log N.)
  Config config = SwimHarness::DefaultConfig();
  config.suspicion_min_multiplier = 12;
  SwimHarness h(config);
  for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
  h.Settle();
  LinkBreaks(h, 6500ms);
  const std::uint64_t withheld = h.swim().counters().accusations_withheld;
  // The claim's check starts; meanwhile p4's suspicion of p2 arrives.
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p2", "p2:1", 0, MemberState::kFailed, {}, {}}});
  h.Advance(10ms);
  h.From("p4", SuspectMsg{"p2", 0, "p4"});
  REQUIRE(StateOf(h, "p2") == MemberState::kSuspect);
  const TimePoint suspected = h.now();
  h.Advance(config.probe_timeout, 10ms);
  CHECK(h.swim().counters().accusations_withheld > withheld);
  CHECK(StateOf(h, "p2") == MemberState::kSuspect);
  LinkHeals(h);
  h.SetLive("p2", false);
  const Duration shortest =
      detail::SuspicionMinTimeout(config.suspicion_min_multiplier, config.probe_interval, 7);
  while (StateOf(h, "p2") != MemberState::kFailed && h.now() - suspected < shortest * 10) {
    h.Advance(100ms, 10ms);
  }
  CHECK(StateOf(h, "p2") == MemberState::kFailed);
  CHECK(h.now() - suspected < shortest);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: a verification whose stream probe is refused gives its verdict early",
          "[swim][probe]") {
  // p1's process is gone (its port refuses connections); p2 is silent (a
  // crashed host, or a partition): both are claimed failed by a peer.
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3"}) h.Learn(name);
  h.Settle();
  h.SetLive("p1", false);
  h.SetRefusing("p1", true);
  h.SetLive("p2", false);
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p1", "p1:1", 0, MemberState::kFailed, {}, {}},
                        {"p2", "p2:1", 0, MemberState::kFailed, {}, {}}});
  const Duration timeout = Config{}.probe_timeout;
  const auto early =
      std::chrono::duration_cast<Duration>(timeout * tuning::kRefusedVerdictFraction);
  h.Advance(early + 10ms, 5ms);
  CHECK(StateOf(h, "p1") == MemberState::kFailed);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);  // waits for its whole timeout
  CHECK(h.swim().counters().refused_stream_probes >= 1);
  h.Advance(timeout, 5ms);
  CHECK(StateOf(h, "p2") == MemberState::kFailed);
  CHECK(h.swim().CheckInvariants() == "");
}

TEST_CASE("swim: a refused stream probe does not overrule a datagram answer", "[swim][probe]") {
  // Only TCP is rejected (a firewall): the member answers by datagram.
  SwimHarness h;
  for (const char* name : {"p1", "p3"}) h.Learn(name);
  h.Settle();
  h.SetRefusing("p1", true);
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p1", "p1:1", 0, MemberState::kFailed, {}, {}}});
  h.Advance(Config{}.probe_timeout + 10ms, 5ms);
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p1") == 0);
}

TEST_CASE("swim: a push-pull peer's suspicion is checked, not spread", "[swim][pushpull]") {
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3"}) h.Learn(name);
  h.Settle();
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p1", "p1:1", 0, MemberState::kSuspect, {}, {}}});
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
  h.Advance(2s);
  CHECK(StateOf(h, "p1") == MemberState::kAlive);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p1") == 0);
  // Silent: suspected after the check, by us.
  h.SetLive("p1", false);
  h.PushPullFrom("p3", {{"p3", "p3:1", 0, MemberState::kAlive, {}, {}},
                        {"p1", "p1:1", 0, MemberState::kSuspect, {}, {}}});
  h.Advance(Config{}.probe_timeout + 10ms, 10ms);
  CHECK(StateOf(h, "p1") == MemberState::kSuspect);
  CHECK(h.swim().counters().suspicions == 1);
}

TEST_CASE("swim: a suspicion from an accuser held down is checked, not spread",
          "[swim][suspicion]") {
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3"}) h.Learn(name);
  h.Settle();
  h.From("p3", FailedMsg{"p1", 0, "p3"});
  REQUIRE(StateOf(h, "p1") == MemberState::kFailed);
  h.From("p1", SuspectMsg{"p2", 0, "p1"});
  h.Advance(2s);
  CHECK(StateOf(h, "p2") == MemberState::kAlive);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p2") == 0);
}

TEST_CASE("swim: an agent told it is failed or suspect syncs its state with the accuser",
          "[swim][pushpull]") {
  // The accuser held us down, so it was on the other side of the cut; p1
  // only passes the claim on (it may be of our own side, as stale as we are).
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 30s;
  SwimHarness h(config);
  for (const char* name : {"p1", "p2", "p3"}) h.Learn(name);
  h.Settle();
  h.pending_streams_.clear();
  std::string peer = "p2:1";
  SECTION("failed") { h.From("p1", FailedMsg{"self", 0, "p2"}); }
  // The first word of a heal is often a suspicion; the failure claims after
  // it are then at the incarnation just refuted.
  SECTION("suspect") { h.From("p1", SuspectMsg{"self", 0, "p2"}); }
  SECTION("an accuser unknown here: the teller") {
    h.From("p1", FailedMsg{"self", 0, "p9"});
    peer = "p1:1";
  }
  CHECK(h.swim().Self().incarnation == 1);  // refuted
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(h.pending_streams_[0].to == peer);
  Inspector inspector(detail::Channel::kStream);
  const auto* request = inspector.Decode(h.pending_streams_[0].request);
  REQUIRE(request != nullptr);
  CHECK(std::get<detail::PushPullMsg>(request->messages.front()).members.size() == 4);
  // At most one such sync per kSyncAfterCutOffIntervals.
  h.From("p3", FailedMsg{"self", 1, "p3"});
  CHECK(h.swim().Self().incarnation == 2);
  CHECK(h.pending_streams_.size() == 1);
}

TEST_CASE("swim: a member back from failed is synced with", "[swim][pushpull]") {
  // One side of a heal: both views are stale. (With 3 live members every
  // one of them syncs; in a large cluster about tuning::kComebackSyncs do.)
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 30s;
  SwimHarness h(config);
  for (const char* name : {"p1", "p2"}) h.Learn(name);
  h.Settle();
  h.From("p2", FailedMsg{"p1", 0, "p2"});
  REQUIRE(StateOf(h, "p1") == MemberState::kFailed);
  h.pending_streams_.clear();
  h.From("p1", AliveMsg{"p1", "p1:1", 1, {}, {}});
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(h.pending_streams_[0].to == "p1:1");
}

TEST_CASE("swim: the periodic push-pull is a summary datagram, and a sync only if tables differ",
          "[swim][pushpull]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 5s;
  SwimHarness h(config);
  for (const char* name : {"p1", "p2"}) h.Learn(name);
  h.Advance(8s, 100ms);  // one period is 0.5x-1.5x the interval
  h.pending_streams_.clear();
  std::vector<detail::PushPullMsg> summaries;
  for (const auto& d : h.Sent()) {
    Inspector inspector;
    const auto* e = inspector.Decode(d.bytes);
    REQUIRE(e != nullptr);
    for (const auto& m : e->messages) {
      if (const auto* pp = std::get_if<detail::PushPullMsg>(&m)) summaries.push_back(*pp);
    }
  }
  REQUIRE_FALSE(summaries.empty());
  CHECK(summaries.front().count == 3);
  CHECK(summaries.front().members.empty());
  CHECK_FALSE(summaries.front().join);
  CHECK(h.swim().counters().streams_out == 0);

  // A member with the same table: nothing more to say.
  detail::PushPullMsg same = summaries.front();
  h.From("p1", same);
  CHECK(h.pending_streams_.empty());

  // A member whose table differs is sent ours by stream, once at a time.
  detail::PushPullMsg other = same;
  other.digest ^= 1;
  h.From("p2", other);
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(h.pending_streams_[0].to == "p2:1");
  Inspector stream_inspector(detail::Channel::kStream);
  const auto* request = stream_inspector.Decode(h.pending_streams_[0].request);
  REQUIRE(request != nullptr);
  CHECK(std::get<detail::PushPullMsg>(request->messages.front()).members.size() == 3);
  h.From("p2", other);
  CHECK(h.pending_streams_.size() == 1);

  // Strangers' summaries start at most tuning::kMaxSummarySyncs syncs at once.
  for (int i = 0; i < 10; ++i) h.From("stranger" + std::to_string(i), other);
  CHECK(h.pending_streams_.size() == tuning::kMaxSummarySyncs);
}

TEST_CASE("swim: an accuser back for longer than the distrust window is trusted again",
          "[swim][suspicion]") {
  SwimHarness h;
  h.Learn("p1");
  h.Learn("p2");
  h.From("p2", SuspectMsg{"p1", 0, "p2"});
  h.From("p1", AliveMsg{"p1", "p1:1", 1, {}, {}});  // p1 refuted: it came back
  h.Advance(Config{}.probe_interval * (tuning::kDistrustAfterComebackIntervals + 1), 100ms);
  REQUIRE(h.swim().Member("p1", h.now())->state == MemberState::kAlive);
  h.From("p1", FailedMsg{"p2", h.swim().Member("p2", h.now())->incarnation, "p1"});
  CHECK(h.swim().Member("p2", h.now())->state == MemberState::kFailed);
  CHECK(h.swim().counters().distrusted_failures == 0);
}

TEST_CASE("swim: a suspicion deadline confirmed into the past is not a local pause",
          "[swim][suspicion]") {
  // Confirmations shorten a suspicion; its new deadline may have passed
  // already. The core then wants a tick at once, and the tick that follows
  // must not look like a process that was paused (which would discard the
  // heartbeat history and slow every probe).
  SwimHarness h;
  for (const char* name : {"p1", "p2", "p3", "p4", "p5"}) h.Learn(name);
  h.Settle();
  const auto pauses = h.swim().counters().local_pauses;
  h.From("p2", SuspectMsg{"p1", 0, "p2"});
  h.Advance(3s, 100ms);  // past the minimum timeout, short of the maximum
  REQUIRE(StateOf(h, "p1") == MemberState::kSuspect);
  h.From("p3", SuspectMsg{"p1", 0, "p3"});
  h.From("p4", SuspectMsg{"p1", 0, "p4"});
  h.From("p5", SuspectMsg{"p1", 0, "p5"});
  CHECK(h.swim().NextWakeup() <= h.now());
  h.TickNow();
  CHECK(StateOf(h, "p1") == MemberState::kFailed);
  CHECK(h.swim().counters().local_pauses == pauses);
}

TEST_CASE("swim: same seed, same inputs, same outputs", "[swim][determinism]") {
  const auto run = [] {
    SwimHarness h;
    for (int i = 0; i < 6; ++i) h.Learn("p" + std::to_string(i));
    h.SetLive("p3", false);
    h.Advance(20s, 7ms);
    std::vector<std::vector<std::uint8_t>> out;
    for (auto& d : h.Sent()) out.push_back(d.bytes);
    return out;
  };
  CHECK(run() == run());
}

}  // namespace picket::membership::testing
