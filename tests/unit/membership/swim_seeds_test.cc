// How a join attempt ends for each stream outcome (answered, dropped,
// failed, refused, only this member), and two live
// processes with one name at the same incarnation.

#include <catch2/catch.hpp>

#include "membership/detail/codec.h"
#include "membership/swim.h"
#include "swim_harness.h"

namespace picket::membership::testing {
namespace {

using detail::AliveMsg;

using Kind = StreamResult::Kind;

// Ends every join stream the harness holds with `kind` (error text `error`).
void EndJoinStreams(SwimHarness& h, Kind kind, std::string_view error = {}) {
  auto streams = std::move(h.pending_streams_);
  h.pending_streams_.clear();
  for (const auto& s : streams) {
    h.swim().HandleStreamResult(s.id, StreamResult::NotAnswered(kind, error), h.now());
  }
}

// A push-pull answer from `sender`: its table of live `members` (addresses
// "<name>:1"); with none, a bare summary (what a peer whose table equals ours
// answers).
std::vector<std::uint8_t> TableFrom(const std::string& sender,
                                    const std::vector<std::string>& members) {
  detail::PushPullMsg state;
  std::vector<std::string> addresses;
  addresses.reserve(members.size());
  for (const std::string& m : members) addresses.push_back(m + ":1");
  for (std::size_t i = 0; i < members.size(); ++i) {
    state.members.push_back({members[i], addresses[i], 0, MemberState::kAlive, {}, {}});
  }
  return Peer(sender).StreamMessage(state);
}

// A join stream that asks the seed only for its summary (an announce).
bool IsSummaryOnly(const StartedStream& s) {
  Inspector inspector(detail::Channel::kStream);
  const auto* e = inspector.Decode(s.request);
  REQUIRE(e != nullptr);
  return std::get<detail::PushPullMsg>(e->messages.front()).summary_only;
}

bool Logged(SwimHarness& h, LogLevel level, std::string_view text) {
  for (const auto& [l, message] : h.runtime().logs) {
    if (l == level && message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("swim: a join whose every seed is this member starts a cluster of one, keeps the seeds",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 10s;
  config.join_timeout = 30s;
  SwimHarness h(config);
  h.swim().Join({"svc:1"}, h.now());  // a DNS name that resolves only to us
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 1);
  EndJoinStreams(h, Kind::kOnlySelf, "svc:1 resolves only to this agent");
  CHECK(h.swim().Joined());
  CHECK(Logged(h, LogLevel::kInfo, "every seed resolves to this agent (svc:1 resolves only"));
  CHECK(h.swim().GetQuorum().alive == 1);
  CHECK(h.swim().GetQuorum().has_majority);
  // No more join retries, and no give-up at join_timeout.
  h.Advance(40s, 100ms);
  CHECK_FALSE(h.swim().JoinFailed());
  // Alone, the periodic push-pull still tries the seed, so that a cluster
  // started beside this one merges with it.
  bool retried_seed = false;
  for (const auto& s : h.pending_streams_) retried_seed = retried_seed || s.to == "svc:1";
  CHECK(retried_seed);
  CHECK(h.swim().CheckInvariants().empty());
}

TEST_CASE("swim: a join attempt with one real seed down retries, even if the others are us",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.join_retry_initial = 1s;
  SwimHarness h(config);
  h.swim().Join({"a:1", "b:1"}, h.now());
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 2);
  auto streams = std::move(h.pending_streams_);
  h.pending_streams_.clear();
  const bool a_first = streams[0].to == "a:1";
  h.swim().HandleStreamResult(streams[a_first ? 0 : 1].id,
                              StreamResult::NotAnswered(Kind::kOnlySelf, "a:1: only us"),
                              h.now());
  h.swim().HandleStreamResult(streams[a_first ? 1 : 0].id,
                              StreamResult::NotAnswered(Kind::kRefused, "b:1: connection refused"),
                              h.now());
  CHECK_FALSE(h.swim().Joined());
  CHECK(Logged(h, LogLevel::kWarn, "join attempt 1 failed, seeds [a:1, b:1]"));
  CHECK(Logged(h, LogLevel::kWarn, "b:1: connection refused"));
  while (h.pending_streams_.empty()) h.Advance(10ms, 10ms);
  CHECK(h.pending_streams_.size() == 2);  // attempt 2
}

TEST_CASE("swim: a seed that answers with something we drop is a failed attempt, said so",
          "[swim][join]") {
  SwimHarness h;
  h.swim().Join({"seed:1"}, h.now());
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 1);
  const StreamId id = h.pending_streams_[0].id;
  h.pending_streams_.clear();
  // Another cluster's answer.
  detail::Encoder other("another-cluster", "seed");
  std::string envelope = other.header();
  other.AppendMessage(detail::PushPullMsg{}, envelope);
  std::vector<std::uint8_t> response;
  detail::Encoder::Frame(detail::Channel::kStream, envelope, response);
  h.swim().HandleStreamResult(id, StreamResult::Answered(response), h.now());
  CHECK_FALSE(h.swim().Joined());
  CHECK(h.swim().counters().dropped[static_cast<int>(DropReason::kWrongCluster)] == 1);
  CHECK(Logged(h, LogLevel::kWarn, "seed:1: answered, but the answer was dropped"));
}

TEST_CASE("swim: a join that succeeds is logged with its seed and attempt", "[swim][join]") {
  SwimHarness h;
  h.swim().Join({"seed:1"}, h.now());
  h.TickNow();
  EndJoinStreams(h, Kind::kFailed, "seed:1: timed out");
  while (h.pending_streams_.empty()) h.Advance(10ms, 10ms);
  const StreamId id = h.pending_streams_[0].id;
  h.pending_streams_.clear();
  h.swim().HandleStreamResult(id, StreamResult::Answered(TableFrom("seed", {"seed"})), h.now());
  CHECK(h.swim().Joined());
  CHECK(Logged(h, LogLevel::kInfo,
               "joined the cluster through seed seed:1 after 2 attempt(s): 2 of 2 members alive"));
}

TEST_CASE("swim: a join asks one seed for its table and announces itself to the others",
          "[swim][join]") {
  SwimHarness h;
  h.swim().Join({"a:1", "b:1", "c:1"}, h.now());
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 3);
  const auto streams = std::move(h.pending_streams_);
  h.pending_streams_.clear();
  std::vector<StartedStream> table_joins;
  std::vector<StartedStream> announces;
  for (const StartedStream& s : streams) {
    Inspector inspector(detail::Channel::kStream);
    const auto* e = inspector.Decode(s.request);
    REQUIRE(e != nullptr);
    const auto& pp = std::get<detail::PushPullMsg>(e->messages.front());
    CHECK(pp.join);
    CHECK(pp.members.size() == 1);  // ourselves
    (pp.summary_only ? announces : table_joins).push_back(s);
  }
  REQUIRE(table_joins.size() == 1);
  REQUIRE(announces.size() == 2);
  const auto name_of = [](const StartedStream& s) { return s.to.substr(0, s.to.find(':')); };
  const auto let_in = [&](const StartedStream& s) {
    h.swim().HandleStreamResult(s.id, StreamResult::Answered(TableFrom(name_of(s), {})), h.now());
  };
  // The next stream the core starts: the join that asks for a table.
  const auto asked_for_table = [&h]() {
    h.TickNow();
    REQUIRE(h.pending_streams_.size() == 1);
    const StartedStream s = h.pending_streams_.front();
    h.pending_streams_.clear();
    CHECK_FALSE(IsSummaryOnly(s));
    return s;
  };

