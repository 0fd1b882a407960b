// Failure detection: SWIM probe rounds (direct, indirect, stream fallback),
// verification probes, and Phi Accrual heartbeats with their observers.

#include <algorithm>
#include <string>
#include <utility>

#include "membership/detail/hash.h"
#include "membership/detail/precedence.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {
namespace {

// The Ping a probe sends, plus the buddy-system Suspect when the target is
// suspected: a live member learns of it from the probe itself and refutes.
std::string ProbeEntries(Encoder& encoder, const MemberTable& table, MemberIndex target,
                         std::uint32_t seq, std::string_view self_name) {
  std::string entries;
  encoder.AppendMessage(PingMsg{seq, table.Name(target), table.Incarnation(target)}, entries);
  if (table.State(target) == MemberState::kSuspect) {
    encoder.AppendMessage(SuspectMsg{table.Name(target), table.Incarnation(target), self_name},
                          entries);
  }
  return entries;
}

}  // namespace

bool SwimCore::NacksInTime(Duration wait) const {
  // Helpers nack probe_timeout after they got the request.
  return wait - config_.probe_timeout >= config_.probe_timeout / tuning::kNackMarginDivisor;
}

bool SwimCore::ProbeTargetValid(const Probe& p) const {
  return table_.Contains(p.target) && table_.Name(p.target) == p.target_name &&
         IsLive(table_.State(p.target));
}

// ---------------------------------------------------------------- rounds

void SwimCore::OnProbeRound(TimePoint now) {
  ScheduleProbeRound(now + RoundInterval());
  // Every crossing of phi anywhere is news to every member, so phi reports
  // would grow with N; a fixed allowance per round keeps them flat.
  phi_report_bytes_left_ = static_cast<std::size_t>(static_cast<double>(config_.packet_budget) *
                                                    tuning::kPhiReportBudgetFraction);
  if (leaving_) return;
  const MemberIndex target = probe_order_.Next(table_, self_, random_);
  if (target == kNoMember) return;
  const std::uint32_t seq = NextSeq();
  Probe& p = probes_[seq];
  p.kind = ProbeKind::kRound;
  p.target = target;
  p.target_name = std::string(table_.Name(target));
  p.target_incarnation = table_.Incarnation(target);
  p.started = now;
  p.deadline = now + RoundScaled(config_.probe_timeout);
  p.stage = 0;
  ++counters_.probes;
  SendDatagram(std::string(table_.AddressOf(target)),
               ProbeEntries(encoder_, table_, target, seq, self_name_));
  timers_.Push(p.deadline, ProbeTimer{seq, 0, p.timer_generation});
}

void SwimCore::OnProbeTimer(const ProbeTimer& t, TimePoint now) {
  auto it = probes_.find(t.seq);
  if (it == probes_.end()) return;
  Probe& p = it->second;
  if (t.generation != p.timer_generation) return;
  if (t.stage == 2 && p.kind == ProbeKind::kVerify) {
    // A second try on every datagram path: one lost datagram should not
    // decide a verdict. The indirect pings go through other helpers (a
    // helper may be the one with the bad link).
    if (ProbeTargetValid(p)) {
      SendDatagram(std::string(table_.AddressOf(p.target)),
                   ProbeEntries(encoder_, table_, p.target, t.seq, self_name_));
      SendIndirectPings(t.seq, p.target, /*want_nack=*/false, p);
    }
    return;
  }
  if (t.stage != p.stage) return;
  if (!ProbeTargetValid(p)) {
    EraseProbe(it, now);
    return;
  }
  if (p.kind == ProbeKind::kRound && p.stage == 0) {
    // No direct ack in time: ask others, and try the stream transport (a
    // UDP-only problem must not fail a healthy member).
    p.stage = 1;
    p.deadline = std::max(now, p.started + RoundScaled(config_.probe_interval));
    p.nacks_in_time = NacksInTime(p.deadline - now);
    SendIndirectPings(t.seq, p.target, /*want_nack=*/true, p);
    if (config_.stream_fallback_probe) StartStreamProbe(t.seq, p.target, p.deadline - now);
    timers_.Push(p.deadline, ProbeTimer{t.seq, 1, p.timer_generation});
    return;
  }
  ProbeFailed(t.seq, now);
}

