// Datagram input: decode, then one handler per message kind.

#include <cmath>
#include <string>

#include "membership/detail/hash.h"
#include "membership/detail/precedence.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {

void SwimCore::CountDrop(DropReason reason) {
  ++counters_.dropped[static_cast<std::size_t>(reason)];
}

void SwimCore::HandleDatagram(const Address& from, std::span<const std::uint8_t> bytes,
                              TimePoint now) {
  const InputScope input(*this, now);
  ++counters_.datagrams_in;
  counters_.bytes_in += bytes.size();
  const DecodeResult result = datagram_decoder_.Decode(bytes);
  if (!result.ok()) {
    CountDrop(result.reason);
    return;
  }
  const Envelope& envelope = *result.envelope;
  if (envelope.sender == self_name_) {
    // Our own name from elsewhere: a loop, or an impostor. Neither is news.
    CountDrop(DropReason::kContradictory);
    return;
  }
  // Sender names are views into the decoder; copy once (handlers may send,
  // which never re-enters the decoder, but keep it simple and safe).
  const std::string sender(envelope.sender);
  last_heard_ = now;
  for (const Message& message : envelope.messages) HandleMessage(message, from, sender, now);
  MaybeSendDeadNotice(sender, from, now);
}

void SwimCore::HandleMessage(const Message& message, const Address& from, std::string_view sender,
                             TimePoint now) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PingMsg>) {
          OnPing(m, from, now);
        } else if constexpr (std::is_same_v<T, IndirectPingMsg>) {
          OnIndirectPing(m, from, now);
        } else if constexpr (std::is_same_v<T, AckMsg>) {
          OnAck(m.seq, now);
        } else if constexpr (std::is_same_v<T, NackMsg>) {
          OnNack(m.seq);
        } else if constexpr (std::is_same_v<T, HeartbeatMsg>) {
          OnHeartbeat(sender, m.incarnation, now);
        } else if constexpr (std::is_same_v<T, AliveMsg>) {
          ApplyAlive(m.name, m.address, m.incarnation, m.tags, m.service, Source::kGossip, sender,
                     now);
        } else if constexpr (std::is_same_v<T, SuspectMsg>) {
          ApplySuspect(m.name, m.incarnation, m.from, Source::kGossip, sender, now);
        } else if constexpr (std::is_same_v<T, FailedMsg>) {
          ApplyFailed(m.name, m.incarnation, m.from, Source::kGossip, sender, {}, now);
        } else if constexpr (std::is_same_v<T, LeftMsg>) {
          ApplyLeft(m.name, m.incarnation, Source::kGossip, sender, {}, now);
        } else if constexpr (std::is_same_v<T, PhiReportMsg>) {
          OnPhiReport(m, now);
        } else if constexpr (std::is_same_v<T, PushPullMsg>) {
          OnPushPullSummary(m, from, sender);  // only a summary passes the decoder
        }
      },
      message);
}

void SwimCore::OnPing(const PingMsg& m, const Address& from, TimePoint now) {
  (void)now;
  if (!m.target.empty() && m.target != self_name_) {
    // Meant for whoever had this address before us: answering would vouch
    // for a member that is not here.
    CountDrop(DropReason::kContradictory);
    return;
  }
  std::string answer;
  encoder_.AppendMessage(AckMsg{m.seq}, answer);
  AppendSelfAliveIfStale(m, answer);
  SendDatagram(from, answer);
}

void SwimCore::AppendSelfAliveIfStale(const PingMsg& ping, std::string& entries) {
  // Only a prober that named us can hold a view of our incarnation.
  if (ping.target.empty()) return;
  if (standing_down_) {
    // Whoever checks on us (a suspicion's final check) learns our own verdict.
    encoder_.AppendMessage(FailedMsg{self_name_, self_incarnation(), self_name_}, entries);
    return;
  }
  if (ping.target_incarnation >= self_incarnation()) return;
  encoder_.AppendMessage(AliveOf(self_), entries);
  ++counters_.stale_views_refreshed;
}

void SwimCore::OnAck(std::uint32_t seq, TimePoint now) {
  if (probes_.count(seq) != 0) {
    ProbeSucceeded(seq, now);
    return;
  }
  if (auto it = relays_.find(seq); it != relays_.end()) {
    const Relay relay = std::move(it->second);
    relays_.erase(it);
    Send(relay.requester, Message{AckMsg{relay.requester_seq}});
    return;
  }
  // Sequence numbers are issued in order: one never issued cannot be acked.
  if (seq >= next_seq_ || seq == 0) CountDrop(DropReason::kContradictory);
  // Otherwise a late ack of a finished probe: nothing to do.
}