  SECTION("the seed asked for its table sends it: joined") {
    let_in(announces[0]);
    CHECK_FALSE(h.swim().Joined());  // a summary alone: no table yet
    h.swim().HandleStreamResult(
        table_joins[0].id,
        StreamResult::Answered(TableFrom(name_of(table_joins[0]), {name_of(table_joins[0]), "x"})),
        h.now());
    CHECK(h.swim().Joined());
    CHECK(h.swim().Members(h.now()).size() == 3);
    let_in(announces[1]);
    h.TickNow();
    CHECK(h.pending_streams_.empty());
  }
  SECTION("it fails after another seed let us in: that seed is asked for its table") {
    let_in(announces[0]);
    h.swim().HandleStreamResult(table_joins[0].id, StreamResult::NotAnswered(Kind::kRefused),
                                h.now());
    const StartedStream retry = asked_for_table();
    CHECK(retry.to == announces[0].to);
    h.swim().HandleStreamResult(
        retry.id, StreamResult::Answered(TableFrom(name_of(retry), {name_of(retry)})), h.now());
    CHECK(h.swim().Joined());
    CHECK(Logged(h, LogLevel::kInfo, "joined the cluster through seed " + retry.to));
  }
  SECTION("it fails first: the next seed to let us in is asked for its table") {
    h.swim().HandleStreamResult(table_joins[0].id, StreamResult::NotAnswered(Kind::kRefused),
                                h.now());
    h.TickNow();
    CHECK(h.pending_streams_.empty());
    let_in(announces[1]);
    CHECK(asked_for_table().to == announces[1].to);
    CHECK_FALSE(h.swim().Joined());
  }
  SECTION("every seed fails: the attempt failed") {
    h.swim().HandleStreamResult(table_joins[0].id, StreamResult::NotAnswered(Kind::kRefused),
                                h.now());
    for (const StartedStream& s : announces) {
      h.swim().HandleStreamResult(s.id, StreamResult::NotAnswered(Kind::kRefused), h.now());
    }
    CHECK_FALSE(h.swim().Joined());
    CHECK(Logged(h, LogLevel::kWarn, "join attempt 1 failed"));
  }
}

// The kind of push-pull a stream request carries: a summary or a full table.
bool IsSummary(const StartedStream& s) {
  Inspector inspector(detail::Channel::kStream);
  const auto* e = inspector.Decode(s.request);
  REQUIRE(e != nullptr);
  const auto& pp = std::get<detail::PushPullMsg>(e->messages.front());
  CHECK_FALSE(pp.join);
  return pp.members.empty();
}

TEST_CASE("swim: after a join, summaries catch up until two peers in a row have our table",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 30s;  // catch-ups go with push-pull; the periodic one is later
  SwimHarness h(config);
  for (const char* peer : {"seed", "a", "b", "c"}) h.SetLive(peer, true);
  h.swim().Join({"seed:1"}, h.now());
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 1);
  h.swim().HandleStreamResult(h.pending_streams_[0].id,
                              StreamResult::Answered(TableFrom("seed", {"seed", "a", "b"})),
                              h.now());
  h.pending_streams_.clear();
  REQUIRE(h.swim().Joined());
  const auto interval = std::chrono::milliseconds(tuning::kCatchUpIntervalMs);

