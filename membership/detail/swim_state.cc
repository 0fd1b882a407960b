// Applying claims about members: SWIM precedence, refutation, suspicion
// (Lifeguard), events, quorum and reaping.

#include <algorithm>
#include <cassert>
#include <string>

#include "membership/detail/hash.h"
#include "membership/detail/precedence.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {

Tags SwimCore::ToTags(const std::vector<TagView>& tags) const {
  Tags out;
  for (const auto& [key, value] : tags) out.emplace(key, value);
  return out;
}

namespace {

std::optional<ServiceStatus> ToService(const std::optional<ServiceView>& view) {
  if (!view) return std::nullopt;
  return ServiceStatus{view->status, std::string(view->output), view->since_unix_ms};
}

std::optional<ServiceStatus> Copy(const ServiceStatus* service) {
  if (service == nullptr) return std::nullopt;
  return *service;
}

}  // namespace

AliveMsg SwimCore::AliveOf(MemberIndex m) const {
  AliveMsg alive{table_.Name(m), table_.AddressOf(m), table_.Incarnation(m), {}, std::nullopt};
  for (const auto& [k, v] : table_.TagsOf(m)) alive.tags.emplace_back(k, v);
  if (const ServiceStatus* s = table_.ServiceOf(m)) {
    alive.service = ServiceView{s->status, s->output, s->since_unix_ms};
  }
  return alive;
}

void SwimCore::EmitServiceChange(MemberIndex m, const std::optional<ServiceStatus>& before,
                                 TimePoint now) {
  const ServiceStatus* after = table_.ServiceOf(m);
  if (after == nullptr) return;  // stopped running checks: member.updated says so
  if (before && before->status == after->status) return;
  Emit(ServiceEventType(after->status), m, now);
}

int SwimCore::LiveCount() const {
  return table_.Count(MemberState::kAlive) + table_.Count(MemberState::kSuspect);
}

int SwimCore::ClusterSize() const { return LiveCount() + table_.Count(MemberState::kFailed); }

// ---------------------------------------------------------------- claims

