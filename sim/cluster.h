#pragma once

// A simulated cluster: the scheduler, the network, one SwimHost per running
// member, the ground truth and the collectors, and the fault operations
// (crash, restart, pause, resume, graceful leave, partition, heal) that keep
// all of them consistent.
//
// Host h is named "n<h>" and reachable at "n<h>:<port>". Everything runs in
// virtual time, from TimePoint{}; the seed decides every random choice of the
// network and of every core.
//
// Thread safety: none; one thread owns a Cluster.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "membership/config.h"
#include "membership/counters.h"
#include "sim/detection_collector.h"
#include "sim/gray_collector.h"
#include "sim/ground_truth.h"
#include "sim/invariant_checker.h"
#include "sim/network.h"
#include "sim/scheduler.h"
#include "sim/swim_host.h"
#include "sim/table_memory.h"
#include "sim/view_collector.h"

namespace picket::sim {

using namespace std::chrono_literals;

struct ClusterOptions {
  std::size_t capacity = 0;  // hosts that will ever be added (sizes the view matrix)
  LinkConfig link;
  membership::Config protocol;
  std::uint64_t seed = 1;
  Duration grace = 2s;                // see ground_truth.h
  TimePoint measure_start{};          // declarations before it count as warm-up
  std::size_t backlog_limit = 10000;  // datagrams a paused host queues
  Duration sample_interval = 100ms;   // convergence is sampled this often
  std::size_t max_examples = 10;      // false declarations / violations kept
  int port = 9746;
  // Every event about this member (by any observer) and every event it raises
  // (about any member) is passed to `trace`, as
  // "t=12.345678s n3: member.failed n7 state=failed inc=2". Empty: none.
  std::string trace_member;
  std::function<void(const std::string&)> trace;
};

// Sums of the cores' counters (of running and of stopped processes).
struct CoreTotals {
  std::uint64_t probes = 0, indirect_probes = 0, stream_probes = 0;
  std::uint64_t claim_checks = 0, claim_checks_waited = 0;
  std::uint64_t phi_checks = 0, phi_checks_answered = 0;
  std::uint64_t heartbeats_out = 0, heartbeats_in = 0;
  std::uint64_t suspicions = 0, refutations = 0, failures = 0, stand_downs = 0;
  std::uint64_t dropped = 0;  // every DropReason
  void Add(const membership::Counters& c);
  CoreTotals operator-(const CoreTotals& other) const;
};

class Cluster final : private HostObserver {
 public:
  // REQUIRES: options.protocol.Validate() is nullopt, capacity > 0.
  explicit Cluster(ClusterOptions options);
  ~Cluster() override;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Adds a host with nothing running on it. REQUIRES: host_count() < capacity.
  HostId AddHost();
  [[nodiscard]] std::size_t host_count() const { return names_.size(); }
  [[nodiscard]] const std::string& NameOf(HostId h) const { return names_[h]; }
  [[nodiscard]] const membership::Address& AddressOf(HostId h) const {
    return network_.AddressOf(h);
  }

  // --- Faults and commands, effective now() ---
  // Starts a process on a host that runs none; with seeds it joins through
  // them (without, it is the first member).
  void Start(HostId h, const std::vector<membership::Address>& seeds);
  // Starts a process that already knows `members` (hosts, all alive), through
  // Swim::WarmStart: no join, no gossip.
  void StartWarm(HostId h, const std::vector<HostId>& members);
  // SIGKILL: the process and its state are gone.
  void Crash(HostId h);
  // Starts a fresh process (new core, new seed) on a crashed host.
  void Restart(HostId h, const std::vector<membership::Address>& seeds);
  void Pause(HostId h);
  void Resume(HostId h);
  // Calls Swim::Join(seeds) on the running process of h (again).
  void Join(HostId h, const std::vector<membership::Address>& seeds);
  // Bootstrap only: see Network::Freeze.
  void Freeze(HostId h) { network_.Freeze(h); }
  void Thaw(HostId h) { network_.Thaw(h); }
  // Graceful leave: Swim::Leave now; the process exits once LeaveComplete()
  // (polled every 100 ms) or after leave_propagate_timeout + 1 s.
  void Leave(HostId h);
  // A gray failure of h begins / ends (judging only: declarations about h
  // count as of an impaired member meanwhile); SetHostLoss and SetOneWayCut
  // change the links (see LinkModel).
  void GrayStart(HostId h);
  void GrayEnd(HostId h);
  void SetHostLoss(HostId h, double in, double out);
  void SetOneWayCut(HostId from, HostId to, bool cut);
  // Hosts in different groups stop reaching each other; Heal ends it.
  void Partition(std::vector<std::uint32_t> group_of_host);
  void Heal();