  // The next stream this member starts, and how long it took (bounded wait).
  auto next_stream = [&h](Duration within) {
    const TimePoint start = h.now();
    while (h.pending_streams_.empty() && h.now() - start < within) h.Advance(10ms, 10ms);
    return h.now() - start;
  };
  // A summary by stream to a random member, 0.5x to 1.5x the interval later.
  Duration waited = next_stream(interval * 2);
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(waited >= interval / 2);
  CHECK(waited <= interval * 3 / 2);
  CHECK(IsSummary(h.pending_streams_[0]));
  // The peer's table differs: it sends it, we merge it and send ours back.
  StartedStream catch_up = h.pending_streams_[0];
  h.pending_streams_.clear();
  h.swim().HandleStreamResult(catch_up.id,
                              StreamResult::Answered(TableFrom("a", {"seed", "a", "b", "c"})),
                              h.now());
  CHECK(h.swim().Members(h.now()).size() == 5);
  h.TickNow();  // the harness collects the streams the core started
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(h.pending_streams_[0].to == catch_up.to);
  CHECK_FALSE(IsSummary(h.pending_streams_[0]));
  h.pending_streams_.clear();
  // Two peers in a row with our table end it; one alone does not.
  for (int quiet = 0; quiet < tuning::kCatchUpQuietAnswers; ++quiet) {
    next_stream(interval * 2);
    REQUIRE(h.pending_streams_.size() == 1);
    CHECK(IsSummary(h.pending_streams_[0]));
    h.swim().HandleStreamResult(h.pending_streams_[0].id,
                                StreamResult::Answered(TableFrom("b", {})), h.now());
    h.pending_streams_.clear();
  }
  next_stream(interval * 8);
  CHECK(h.pending_streams_.empty());
}

TEST_CASE("swim: a catch-up that fails is tried again, a bounded number of times",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 30s;
  SwimHarness h(config);
  for (const char* peer : {"seed", "a"}) h.SetLive(peer, true);
  h.swim().Join({"seed:1"}, h.now());
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 1);
  h.swim().HandleStreamResult(h.pending_streams_[0].id,
                              StreamResult::Answered(TableFrom("seed", {"seed", "a"})), h.now());
  h.pending_streams_.clear();
  int started = 0;
  for (int i = 0; i < 1000 && started <= tuning::kMaxCatchUps; ++i) {  // 100 s
    h.Advance(100ms, 10ms);
    for (const auto& s : h.pending_streams_) {
      ++started;
      h.swim().HandleStreamResult(s.id, StreamResult::NotAnswered(Kind::kFailed), h.now());
    }
    h.pending_streams_.clear();
  }
  CHECK(started == tuning::kMaxCatchUps);
}

