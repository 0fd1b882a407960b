#include "sim/scenario_options.h"

#include <catch2/catch.hpp>
#include <set>

#include "sim/fault_plan.h"

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

ScenarioOptions Valid() {
  ScenarioOptions o;
  o.protocol = membership::Config::Lan();
  return o;
}

TEST_CASE("ScenarioOptions: defaults are valid", "[sim][options]") {
  CHECK(Valid().Validate());
}

TEST_CASE("ScenarioOptions: each bad value is reported under its flag", "[sim][options]") {
  struct Case {
    void (*mutate)(ScenarioOptions&);
    const char* flag;
  };
  const Case cases[] = {
      {[](ScenarioOptions& o) { o.nodes = 0; }, "--nodes"},
      {[](ScenarioOptions& o) { o.seconds = 0; }, "--seconds"},
      {[](ScenarioOptions& o) { o.loss = 1.5; }, "--loss"},
      {[](ScenarioOptions& o) { o.jitter_ms = -1; }, "--jitter-ms"},
      {[](ScenarioOptions& o) { o.crash = o.nodes; }, "--crash"},
      {[](ScenarioOptions& o) {
         o.crash = 1;
         o.crash_at = o.seconds + 1;
       },
       "--crash-at"},
      {[](ScenarioOptions& o) {
         o.pause_ms = 500;
         o.pause_every_ms = 400;
       },
       "--pause-every-ms"},
      {[](ScenarioOptions& o) { o.pause_every_ms = 400; }, "--pause-node-ms"},
      {[](ScenarioOptions& o) { o.partition = 1; }, "--partition"},
      {[](ScenarioOptions& o) {
         o.partition = 0.5;
         o.partition_at = 10;
         o.heal_at = 5;
       },
       "--heal-at"},
      {[](ScenarioOptions& o) { o.join_spread_s = o.warmup_s + 1; }, "--join-spread"},
      {[](ScenarioOptions& o) { o.leave = o.nodes; }, "--leave"},
      {[](ScenarioOptions& o) { o.sample_ms = 0; }, "--sample-ms"},
      {[](ScenarioOptions& o) { o.protocol.observers = 0; }, "protocol setting"},
  };
  for (const Case& c : cases) {
    ScenarioOptions o = Valid();
    c.mutate(o);
    const auto valid = o.Validate();
    INFO(c.flag);
    REQUIRE_FALSE(valid);
    CHECK(valid.error().rfind(c.flag, 0) == 0);
  }
}

TEST_CASE("ScenarioOptions: the command line names every fault flag", "[sim][options]") {
  ScenarioOptions o = Valid();
  o.seed = 9;
  o.crash = 2;
  o.crash_at = 3;
  o.restart_after = 4;
  o.loss = 0.1;
  o.stream_loss = true;
  o.partition = 0.5;
  o.heal_at = 20;
  const std::string cmd = o.CommandLine();
  for (const char* part :
       {"picket sim", "--seed 9", "--crash 2", "--crash-at 3", "--restart-after 4", "--loss 0.1",
        "--stream-loss", "--partition 0.5", "--heal-at 20", "--bootstrap random"}) {
    INFO(part);
    CHECK(cmd.find(part) != std::string::npos);
  }
}

TEST_CASE("FaultPlan: distinct victims, alternating pauses, balanced partition, joiners",
          "[sim][faults]") {
  ScenarioOptions o = Valid();
  o.nodes = 20;
  o.seconds = 10;
  o.crash = 3;
  o.crash_at = 2;
  o.restart_after = 1;
  o.pause_ms = 300;
  o.pause_every_ms = 1000;
  o.pause_count = 2;
  o.leave = 2;
  o.partition = 0.5;
  o.partition_at = 1;
  o.heal_at = 5;
  o.join_rate = 2;
  const TimePoint start = TimePoint{} + 10s;
  const FaultPlan plan = BuildFaultPlan(o, start);
  std::set<HostId> victims;
  for (const auto* group : {&plan.crashed, &plan.paused, &plan.leaving}) {
    for (HostId h : *group) {
      CHECK(h < 20);
      CHECK(victims.insert(h).second);
    }
  }
  CHECK(victims.size() == 7);
  CHECK(plan.joiners.size() == 20);
  int side1 = 0;
  for (std::uint32_t g : plan.groups) side1 += g == 1 ? 1 : 0;
  CHECK(side1 == 10);
  TimePoint last{};
  int pauses = 0, resumes = 0, crashes = 0, restarts = 0;
  for (const FaultAction& a : plan.actions) {
    CHECK(a.at >= last);  // time order
    last = a.at;
    CHECK(a.at >= start);
    pauses += a.kind == FaultAction::Kind::kPause ? 1 : 0;
    resumes += a.kind == FaultAction::Kind::kResume ? 1 : 0;
    crashes += a.kind == FaultAction::Kind::kCrash ? 1 : 0;
    restarts += a.kind == FaultAction::Kind::kRestart ? 1 : 0;
  }
  CHECK(pauses == resumes);
  CHECK(pauses >= 2 * 9);
  CHECK(crashes == 3);
  CHECK(restarts == 3);
  // Same options, same plan.
  const FaultPlan again = BuildFaultPlan(o, start);
  CHECK(again.crashed == plan.crashed);
  CHECK(again.groups == plan.groups);
}

}  // namespace
}  // namespace picket::sim