SwimCore::Probe& SwimCore::StartVerify(MemberIndex target, VerifyReason reason, Duration timeout,
                                       TimePoint now) {
  const std::uint32_t seq = NextSeq();
  Probe& p = probes_[seq];
  p.kind = ProbeKind::kVerify;
  p.reason = reason;
  p.target = target;
  p.target_name = std::string(table_.Name(target));
  p.target_incarnation = table_.Incarnation(target);
  p.started = now;
  p.deadline = now + timeout;
  p.stage = 1;
  ++counters_.probes;
  verifies_by_target_.emplace(target, seq);
  if (reason == VerifyReason::kClaim) {
    ++claim_checks_running_;
    ++counters_.claim_checks;
  }
  // Every path at once: the answer is wanted within `timeout`. Helpers nack
  // after probe_timeout: if that is in time, a check that hears no nack from
  // any helper tells us that our own link is the problem (ProbeFailed).
  SendDatagram(std::string(table_.AddressOf(target)),
               ProbeEntries(encoder_, table_, target, seq, self_name_));
  p.nacks_in_time = NacksInTime(timeout);
  SendIndirectPings(seq, target, /*want_nack=*/p.nacks_in_time, p);
  if (config_.stream_fallback_probe) StartStreamProbe(seq, target, timeout);
  timers_.Push(now + timeout / 2, ProbeTimer{seq, 2, p.timer_generation});
  timers_.Push(p.deadline, ProbeTimer{seq, 1, p.timer_generation});
  return p;
}

void SwimCore::OnStreamProbeRefused(std::uint32_t seq, TimePoint now) {
  auto it = probes_.find(seq);
  if (it == probes_.end() || it->second.kind != ProbeKind::kVerify) return;
  Probe& p = it->second;
  ++counters_.refused_stream_probes;
  // A live agent listens on TCP and UDP alike, so a refusal means its process
  // is gone; wait only a fraction of the timeout, for a datagram answer
  // already on its way (a firewall that rejects only TCP).
  const auto rest = std::chrono::duration_cast<Duration>((p.deadline - p.started) *
                                                         tuning::kRefusedVerdictFraction);
  const TimePoint verdict = std::max(now, p.started + rest);
  if (verdict >= p.deadline) return;
  p.deadline = verdict;
  p.nacks_in_time = false;  // the verdict comes before any helper nacks
  ++p.timer_generation;     // the old deadline (and the second direct ping) no longer apply
  timers_.Push(verdict, ProbeTimer{seq, p.stage, p.timer_generation});
}

SwimCore::Probe* SwimCore::RunningVerify(MemberIndex target) {
  const auto it = verifies_by_target_.find(target);
  return it == verifies_by_target_.end() ? nullptr : &probes_.at(it->second);
}

void SwimCore::EraseProbe(std::map<std::uint32_t, Probe>::iterator it, TimePoint now) {
  const std::uint32_t seq = it->first;
  const Probe& p = it->second;
  const bool claim = p.kind == ProbeKind::kVerify && p.reason == VerifyReason::kClaim;
  if (p.kind == ProbeKind::kVerify) {
    auto [first, last] = verifies_by_target_.equal_range(p.target);
    for (auto v = first; v != last; ++v) {
      if (v->second == seq) {
        verifies_by_target_.erase(v);
        break;
      }
    }
  }
  probes_.erase(it);
  if (claim) {
    --claim_checks_running_;
    StartWaitingClaimChecks(now);
  }
}

std::vector<MemberIndex> SwimCore::PickHelpers(int count, MemberIndex target) {
  // Members that answered our own pings lately first: we reach them, so
  // their silence (not even a nack) is news about our link, and a side of a
  // partition picks helpers on its own side. Random live members fill up.
  std::vector<MemberIndex> helpers;
  std::vector<MemberIndex> responsive;
  for (MemberIndex m : responsive_) {
    if (m != target && m != self_ && table_.Contains(m) && IsLive(table_.State(m))) {
      responsive.push_back(m);
    }
  }
  while (static_cast<int>(helpers.size()) < count && !responsive.empty()) {
    const std::size_t i = random_.Uniform(responsive.size());
    helpers.push_back(responsive[i]);
    responsive[i] = responsive.back();
    responsive.pop_back();
  }
  return RandomLiveMembers(count, target, std::move(helpers));
}

void SwimCore::NoteResponsive(MemberIndex m, bool answered) {
  const auto it = std::find(responsive_.begin(), responsive_.end(), m);
  if (it != responsive_.end()) responsive_.erase(it);
  if (!answered) return;
  responsive_.push_back(m);
  if (responsive_.size() > tuning::kResponsiveHelpers) responsive_.pop_front();
}

