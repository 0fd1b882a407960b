// A handful of cores wired together through TestNetwork: the protocol end to
// end, on a manual clock.

#include <catch2/catch.hpp>

#include "test_support.h"

namespace picket::membership::testing {
namespace {

Config ClusterConfig() {
  Config c;
  c.push_pull_interval = 30s;
  c.reap_after = 60s;
  return c;
}

// Starts n nodes; all join node 0 and run until everyone sees everyone alive.
// (Held by pointer: pending network events refer to the TestNetwork.)
std::unique_ptr<TestNetwork> Started(int n, std::uint64_t seed = 1,
                                     Config config = ClusterConfig()) {
  auto holder = std::make_unique<TestNetwork>(std::move(config), seed);
  TestNetwork& net = *holder;
  for (int i = 0; i < n; ++i) net.Add();
  net.Join(0, {});
  for (int i = 1; i < n; ++i) net.Join(i, {0});
  net.RunFor(5s);
  return holder;
}

bool AllAlive(TestNetwork& net) {
  for (int i = 0; i < net.size(); ++i) {
    if (!net.node(i).up) continue;
    for (int j = 0; j < net.size(); ++j) {
      if (!net.node(j).up) continue;
      if (net.StateAt(i, j) != MemberState::kAlive) return false;
    }
  }
  return true;
}

void CheckInvariants(TestNetwork& net) {
  for (int i = 0; i < net.size(); ++i) {
    if (net.node(i).up) {
      INFO("node " << i);
      CHECK(net.swim(i).CheckInvariants() == "");
    }
  }
}

}  // namespace

TEST_CASE("cluster: join brings everyone to alive everywhere", "[cluster]") {
  auto holder = Started(5);
  TestNetwork& net = *holder;
  CHECK(AllAlive(net));
  for (int i = 0; i < 5; ++i) {
    CHECK(net.swim(i).Joined());
    CHECK(net.swim(i).GetQuorum().alive == 5);
    CHECK(net.swim(i).GetQuorum().has_majority);
  }
  CheckInvariants(net);
}

TEST_CASE("cluster: a crash is suspected, then failed everywhere", "[cluster]") {
  auto holder = Started(5);
  TestNetwork& net = *holder;
  net.RunFor(20s);  // detectors warm up
  const TimePoint crash = net.now();
  net.Crash(3);
  std::optional<TimePoint> suspected, failed_everywhere;
  while (net.now() - crash < 20s && !failed_everywhere) {
    net.RunFor(10ms);
    if (!suspected) {
      for (int i = 0; i < 5; ++i) {
        if (i != 3 && net.StateAt(i, 3) == MemberState::kSuspect) suspected = net.now();
      }
    }
    if (net.AllSee(3, MemberState::kFailed)) failed_everywhere = net.now();
  }
  REQUIRE(suspected.has_value());
  REQUIRE(failed_everywhere.has_value());
  // Not timing assertions of the code's speed, but of the protocol's
  // arithmetic on a manual clock: phi crossing (~1.1 s after the last
  // heartbeat) + verification, then a confirmed suspicion at its minimum.
  CHECK(*suspected - crash < 2s);
  CHECK(*failed_everywhere - crash < 5s);
  for (int i = 0; i < 5; ++i) {
    if (i == 3) continue;
    CHECK(net.runtime(i).CountEvents(EventType::kFailed, "n3") == 1);
    CHECK(net.swim(i).GetQuorum().alive == 4);
  }
  // Nobody else was accused.
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      if (i != 3 && j != 3)
        CHECK(net.runtime(i).CountEvents(EventType::kFailed, net.node(j).name) == 0);
    }
  }
  CheckInvariants(net);
}

TEST_CASE("cluster: a paused member refutes its suspicion when it runs again", "[cluster]") {
  auto holder = Started(5);
  TestNetwork& net = *holder;
  net.RunFor(20s);
  // Long enough for its observers to suspect it (phi crosses about 5 ms after
  // a missed heartbeat on this jitter-free network, and the verification
  // lasts phi_probe_timeout, 600 ms), shorter than suspect + the minimum
  // suspicion timeout (1 s x log10(5)).
  net.Pause(2, 1500ms);
  net.RunFor(1500ms + 10ms);
  bool suspected = false;
  for (int i = 0; i < 5; ++i) {
    suspected = suspected || net.runtime(i).CountEvents(EventType::kSuspect, "n2") > 0;
  }
  CHECK(suspected);
  net.RunFor(3s);
  CHECK(AllAlive(net));
  CHECK(net.swim(2).counters().refutations >= 1);
  CHECK(net.swim(2).counters().local_pauses == 1);
  for (int i = 0; i < 5; ++i) {
    CHECK(net.runtime(i).CountEvents(EventType::kFailed, "n2") == 0);
    // The paused member accused nobody because of its own silence.
    CHECK(net.runtime(2).CountEvents(EventType::kSuspect, net.node(i).name) == 0);
  }
  CheckInvariants(net);
}

