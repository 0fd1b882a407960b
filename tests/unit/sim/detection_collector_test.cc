#include "sim/detection_collector.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;
using membership::EventType;

TimePoint At(Duration d) { return TimePoint{} + d; }

struct Fixture {
  Fixture() : truth(1s), detection(truth, At(10s), 5) {
    for (HostId h = 0; h < 4; ++h) {
      truth.AddHost();
      truth.OnStart(h, At(0s), false);
    }
  }
  GroundTruth truth;
  DetectionCollector detection;
};

TEST_CASE("DetectionCollector: declarations about healthy members are false", "[sim][detect]") {
  Fixture f;
  f.detection.OnDeclaration(0, 1, EventType::kSuspect, At(5s));  // warm-up
  f.detection.OnDeclaration(0, 1, EventType::kSuspect, At(12s));
  f.detection.OnDeclaration(2, 1, EventType::kFailed, At(13s));
  f.detection.OnDeclaration(2, 1, EventType::kAlive, At(14s));  // ignored
  CHECK(f.detection.warmup().false_suspicions == 1);
  CHECK(f.detection.measured().false_suspicions == 1);
  CHECK(f.detection.measured().false_failures == 1);
  CHECK(f.detection.measured().suspicions == 1);
  REQUIRE(f.detection.false_examples().size() == 2);
  CHECK(f.detection.false_examples()[1].type == EventType::kFailed);
}

TEST_CASE("DetectionCollector: declarations about a paused member are impaired", "[sim][detect]") {
  Fixture f;
  f.truth.OnPause(3, At(11s));
  f.detection.OnDeclaration(0, 3, EventType::kSuspect, At(11500ms));
  f.truth.OnResume(3, At(12s));
  f.detection.OnDeclaration(0, 3, EventType::kFailed, At(12500ms));
  f.detection.OnDeclaration(0, 3, EventType::kSuspect, At(14s));  // long after: false
  CHECK(f.detection.measured().impaired_suspicions == 1);
  CHECK(f.detection.measured().impaired_failures == 1);
  CHECK(f.detection.measured().false_suspicions == 1);
}

TEST_CASE("DetectionCollector: crash detection times", "[sim][detect]") {
  Fixture f;
  f.detection.OnDeclaration(0, 2, EventType::kSuspect, At(11s));  // before: false
  f.truth.OnCrash(2, At(20s));
  f.detection.OnCrash(2, At(20s));
  f.detection.OnDeclaration(0, 2, EventType::kSuspect, At(21s));
  f.detection.OnDeclaration(1, 2, EventType::kFailed, At(22s));
  f.detection.OnNobodySeesUp(2, At(22500ms));
  f.detection.OnSomeoneSeesUp(2);  // stale gossip revived it somewhere
  f.detection.OnNobodySeesUp(2, At(23s));
  REQUIRE(f.detection.crashes().size() == 1);
  const CrashRecord& r = f.detection.crashes()[0];
  CHECK(r.first_suspect == At(21s));
  CHECK(r.first_failed == At(22s));
  CHECK(r.all_down == At(23s));
  CHECK(f.detection.measured().false_suspicions == 1);
  f.truth.OnStart(2, At(30s), true);
  f.detection.OnRestart(2, At(30s));
  CHECK(f.detection.crashes()[0].restarted_at == At(30s));
  f.detection.OnNobodySeesUp(2, At(31s));  // no longer tracked
  CHECK(f.detection.crashes()[0].all_down == At(23s));
}

}  // namespace
}  // namespace picket::sim
