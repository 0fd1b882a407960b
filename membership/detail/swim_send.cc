// Outgoing datagrams: envelope assembly, piggybacked gossip within the packet
// budget, gossip rounds, and random member selection.

#include <algorithm>
#include <cmath>

#include "membership/detail/precedence.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {
namespace {

int Log10Ceil(int n) {
  return static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
}

}  // namespace

int SwimCore::RetransmitLimit() const {
  return config_.retransmit_multiplier * std::max(1, Log10Ceil(ClusterSize()));
}

void SwimCore::SendDatagram(const Address& to, const std::string& primary, int observer_slot) {
  std::string& envelope = envelope_scratch_;
  envelope = encoder_.header();
  const std::size_t header_size = envelope.size();
  envelope.append(primary);
  const std::size_t budget = config_.packet_budget - kFrameOverhead;
  if (envelope.size() < budget) {
    counters_.updates_sent += static_cast<std::uint64_t>(
        updates_.Fill(envelope, budget, RetransmitLimit(), observer_slot));
    // Phi reports are informational: only room membership updates left, and
    // only what is left of this round's allowance.
    const std::size_t before = envelope.size();
    counters_.phi_reports_sent += static_cast<std::uint64_t>(phi_queue_.Fill(
        envelope, std::min(budget, before + phi_report_bytes_left_),
        tuning::kPhiReportRetransmitMultiplier * std::max(1, Log10Ceil(ClusterSize())),
        observer_slot));
    phi_report_bytes_left_ -= envelope.size() - before;
  }
  if (envelope.size() == header_size) return;  // nothing to say
  Encoder::Frame(Channel::kDatagram, envelope, frame_scratch_);
  ++counters_.datagrams_out;
  counters_.bytes_out += frame_scratch_.size();
  runtime_.SendDatagram(to, frame_scratch_);
}

void SwimCore::Send(const Address& to, const Message& message, int observer_slot) {
  std::string primary;
  encoder_.AppendMessage(message, primary);
  SendDatagram(to, primary, observer_slot);
}

void SwimCore::EnsureGossipScheduled(TimePoint now) {
  if (gossip_scheduled_ || config_.gossip_interval <= Duration::zero() ||
      config_.gossip_fanout <= 0) {
    return;
  }
  gossip_scheduled_ = true;
  // The first round goes out at once: fresh news is worth the most.
  timers_.Push(now, GossipTimer{++gossip_generation_});
}

void SwimCore::OnGossipTimer(TimePoint now) {
  gossip_scheduled_ = false;
  if (updates_.empty()) return;
  for (MemberIndex m : RandomLiveMembers(config_.gossip_fanout, kNoMember)) {
    if (updates_.empty()) break;
    SendDatagram(std::string(table_.AddressOf(m)), std::string());
  }
  if (!updates_.empty()) {
    gossip_scheduled_ = true;
    timers_.Push(now + config_.gossip_interval, GossipTimer{++gossip_generation_});
  }
}

void SwimCore::SendToRandomMembers(const Message& message, int count, MemberIndex exclude) {
  for (MemberIndex m : RandomLiveMembers(count, exclude)) {
    Send(std::string(table_.AddressOf(m)), message);
  }
}

std::vector<MemberIndex> SwimCore::RandomLiveMembers(int count, MemberIndex exclude,
                                                     std::vector<MemberIndex> chosen) {
  if (count <= 0) return chosen;
  auto eligible = [&](MemberIndex m) {
    return m != self_ && m != exclude && table_.Contains(m) && IsLive(table_.State(m));
  };
  int live = LiveCount();
  if (IsLive(table_.State(self_))) --live;
  if (exclude != kNoMember && table_.Contains(exclude) && IsLive(table_.State(exclude))) --live;
  const int want = std::min(count, live);
  if (static_cast<int>(chosen.size()) >= want) return chosen;
  chosen.reserve(static_cast<std::size_t>(want));
  const auto end = static_cast<std::uint64_t>(table_.end());
  // Random picks are O(1) when most of the table is live; otherwise (or if
  // unlucky) fall back to one scan.
  if (static_cast<std::uint64_t>(live) * 2 >= end) {
    for (int attempt = 0; attempt < tuning::kRandomPickAttempts * want &&
                          static_cast<int>(chosen.size()) < want;
         ++attempt) {
      const auto m = static_cast<MemberIndex>(random_.Uniform(end));
      if (eligible(m) && std::find(chosen.begin(), chosen.end(), m) == chosen.end()) {
        chosen.push_back(m);
      }
    }
    if (static_cast<int>(chosen.size()) == want) return chosen;
  }
  std::vector<MemberIndex> candidates;
  candidates.reserve(static_cast<std::size_t>(live));
  for (MemberIndex m = 0; m < table_.end(); ++m) {
    if (eligible(m) && std::find(chosen.begin(), chosen.end(), m) == chosen.end()) {
      candidates.push_back(m);
    }
  }
  while (static_cast<int>(chosen.size()) < want && !candidates.empty()) {
    const std::size_t i = random_.Uniform(candidates.size());
    chosen.push_back(candidates[i]);
    candidates[i] = candidates.back();
    candidates.pop_back();
  }
  return chosen;
}

}  // namespace picket::membership::detail