void SwimCore::SendIndirectPings(std::uint32_t seq, MemberIndex target, bool want_nack,
                                 Probe& probe) {
  const std::vector<MemberIndex> helpers = PickHelpers(config_.indirect_checks, target);
  const IndirectPingMsg request{seq, table_.Name(target), table_.AddressOf(target), want_nack};
  for (MemberIndex h : helpers) Send(std::string(table_.AddressOf(h)), Message{request});
  counters_.indirect_probes += helpers.size();
  if (want_nack) probe.expected_nacks = static_cast<int>(helpers.size());
}

void SwimCore::StartStreamProbe(std::uint32_t seq, MemberIndex target, Duration timeout) {
  const StreamId id = NextStreamId();
  streams_[id] = PendingStream{StreamPurpose::kProbe, 0, seq, {}};
  std::string envelope = encoder_.header();
  encoder_.AppendMessage(PingMsg{seq, table_.Name(target), table_.Incarnation(target)}, envelope);
  std::vector<std::uint8_t> request;
  Encoder::Frame(Channel::kStream, envelope, request);
  ++counters_.stream_probes;
  ++counters_.streams_out;
  runtime_.StartStream(id, std::string(table_.AddressOf(target)), std::move(request), timeout);
}

void SwimCore::JudgeSuspicionLater(MemberIndex m, TimePoint now) {
  suspicions_.EndFinalCheck(m, /*answered=*/true);
  if (const auto* entry = suspicions_.Find(m)) {
    const auto* moved = suspicions_.Extend(m, now + entry->min);
    timers_.Push(moved->deadline, SuspicionTimer{m, moved->generation});
  }
}

void SwimCore::ProbeSucceeded(std::uint32_t seq, TimePoint now) {
  auto it = probes_.find(seq);
  if (it == probes_.end()) return;
  const Probe p = it->second;
  EraseProbe(it, now);
  // Its old address answered: a newer life claimed elsewhere is a second process.
  if (ProbeTargetValid(p)) FinishMove(p.target_name, /*old_answered=*/true, now);
  if (p.kind == ProbeKind::kVerify && p.reason == VerifyReason::kFinalCheck &&
      ProbeTargetValid(p) && table_.State(p.target) == MemberState::kSuspect) {
    // It answered: give its refutation time to arrive, then judge again.
    JudgeSuspicionLater(p.target, now);
  }
  if (p.kind == ProbeKind::kRound && p.stage == 0) {
    awareness_.Apply(-1);
    if (ProbeTargetValid(p)) NoteResponsive(p.target, /*answered=*/true);
  } else if (p.kind == ProbeKind::kRound) {
    NoteResponsive(p.target, /*answered=*/false);
  }
  if (p.kind == ProbeKind::kRound) {
    RecordRound(p.stage == 0 ? LinkHealth::Round::kDirect : LinkHealth::Round::kHeard, p.started,
                now);
  }
  if (p.kind == ProbeKind::kVerify && p.reason == VerifyReason::kPhi) {
    if (auto* watch = monitor_.Find(p.target); watch != nullptr && ProbeTargetValid(p)) {
      // Alive: its heartbeats were lost on the way, or it does not count us
      // among its observers (our views differ for a while). Keep the history:
      // when its next heartbeat comes, the long interval is a sample of this
      // link (forgetting it made a lossy link's detector relearn from its
      // seeds, and suspect again, after every answered check). Until then no
      // more checks; if none comes for a while, see OnPhiCheckTimer.
      ++counters_.phi_checks_answered;
      watch->verifying = false;
      watch->silence_verified = true;
      ArmPhiCheck(*watch, now + config_.heartbeat_interval * tuning::kVerifiedSilenceIntervals);
    }
  }
}