void SwimCore::OnNack(std::uint32_t seq) {
  if (auto it = probes_.find(seq); it != probes_.end()) {
    ++it->second.nacks;
  } else if (seq >= next_seq_ || seq == 0) {
    CountDrop(DropReason::kContradictory);
  }
}

void SwimCore::OnIndirectPing(const IndirectPingMsg& m, const Address& from, TimePoint now) {
  if (m.target == self_name_) {
    // Asked to check on ourselves: we can answer that directly.
    Send(from, Message{AckMsg{m.seq}});
    return;
  }
  // Our own view of the target's incarnation, so that the Ack comes back
  // with its Alive if we are behind (and the update spreads from us).
  const MemberIndex known = table_.Find(m.target);
  if (relays_.size() >= tuning::kMaxPendingRelays) return;
  const std::uint32_t seq = NextSeq();
  relays_[seq] = Relay{from, m.seq, m.want_nack};
  Send(std::string(m.target_address),
       Message{PingMsg{seq, m.target, known == kNoMember ? 0 : table_.Incarnation(known)}});
  timers_.Push(now + config_.probe_timeout, RelayTimer{seq});
}

void SwimCore::OnRelayTimer(const RelayTimer& t) {
  auto it = relays_.find(t.seq);
  if (it == relays_.end()) return;
  const Relay relay = std::move(it->second);
  relays_.erase(it);
  if (relay.want_nack) Send(relay.requester, Message{NackMsg{relay.requester_seq}});
}

void SwimCore::OnPhiReport(const PhiReportMsg& m, TimePoint now) {
  if (m.observer == self_name_) return;  // our own, come back
  const MemberIndex subject = table_.Find(m.subject);
  if (subject == kNoMember) return;
  const auto ttl = config_.heartbeat_interval * tuning::kPhiReportTtlIntervals;
  const auto previous = phi_reports_.Record(subject, NameHash(m.observer), m.phi,
                                            config_.phi_report_threshold, now, now + ttl);
  // Pass it on only if it tells something new, or reports would circulate forever.
  const bool cleared = m.phi < config_.phi_report_threshold;
  const bool both_over =
      previous && *previous >= config_.phi.threshold && m.phi >= config_.phi.threshold;
  const bool news =
      cleared ? previous.has_value()
              : (!previous || (!both_over && (m.phi >= *previous + tuning::kPhiReportStep ||
                                              m.phi <= *previous - tuning::kPhiReportStep)));
  if (!news || table_.State(subject) != MemberState::kAlive) return;
  // Push gossip reaches every member in about log2(N) hops; a report
  // that expired here and came back must not start over.
  const auto hop_limit = static_cast<std::uint32_t>(
      std::ceil(std::log2(static_cast<double>(ClusterSize()) + 1.0)) + tuning::kPhiReportExtraHops);
  if (m.hops + 1 >= hop_limit) return;
  PhiReportMsg relayed = m;
  ++relayed.hops;
  std::string key(m.observer);
  key.push_back('\0');
  key.append(m.subject);
  phi_queue_.Push(key, encoder_.EncodeMessage(relayed));
}

void SwimCore::MaybeSendDeadNotice(std::string_view sender, const Address& from, TimePoint now,
                                   std::optional<std::uint64_t> reported_incarnation,
                                   std::string_view accuser) {
  std::uint64_t incarnation = 0;
  MemberState state = MemberState::kFailed;
  if (reported_incarnation) {
    incarnation = *reported_incarnation;
  } else if (const MemberIndex s = table_.Find(sender); s != kNoMember) {
    if (IsLive(table_.State(s))) return;
    incarnation = table_.Incarnation(s);
    state = table_.State(s);
  } else if (const Tombstone* t = table_.FindTombstone(sender)) {
    incarnation = t->incarnation;
    state = t->state;
  } else {
    return;
  }
  auto [it, inserted] = dead_notices_.try_emplace(std::string(sender), now);
  if (!inserted && now - it->second < config_.probe_interval) return;
  it->second = now;
  if (dead_notices_.size() > tuning::kMaxDeadNotices) dead_notices_.clear();
  if (state == MemberState::kLeft) {
    Send(from, Message{LeftMsg{sender, incarnation}});
  } else {
    Send(from, Message{FailedMsg{sender, incarnation, accuser.empty() ? self_name_ : accuser}});
  }
}

}  // namespace picket::membership::detail
