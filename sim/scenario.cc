#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "membership/config_fields.h"
#include "sim/random.h"

namespace picket::sim {

namespace {

Duration Seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

ScenarioRunner::ScenarioRunner(ScenarioOptions options,
                               std::function<void(const std::string&)> trace)
    : options_(std::move(options)) {
  measure_start_ = TimePoint{} + Seconds(options_.warmup_s);
  end_ = measure_start_ + Seconds(options_.seconds);

  ClusterOptions co;
  co.capacity = static_cast<std::size_t>(options_.TotalHosts());
  co.link.latency = Seconds(options_.latency_ms / 1000);
  co.link.jitter = Seconds(options_.jitter_ms / 1000);
  co.link.loss = options_.loss;
  co.link.stream_loss = options_.stream_loss;
  co.link.down_refuses_streams = options_.crash_refuses;
  co.protocol = options_.protocol;
  co.seed = options_.seed;
  co.grace = Seconds(options_.grace_ms / 1000);
  co.measure_start = measure_start_;
  co.backlog_limit = static_cast<std::size_t>(options_.backlog_limit);
  co.sample_interval = Seconds(options_.sample_ms / 1000);
  if (!options_.trace.empty() && trace) {
    co.trace_member = options_.trace;
    co.trace = std::move(trace);
  }
  cluster_ = std::make_unique<Cluster>(co);
  Cluster& c = *cluster_;
  for (int i = 0; i < options_.TotalHosts(); ++i) c.AddHost();

  // Bootstrap.
  Rng rng(DeriveSeed(options_.seed, 5));
  const auto n = static_cast<std::size_t>(options_.nodes);
  if (options_.bootstrap == Bootstrap::kWarm) {
    auto members = std::make_shared<std::vector<HostId>>();
    for (HostId h = 0; h < n; ++h) members->push_back(h);
    for (HostId h = 0; h < n; ++h) {
      const TimePoint at = TimePoint{} + Seconds(options_.join_spread_s * static_cast<double>(h) /
                                                 static_cast<double>(n));
      c.At(at, [&c, h, members] { c.StartWarm(h, *members); });
    }
  }
  if (options_.bootstrap == Bootstrap::kStaged) {
    // Everyone joins member 0 at t = 0 (member 0 learns everyone), again
    // during [20 ms, 60 ms) (everyone gets the full table; spread so that
    // only a few O(N)-byte exchanges are in flight at once), with datagrams
    // dropped and ticks held so that the join storm gossips nothing. All
    // thaw at 80 ms: early enough that no timer is late by more than the
    // core's local-pause threshold (100 ms at least), so the freeze does not
    // look like a pause to Lifeguard's local health.
    const std::vector<membership::Address> seed0{c.AddressOf(0)};
    c.At(TimePoint{}, [&c, n, seed0] {
      for (HostId h = 0; h < n; ++h) {
        c.Freeze(h);
        c.Start(h, h == 0 ? std::vector<membership::Address>{} : seed0);
      }
    });
    for (HostId h = 1; h < n; ++h) {
      const TimePoint at =
          TimePoint{} + 20ms + Seconds(0.04 * static_cast<double>(h) / static_cast<double>(n));
      c.At(at, [&c, h, seed0] { c.Join(h, seed0); });
    }
    c.At(TimePoint{} + 80ms, [&c, n] {
      for (HostId h = 0; h < n; ++h) c.Thaw(h);
    });
  }
  for (HostId h = 0; h < n && (options_.bootstrap == Bootstrap::kSeed ||
                               options_.bootstrap == Bootstrap::kRandom);
       ++h) {
    std::vector<membership::Address> seeds;
    if (h > 0 && options_.bootstrap == Bootstrap::kSeed) {
      seeds.push_back(c.AddressOf(0));
    } else if (h > 0) {
      for (int i = 0; i < 3 && static_cast<HostId>(i) < h; ++i) {
        seeds.push_back(c.AddressOf(static_cast<HostId>(rng.Below(h))));
      }
    }
    const TimePoint at = TimePoint{} + Seconds(options_.join_spread_s * static_cast<double>(h) /
                                               static_cast<double>(n));
    c.At(at, [&c, h, seeds] { c.Start(h, seeds); });
  }

  c.At(measure_start_, [this] {
    warmup_converged_ = cluster_->ConvergedNow();
    warmup_converged_since_ = cluster_->converged_since();
    cluster_->MarkMeasureStart();
  });
  if (options_.partition > 0) {
    // Scheduled before the plan, so at the heal instant it runs before the heal.
    const TimePoint check =
        options_.heal_at >= 0 ? measure_start_ + Seconds(options_.heal_at) : end_;
    c.At(check, [this] { CheckPartition(); });
    if (options_.heal_at >= 0) {
      c.At(check, [this] { MarkHealWindowStart(); });
      c.At(std::min(check + Seconds(kHealWindowS), end_), [this] { MarkHealWindowEnd(); });
    }
  }
  if (options_.impair > 0 || options_.one_way_pairs > 0) {
    c.StartAgreementSamples(measure_start_ + Seconds(options_.impair_at + kAgreementAfterS),
                            Seconds(options_.sample_ms / 1000));
  }
  plan_ = BuildFaultPlan(options_, measure_start_);
  ApplyFaultPlan(plan_, c, options_.seed);
  if (options_.impair > 0) {
    c.WatchImpaired(plan_.impaired, options_.impair_until >= 0
                                        ? measure_start_ + Seconds(options_.impair_until)
                                        : TimePoint::max());
  }
}

void ScenarioRunner::MarkHealWindowStart() {
  traffic_at_heal_ = cluster_->TotalTraffic();
  heal_window_start_ = cluster_->now();
  running_at_heal_ = cluster_->truth().running_count();
}

void ScenarioRunner::MarkHealWindowEnd() {
  const HostTraffic now = cluster_->TotalTraffic();
  const double member_s =
      static_cast<double>(running_at_heal_) * ToSeconds(cluster_->now() - heal_window_start_);
  if (member_s <= 0) return;
  const auto bytes = (now.datagram_bytes + now.stream_bytes) -
                     (traffic_at_heal_.datagram_bytes + traffic_at_heal_.stream_bytes);
  heal_bytes_per_member_s_ = static_cast<double>(bytes) / member_s;
}

void ScenarioRunner::CheckPartition() {
  const Cluster& c = *cluster_;
  const GroundTruth& truth = c.truth();
  const ViewCollector& views = c.views();
  const auto hosts = static_cast<HostId>(c.host_count());
  for (HostId o = 0; o < hosts; ++o) {
    if (!truth.Running(o)) continue;
    const std::uint32_t side = truth.CurrentGroup(o) == 0 ? 0 : 1;
    for (HostId s = 0; s < hosts; ++s) {
      if (truth.Running(s) && truth.CurrentGroup(s) != truth.CurrentGroup(o) && views.Sees(o, s)) {
        ++partition_undetected_[side];
      }
    }
    if (membership::Swim* swim = cluster_->swim(o); swim && swim->GetQuorum().has_majority) {
      ++partition_majority_[side];
    }
  }
  partition_checked_ = true;
}

void ScenarioRunner::RunWarmup() {
  cluster_->RunUntil(measure_start_);
  warm_ = true;
}

void ScenarioRunner::RunMeasured() {
  if (!warm_) RunWarmup();
  cluster_->RunUntil(end_);
  cluster_->MarkMeasureEnd();
  done_ = true;
}

Report ScenarioRunner::Finish() const {
  const Cluster& c = *cluster_;
  Report r;
  r.nodes = options_.nodes;
  r.seed = options_.seed;
  r.simulated_s = options_.seconds;
  r.warmup_s = options_.warmup_s;
  r.command = options_.CommandLine() + membership::CommandLineFlags(options_.protocol);

  std::vector<double> first_suspect, first_failed, all_failed, dissemination;
  for (const CrashRecord& cr : c.detection().crashes()) {
    ++r.crashed;
    // A crash is detected once no running member sees it up; a restart (or
    // the end of the run) before that leaves it undetected.
    if (!cr.all_down) ++r.undetected;
    if (cr.first_suspect) first_suspect.push_back(ToSeconds(*cr.first_suspect - cr.crashed_at));
    if (cr.first_failed) first_failed.push_back(ToSeconds(*cr.first_failed - cr.crashed_at));
    if (cr.all_down) {
      all_failed.push_back(ToSeconds(*cr.all_down - cr.crashed_at));
      if (cr.first_failed) dissemination.push_back(ToSeconds(*cr.all_down - *cr.first_failed));
    }
  }
  r.first_suspect_s = ComputePercentiles(first_suspect);
  r.first_failed_s = ComputePercentiles(first_failed);
  r.all_failed_s = ComputePercentiles(all_failed);
  r.dissemination_s = ComputePercentiles(dissemination);

  const DeclarationCounts& m = c.detection().measured();
  r.suspicions = m.suspicions;
  r.failures = m.failures;
  r.false_suspicions = m.false_suspicions;
  r.false_failures = m.false_failures;
  r.impaired_suspicions = m.impaired_suspicions;
  r.impaired_failures = m.impaired_failures;
  r.warmup_false_suspicions = c.detection().warmup().false_suspicions;
  r.warmup_false_failures = c.detection().warmup().false_failures;
  for (const DeclarationSample& d : c.detection().false_examples()) {
    r.false_examples.push_back(FalseDeclaration{ToSeconds(d.time - measure_start_),
                                                c.NameOf(d.observer), c.NameOf(d.subject),
                                                std::string(membership::ToString(d.type))});
  }

  r.converged = c.ConvergedNow();
  if (r.converged && c.converged_since()) {
    const TimePoint reference = c.truth().last_fault() && *c.truth().last_fault() > measure_start_
                                    ? *c.truth().last_fault()
                                    : measure_start_;
    r.convergence_s = std::max(0.0, ToSeconds(*c.converged_since() - reference));
  }
  r.warmup_converged = warmup_converged_;
  if (warmup_converged_ && warmup_converged_since_) {
    r.warmup_converged_s = ToSeconds(warmup_converged_since_->time_since_epoch());
  }
  r.missing_at_end = c.views().MissingCount(c.truth());
  r.distinct_view_sizes = c.views().DistinctViewSizes();
  if (!r.converged) {
    for (const ViewCollector::Mismatch& mm : c.views().Mismatches(c.truth(), 10)) {
      r.view_mismatch_examples.push_back(c.NameOf(mm.observer) + " sees " + c.NameOf(mm.subject) +
                                         (mm.sees_up ? " up" : " down"));
    }
  }
  for (HostId h = 0; h < c.host_count(); ++h) {
    if (!c.truth().Running(h)) continue;
    ++r.running_at_end;
    if (const membership::Swim* swim = c.swim(h); swim && swim->GetQuorum().has_majority) {
      ++r.majority_at_end;
    }
  }

  const HostTraffic traffic = c.MeasuredTraffic();
  const double member_s = c.member_seconds() > 0 ? c.member_seconds() : 1.0;
  r.datagrams_per_member_s = static_cast<double>(traffic.datagrams) / member_s;
  r.datagram_bytes_per_member_s = static_cast<double>(traffic.datagram_bytes) / member_s;
  r.stream_bytes_per_member_s = static_cast<double>(traffic.stream_bytes) / member_s;
  r.msgs_per_member_s = static_cast<double>(traffic.datagrams + traffic.stream_messages) / member_s;
  r.bytes_per_member_s =
      static_cast<double>(traffic.datagram_bytes + traffic.stream_bytes) / member_s;
  const HostTraffic& start = c.WarmupTraffic();
  const double warmup_member_s = c.warmup_member_seconds() > 0 ? c.warmup_member_seconds() : 1.0;
  r.warmup_bytes_per_member_s =
      static_cast<double>(start.datagram_bytes + start.stream_bytes) / warmup_member_s;
  r.warmup_stream_bytes_per_member_s = static_cast<double>(start.stream_bytes) / warmup_member_s;

  if (options_.impair > 0 || options_.one_way_pairs > 0) {
    r.gray = true;
    const TimePoint gray_from = measure_start_ + Seconds(options_.impair_at);
    for (HostId h : plan_.impaired) {
      Report::GrayMember g;
      g.name = c.NameOf(h);
      if (auto it = c.gray().subjects().find(h); it != c.gray().subjects().end()) {
        const GrayCollector::Subject& s = it->second;
        g.suspicions = s.suspicions;
        g.failures = s.failures;
        g.readmissions = s.readmissions;
        g.readmissions_while_impaired = s.readmissions_while_impaired;
        if (s.up_everywhere && options_.impair_until >= 0) {
          g.up_everywhere_after_s =
              ToSeconds(*s.up_everywhere - (measure_start_ + Seconds(options_.impair_until)));
        }
        g.failed_by = static_cast<int>(s.failed_by.size());
        if (s.failed_everywhere)
          g.failed_everywhere_s = ToSeconds(*s.failed_everywhere - gray_from);
      }
      r.gray_members.push_back(std::move(g));
    }
    for (const auto& [a, b] : plan_.one_way) r.one_way_pairs.emplace_back(c.NameOf(a), c.NameOf(b));
    r.agreement_from_s = options_.impair_at + kAgreementAfterS;
    r.agreement_quorum = GrayCollector::kAgreementQuorum;
    r.agreement_samples = c.gray().agreement_samples();
    r.false_suspicions_by_impaired = c.detection().measured().false_suspicions_by_gray;
    r.false_failures_by_impaired = c.detection().measured().false_failures_by_gray;
    r.agreeing_samples = c.gray().agreeing_samples();
  }
  if (options_.partition > 0) {
    r.partition = true;
    for (std::uint32_t g : plan_.groups) ++r.partition_sides[g == 0 ? 0 : 1];
    r.partition_checked = partition_checked_;
    r.heal_bytes_per_member_s = heal_bytes_per_member_s_;
    for (int i = 0; i < 2; ++i) {
      r.partition_undetected[i] = partition_undetected_[i];
      r.partition_majority[i] = partition_majority_[i];
    }
  }

  std::vector<double> rejoin;
  for (const Cluster::RejoinRecord& rr : c.rejoins()) {
    ++r.restarted;
    if (rr.rejoined_at) {
      ++r.rejoined;
      rejoin.push_back(ToSeconds(*rr.rejoined_at - rr.restarted_at));
    }
  }
  r.rejoin_s = ComputePercentiles(rejoin);
  r.joined = static_cast<int>(plan_.joiners.size());
  r.left = static_cast<int>(plan_.leaving.size());
  std::vector<double> settle;
  for (const Cluster::ReplacementRecord& rr : c.replacements()) {
    ++r.replaced;
    if (rr.settled_at) settle.push_back(ToSeconds(*rr.settled_at - rr.at));
  }
  r.replacements_settled = static_cast<int>(settle.size());
  r.replaced_by_crash = plan_.replace_by == ReplaceBy::kCrash;
  r.replacement_settle_s = ComputePercentiles(settle);

  const CoreTotals core = c.MeasuredCoreTotals();
  r.refutations = core.refutations;
  r.stand_downs = core.stand_downs;
  r.probes = core.probes;
  r.indirect_probes = core.indirect_probes;
  r.stream_probes = core.stream_probes;
  r.claim_checks = core.claim_checks;
  r.claim_checks_waited = core.claim_checks_waited;
  r.phi_checks = core.phi_checks;
  r.phi_checks_answered = core.phi_checks_answered;
  r.heartbeats = core.heartbeats_out;
  r.core_dropped = core.dropped;
  const NetworkStats& net = c.network().stats();
  r.net_dropped_loss = net.dropped_loss;
  r.net_dropped_partition = net.dropped_partition;
  r.net_dropped_down = net.dropped_down;
  r.net_dropped_backlog = net.dropped_backlog_full;
  r.net_dropped_oversized = net.dropped_oversized;
  r.net_unknown_address = net.dropped_unknown_address;
  r.streams = net.streams_started;
  r.streams_failed = net.streams_failed;
  r.max_backlog = net.max_backlog;
  r.largest_datagram = net.largest_datagram;
  r.events = c.scheduler().events_run();
  r.tick_spins = net.tick_spins;
  r.quorum_lost_events = c.quorum_lost_events();
  r.quorum_regained_events = c.quorum_regained_events();
  r.core_errors = c.core_errors();
  r.core_warnings = c.core_warnings();
  r.core_error_examples = c.core_error_examples();
  r.invariant_violations = c.invariants().count();
  r.violation_examples = c.invariants().messages();
  return r;
}

Report RunScenario(const ScenarioOptions& options) {
  ScenarioRunner runner(options);
  runner.RunWarmup();
  runner.RunMeasured();
  return runner.Finish();
}

}  // namespace picket::sim