TEST_CASE("cluster: a member paused 400 ms of every second is never failed", "[cluster]") {
  auto holder = Started(6);
  TestNetwork& net = *holder;
  net.RunFor(10s);
  for (int s = 0; s < 60; ++s) {
    net.Pause(4, 400ms);
    net.RunFor(1s);
  }
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      INFO(i << " about " << j);
      CHECK(net.runtime(i).CountEvents(EventType::kFailed, net.node(j).name) == 0);
    }
  }
  CHECK(AllAlive(net));
}

TEST_CASE("cluster: graceful leave is seen as left everywhere", "[cluster]") {
  auto holder = Started(5);
  TestNetwork& net = *holder;
  net.Leave(1);
  net.RunFor(3s);
  CHECK(net.swim(1).LeaveComplete());
  net.Crash(1);  // the process exits
  net.RunFor(10s);
  CHECK(net.AllSee(1, MemberState::kLeft));
  for (int i = 0; i < 5; ++i) {
    if (i == 1) continue;
    CHECK(net.runtime(i).CountEvents(EventType::kLeft, "n1") == 1);
    CHECK(net.runtime(i).CountEvents(EventType::kFailed, "n1") == 0);
    CHECK(net.swim(i).GetQuorum().members == 4);  // left members do not count
  }
}

// Regression test for sim/FINDINGS.md F1: a late joiner must learn of members
// that left or failed before it joined.
TEST_CASE("cluster: a late joiner learns of members that left or failed before it", "[cluster]") {
  auto holder = Started(5);
  TestNetwork& net = *holder;
  net.Leave(1);
  net.RunFor(3s);
  net.Crash(1);
  net.Crash(2);
  net.RunFor(10s);
  REQUIRE(net.AllSee(1, MemberState::kLeft));
  REQUIRE(net.AllSee(2, MemberState::kFailed));
  const int late = net.Add();
  net.Join(late, {3});
  net.RunFor(3s);
  CHECK(net.StateAt(late, 1) == MemberState::kLeft);
  CHECK(net.StateAt(late, 2) == MemberState::kFailed);
  CHECK(net.View(late) == net.View(0));
  CHECK(net.runtime(late).CountEvents(EventType::kQuorumLost, "n5") == 0);
  // Old news about them cannot bring them back at the joiner either.
  Peer replay("n3");
  net.swim(late).HandleDatagram(
      "n3:7946", replay.Datagram(detail::AliveMsg{"n1", "n1:7946", 0, {}, {}}), net.now());
  CHECK(net.StateAt(late, 1) == MemberState::kLeft);
}

TEST_CASE("cluster: a restarted member rejoins with a higher incarnation", "[cluster]") {
  auto holder = Started(4);
  TestNetwork& net = *holder;
  net.RunFor(5s);
  net.Crash(2);
  net.RunFor(15s);
  REQUIRE(net.AllSee(2, MemberState::kFailed));
  const std::uint64_t old_incarnation = net.swim(0).Member("n2", net.now())->incarnation;
  net.Restart(2);
  net.Join(2, {0});
  net.RunFor(5s);
  CHECK(AllAlive(net));
  for (int i = 0; i < 4; ++i) {
    if (i == 2) continue;
    const auto m = net.swim(i).Member("n2", net.now());
    CHECK(m->incarnation > old_incarnation);
    CHECK(net.runtime(i).CountEvents(EventType::kJoined, "n2") == 2);
  }
}

TEST_CASE("cluster: a reaped member's tombstone stops its old messages", "[cluster]") {
  Config config = ClusterConfig();
  config.reap_after = 10s;
  auto holder = Started(4, 3, config);
  TestNetwork& net = *holder;
  net.Crash(3);
  net.RunFor(20s);  // failed after ~2 s, reaped 10 s later; tombstones last 10 s more
  for (int i = 0; i < 3; ++i) CHECK_FALSE(net.swim(i).Member("n3", net.now()).has_value());
  // An old alive about n3 (incarnation 0) is replayed by a peer.
  Peer replay("n1");
  net.swim(0).HandleDatagram(
      "n1:7946", replay.Datagram(detail::AliveMsg{"n3", "n3:7946", 0, {}, {}}), net.now());
  CHECK_FALSE(net.swim(0).Member("n3", net.now()).has_value());
  CheckInvariants(net);
}