  // Runs `action` at virtual time `when` (in schedule order among equals).
  void At(TimePoint when, std::function<void()> action);
  // Runs every event due up to `until`; now() is `until` afterwards.
  void RunUntil(TimePoint until);
  [[nodiscard]] TimePoint now() const { return scheduler_.now(); }

  // From now on, traffic and member-seconds count toward the measured rates.
  void MarkMeasureStart();
  // Stops the member-seconds clock at now().
  void MarkMeasureEnd();

  // The running core of h, nullptr when nothing runs there.
  [[nodiscard]] membership::Swim* swim(HostId h) {
    return hosts_[h] ? &hosts_[h]->swim() : nullptr;
  }
  [[nodiscard]] const membership::Swim* swim(HostId h) const {
    return hosts_[h] ? &hosts_[h]->swim() : nullptr;
  }
  [[nodiscard]] const Network& network() const { return network_; }
  [[nodiscard]] Network& network() { return network_; }
  [[nodiscard]] const GroundTruth& truth() const { return truth_; }
  [[nodiscard]] const ViewCollector& views() const { return views_; }
  [[nodiscard]] const DetectionCollector& detection() const { return detection_; }
  [[nodiscard]] const GrayCollector& gray() const { return gray_; }
  [[nodiscard]] const InvariantChecker& invariants() const { return invariants_; }
  [[nodiscard]] const Scheduler& scheduler() const { return scheduler_; }
  [[nodiscard]] const ClusterOptions& options() const { return options_; }

  // Convergence as last sampled: since when every running member has had the
  // true view without interruption (nullopt: not converged at the last sample).
  [[nodiscard]] std::optional<TimePoint> converged_since() const { return converged_since_; }
  // Computes convergence now (O(hosts)).
  [[nodiscard]] bool ConvergedNow() const { return views_.Converged(truth_); }
  // When every running member first saw a restarted host up again (per restart).
  struct RejoinRecord {
    HostId host = 0;
    TimePoint restarted_at{};
    std::optional<TimePoint> rejoined_at;
  };
  [[nodiscard]] const std::vector<RejoinRecord>& rejoins() const { return rejoins_; }
  // A replacement: `gone` left or crashed and `joined` started at `at`. It is
  // settled when every member running and not leaving sees `joined` up and
  // none sees `gone` up (sampled every sample_interval).
  struct ReplacementRecord {
    HostId gone = 0;
    HostId joined = 0;
    TimePoint at{};
    std::optional<TimePoint> settled_at;
  };
  // From `from` on, one agreement sample (GrayCollector::SampleAgreement)
  // every `every`, at the first view sample due then.
  void StartAgreementSamples(TimePoint from, Duration every);
  // See GrayCollector::Watch.
  void WatchImpaired(const std::vector<HostId>& impaired, TimePoint end);
  // Starts tracking a replacement made now.
  void TrackReplacement(HostId gone, HostId joined);
  [[nodiscard]] const std::vector<ReplacementRecord>& replacements() const { return replacements_; }

