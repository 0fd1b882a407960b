#pragma once

// Runs one scenario end to end: builds the cluster, starts the members (the
// bootstrap), applies the fault plan, runs the warm-up and the measured
// period, and turns what the collectors saw into a Report.
//
// Bootstrap: member i starts at i * join_spread / nodes. With --bootstrap
// seed it joins through member 0, with random (the default) through up to 3
// random members started before it: every table is then built by the
// protocol itself (joins, gossip, push-pull), so the warm-up must be long
// enough for that. With staged, all members start at t = 0 and join member 0
// twice (at 0 and between 20 and 60 ms) while datagrams to them are dropped
// and their ticks held; they all thaw at 80 ms with full tables and nothing
// to gossip (--join-spread is not used). With warm, each member starts with the full table
// (Swim::WarmStart, no joins, no gossip) and the warm-up only gives the
// detectors their history. The report says whether the cluster had converged
// when the measured period began.
//
// Usage: ScenarioRunner r(options); r.RunWarmup(); r.RunMeasured();
// Report report = r.Finish(); (or RunScenario). The phases exist so that the
// CLI can time them; the simulator itself reads no clock.
//
// Thread safety: none; one thread owns a runner.

#include <functional>
#include <memory>
#include <string>

#include "sim/cluster.h"
#include "sim/fault_plan.h"
#include "sim/report.h"
#include "sim/scenario_options.h"

namespace picket::sim {

class ScenarioRunner {
 public:
  // Sets up the cluster, the bootstrap and the faults. With options.trace,
  // `trace` receives one line per event about or raised by that member.
  // REQUIRES: options.Validate() is nullopt.
  explicit ScenarioRunner(ScenarioOptions options,
                          std::function<void(const std::string&)> trace = nullptr);
  ScenarioRunner(const ScenarioRunner&) = delete;
  ScenarioRunner& operator=(const ScenarioRunner&) = delete;

  // Runs until the measured period starts.
  void RunWarmup();
  // Runs the measured period (RunWarmup first, if not done).
  void RunMeasured();
  // Builds the report. REQUIRES: RunMeasured() done.
  [[nodiscard]] Report Finish() const;

  [[nodiscard]] Cluster& cluster() { return *cluster_; }
  [[nodiscard]] const FaultPlan& plan() const { return plan_; }
  [[nodiscard]] const ScenarioOptions& options() const { return options_; }
  [[nodiscard]] TimePoint measure_start() const { return measure_start_; }
  [[nodiscard]] TimePoint end() const { return end_; }

 private:
  void CheckPartition();
  // The heal window (bytes at the heal): its length, in simulated seconds.
  static constexpr double kHealWindowS = 10.0;
  // Gray failures: views are sampled for agreement from this long after
  // --impair-at to the end, at every view sample (--sample-ms).
  static constexpr double kAgreementAfterS = 10.0;
  // Traffic in the heal window: its start (at the heal) and its end.
  void MarkHealWindowStart();
  void MarkHealWindowEnd();

  ScenarioOptions options_;
  TimePoint measure_start_{};
  TimePoint end_{};
  std::unique_ptr<Cluster> cluster_;
  FaultPlan plan_;
  bool warm_ = false;
  bool done_ = false;
  bool warmup_converged_ = false;
  std::optional<TimePoint> warmup_converged_since_;
  bool partition_checked_ = false;
  std::uint64_t partition_undetected_[2] = {0, 0};
  int partition_majority_[2] = {0, 0};
  HostTraffic traffic_at_heal_;
  TimePoint heal_window_start_{};
  std::size_t running_at_heal_ = 0;
  std::optional<double> heal_bytes_per_member_s_;
};

// Runs `options` start to finish. REQUIRES: options.Validate() is nullopt.
Report RunScenario(const ScenarioOptions& options);

}  // namespace picket::sim
