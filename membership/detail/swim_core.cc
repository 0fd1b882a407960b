#include "membership/detail/swim_core.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "membership/detail/hash.h"
#include "membership/detail/precedence.h"
#include "membership/tuning.h"

namespace picket::membership::detail {

SwimCore::SwimCore(Config config, Identity self, std::uint64_t seed, Runtime& runtime,
                   TimePoint now, std::shared_ptr<NamePool> names)
    : config_(std::move(config)),
      runtime_(runtime),
      self_name_(std::move(self.name)),
      self_address_(std::move(self.address)),
      self_hash_(NameHash(self_name_)),
      random_(seed),
      encoder_(config_.cluster_name, self_name_),
      datagram_decoder_(config_.cluster_name, Channel::kDatagram),
      stream_decoder_(config_.cluster_name, Channel::kStream),
      table_(names != nullptr ? std::move(names) : std::make_shared<NamePool>()),
      ring_(config_.observers, 0),
      monitor_(config_.phi, config_.heartbeat_interval),
      awareness_(config_.awareness_max_score),
      updates_(config_.gossip_queue_limit,
               std::min(config_.gossip_queue_limit, tuning::kNewMemberQueueLimit)),
      phi_queue_(tuning::kPhiReportQueueLimit) {
  assert(!config_.Validate());
  assert(!self_name_.empty() && self_name_.size() <= tuning::kMaxNameBytes);
  assert(!self_address_.empty() && self_address_.size() <= tuning::kMaxAddressBytes);
  self_ = table_.Insert(self_name_, self_address_, 0, MemberState::kAlive, std::move(self.tags),
                        now);
  ring_ = ObserverRing(config_.observers, self_);
  // Random phases, so that agents started together do not probe and
  // heartbeat in lockstep.
  ScheduleProbeRound(now + Duration(static_cast<Duration::rep>(
                               random_.Uniform(static_cast<std::uint64_t>(
                                   config_.probe_interval.count())))));
  ScheduleHeartbeat(now + Duration(static_cast<Duration::rep>(random_.Uniform(
                              static_cast<std::uint64_t>(config_.heartbeat_interval.count())))));
  SchedulePushPull(now);
  ScheduleReconnect(now);
  expected_wakeup_ = NextWakeup();
}

// ---------------------------------------------------------------- commands

void SwimCore::WarmStart(const std::vector<Identity>& members, TimePoint now) {
  const InputScope input(*this, now);
  table_.Reserve(members.size() + 1);
  for (const Identity& m : members) {
    if (m.name == self_name_) continue;
    const MemberIndex added =
        table_.InsertIfAbsent(m.name, m.address, 0, MemberState::kAlive, m.tags, now);
    if (added == kNoMember) continue;
    ring_.Add(table_, added);
    probe_order_.Add(added, random_);
  }
  RingChanged();
  joined_ = true;
  has_majority_ = GetQuorum().has_majority;
}

void SwimCore::Leave(TimePoint now) {
  const InputScope input(*this, now);
  if (leaving_) return;
  {
    leaving_ = true;
    const std::uint64_t incarnation = self_incarnation() + 1;
    Transition(self_, MemberState::kLeft, incarnation, now);
    BroadcastLeft(self_);
    updates_.Watch(self_);
    // Tell the observers (they stop expecting heartbeats) and a few others at
    // once; every datagram carries the queued `left` until it has been sent
    // its retransmit limit, and the receivers gossip it on.
    std::vector<MemberIndex> targets = ring_.observers();
    for (MemberIndex m : RandomLiveMembers(tuning::kLeaveDirectFanout, kNoMember)) {
      if (std::find(targets.begin(), targets.end(), m) == targets.end()) targets.push_back(m);
    }
    for (MemberIndex m : targets) {
      if (updates_.WatchDone()) break;
      SendDatagram(std::string(table_.AddressOf(m)), std::string());
    }
    if (targets.empty()) leave_deadline_passed_ = true;  // nobody to tell
    timers_.Push(now + config_.leave_propagate_timeout, LeaveTimer{});
    CheckQuorum(now);
  }
}

Status SwimCore::SetTags(Tags tags, TimePoint now) {
  const InputScope input(*this, now);
  if (Status valid = ValidateTags(tags); !valid) return valid;
  if (leaving_) return Fail("this member is leaving");
  table_.SetTags(self_, std::move(tags));
  AnnounceSelf(now);
  return {};
}

void SwimCore::AnnounceSelf(TimePoint now) {
  // Standing down, we are out by our own word: the change goes out with our
  // return (StandUp), not as an alive that would bring us back now.
  if (standing_down_) return;
  table_.SetState(self_, MemberState::kAlive, self_incarnation() + 1, now);
  BroadcastAlive(self_);
}

Status SwimCore::SetService(std::optional<ServiceStatus> service, TimePoint now) {
  if (leaving_) return Fail("this member is leaving");
  if (service && service->output.size() > tuning::kMaxServiceOutputBytes) {
    return Fail("the service output is longer than " +
                std::to_string(tuning::kMaxServiceOutputBytes) + " bytes");
  }
  if (service && !IsUtf8(service->output)) return Fail("the service output is not UTF-8");
  const InputScope input(*this, now);
  std::optional<ServiceStatus> before;
  if (const ServiceStatus* current = table_.ServiceOf(self_)) before = *current;
  if (before != service) {
    // A new incarnation orders it: a newer status always wins, an older never returns.
    table_.SetService(self_, service);
    AnnounceSelf(now);
    if (service) {
      EmitServiceChange(self_, before, now);
    } else {
      Emit(EventType::kUpdated, self_, now);
    }
  }
  return {};
}

// ---------------------------------------------------------------- time

void SwimCore::Tick(TimePoint now) {
  const InputScope input(*this, now);
  for (;;) {
    // Gossip due now runs in this call rather than asking for another one.
    if (!updates_.empty()) EnsureGossipScheduled(now);
    if (timers_.empty() || timers_.Next() > now) break;
    const Timer timer = timers_.Pop();
    Dispatch(timer, now);
  }
}

TimePoint SwimCore::NextWakeup() const {
  return timers_.empty() ? TimePoint::max() : timers_.Next();
}

Duration SwimCore::LocalPauseThreshold() const {
  const auto fraction = std::chrono::duration_cast<Duration>(config_.heartbeat_interval *
                                                             tuning::kLocalPauseFraction);
  return std::max<Duration>(fraction, std::chrono::milliseconds(tuning::kMinLocalPauseMs));
}

void SwimCore::NoticeInput(TimePoint now) {
  if (expected_wakeup_ && *expected_wakeup_ != TimePoint::max() &&
      now > *expected_wakeup_ + LocalPauseThreshold()) {
    OnLocalPause(now);
  }
  expected_wakeup_.reset();
}

void SwimCore::FinishInput(TimePoint now) {
  if (!updates_.empty()) EnsureGossipScheduled(now);
  // A timer may be due already (e.g. a confirmed suspicion whose shortened
  // deadline has passed): the runtime calls Tick at once, not at that time.
  expected_wakeup_ = std::max(NextWakeup(), now);
}

void SwimCore::OnLocalPause(TimePoint now) {
  // Our timers ran far too late: whatever we did not hear during the gap may
  // be sitting unread in our own socket buffer. Discard the heartbeat history
  // (the silence was ours), give pending probes and suspicions time to see
  // the backlog, and trust ourselves less for a while.
  ++counters_.local_pauses;
  awareness_.Apply(tuning::kLocalPausePenalty);
  link_health_.Clear();                // rounds that spanned the pause were not our link's fault
  if (last_heard_) last_heard_ = now;  // the silence across the pause was not deafness
  Log(LogLevel::kInfo, "local pause detected: timers ran late; discarding heartbeat history");
  monitor_.ResetAll();
  for (auto& watch : monitor_.watches()) {
    watch.timer_at.reset();
    watch.quiet_until = now;
  }
  const TimePoint grace = now + awareness_.Scale(config_.probe_timeout);
  for (auto& [seq, probe] : probes_) {
    if (probe.deadline < grace) {
      probe.deadline = grace;
      ++probe.timer_generation;
      timers_.Push(grace, ProbeTimer{seq, probe.stage, probe.timer_generation});
    }
  }
  for (const auto& [member, entry] : suspicions_.Postpone(grace)) {
    timers_.Push(entry->deadline, SuspicionTimer{member, entry->generation});
  }
}

void SwimCore::Dispatch(const Timer& timer, TimePoint now) {
  std::visit(
      [&](const auto& t) {
        using T = std::decay_t<decltype(t)>;
        if constexpr (std::is_same_v<T, ProbeRoundTimer>) {
          if (t.generation == probe_round_generation_) OnProbeRound(now);
        } else if constexpr (std::is_same_v<T, ProbeTimer>) {
          OnProbeTimer(t, now);
        } else if constexpr (std::is_same_v<T, RelayTimer>) {
          OnRelayTimer(t);
        } else if constexpr (std::is_same_v<T, HeartbeatTimer>) {
          if (t.generation == heartbeat_generation_) OnHeartbeatTimer(now);
        } else if constexpr (std::is_same_v<T, PhiCheckTimer>) {
          OnPhiCheckTimer(t, now);
        } else if constexpr (std::is_same_v<T, SuspicionTimer>) {
          OnSuspicionTimer(t, now);
        } else if constexpr (std::is_same_v<T, GossipTimer>) {
          if (t.generation == gossip_generation_) OnGossipTimer(now);
        } else if constexpr (std::is_same_v<T, PushPullTimer>) {
          if (t.generation == push_pull_generation_) OnPushPullTimer(now);
        } else if constexpr (std::is_same_v<T, ReconnectTimer>) {
          OnReconnectTimer(now);
        } else if constexpr (std::is_same_v<T, JoinRetryTimer>) {
          OnJoinRetryTimer(t, now);
        } else if constexpr (std::is_same_v<T, LeaveTimer>) {
          leave_deadline_passed_ = true;
        } else if constexpr (std::is_same_v<T, ReapTimer>) {
          OnReapTimer(now);
        } else if constexpr (std::is_same_v<T, CatchUpTimer>) {
          OnCatchUpTimer(now);
        } else if constexpr (std::is_same_v<T, ClaimRecheckTimer>) {
          OnClaimRecheckTimer(t, now);
        }
      },
      timer);
}

void SwimCore::ScheduleProbeRound(TimePoint at) {
  timers_.Push(at, ProbeRoundTimer{++probe_round_generation_});
}

void SwimCore::ScheduleHeartbeat(TimePoint at) {
  timers_.Push(at, HeartbeatTimer{++heartbeat_generation_});
}

// ---------------------------------------------------------------- queries

MemberInfo SwimCore::BuildInfo(MemberIndex m, TimePoint now) const {
  MemberInfo info;
  info.name = std::string(table_.Name(m));
  info.address = std::string(table_.AddressOf(m));
  info.incarnation = table_.Incarnation(m);
  info.state = table_.State(m);
  info.tags = table_.TagsOf(m);
  if (const ServiceStatus* service = table_.ServiceOf(m)) info.service = *service;
  info.state_since = table_.StateSince(m);
  if (const auto* watch = monitor_.Find(m); watch != nullptr && watch->detector.last_heartbeat()) {
    info.phi = watch->detector.Phi(now);
    info.detector = HeartbeatMonitor::Estimate(*watch);
  }
  info.reported_phi = phi_reports_.Highest(m, now);
  if (info.phi && *info.phi >= config_.phi_report_threshold &&
      (!info.reported_phi || *info.phi > *info.reported_phi)) {
    info.reported_phi = info.phi;
  }
  return info;
}

std::vector<MemberInfo> SwimCore::Members(TimePoint now) const {
  std::vector<MemberInfo> out;
  out.reserve(static_cast<std::size_t>(table_.size()));
  for (MemberIndex m = 0; m < table_.end(); ++m) {
    if (table_.Contains(m)) out.push_back(BuildInfo(m, now));
  }
  std::sort(out.begin(), out.end(),
            [](const MemberInfo& a, const MemberInfo& b) { return a.name < b.name; });
  return out;
}

std::optional<MemberInfo> SwimCore::Member(const std::string& name, TimePoint now) const {
  const MemberIndex m = table_.Find(name);
  if (m == kNoMember) return std::nullopt;
  return BuildInfo(m, now);
}

MemberInfo SwimCore::Self() const { return BuildInfo(self_, table_.StateSince(self_)); }

Quorum SwimCore::GetQuorum() const {
  Quorum q;
  q.alive = LiveCount();
  q.members = q.alive + table_.Count(MemberState::kFailed);
  q.has_majority = q.alive * 2 > q.members;
  return q;
}

bool SwimCore::LeaveComplete() const {
  return leaving_ && (leave_deadline_passed_ || updates_.WatchDone());
}

const Counters& SwimCore::counters() const {
  counters_.gossip_queue_depth = updates_.size();
  return counters_;
}

void SwimCore::Log(LogLevel level, std::string_view message) { runtime_.Log(level, message); }

// ---------------------------------------------------------------- invariants

std::string SwimCore::CheckInvariants() const {
  int counted = 0;
  int per_state[4] = {0, 0, 0, 0};
  for (MemberIndex m = 0; m < table_.end(); ++m) {
    if (!table_.Contains(m)) continue;
    ++counted;
    ++per_state[static_cast<int>(table_.State(m))];
    const std::string_view name = table_.Name(m);
    if (table_.Find(name) != m) return "index does not find " + std::string(name);
    if (table_.FindTombstone(name) != nullptr) return "tombstone for live name " + std::string(name);
    const bool suspect = table_.State(m) == MemberState::kSuspect;
    const auto* suspicion = suspicions_.Find(m);
    if (suspect != (suspicion != nullptr)) return "suspicion table out of step for " + std::string(name);
    if (suspicion != nullptr && suspicion->incarnation != table_.Incarnation(m)) {
      return "suspicion incarnation differs for " + std::string(name);
    }
  }
  if (counted != table_.size()) return "size differs from records";
  for (int s = 0; s < 4; ++s) {
    if (per_state[s] != table_.Count(static_cast<MemberState>(s))) return "state counts differ";
  }
  if (!table_.Contains(self_) || table_.Name(self_) != self_name_) return "self missing";
  const MemberState self_state = leaving_         ? MemberState::kLeft
                                 : standing_down_ ? MemberState::kFailed
                                                  : MemberState::kAlive;
  if (table_.State(self_) != self_state) {
    return "self in wrong state";
  }
  const auto check_list = [&](const std::vector<MemberIndex>& list) -> std::string {
    if (static_cast<int>(list.size()) > config_.observers) return "ring list too long";
    for (MemberIndex m : list) {
      if (m == self_ || !table_.Contains(m) || !IsLive(table_.State(m))) return "ring holds a non-live member";
    }
    return {};
  };
  if (auto e = check_list(ring_.observers()); !e.empty()) return e;
  if (auto e = check_list(ring_.subjects()); !e.empty()) return e;
  const int live_others = LiveCount() - (leaving_ ? 0 : 1);
  const auto expected = static_cast<std::size_t>(std::min(config_.observers, live_others));
  if (ring_.observers().size() != expected || ring_.subjects().size() != expected) {
    return "ring lists have the wrong size";
  }
  if (monitor_.watches().size() != ring_.subjects().size()) return "watches differ from subjects";
  if (updates_.size() > config_.gossip_queue_limit) return "gossip queue over its limit";
  if (relays_.size() > tuning::kMaxPendingRelays) return "too many relays";
  if (GetQuorum().has_majority != has_majority_) return "quorum flag out of step";
  return {};
}

}  // namespace picket::membership::detail
