#include "sim/ground_truth.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

TimePoint At(Duration d) { return TimePoint{} + d; }

GroundTruth ThreeRunning() {
  GroundTruth t(1s);
  for (int i = 0; i < 3; ++i) t.AddHost();
  for (HostId h = 0; h < 3; ++h) t.OnStart(h, At(0s), false);
  return t;
}

TEST_CASE("GroundTruth: a running member without faults is healthy", "[sim][truth]") {
  GroundTruth t = ThreeRunning();
  CHECK(t.running_count() == 3);
  CHECK(t.Healthy(0, 1, At(100ms)));  // first starts are not faults
  CHECK_FALSE(t.last_fault());
}

TEST_CASE("GroundTruth: crashed, paused and recently faulty members are not healthy",
          "[sim][truth]") {
  GroundTruth t = ThreeRunning();
  t.OnCrash(1, At(10s));
  CHECK_FALSE(t.Running(1));
  CHECK(t.running_count() == 2);
  CHECK_FALSE(t.Healthy(0, 1, At(20s)));
  t.OnStart(1, At(20s), true);
  CHECK_FALSE(t.Healthy(0, 1, At(20500ms)));  // within the grace after the restart
  CHECK(t.Healthy(0, 1, At(21s)));

  t.OnPause(2, At(30s));
  CHECK_FALSE(t.Healthy(0, 2, At(30100ms)));
  t.OnResume(2, At(30400ms));
  CHECK_FALSE(t.Healthy(0, 2, At(31s)));
  CHECK(t.Healthy(0, 2, At(31400ms)));
  CHECK(t.last_fault() == At(30400ms));
}

TEST_CASE("GroundTruth: a partition makes the other side unreachable, plus grace", "[sim][truth]") {
  GroundTruth t = ThreeRunning();
  t.OnPartition({0, 0, 1}, At(10s));
  CHECK(t.partitioned());
  CHECK(t.CurrentGroup(2) == 1);
  CHECK(t.Healthy(0, 1, At(11s)));
  CHECK_FALSE(t.Healthy(0, 2, At(11s)));
  CHECK_FALSE(t.Healthy(2, 1, At(11s)));
  t.OnHeal(At(20s));
  CHECK_FALSE(t.partitioned());
  CHECK_FALSE(t.Healthy(0, 2, At(20500ms)));
  CHECK(t.Healthy(0, 2, At(21001ms)));
  // Before the partition the pair was fine.
  CHECK(t.Healthy(0, 2, At(8s)));
}

TEST_CASE("GroundTruth: leaving and exited members are not expected up", "[sim][truth]") {
  GroundTruth t = ThreeRunning();
  t.OnLeaving(1, At(5s));
  CHECK(t.Running(1));
  CHECK_FALSE(t.ExpectedUp(1));
  CHECK_FALSE(t.Healthy(0, 1, At(5s)));
  t.OnExit(1, At(6s));
  CHECK_FALSE(t.Running(1));
  CHECK(t.running_count() == 2);
}

}  // namespace
}  // namespace picket::sim