void SwimCore::ProbeFailed(std::uint32_t seq, TimePoint now) {
  auto it = probes_.find(seq);
  if (it == probes_.end()) return;
  const Probe p = it->second;
  EraseProbe(it, now);
  NoteResponsive(p.target, /*answered=*/false);
  if (p.kind == ProbeKind::kVerify && p.reason == VerifyReason::kPhi) {
    if (auto* watch = monitor_.Find(p.target)) {
      watch->verifying = false;
      ArmPhiCheck(*watch, now + config_.heartbeat_interval * tuning::kPhiRecheckIntervals);
    }
  }
  if (p.kind == ProbeKind::kRound) {
    // Lifeguard: helpers that did not even nack suggest that we are the
    // problem (our packets do not get out); without helpers, blame ourselves.
    int delta = 1;
    if (p.expected_nacks > 0) delta = std::max(0, p.expected_nacks - p.nacks);
    awareness_.Apply(delta);
  }
  // What the check says about our own link: a helper's nack means our
  // packets got out and back. No nack from any helper says nothing unless the
  // nacks had time to come, nor without helpers.
  if (p.kind == ProbeKind::kRound || (p.expected_nacks > 0 && !standing_down_)) {
    if (p.nacks > 0) {
      RecordRound(LinkHealth::Round::kHeard, p.started, now);
    } else if (p.expected_nacks > 0 && p.nacks_in_time) {
      RecordRound(LinkHealth::Round::kSilent, p.started, now);
    } else {
      RecordRound(LinkHealth::Round::kUnanswered, p.started, now);
    }
  }
  if (!ProbeTargetValid(p) || leaving_) return;
  // Its old address is silent: a newer life claimed elsewhere takes the name.
  if (p.kind == ProbeKind::kVerify && FinishMove(p.target_name, /*old_answered=*/false, now)) {
    return;
  }
  // It refuted (or rejoined) while we probed: that is an answer too.
  if (table_.Incarnation(p.target) != p.target_incarnation) return;
  const MemberState state = table_.State(p.target);
  // A verification that no helper even nacked: our own packets did not get
  // out and back, so the target's silence says nothing.
  const bool heard_nobody =
      p.kind == ProbeKind::kVerify && p.expected_nacks > 0 && p.nacks == 0 && p.nacks_in_time;
  if (WithholdAccusations(now, heard_nobody)) {
    // We hear nobody: the silence is ours. A phi check was re-armed above; a
    // final check is judged again later, as if answered.
    ++counters_.accusations_withheld;
    if (p.reason == VerifyReason::kFinalCheck && state == MemberState::kSuspect) {
      JudgeSuspicionLater(p.target, now);
    }
    // A claim checked (by a check of its own, or riding on a check already
    // under way, e.g. of a failed round) is not dropped: see RecheckClaimLater.
    if ((p.reason == VerifyReason::kClaim || p.claimed_failed) &&
        ClaimStillOpen(p.target, NameHash(p.target_name), p.target_incarnation, p.claimed_failed)) {
      RecheckClaimLater(p, now);
    }
    return;
  }
  if (p.reason == VerifyReason::kFinalCheck) {
    if (state != MemberState::kSuspect) return;
    suspicions_.EndFinalCheck(p.target, /*answered=*/false);
    const auto* entry = suspicions_.Find(p.target);
    if (entry != nullptr && entry->failed_checks < tuning::kFinalChecks &&
        entry->confirmers.size() == 1) {
      StartFinalCheckNow(p.target, now);
    } else {
      DeclareFailed(p.target, now);
    }
    return;
  }
  if (p.kind == ProbeKind::kRound && state == MemberState::kAlive) {
    // One silent round is not yet a suspicion: verify on every path first,
    // so that a lost burst of packets does not accuse a healthy member.
    StartVerify(p.target, VerifyReason::kFailedRound, awareness_.Scale(config_.probe_timeout), now);
    return;
  }
  if (p.claimed_failed) {
    // Someone else holds it failed already, and it did not answer us on any
    // path either: two independent verdicts, as a confirmed suspicion after
    // its final check.
    DeclareFailed(p.target, now);
    return;
  }
  ApplySuspect(p.target_name, p.target_incarnation, self_name_, Source::kLocal, self_name_, now);
}

// ---------------------------------------------------------------- heartbeats

void SwimCore::OnHeartbeatTimer(TimePoint now) {
  ScheduleHeartbeat(now + config_.heartbeat_interval);
  NoticeFailedAfterHeal(now);
  StandDownIfDeaf(now);
  const auto& observers = ring_.observers();
  for (std::size_t slot = 0; slot < observers.size(); ++slot) {
    const MemberIndex m = observers[slot];
    Send(std::string(table_.AddressOf(m)), Message{HeartbeatMsg{self_incarnation()}},
         static_cast<int>(slot));
    ++counters_.heartbeats_out;
  }
  QueuePhiReports(now);
}

void SwimCore::OnHeartbeat(std::string_view sender, std::uint64_t incarnation, TimePoint now) {
  const MemberIndex m = table_.Find(sender);
  if (m == kNoMember) return;
  ++counters_.heartbeats_in;
  if (incarnation > table_.Incarnation(m) && IsLive(table_.State(m))) {
    // We missed an update it made (gossip reaches a member with high but not
    // certain probability): a ping with our stale view brings its Alive back
    // on the Ack. Heartbeats pace this, one per interval until we catch up.
    Send(std::string(table_.AddressOf(m)),
         Message{PingMsg{NextSeq(), table_.Name(m), table_.Incarnation(m)}});
  }
  HeartbeatMonitor::Watch* watch = monitor_.OnHeartbeat(m, now);
  if (watch == nullptr) return;
  runtime_.OnHeartbeatFed(table_.Name(m), now);
  if (watch->phi_at_arrival) counters_.phi_at_heartbeat.Observe(*watch->phi_at_arrival);
  const auto crossing = HeartbeatMonitor::Crossing(*watch);
  if (!crossing) return;
  const TimePoint at = std::max(*crossing, watch->quiet_until);
  // One live timer per watch: an earlier one re-arms itself when it fires.
  if (!watch->timer_at || *watch->timer_at > at) ArmPhiCheck(*watch, at);
}