bool SwimCore::ApplyAlive(std::string_view name, std::string_view address,
                          std::uint64_t incarnation, const std::vector<TagView>& tags,
                          const std::optional<ServiceView>& service, Source source,
                          std::string_view sender, TimePoint now) {
  if (name == self_name_) {
    if (!leaving_ && !joined_ && source == Source::kPushPull && address != self_address_ &&
        incarnation >= self_incarnation()) {
      // Joining, we find our name alive at another address: most likely an
      // earlier life of ours (restarted at a new address, as a rescheduled
      // pod). Outbid it; every member checks the old address before it moves
      // the name (CheckMove), so a second process that still answers there
      // stays a conflict.
      table_.SetState(self_, MemberState::kAlive, incarnation + 1, now);
      BroadcastAlive(self_);
      Log(LogLevel::kInfo, "joining: " + std::string(name) + " was alive at " +
                               std::string(address) + " (an earlier life?); now incarnation " +
                               std::to_string(incarnation + 1) + " at " + self_address_);
      return true;
    }
    // Our name and incarnation claimed at another address: another process
    // took our name (an earlier life of ours would not be at our incarnation
    // unless it restarted beside us). Surface it; outbidding would not help.
    if (!leaving_ && incarnation == self_incarnation() && address != self_address_) {
      NoteNameConflict(name, self_address_, address, now);
      return false;
    }
    // Someone speaks of us with an incarnation we never had: an earlier life
    // of this name (a restart) or an impostor. Either way, outbid it.
    if (leaving_ || incarnation <= self_incarnation()) return false;
    if (address != self_address_) {
      ++counters_.name_conflicts;
      Log(LogLevel::kWarn, "name conflict: " + std::string(name) + " claimed at " +
                               std::string(address) + ", we are at " + self_address_);
    }
    RefuteSelf(incarnation, sender, now);
    return true;
  }
  MemberIndex m = table_.Find(name);
  if (m == kNoMember) {
    if (const Tombstone* t = table_.FindTombstone(name)) {
      if (incarnation <= t->incarnation) return false;  // older than its death
      table_.EraseTombstone(name);
    }
    m = AddMember(name, address, incarnation, MemberState::kAlive, ToTags(tags), ToService(service),
                  now);
    // A service that is not passing is news beside the join; a passing one is not.
    if (service && service->status != ServiceHealth::kPassing) {
      EmitServiceChange(m, std::nullopt, now);
    }
    // A push-pull peer's table was gossiped already; re-gossiping every member
    // a joiner learns would flood the cluster. The peer's own entry is news,
    // first-hand: it joined through us, and we may be its only seed (the
    // whole cluster's, when all join through one), so it is not evicted
    // for second-hand join news.
    if (source == Source::kPushPull && name == sender) {
      BroadcastAlive(m);
    } else if (source != Source::kPushPull) {
      BroadcastJoin(m);
    }
    return true;
  }
  const MemberState old_state = table_.State(m);
  const bool address_changed = table_.AddressOf(m) != address;
  // The same incarnation of a live member at another address is not old
  // news: a second process with its name, or a restart at a new address
  // (which starts at incarnation 0 again). The old address decides.
  const bool same_life_elsewhere =
      address_changed && IsLive(old_state) && incarnation == table_.Incarnation(m);
  if (!Overrides(incarnation, MemberState::kAlive, table_.Incarnation(m), old_state) &&
      !(accepting_move_ && same_life_elsewhere)) {
    if (same_life_elsewhere) CheckMove(m, address, incarnation, tags, service, now);
    return false;
  }
  if (address_changed && IsLive(old_state) && !accepting_move_) {
    // A newer life at another address while the old one is live here: a
    // restart elsewhere, or two live processes with one name. Do not merge
    // them silently: ask the old address first (FinishMove decides).
    CheckMove(m, address, incarnation, tags, service, now);
    return false;
  }
  Tags new_tags = ToTags(tags);
  const bool tags_changed = new_tags != table_.TagsOf(m);
  std::optional<ServiceStatus> old_service = Copy(table_.ServiceOf(m));
  std::optional<ServiceStatus> new_service = ToService(service);
  const bool service_dropped = old_service && !new_service;
  const bool service_changed = old_service != new_service;
  if (address_changed) table_.SetAddress(m, address);
  if (tags_changed) table_.SetTags(m, std::move(new_tags));
  if (service_changed) table_.SetService(m, std::move(new_service));
  Transition(m, MemberState::kAlive, incarnation, now);
  BroadcastAlive(m);
  if (old_state == MemberState::kFailed && source == Source::kGossip) {
    // Back from failed: one side of a heal. About kComebackSyncs members
    // across the cluster sync with it (all of a small cut-off side do).
    if (random_.UniformReal() * LiveCount() < tuning::kComebackSyncs) {
      SyncAfterCutOff(name, {}, now);
    }
    // Others we hold failed may be back too, and their refutations may
    // never reach us: ask a few, now and for a while (kHealNoticeIntervals).
    heal_notices_until_ = now + config_.probe_interval * tuning::kHealNoticeIntervals;
    NoticeFailedAfterHeal(now);
  }
  if (old_state == MemberState::kFailed || old_state == MemberState::kLeft) {
    Emit(EventType::kJoined, m, now);
  } else if (old_state == MemberState::kSuspect) {
    Emit(EventType::kAlive, m, now);
  } else if (address_changed || tags_changed || service_dropped) {
    Emit(EventType::kUpdated, m, now);
  }
  if (service_changed) EmitServiceChange(m, old_service, now);
  CheckQuorum(now);
  return true;
}

void SwimCore::NoteNameConflict(std::string_view name, std::string_view known_at,
                                std::string_view claimed_at, TimePoint now) {
  ++counters_.name_conflicts;
  auto [it, inserted] = conflict_logs_.try_emplace(std::string(name), now);
  if (inserted || now - it->second >= config_.probe_interval) {
    it->second = now;
    Log(LogLevel::kWarn, "name conflict: " + std::string(name) + " is alive at " +
                             std::string(known_at) + " and claimed at " + std::string(claimed_at) +
                             "; keeping the first");
  }
  if (conflict_logs_.size() > tuning::kMaxDeadNotices) conflict_logs_.clear();
}