  // Traffic sent since the start, summed over hosts.
  [[nodiscard]] HostTraffic TotalTraffic() const;
  // Traffic sent since MarkMeasureStart, summed over hosts.
  [[nodiscard]] HostTraffic MeasuredTraffic() const;
  // Integral of the number of running members over the measured period.
  [[nodiscard]] double member_seconds() const { return member_seconds_; }
  // Traffic sent during the warm-up (the start: joins and their gossip), and
  // the integral of running members over it.
  [[nodiscard]] const HostTraffic& WarmupTraffic() const { return traffic_at_start_; }
  [[nodiscard]] double warmup_member_seconds() const { return warmup_member_seconds_; }
  // Core counters summed over all processes, since MarkMeasureStart.
  [[nodiscard]] CoreTotals MeasuredCoreTotals() const;
  [[nodiscard]] std::uint64_t quorum_lost_events() const { return quorum_lost_events_; }
  [[nodiscard]] std::uint64_t quorum_regained_events() const { return quorum_regained_events_; }
  [[nodiscard]] std::uint64_t core_warnings() const { return core_warnings_; }
  [[nodiscard]] std::uint64_t core_errors() const { return core_errors_; }
  [[nodiscard]] const std::vector<std::string>& core_error_examples() const {
    return core_error_examples_;
  }

 private:
  enum ClusterEventKind : std::uint32_t {
    kCallback = kFirstUserEventKind,
    kSample,
    kLeavePoll,
  };

  // HostObserver
  void OnMemberEvent(HostId observer, const membership::MemberEvent& event) override;
  void OnDatagramSent(HostId sender, std::size_t bytes) override;
  void OnCoreLog(HostId host, membership::LogLevel level, std::string_view message) override;
  // Passes `text` to options_.trace, prefixed with the simulated time.
  void Trace(std::string_view text) const;

  void Launch(HostId h, const std::vector<membership::Address>& seeds, bool after_fault,
              const std::vector<HostId>* warm_members = nullptr);
  // Stops the process on h (crash or exit) and updates the collectors.
  void Stop(HostId h);
  void Exit(HostId h);
  void Sample();
  void SampleReplacements(TimePoint now);
  [[nodiscard]] bool Settled(const ReplacementRecord& r) const;
  void IntegrateMemberSeconds();
  [[nodiscard]] std::optional<HostId> HostOfName(const std::string& name) const;
  [[nodiscard]] CoreTotals TotalCoreCounters() const;

  ClusterOptions options_;
  Scheduler scheduler_;
  Network network_;
  GroundTruth truth_;
  ViewCollector views_;
  GrayCollector gray_;
  DetectionCollector detection_;
  InvariantChecker invariants_;
  std::vector<std::string> names_;
  // One pool of names and addresses for every host's member table: N tables
  // of N members hold ids, not N copies of each name. It keeps every text
  // (the simulation's names are bounded), so tearing the tables down is cheap.
  // The tables' per-member arrays come from TableMemory (huge pages).
  std::shared_ptr<membership::NamePool> name_pool_ = std::make_shared<membership::NamePool>(
      /*keep_texts=*/true, std::make_shared<TableMemory>());
  std::vector<std::unique_ptr<SwimHost>> hosts_;
  std::vector<std::uint32_t> launches_;  // processes started per host (seeds them)
  std::vector<TimePoint> leave_deadline_;
  std::vector<membership::Identity> warm_identities_;  // built once for StartWarm
  std::vector<std::function<void()>> callbacks_;
  std::vector<std::uint32_t> free_callbacks_;

  bool views_dirty_ = true;
  std::optional<TimePoint> converged_since_;
  std::vector<RejoinRecord> rejoins_;
  std::vector<ReplacementRecord> replacements_;
  std::size_t first_unsettled_ = 0;  // replacements_ before it are all settled
  std::optional<TimePoint> next_agreement_sample_;
  Duration agreement_every_{};

  bool measure_ended_ = false;
  TimePoint member_seconds_mark_{};
  double member_seconds_ = 0;  // of the period running now (warm-up, then measured)
  double warmup_member_seconds_ = 0;
  HostTraffic traffic_at_start_;
  CoreTotals retired_counters_;  // of processes that stopped
  CoreTotals counters_at_start_;
  std::uint64_t quorum_lost_events_ = 0;
  std::uint64_t quorum_regained_events_ = 0;
  std::uint64_t core_warnings_ = 0;
  std::uint64_t core_errors_ = 0;
  std::vector<std::string> core_error_examples_;
};

}  // namespace picket::sim
