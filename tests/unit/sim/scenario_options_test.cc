#include "sim/scenario_options.h"

#include <algorithm>
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

TEST_CASE("ScenarioOptions: defaults are valid", "[sim][options]") { CHECK(Valid().Validate()); }

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
      {[](ScenarioOptions& o) { o.impair = o.nodes; }, "--impair"},
      {[](ScenarioOptions& o) {
         o.impair = 1;
         o.impair_loss = 1.5;
       },
       "--impair-loss"},
      {[](ScenarioOptions& o) {
         o.impair = 1;
         o.impair_at = o.seconds + 1;
       },
       "--impair-at"},
      {[](ScenarioOptions& o) {
         o.one_way_pairs = 2;
         o.impair_at = 10;
         o.impair_until = 5;
       },
       "--impair-until"},
      {[](ScenarioOptions& o) {
         o.impair = 1;
         o.impair_flip_s = -1;
       },
       "--impair-flip-s"},
      {[](ScenarioOptions& o) { o.one_way_pairs = -1; }, "--one-way-pairs"},
      // 32 members, 60 s: 50% per minute replaces 16, 200% would replace 64.
      {[](ScenarioOptions& o) { o.replace_per_min = 2; }, "--replace-per-min"},
      {[](ScenarioOptions& o) { o.replace_per_min = -0.1; }, "--replace-per-min"},
      {[](ScenarioOptions& o) {
         o.replace_per_min = 0.1;
         o.replace_for = o.seconds + 1;
       },
       "--replace-for"},
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
  o.impair = 2;
  o.impair_dir = ImpairDirection::kIn;
  o.impair_until = 30;
  o.impair_flip_s = 20;
  o.one_way_pairs = 3;
  o.replace_per_min = 0.25;
  o.replace_for = 40;
  o.replace_by = ReplaceBy::kCrash;
  const std::string cmd = o.CommandLine();
  for (const char* part : {"picket sim",         "--seed 9",          "--crash 2",
                           "--crash-at 3",       "--restart-after 4", "--loss 0.1",
                           "--stream-loss",      "--partition 0.5",   "--heal-at 20",
                           "--bootstrap random", "--impair 2",        "--impair-loss 0.8",
                           "--impair-dir in",    "--impair-at 5",     "--impair-until 30",
                           "--impair-flip-s 20", "--one-way-pairs 3", "--replace-per-min 0.25",
                           "--replace-for 40",   "--replace-by crash"}) {
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

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

TEST_CASE("FaultPlan: replacements go evenly spaced, each an initial member for a new one",
          "[sim][faults]") {
  ScenarioOptions o = Valid();  // 32 members, 60 s measured
  o.crash = 2;
  o.leave = 1;
  o.join_rate = 0.1;          // 6 joiners: ids 32..37
  o.replace_per_min = 0.125;  // 4 a minute: one every 15 s
  o.replace_for = 50;         // at 7.5, 22.5, 37.5 s (52.5 is past the window)
  REQUIRE(o.Validate());
  CHECK(o.Replacements() == 3);
  CHECK(o.TotalHosts() == 32 + 6 + 3);
  const TimePoint start = TimePoint{} + 10s;
  const FaultPlan plan = BuildFaultPlan(o, start);
  REQUIRE(plan.replaced.size() == 3);
  REQUIRE(plan.replacements == std::vector<HostId>{38, 39, 40});
  std::set<HostId> taken(plan.crashed.begin(), plan.crashed.end());
  taken.insert(plan.leaving.begin(), plan.leaving.end());
  for (HostId h : plan.replaced) {
    CHECK(h < 32);
    CHECK(taken.insert(h).second);  // distinct, and not crashed or leaving already
  }
  std::vector<FaultAction> replaces;
  for (const FaultAction& a : plan.actions) {
    if (a.kind == FaultAction::Kind::kReplace) replaces.push_back(a);
  }
  REQUIRE(replaces.size() == 3);
  for (std::size_t i = 0; i < replaces.size(); ++i) {
    CHECK(replaces[i].host == plan.replaced[i]);
    CHECK(replaces[i].peer == plan.replacements[i]);
    const double at_s = std::chrono::duration<double>(replaces[i].at - start).count();
    CHECK(at_s == Approx(7.5 + 15.0 * static_cast<double>(i)));
  }
}

TEST_CASE("FaultPlan: impaired members, flips and one-way pairs", "[sim][faults]") {
  ScenarioOptions o = Valid();
  o.nodes = 20;
  o.seconds = 100;
  o.crash = 2;
  o.impair = 2;
  o.impair_dir = ImpairDirection::kIn;
  o.impair_loss = 1.0;
  o.impair_at = 10;
  o.impair_until = 90;
  o.impair_flip_s = 20;
  o.one_way_pairs = 4;
  const TimePoint start = TimePoint{} + 10s;
  const FaultPlan plan = BuildFaultPlan(o, start);
  REQUIRE(plan.impaired.size() == 2);
  for (HostId h : plan.impaired) {
    CHECK(std::find(plan.crashed.begin(), plan.crashed.end(), h) == plan.crashed.end());
  }
  CHECK(plan.loss_in == 1.0);
  CHECK(plan.loss_out == 0.0);
  CHECK(plan.one_way.size() == 4);
  int on = 0, off = 0, gray_start = 0, gray_end = 0, cuts = 0, restores = 0;
  for (const FaultAction& a : plan.actions) {
    on += a.kind == FaultAction::Kind::kLossOn ? 1 : 0;
    off += a.kind == FaultAction::Kind::kLossOff ? 1 : 0;
    gray_start += a.kind == FaultAction::Kind::kGrayStart ? 1 : 0;
    gray_end += a.kind == FaultAction::Kind::kGrayEnd ? 1 : 0;
    cuts += a.kind == FaultAction::Kind::kOneWayCut ? 1 : 0;
    restores += a.kind == FaultAction::Kind::kOneWayRestore ? 1 : 0;
    if (a.kind == FaultAction::Kind::kOneWayCut) CHECK(a.host != a.peer);
  }
  // 80 s of 20 s on / 20 s off: on at 10, 50; off at 30, 70 and at the end.
  CHECK(on == 2 * 2);
  CHECK(off == 2 * 3);
  CHECK(gray_start == 2);
  CHECK(gray_end == 2);
  CHECK(cuts == 4);
  CHECK(restores == 4);
}

}  // namespace
}  // namespace picket::sim