void SwimCore::CheckMove(MemberIndex m, std::string_view address, std::uint64_t incarnation,
                         const std::vector<TagView>& tags,
                         const std::optional<ServiceView>& service, TimePoint now) {
  const std::string name(table_.Name(m));
  auto it = pending_moves_.find(name);
  if (it != pending_moves_.end() && it->second.incarnation >= incarnation &&
      now - it->second.since < config_.probe_interval * 2) {
    return;  // being checked
  }
  if (leaving_) {
    NoteNameConflict(name, table_.AddressOf(m), address, now);
    return;
  }
  if (pending_moves_.size() >= tuning::kMaxDeadNotices) pending_moves_.clear();
  pending_moves_[name] =
      PendingMove{std::string(address), incarnation, ToTags(tags), ToService(service), now};
  if (CheckClaim(m, now) == nullptr) FinishMove(name, /*old_answered=*/true, now);
}

bool SwimCore::FinishMove(std::string_view name_view, bool old_answered, TimePoint now) {
  const std::string name(name_view);
  auto it = pending_moves_.find(name);
  if (it == pending_moves_.end()) return false;
  const PendingMove move = std::move(it->second);
  pending_moves_.erase(it);
  const MemberIndex m = table_.Find(name);
  if (m == kNoMember) return false;
  const std::string old_address(table_.AddressOf(m));
  // Moved meanwhile (a newer claim won another way) or no longer live: moot.
  if (old_address == move.address || table_.Incarnation(m) > move.incarnation) return true;
  if (old_answered || !IsLive(table_.State(m))) {
    if (IsLive(table_.State(m))) NoteNameConflict(name, old_address, move.address, now);
    return true;
  }
  std::vector<TagView> tags;
  for (const auto& [k, v] : move.tags) tags.emplace_back(k, v);
  std::optional<ServiceView> service;
  if (move.service) {
    service = ServiceView{move.service->status, move.service->output, move.service->since_unix_ms};
  }
  // The old address is silent on every path: the old life is gone, and the
  // new one replaces it at once, without a suspect or failed in between.
  accepting_move_ = true;
  const bool moved = ApplyAlive(name, move.address, move.incarnation, tags, service, Source::kLocal,
                                self_name_, now);
  accepting_move_ = false;
  if (moved) {
    if (auto* watch = monitor_.Find(m)) {
      // The heartbeat history was the old process's.
      watch->ForgetHistory();
      watch->reported = false;
    }
    Log(LogLevel::kInfo, name + " moved from " + old_address + " to " + move.address +
                             " at incarnation " + std::to_string(move.incarnation) +
                             ": its old address no longer answers");
  }
  return true;
}

bool SwimCore::AnswerClaimAboutSelf(std::uint64_t incarnation, Source source,
                                    std::string_view sender, TimePoint now) {
  if (incarnation < self_incarnation()) {
    // Old news about us: tell whoever spreads it that we are alive and newer.
    if (source == Source::kGossip) ReassertSelf(sender, now);
    return false;
  }
  if (StandDownInsteadOfRefuting(sender, now)) return false;
  RefuteSelf(incarnation, sender, now);
  return true;
}

bool SwimCore::ApplySuspect(std::string_view name, std::uint64_t incarnation, std::string_view from,
                            Source source, std::string_view sender, TimePoint now) {
  if (name == self_name_) {
    if (!AnswerClaimAboutSelf(incarnation, source, sender, now)) return false;
    // Suspected by gossip: maybe the first word of a heal, before the failure
    // claims (at the incarnation just refuted, so old news then). A member of
    // a small cut-off side syncs here, or it may never hear what the other
    // side learned meanwhile (a crash over there, gossiped out long ago).
    if (source == Source::kGossip) SyncAfterCutOff(from, sender, now);
    return true;
  }
  const MemberIndex m = table_.Find(name);
  if (m == kNoMember) return false;  // nothing to suspect; its alive will come
  const MemberState state = table_.State(m);
  const std::uint64_t current = table_.Incarnation(m);
  if (state == MemberState::kSuspect && incarnation == current) {
    // Another member suspects it too: an independent confirmation shortens
    // the timeout (Lifeguard), and is worth passing on.
    if (const auto* entry = suspicions_.Confirm(m, NameHash(from))) {
      timers_.Push(entry->deadline, SuspicionTimer{m, entry->generation});
      BroadcastSuspect(m, from);
    }
    return false;
  }
  if (!Overrides(incarnation, MemberState::kSuspect, current, state)) return false;
  if (source == Source::kPushPull || (source == Source::kGossip && AccuserWasCutOff(from, now))) {
    // A peer's table, or an accuser that was out of reach in our view (failed,
    // suspect, or alive only lately): at a heal, a cut-off agent's suspicions
    // of everyone on the other side arrive in its first push-pull and
    // datagrams, right after its own refutation made it alive here again.
    // Check the member ourselves instead of spreading them.
    QueueClaimCheck(m, /*claimed_failed=*/false, now);
    return false;
  }
  Transition(m, MemberState::kSuspect, incarnation, now);
  StartSuspicion(m, incarnation, from, now);
  BroadcastSuspect(m, from);
  if (from == self_name_) {
    ++counters_.suspicions;
    // Buddy system: tell the suspect at once, so a live one refutes now
    // rather than when the gossip reaches it.
    Send(std::string(table_.AddressOf(m)), Message{SuspectMsg{name, incarnation, from}});
  }
  Emit(EventType::kSuspect, m, now);
  CheckQuorum(now);
  return true;
}