TEST_CASE("cluster: a partition heals and everyone converges", "[cluster]") {
  auto holder = Started(6);
  TestNetwork& net = *holder;
  net.RunFor(10s);
  for (int a = 0; a < 3; ++a) {
    for (int b = 3; b < 6; ++b) net.Cut(a, b);
  }
  net.RunFor(20s);
  // Each side sees the other failed; 3 of 6 is not a majority.
  CHECK(net.StateAt(0, 4) == MemberState::kFailed);
  CHECK(net.StateAt(4, 0) == MemberState::kFailed);
  CHECK_FALSE(net.swim(0).GetQuorum().has_majority);
  CHECK_FALSE(net.swim(5).GetQuorum().has_majority);
  for (int a = 0; a < 3; ++a) {
    for (int b = 3; b < 6; ++b) net.Cut(a, b, false);
  }
  net.RunFor(40s);
  CHECK(AllAlive(net));
  CHECK(net.swim(0).GetQuorum().has_majority);
  CheckInvariants(net);
}

// Chaos found it (seed 74059): an agent cut off alone suspects the members it
// probes; its unconfirmed suspicions reach their maximum timeout about when
// the cut heals, and its `failed` (which beats `alive` at equal incarnation)
// then made every other agent fail members it had talked to all along.
TEST_CASE("cluster: an agent cut off alone does not fail healthy members after the heal",
          "[cluster]") {
  for (const auto isolation : {8s, 12s, 14s, 16s, 18s, 22s}) {
    for (const std::uint64_t seed : {3U, 21U}) {
      auto holder = Started(10, seed);
      TestNetwork& net = *holder;
      net.RunFor(5s);
      for (int b = 1; b < 10; ++b) net.Cut(0, b);
      net.RunFor(isolation);
      for (int b = 1; b < 10; ++b) net.Cut(0, b, false);
      net.RunFor(30s);
      INFO("isolation " << isolation.count() << " s, seed " << seed);
      int false_failures = 0;
      for (int i = 1; i < 10; ++i) {
        for (int j = 1; j < 10; ++j) {
          false_failures += net.runtime(i).CountEvents(EventType::kFailed, net.node(j).name);
        }
      }
      CHECK(false_failures == 0);
      // The isolated agent itself was failed (it was unreachable) and is back.
      CHECK(net.runtime(1).CountEvents(EventType::kFailed, net.node(0).name) == 1);
      CHECK(AllAlive(net));
      CheckInvariants(net);
    }
  }
}

TEST_CASE("cluster: no false failures with 20% datagram loss", "[cluster]") {
  auto holder = Started(8, 11);
  TestNetwork& net = *holder;
  net.SetLoss(0.2);
  net.RunFor(120s);
  int failed = 0;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j)
      failed += net.runtime(i).CountEvents(EventType::kFailed, net.node(j).name);
  }
  CHECK(failed == 0);
  net.SetLoss(0);
  net.RunFor(5s);
  CHECK(AllAlive(net));
}

TEST_CASE("cluster: observers record phi at every heartbeat arrival", "[cluster]") {
  auto holder = Started(6, 5);
  TestNetwork& net = *holder;
  const auto before = net.swim(1).counters().phi_at_heartbeat;
  net.RunFor(20s);
  const auto& after = net.swim(1).counters().phi_at_heartbeat;
  // K = 4 subjects, a heartbeat each every 500 ms: about 160 arrivals in 20 s.
  CHECK(after.count - before.count > 100);
  // A healthy, lossless cluster never comes near the suspicion threshold (8).
  CHECK(after.buckets[7] + after.buckets[8] + after.buckets[9] == 0);
}

TEST_CASE("cluster: identical seeds give identical runs", "[cluster]") {
  const auto run = [] {
    auto holder = Started(5, 9);
    TestNetwork& net = *holder;
    net.SetLoss(0.1);
    net.Crash(4);
    net.RunFor(20s);
    std::vector<std::pair<int, std::string>> log;
    for (int i = 0; i < 4; ++i) {
      for (const auto& e : net.runtime(i).events) {
        log.emplace_back(i, std::string(ToString(e.type)) + " " + e.member.name + " " +
                                std::to_string(e.time.time_since_epoch().count()));
      }
    }
    return log;
  };
  CHECK(run() == run());
}