TEST_CASE("swim: a member others join through catches up too (a seed, the founder)",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 30s;
  SwimHarness h(config);
  h.SetLive("joiner", true);
  h.Advance(10s);
  CHECK(h.pending_streams_.empty());  // alone and never joined through: nothing to catch up
  detail::PushPullMsg join;
  join.join = true;
  join.members.push_back({"joiner", "joiner:1", 0, MemberState::kAlive, {}, {}});
  const auto request = Peer("joiner").StreamMessage(join);
  CHECK_FALSE(h.swim().HandleStreamRequest("joiner:1", request, h.now()).empty());
  h.Advance(std::chrono::milliseconds(tuning::kCatchUpIntervalMs) * 3 / 2 + 10ms);
  REQUIRE(h.pending_streams_.size() == 1);
  CHECK(h.pending_streams_[0].to == "joiner:1");
  CHECK(IsSummary(h.pending_streams_[0]));
}

TEST_CASE("swim: the same incarnation of a live name at another address is a conflict",
          "[swim][conflict]") {
  SwimHarness h;
  h.Learn("p1", 0);
  h.From("p2", AliveMsg{"p1", "elsewhere:1", 0, {}, {}});
  CHECK(h.swim().Member("p1", h.now())->address == "p1:1");
  CHECK(h.swim().counters().name_conflicts == 1);
  REQUIRE_FALSE(h.runtime().logs.empty());
  CHECK(h.runtime().logs.back().first == LogLevel::kWarn);
  // The same claim again at the same address is old news, not a conflict.
  h.From("p2", AliveMsg{"p1", "p1:1", 0, {}, {}});
  CHECK(h.swim().counters().name_conflicts == 1);
}

TEST_CASE("swim: our own name at our incarnation from another address is a conflict",
          "[swim][conflict]") {
  SwimHarness h;
  h.From("p2", AliveMsg{"self", "impostor:1", 0, {}, {}});
  CHECK(h.swim().counters().name_conflicts == 1);
  CHECK(h.swim().Self().incarnation == 0);  // no bidding war over the name
  CHECK(h.swim().Self().address == "self:1");
}

TEST_CASE("swim: a live name at a new address moves there once its old address is silent",
          "[swim][conflict][restart]") {
  // A restart at a new address (a rescheduled StatefulSet pod): the new
  // process starts at incarnation 0 again, and its old address is gone.
  SwimHarness h;
  h.Learn("p1", 0);
  h.Learn("p2", 0);
  h.SetLive("p1", false);
  h.SetRefusing("p1", true);
  h.runtime().events.clear();
  h.From("p2", AliveMsg{"p1", "p1-new:1", 0, {}, {}});
  h.Advance(300ms);  // a refused stream ping ends the check early
  auto m = h.swim().Member("p1", h.now());
  REQUIRE(m);
  CHECK(m->address == "p1-new:1");
  CHECK(m->state == MemberState::kAlive);
  CHECK(h.swim().counters().name_conflicts == 0);
  CHECK(h.runtime().CountEvents(EventType::kUpdated, "p1") == 1);
  CHECK(h.runtime().CountEvents(EventType::kSuspect, "p1") == 0);
  CHECK(h.runtime().CountEvents(EventType::kFailed, "p1") == 0);
  CHECK(Logged(h, LogLevel::kInfo, "p1 moved from p1:1 to p1-new:1"));
  // The new life outbids (incarnation 1); old news of incarnation 0 is void.
  h.From("p2", AliveMsg{"p1", "p1-new:1", 1, {}, {}});
  h.From("p2", detail::SuspectMsg{"p1", 0, "p2"});
  h.From("p2", AliveMsg{"p1", "p1:1", 0, {}, {}});
  m = h.swim().Member("p1", h.now());
  CHECK(m->address == "p1-new:1");
  CHECK(m->incarnation == 1);
  CHECK(m->state == MemberState::kAlive);
  CHECK(h.swim().counters().name_conflicts == 0);
}

TEST_CASE("swim: a newer life at a new address waits for the old address's verdict",
          "[swim][conflict][restart]") {
  SwimHarness h;
  h.Learn("p1", 3);
  h.SetLive("p1", false);  // silent, but no refusal: the whole check runs
  h.From("p2", AliveMsg{"p1", "p1-new:1", 7, {{"role", "db"}}, {}});
  CHECK(h.swim().Member("p1", h.now())->address == "p1:1");  // not yet
  h.Advance(700ms);  // the whole check: probe_timeout
  const auto m = h.swim().Member("p1", h.now());
  CHECK(m->address == "p1-new:1");
  CHECK(m->incarnation == 7);
  CHECK(m->tags.at("role") == "db");
  CHECK(m->state == MemberState::kAlive);
  CHECK(h.swim().counters().name_conflicts == 0);
}

}  // namespace
}  // namespace picket::membership::testing