bool SwimCore::ApplyFailed(std::string_view name, std::uint64_t incarnation, std::string_view from,
                           Source source, std::string_view sender, std::string_view address,
                           TimePoint now) {
  if (name == self_name_) {
    if (!AnswerClaimAboutSelf(incarnation, source, sender, now)) return false;
    if (source == Source::kGossip) SyncAfterCutOff(from, sender, now);
    return true;
  }
  const MemberIndex m = table_.Find(name);
  if (m == kNoMember) {
    return RecordDeparted(name, address, incarnation, MemberState::kFailed, now);
  }
  const MemberState state = table_.State(m);
  if (!Overrides(incarnation, MemberState::kFailed, table_.Incarnation(m), state)) return false;
  // A member's own word that it is out (it stood down) is taken as is.
  const bool own_word = from == name;
  const bool distrusted =
      source == Source::kGossip && IsLive(state) && !own_word && AccuserWasCutOff(from, now);
  if (distrusted || (source == Source::kPushPull && IsLive(state))) {
    // Not on this word alone:
    // - gossip from an accuser that was out of reach itself (e.g. an agent
    //   cut off alone, whose suspicions ran out at the heal) judged from its
    //   own isolation;
    // - a push-pull peer's table may be stale (it was partitioned from the
    //   member, or slow).
    // But the claim may be right and we the stale ones (cut off while the
    // member crashed, its failure gossiped out before we were back in reach).
    // So tell the member (a live one refutes, and both views move on) and
    // check it ourselves at once.
    if (distrusted) ++counters_.distrusted_failures;
    MaybeSendDeadNotice(name, std::string(table_.AddressOf(m)), now, incarnation, from);
    if (state == MemberState::kSuspect) {
      // Suspected here too: the claim confirms our suspicion; decide now.
      ApplySuspect(name, incarnation, from, source, sender, now);
      StartFinalCheckNow(m, now);
    } else {
      QueueClaimCheck(m, /*claimed_failed=*/true, now);
    }
    return false;
  }
  Transition(m, MemberState::kFailed, incarnation, now);
  BroadcastFailed(m, from);
  Emit(EventType::kFailed, m, now);
  CheckQuorum(now);
  return true;
}

bool SwimCore::ApplyLeft(std::string_view name, std::uint64_t incarnation, Source source,
                         std::string_view sender, std::string_view address, TimePoint now) {
  if (name == self_name_) {
    // An old life of ours left; we are here.
    if (leaving_) return false;
    return AnswerClaimAboutSelf(incarnation, source, sender, now);
  }
  const MemberIndex m = table_.Find(name);
  if (m == kNoMember) return RecordDeparted(name, address, incarnation, MemberState::kLeft, now);
  const MemberState state = table_.State(m);
  if (!Overrides(incarnation, MemberState::kLeft, table_.Incarnation(m), state)) return false;
  Transition(m, MemberState::kLeft, incarnation, now);
  BroadcastLeft(m);
  Emit(EventType::kLeft, m, now);
  CheckQuorum(now);
  return true;
}

bool SwimCore::RecordDeparted(std::string_view name, std::string_view address,
                              std::uint64_t incarnation, MemberState state, TimePoint now) {
  if (const Tombstone* t = table_.FindTombstone(name)) {
    if (incarnation <= t->incarnation) return false;  // reaped here already
  }
  if (address.empty()) {
    // From gossip: no address to list it with. Remember the departure so
    // that older alive claims cannot invent the member.
    table_.AddTombstone(name, incarnation, state, now + config_.reap_after);
    return false;
  }
  // A push-pull peer lists it: so do we (without events: it was gone before
  // we knew it), until it is reaped here too.
  table_.EraseTombstone(name);
  const MemberIndex m = table_.Insert(name, address, incarnation, state, Tags{}, now);
  ScheduleReap(m, now);
  CheckQuorum(now);
  return true;
}

