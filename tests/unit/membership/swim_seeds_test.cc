// Joining when every seed is this member (BootstrapAlone), and two live
// processes with one name at the same incarnation.

#include <catch2/catch.hpp>

#include "membership/swim.h"
#include "swim_harness.h"

namespace picket::membership::testing {
namespace {

using detail::AliveMsg;

TEST_CASE("swim: BootstrapAlone ends a join as a cluster of one and keeps the seeds",
          "[swim][join]") {
  Config config = SwimHarness::DefaultConfig();
  config.push_pull_interval = 10s;
  config.join_timeout = 30s;
  SwimHarness h(config);
  h.swim().Join({"svc:1"}, h.now());  // a DNS name the runtime found to be only us
  h.TickNow();
  REQUIRE(h.pending_streams_.size() == 1);
  const StreamId id = h.pending_streams_[0].id;
  h.pending_streams_.clear();
  h.swim().HandleStreamResponse(id, std::nullopt, h.now());
  CHECK_FALSE(h.swim().Joined());
  h.swim().BootstrapAlone(h.now());
  CHECK(h.swim().Joined());
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

TEST_CASE("swim: BootstrapAlone does nothing unless joining", "[swim][join]") {
  SwimHarness h;
  h.swim().BootstrapAlone(h.now());
  CHECK_FALSE(h.swim().Joined());
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

}  // namespace
}  // namespace picket::membership::testing