void SwimCore::ArmPhiCheck(HeartbeatMonitor::Watch& watch, TimePoint at) {
  watch.timer_at = at;
  watch.timer_token = next_watch_token_++;
  timers_.Push(at, PhiCheckTimer{watch.member, watch.generation, watch.timer_token});
}

void SwimCore::OnPhiCheckTimer(const PhiCheckTimer& t, TimePoint now) {
  HeartbeatMonitor::Watch* watch = monitor_.Find(t.member);
  if (watch == nullptr || watch->generation != t.watch_generation ||
      watch->timer_token != t.token) {
    return;
  }
  watch->timer_at.reset();
  if (watch->silence_verified) {
    // It answered a check, yet no heartbeat came since: it is not sending us
    // any. Its silence says nothing, so forget the history; the next
    // heartbeat starts it afresh, and probe rounds still cover the member.
    watch->ForgetHistory();
    return;
  }
  const auto crossing = HeartbeatMonitor::Crossing(*watch);
  if (!crossing) return;  // history reset: wait for the next heartbeat
  const TimePoint at = std::max(*crossing, watch->quiet_until);
  if (at > now) {
    ArmPhiCheck(*watch, at);
    return;
  }
  if (watch->verifying || leaving_) return;
  const MemberState state = table_.State(t.member);
  if (state != MemberState::kAlive && !OwnConfirmationMissing(t.member)) {
    // Already suspected: the suspicion decides. Look again in a while in
    // case it refutes but stays silent toward us.
    ArmPhiCheck(*watch, now + config_.heartbeat_interval * tuning::kPhiRecheckIntervals);
    return;
  }
  // Phi crossed the threshold: make sure it is not just our link to it. If
  // another member suspects it already, an unanswered check confirms that
  // suspicion (ProbeFailed): our silence from it is independent evidence, and
  // each confirmation shortens the timeout (Lifeguard). Otherwise the first
  // accuser's gossip would silence every other observer, and the suspicion
  // would wait for probe rounds to confirm it.
  watch->verifying = true;
  ++counters_.phi_checks;
  StartVerify(t.member, VerifyReason::kPhi, awareness_.Scale(config_.phi_probe_timeout), now);
}

bool SwimCore::OwnConfirmationMissing(MemberIndex m) const {
  if (table_.State(m) != MemberState::kSuspect) return false;
  const auto* entry = suspicions_.Find(m);
  if (entry == nullptr || entry->incarnation != table_.Incarnation(m)) return false;
  return suspicions_.WouldCount(m, NameHash(self_name_));
}

void SwimCore::QueuePhiReports(TimePoint now) {
  const auto min_gap = config_.heartbeat_interval * tuning::kPhiReportMinIntervals;
  for (auto& watch : monitor_.watches()) {
    if (!watch.detector.last_heartbeat()) continue;
    // Once a subject is suspected, the suspicion is the news.
    if (table_.State(watch.member) != MemberState::kAlive) continue;
    // A silence verified alive is no news (an earlier report is withdrawn).
    const double phi = watch.silence_verified ? 0.0 : watch.detector.Phi(now);
    bool send = false;
    if (phi >= config_.phi_report_threshold) {
      // Beyond the suspicion threshold the suspicion itself is the news:
      // one report at the crossing, no more as phi keeps growing.
      const bool crossed_before = watch.reported && watch.reported_phi >= config_.phi.threshold;
      send = !crossed_before && (!watch.reported || now - watch.reported_at >= min_gap ||
                                 phi >= watch.reported_phi + tuning::kPhiReportStep);
      if (send) watch.reported = true;
    } else if (watch.reported) {
      send = true;  // withdraw the earlier report
      watch.reported = false;
    }
    if (!send) continue;
    watch.reported_at = now;
    watch.reported_phi = phi;
    const std::string_view subject = table_.Name(watch.member);
    std::string key = self_name_;
    key.push_back('\0');
    key.append(subject);
    phi_queue_.Push(key, encoder_.EncodeMessage(PhiReportMsg{self_name_, subject, phi}));
  }
}

}  // namespace picket::membership::detail