void SwimCore::RefuteSelf(std::uint64_t accused_incarnation, std::string_view sender,
                          TimePoint now) {
  if (leaving_) return;
  standing_down_ = false;  // outbidding another life of our name brings us back
  const std::uint64_t incarnation = std::max(self_incarnation(), accused_incarnation) + 1;
  table_.SetState(self_, MemberState::kAlive, incarnation, now);
  BroadcastAlive(self_);
  ++counters_.refutations;
  last_refutation_ = now;
  // Lifeguard: having to refute hints that we are slow to answer.
  awareness_.Apply(1);
  // The sender believes the accusation; tell it first.
  if (const MemberIndex s = table_.Find(sender); s != kNoMember && s != self_) {
    Send(std::string(table_.AddressOf(s)), Message{AliveOf(self_)});
  }
}

void SwimCore::SyncAfterCutOff(std::string_view peer, std::string_view fallback, TimePoint now) {
  if (leaving_ || config_.push_pull_interval <= Duration::zero()) return;
  // An accuser held us down, so it was on the other side of the cut; the
  // fallback (who told us) may only pass the claim on (a member of our own
  // side, as stale as we are, and the next sync is 5 probe intervals away).
  MemberIndex p = table_.Find(peer);
  if (p == kNoMember || p == self_ || !IsLive(table_.State(p))) p = table_.Find(fallback);
  if (p == kNoMember || p == self_) return;
  if (last_sync_after_cut_off_ && now - *last_sync_after_cut_off_ <
                                      config_.probe_interval * tuning::kSyncAfterCutOffIntervals) {
    return;
  }
  last_sync_after_cut_off_ = now;
  StartPushPull(std::string(table_.AddressOf(p)), StreamPurpose::kSync, 0);
}

void SwimCore::ReassertSelf(std::string_view sender, TimePoint now) {
  if (leaving_) return;
  const MemberIndex s = table_.Find(sender);
  if (s == kNoMember || s == self_) return;
  auto [it, inserted] = reassertions_.try_emplace(std::string(sender), now);
  if (!inserted && now - it->second < config_.phi_probe_timeout) return;
  it->second = now;
  if (reassertions_.size() > tuning::kMaxDeadNotices) reassertions_.clear();
  Send(std::string(table_.AddressOf(s)), Message{AliveOf(self_)});
}

// ---------------------------------------------------------------- transitions

MemberIndex SwimCore::AddMember(std::string_view name, std::string_view address,
                                std::uint64_t incarnation, MemberState state, Tags tags,
                                std::optional<ServiceStatus> service, TimePoint now) {
  const MemberIndex m = table_.Insert(name, address, incarnation, state, std::move(tags), now);
  table_.SetService(m, std::move(service));
  if (IsLive(state)) {
    if (ring_.Add(table_, m)) RingChanged();
    probe_order_.Add(m, random_);
  }
  Emit(EventType::kJoined, m, now);
  CheckQuorum(now);
  return m;
}

void SwimCore::Transition(MemberIndex m, MemberState state, std::uint64_t incarnation,
                          TimePoint now) {
  const MemberState old_state = table_.State(m);
  table_.SetState(m, state, incarnation, now);
  if (m == self_) return;
  if (state != MemberState::kSuspect) suspicions_.Clear(m);
  const bool was_live = IsLive(old_state);
  const bool live = IsLive(state);
  if (was_live && !live) {
    if (ring_.Remove(table_, m)) RingChanged();
  } else if (!was_live && live) {
    if (ring_.Add(table_, m)) RingChanged();
    probe_order_.Add(m, random_);
  }
  if (!live && old_state != state) ScheduleReap(m, now);
}

void SwimCore::RingChanged() {
  monitor_.SetSubjects(ring_.subjects());
  const auto& observers = ring_.observers();
  if (observer_slots_.size() < observers.size())
    observer_slots_.resize(observers.size(), kNoMember);
  for (std::size_t slot = 0; slot < observer_slots_.size(); ++slot) {
    const MemberIndex now_there = slot < observers.size() ? observers[slot] : kNoMember;
    if (observer_slots_[slot] != now_there) {
      observer_slots_[slot] = now_there;
      updates_.ClearSlot(static_cast<int>(slot));
      phi_queue_.ClearSlot(static_cast<int>(slot));
    }
  }
}