TEST_CASE("cluster: a member's service status reaches every member, newest wins", "[cluster]") {
  auto holder = Started(6);
  TestNetwork& net = *holder;
  for (int i = 0; i < 6; ++i) CHECK_FALSE(net.swim(i).Member("n3", net.now())->service);

  const ServiceStatus critical{ServiceHealth::kCritical, "http-1: connection refused", 1000};
  REQUIRE(net.SetService(3, critical));
  net.RunFor(2s);
  for (int i = 0; i < 6; ++i) {
    INFO("node " << i);
    const auto m = net.swim(i).Member("n3", net.now());
    REQUIRE(m->service);
    CHECK(*m->service == critical);
    CHECK(m->state == MemberState::kAlive);
    CHECK(net.runtime(i).CountEvents(EventType::kServiceCritical, "n3") == 1);
    // A status change is not a tags/address change.
    CHECK(net.runtime(i).CountEvents(EventType::kUpdated, "n3") == 0);
  }

  const ServiceStatus passing{ServiceHealth::kPassing, "http-1: HTTP 200", 2000};
  REQUIRE(net.SetService(3, passing));
  net.RunFor(2s);
  // Setting the same status again is not news.
  REQUIRE(net.SetService(3, passing));
  net.RunFor(35s);  // past a push-pull round: the old status never comes back
  for (int i = 0; i < 6; ++i) {
    INFO("node " << i);
    CHECK(*net.swim(i).Member("n3", net.now())->service == passing);
    CHECK(net.runtime(i).CountEvents(EventType::kServicePassing, "n3") == 1);
    CHECK(net.runtime(i).CountEvents(EventType::kServiceCritical, "n3") == 1);
  }
  // Invalid output is refused and changes nothing.
  CHECK_FALSE(net.swim(3).SetService(
      ServiceStatus{ServiceHealth::kWarning, std::string(300, 'x'), 3000}, net.now()));
  CHECK(*net.swim(3).Self().service == passing);
  CheckInvariants(net);
}

TEST_CASE("cluster: a member that missed an update learns it from probes, not push-pull",
          "[cluster][dissemination]") {
  Config config = ClusterConfig();
  config.push_pull_interval = Duration::zero();  // no anti-entropy to fall back on
  auto holder = Started(8, 7, config);
  TestNetwork& net = *holder;
  std::vector<std::uint64_t> push_pulls;  // the joins' ones
  for (int i = 0; i < 8; ++i) push_pulls.push_back(net.swim(i).counters().push_pulls);
  // Node 5 hears nothing while the update's gossip runs its course.
  for (int i = 0; i < 8; ++i) {
    if (i != 5) net.Cut(5, i);
  }
  const ServiceStatus critical{ServiceHealth::kCritical, "http-1: HTTP 503", 1000};
  REQUIRE(net.SetService(3, critical));
  net.RunFor(1s);
  for (int i = 0; i < 8; ++i) {
    if (i != 5) net.Cut(5, i, false);
  }
  const auto stale = net.swim(5).Member("n3", net.now());
  REQUIRE(stale);
  REQUIRE_FALSE(stale->service);
  // Gossip has long stopped: the update arrives on an Ack from n3 itself, pinged
  // by node 5's probe round or by its observer role. Eight probe rounds (one
  // per member) bound it, each slowed by node 5's health score after its deaf
  // second (its observers suspected it, it refuted) to at most
  // (awareness_max_score + 1) x probe_interval.
  const TimePoint bound = net.now() + config.probe_interval * 8 * (config.awareness_max_score + 1);
  auto m = net.swim(5).Member("n3", net.now());
  while (!m->service && net.now() < bound) {
    net.RunFor(100ms);
    m = net.swim(5).Member("n3", net.now());
  }
  REQUIRE(m->service);
  CHECK(*m->service == critical);
  CHECK(net.runtime(5).CountEvents(EventType::kServiceCritical, "n3") == 1);
  CHECK(net.swim(3).counters().stale_views_refreshed >= 1);
  for (int i = 0; i < 8; ++i) {
    CHECK(net.swim(i).counters().push_pulls == push_pulls[static_cast<std::size_t>(i)]);
  }
  CheckInvariants(net);
}

TEST_CASE("cluster: a late joiner learns every service status from push-pull", "[cluster]") {
  auto holder = Started(4);
  TestNetwork& net = *holder;
  const ServiceStatus maintenance{ServiceHealth::kMaintenance, "planned restart", 42};
  REQUIRE(net.SetService(1, maintenance));
  net.RunFor(60s);  // the gossip has ended
  const int late = net.Add();
  net.Join(late, {0});
  net.RunFor(3s);
  const auto m = net.swim(late).Member("n1", net.now());
  REQUIRE(m->service);
  CHECK(*m->service == maintenance);
  // Joined, and (not passing) its service event beside it.
  CHECK(net.runtime(late).CountEvents(EventType::kServiceMaintenance, "n1") == 1);
  CHECK(net.runtime(late).CountEvents(EventType::kServiceMaintenance, "n0") == 0);
}

}  // namespace picket::membership::testing
