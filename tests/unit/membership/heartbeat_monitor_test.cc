#include "membership/detail/heartbeat_monitor.h"

#include <catch2/catch.hpp>

#include "membership/config.h"
#include "membership/counters.h"

namespace picket::membership::detail {
namespace {
using namespace std::chrono_literals;
const TimePoint kT = TimePoint{} + 10s;
}  // namespace

// Heartbeats of subject 1 exactly 500 ms apart from kT to kT + 10 s; returns
// how long after the last one phi crosses the threshold, checked against Phi.
Duration CrossingAfterRegularBeats(HeartbeatMonitor& monitor, double threshold) {
  for (int i = 0; i <= 20; ++i) REQUIRE(monitor.OnHeartbeat(1, kT + i * 500ms) != nullptr);
  const auto crossing = HeartbeatMonitor::Crossing(*monitor.Find(1));
  REQUIRE(crossing.has_value());
  CHECK(monitor.Phi(1, *crossing).value() >= threshold);
  CHECK(monitor.Phi(1, *crossing - 1ms).value() < threshold);
  return *crossing - (kT + 20 * 500ms);
}

TEST_CASE("heartbeat monitor: only subjects are watched, crossing follows the detector",
          "[heartbeat]") {
  Config config;
  // The normal model, whose crossing is plain arithmetic.
  config.phi.distribution = detector::Distribution::kNormal;
  HeartbeatMonitor monitor(config.phi, config.heartbeat_interval);
  monitor.SetSubjects({1, 2});
  CHECK(monitor.OnHeartbeat(3, kT) == nullptr);  // not a subject
  // T = 500 ms, sd floored at 100 ms, threshold 8: about mean + 5.61 sd.
  const Duration after = CrossingAfterRegularBeats(monitor, config.phi.threshold);
  CHECK(after > 1000ms);
  CHECK(after < 1150ms);
  CHECK_FALSE(monitor.Phi(5, kT).has_value());
  CHECK_FALSE(HeartbeatMonitor::Crossing(*monitor.Find(2)).has_value());  // nothing heard yet
}

TEST_CASE("heartbeat monitor: the default model crosses just above tight intervals",
          "[heartbeat]") {
  // The empirical model (the lan default): intervals of exactly T leave a
  // margin of a few kernel bandwidths (min_bandwidth 1 ms) above T.
  const Config config;
  REQUIRE(config.phi.distribution == detector::Distribution::kEmpirical);
  HeartbeatMonitor monitor(config.phi, config.heartbeat_interval);
  monitor.SetSubjects({1});
  const Duration after = CrossingAfterRegularBeats(monitor, config.phi.threshold);
  CHECK(after > 500ms);
  CHECK(after < 520ms);
}

TEST_CASE("heartbeat monitor: bursts carry no timing and are not fed", "[heartbeat]") {
  const Config config;
  HeartbeatMonitor monitor(config.phi, config.heartbeat_interval);
  monitor.SetSubjects({1});
  REQUIRE(monitor.OnHeartbeat(1, kT) != nullptr);
  CHECK(monitor.OnHeartbeat(1, kT + 10ms) == nullptr);  // < T/4 after the last one
  CHECK(monitor.OnHeartbeat(1, kT + 500ms) != nullptr);
  CHECK(monitor.Find(1)->detector.sample_count() == 1);
}

TEST_CASE("heartbeat monitor: history survives subject changes, not a reset", "[heartbeat]") {
  const Config config;
  HeartbeatMonitor monitor(config.phi, config.heartbeat_interval);
  monitor.SetSubjects({1, 2});
  for (int i = 0; i < 5; ++i) monitor.OnHeartbeat(1, kT + i * 500ms);
  const auto generation = monitor.Find(1)->generation;
  monitor.SetSubjects({3, 1});
  REQUIRE(monitor.Find(1) != nullptr);
  CHECK(monitor.Find(1)->generation == generation);
  CHECK(monitor.Find(1)->detector.sample_count() == 4);
  CHECK(monitor.Find(2) == nullptr);
  monitor.ResetAll();
  CHECK_FALSE(monitor.Find(1)->detector.last_heartbeat().has_value());
  CHECK(monitor.Phi(1, kT + 10s).value() == 0.0);  // a reset detector does not suspect
}

}  // namespace picket::membership::detail

TEST_CASE("phi histogram: each value lands in the first bucket whose bound holds it",
          "[counters]") {
  picket::membership::PhiHistogram h;
  h.Observe(0.0);
  h.Observe(0.5);   // bounds are inclusive (Prometheus `le`)
  h.Observe(0.51);
  h.Observe(7.9);
  h.Observe(16.0);
  h.Observe(40.0);  // above every bound
  CHECK(h.count == 6);
  CHECK(h.sum == Approx(64.91));
  CHECK(h.buckets[0] == 2);
  CHECK(h.buckets[1] == 1);
  CHECK(h.buckets[6] == 1);  // (6, 8]
  CHECK(h.buckets[8] == 1);  // (12, 16]
  CHECK(h.buckets[9] == 1);  // +Inf
}