void SwimCore::Emit(EventType type, MemberIndex m, TimePoint now) {
  MemberEvent event;
  event.type = type;
  event.member = BuildInfo(m, now);
  event.quorum = GetQuorum();
  event.time = now;
  runtime_.OnEvent(event);
}

void SwimCore::CheckQuorum(TimePoint now) {
  if (merging_) return;
  const bool majority = GetQuorum().has_majority;
  if (majority == has_majority_) return;
  has_majority_ = majority;
  Emit(majority ? EventType::kQuorumRegained : EventType::kQuorumLost, self_, now);
}

// ---------------------------------------------------------------- suspicion

void SwimCore::StartSuspicion(MemberIndex m, std::uint64_t incarnation, std::string_view originator,
                              TimePoint now) {
  const int n = ClusterSize();
  int expected = config_.suspicion_confirmations;
  // Too few members to ever collect the confirmations: use the minimum.
  if (n - 2 < expected) expected = 0;
  const Duration min =
      SuspicionMinTimeout(config_.suspicion_min_multiplier, config_.probe_interval, n);
  const auto max = std::chrono::duration_cast<Duration>(min * config_.suspicion_max_multiplier);
  const auto& entry =
      suspicions_.Start(m, incarnation, NameHash(originator), now, min, max, expected);
  timers_.Push(entry.deadline, SuspicionTimer{m, entry.generation});
}

void SwimCore::OnSuspicionTimer(const SuspicionTimer& t, TimePoint now) {
  if (!suspicions_.IsCurrent(t.member, t.generation)) return;
  const MemberIndex m = t.member;
  if (!table_.Contains(m) || table_.State(m) != MemberState::kSuspect) {
    suspicions_.Clear(m);
    return;
  }
  const Suspicions::Entry* entry = suspicions_.Find(m);
  const bool unconfirmed = entry->confirmers.size() == 1;
  // Our own health is poor (probes of ours failed lately): we may be cut off
  // with the confirmers, all of one group that cannot reach the member (the
  // small side of a partition), and the member back in reach by now (a heal),
  // its refutation still on the way. So we look again before failing it.
  const bool doubtful = awareness_.score() > 0;
  if ((unconfirmed || doubtful) && !leaving_ && entry->failed_checks < tuning::kFinalChecks) {
    // Nobody confirmed it: one accuser, which may have been unlucky (or we
    // missed the refutation). Look again, on every path; the ping carries the
    // accusation, so a live member answers with its current incarnation.
    StartFinalCheckNow(m, now);  // unless one is running: that one decides
    return;
  }
  DeclareFailed(m, now);
}

SwimCore::Probe* SwimCore::CheckClaim(MemberIndex m, TimePoint now) {
  if (leaving_) return nullptr;
  // Verify before suspecting: a suspicion is gossiped to everyone, and at a
  // heal a cut-off agent's stale claims would otherwise make every member
  // suspect every member it held failed.
  if (Probe* running = RunningVerify(m)) return running;
  return &StartVerify(m, VerifyReason::kClaim, config_.probe_timeout, now);
}

void SwimCore::QueueClaimCheck(MemberIndex m, bool claimed_failed, TimePoint now, int rechecks) {
  if (leaving_) return;
  Probe* check = RunningVerify(m);
  if (check == nullptr && claim_checks_running_ < tuning::kMaxClaimChecks) {
    check = CheckClaim(m, now);
  }
  if (check != nullptr) {
    // A check already under way (e.g. of a suspect claim) decides this too.
    check->claim_rechecks = std::max(check->claim_rechecks, rechecks);
    if (claimed_failed && check->reason != VerifyReason::kFinalCheck) check->claimed_failed = true;
    return;
  }
  // At the cap (a heal: a whole side's claims at once). The member was told
  // of a failed claim already (a live one refutes, which settles the claim);
  // the check waits its turn.
  const WaitingClaim claim{table_.RingHash(m), table_.Incarnation(m), claimed_failed, rechecks};
  auto [it, inserted] = waiting_claims_.try_emplace(m, claim);
  if (inserted) {
    waiting_claim_order_.push_back(m);
    ++counters_.claim_checks_waited;
  } else if (it->second.name_hash == claim.name_hash &&
             it->second.incarnation == claim.incarnation) {
    it->second.claimed_failed = it->second.claimed_failed || claimed_failed;
  } else {
    it->second = claim;
  }
}

void SwimCore::StartWaitingClaimChecks(TimePoint now) {
  while (claim_checks_running_ < tuning::kMaxClaimChecks && !waiting_claim_order_.empty() &&
         !leaving_) {
    const MemberIndex m = waiting_claim_order_.front();
    waiting_claim_order_.pop_front();
    // A member waits in both containers or in neither (QueueClaimCheck).
    auto node = waiting_claims_.extract(m);
    assert(!node.empty());
    const WaitingClaim claim = std::move(node.mapped());
    if (!ClaimStillOpen(m, claim.name_hash, claim.incarnation, claim.claimed_failed)) {
      continue;
    }
    QueueClaimCheck(m, claim.claimed_failed, now, claim.rechecks);
  }
}

void SwimCore::RecheckClaimLater(const Probe& p, TimePoint now) {
  if (p.claim_rechecks >= tuning::kClaimRechecks) return;
  timers_.Push(now + config_.probe_interval,
               ClaimRecheckTimer{p.target, NameHash(p.target_name), p.target_incarnation,
                                 p.claimed_failed, p.claim_rechecks + 1});
}

void SwimCore::OnClaimRecheckTimer(const ClaimRecheckTimer& t, TimePoint now) {
  if (!ClaimStillOpen(t.member, t.name_hash, t.incarnation, t.claimed_failed)) return;
  QueueClaimCheck(t.member, t.claimed_failed, now, t.rechecks);
}

bool SwimCore::ClaimStillOpen(MemberIndex m, std::uint64_t name_hash, std::uint64_t incarnation,
                              bool claimed_failed) const {
  // Not if the member moved on meanwhile: refuted, rejoined (the index may
  // hold another member by now), or failed here; nor a suspect claim about a
  // member we suspect now (our suspicion runs its course). A failed claim
  // about one we suspect still counts: with our check it fails the member
  // now, where a suspicion nobody confirms (the others failed it long ago)
  // waits its longest timeout.
  if (!table_.Contains(m) || table_.RingHash(m) != name_hash ||
      table_.Incarnation(m) != incarnation) {
    return false;
  }
  const MemberState state = table_.State(m);
  return state == MemberState::kAlive || (claimed_failed && state == MemberState::kSuspect);
}

void SwimCore::StartFinalCheckNow(MemberIndex m, TimePoint now) {
  if (table_.State(m) != MemberState::kSuspect || leaving_) return;
  const Suspicions::Entry* entry = suspicions_.Find(m);
  if (entry == nullptr || entry->checking) return;
  suspicions_.StartFinalCheck(m);
  // Standing down (deaf), it keeps the whole scale: answers come once it
  // hears again, and a short check there failed healthy members.
  const Duration scaled = awareness_.Scale(config_.probe_timeout);
  const Duration capped = std::min(scaled, config_.probe_timeout * tuning::kFinalCheckMaxScale);
  StartVerify(m, VerifyReason::kFinalCheck, standing_down_ ? scaled : capped, now);
}

void SwimCore::NoticeFailedAfterHeal(TimePoint now) {
  if (!heal_notices_until_ || now > *heal_notices_until_) return;
  if (last_comeback_notices_ && now - *last_comeback_notices_ < config_.probe_interval) return;
  last_comeback_notices_ = now;
  NoticeFailed(now);
}

bool SwimCore::AccuserDeparted(std::string_view accuser) const {
  if (accuser.empty() || accuser == self_name_) return false;
  const MemberIndex a = table_.Find(accuser);
  // Unknown: not heard of yet, or reaped after it failed or left.
  if (a == kNoMember) return table_.FindTombstone(accuser) != nullptr;
  return !IsLive(table_.State(a));
}

bool SwimCore::AccuserWasCutOff(std::string_view accuser, TimePoint now) const {
  if (AccuserDeparted(accuser)) return true;
  const MemberIndex a = table_.Find(accuser);
  // Unknown (not heard of yet: trusted), or ourselves.
  if (a == kNoMember || a == self_) return false;
  if (table_.State(a) != MemberState::kAlive) return true;  // suspect
  // Alive only lately: it came back from suspect/failed, or it (or we) just
  // joined, so we have no history of it being in reach.
  return now - table_.StateSince(a) <
         config_.probe_interval * tuning::kDistrustAfterComebackIntervals;
}

bool SwimCore::WithholdAccusations(TimePoint now, bool heard_nobody) const {
  const Duration withhold_for = config_.probe_interval * tuning::kDeafWithholdIntervals;
  const std::optional<Duration> deaf = DeafFor(now);
  // Deaf this long, we may be cut off for good: accuse again (even standing
  // down), so that this agent loses its quorum.
  if (deaf && *deaf >= withhold_for) return false;
  if (standing_down_) return true;  // out by our own word: our link is the problem
  // Most of our latest rounds heard nobody, not even a helper's nack (or this
  // check did not): our link is the likely problem (a member losing most of
  // its packets), not the member we could not reach. Bounded like deafness,
  // for the same reason.
  const std::optional<TimePoint> trouble_since = link_health_.poor_since();
  const bool trouble_for_long = trouble_since && now - *trouble_since >= withhold_for;
  if (!trouble_for_long && (trouble_since || heard_nobody)) return true;
  return deaf && *deaf >= config_.heartbeat_interval;
}

std::optional<Duration> SwimCore::DeafFor(TimePoint now) const {
  if (!last_heard_) return std::nullopt;
  // Deaf, not bereaved: we were hearing the heartbeats of at least two of the
  // members we observe (with one, its silence is the evidence), and every one
  // of them stopped together with everything else.
  int feeding = 0;
  for (const auto& watch : monitor_.watches()) feeding += watch.last_fed ? 1 : 0;
  if (feeding < 2) return std::nullopt;
  return now - *last_heard_;
}

void SwimCore::DeclareFailed(MemberIndex m, TimePoint now) {
  Transition(m, MemberState::kFailed, table_.Incarnation(m), now);
  ++counters_.failures;
  BroadcastFailed(m, self_name_);
  Emit(EventType::kFailed, m, now);
  CheckQuorum(now);
}

// ---------------------------------------------------------------- reaping

void SwimCore::ScheduleReap(MemberIndex m, TimePoint now) {
  const bool was_empty = reap_queue_.empty();
  reap_queue_.emplace_back(now + config_.reap_after, m, table_.StateSince(m));
  if (was_empty) timers_.Push(now + config_.reap_after, ReapTimer{});
}

void SwimCore::OnReapTimer(TimePoint now) {
  while (!reap_queue_.empty() && std::get<0>(reap_queue_.front()) <= now) {
    const auto [deadline, m, since] = reap_queue_.front();
    reap_queue_.pop_front();
    if (!table_.Contains(m) || IsLive(table_.State(m)) || table_.StateSince(m) != since) continue;
    table_.AddTombstone(table_.Name(m), table_.Incarnation(m), table_.State(m),
                        now + config_.reap_after);
    phi_reports_.Forget(m);
    suspicions_.Clear(m);
    updates_.Remove(m);
    table_.Remove(m);
  }
  table_.ExpireTombstones(now);
  if (!reap_queue_.empty()) timers_.Push(std::get<0>(reap_queue_.front()), ReapTimer{});
  // Reaping changes the membership count the quorum is measured against.
  CheckQuorum(now);
}

// ---------------------------------------------------------------- gossip

void SwimCore::BroadcastAlive(MemberIndex m) {
  updates_.Push(m, encoder_.EncodeMessage(AliveOf(m)));
}

void SwimCore::BroadcastJoin(MemberIndex m) {
  updates_.Push(m, encoder_.EncodeMessage(AliveOf(m)), BroadcastKind::kNewMember);
}

void SwimCore::BroadcastSuspect(MemberIndex m, std::string_view from) {
  updates_.Push(m, encoder_.EncodeMessage(SuspectMsg{table_.Name(m), table_.Incarnation(m), from}));
}

void SwimCore::BroadcastFailed(MemberIndex m, std::string_view from) {
  updates_.Push(m, encoder_.EncodeMessage(FailedMsg{table_.Name(m), table_.Incarnation(m), from}));
}

void SwimCore::BroadcastLeft(MemberIndex m) {
  updates_.Push(m, encoder_.EncodeMessage(LeftMsg{table_.Name(m), table_.Incarnation(m)}));
}

}  // namespace picket::membership::detail
