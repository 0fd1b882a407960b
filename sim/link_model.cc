#include "sim/link_model.h"

#include <utility>

namespace picket::sim {

void LinkModel::SetPartition(std::vector<std::uint32_t> group_of_host) {
  group_ = std::move(group_of_host);
  partitioned_ = true;
}

void LinkModel::ClearPartition() {
  group_.clear();
  partitioned_ = false;
}

std::uint32_t LinkModel::GroupOf(HostId h) const {
  if (!partitioned_ || h >= group_.size()) return 0;
  return group_[h];
}

void LinkModel::SetLinkUp(HostId a, HostId b, bool up) {
  if (up) {
    cut_.erase(Key(a, b));
  } else {
    cut_.insert(Key(a, b));
  }
}

void LinkModel::SetLinkDelay(HostId a, HostId b, Duration extra) {
  if (extra <= Duration::zero()) {
    extra_delay_.erase(Key(a, b));
  } else {
    extra_delay_[Key(a, b)] = extra;
  }
}

void LinkModel::SetHostLoss(HostId h, double in, double out) {
  if (in <= 0.0 && out <= 0.0) {
    host_loss_.erase(h);
  } else {
    host_loss_[h] = HostLoss{in, out};
  }
}

void LinkModel::SetOneWayCut(HostId from, HostId to, bool cut) {
  if (cut) {
    one_way_cut_.insert({from, to});
  } else {
    one_way_cut_.erase({from, to});
  }
}

bool LinkModel::Connected(HostId a, HostId b) const {
  if (partitioned_ && GroupOf(a) != GroupOf(b)) return false;
  if (!cut_.empty() && cut_.count(Key(a, b)) != 0) return false;
  if (!one_way_cut_.empty() && one_way_cut_.count({a, b}) != 0) return false;
  return LossFrom(a, b) < 1.0 || config_.loss >= 1.0;
}

double LinkModel::LossFrom(HostId a, HostId b) const {
  return 1.0 - (1.0 - config_.loss) * (1.0 - HostLossFrom(a, b));
}

double LinkModel::HostLossFrom(HostId a, HostId b) const {
  if (host_loss_.empty()) return 0.0;
  double delivered = 1.0;
  if (auto it = host_loss_.find(a); it != host_loss_.end()) delivered *= 1.0 - it->second.out;
  if (auto it = host_loss_.find(b); it != host_loss_.end()) delivered *= 1.0 - it->second.in;
  return 1.0 - delivered;
}

Duration LinkModel::OneWayDelay(HostId a, HostId b, Rng& rng) const {
  Duration d = config_.latency;
  if (config_.jitter > Duration::zero()) {
    const auto span = static_cast<std::uint64_t>(config_.jitter.count()) + 1;
    d += Duration(static_cast<Duration::rep>(rng.Below(span)));
  }
  if (!extra_delay_.empty()) {
    auto it = extra_delay_.find(Key(a, b));
    if (it != extra_delay_.end()) d += it->second;
  }
  return d;
}

std::optional<Duration> LinkModel::DatagramDelay(HostId a, HostId b, Rng& rng) const {
  if (rng.Bernoulli(LossFrom(a, b))) return std::nullopt;
  return OneWayDelay(a, b, rng);
}

Duration LinkModel::Segment(HostId a, HostId b, Duration rto, Rng& rng) const {
  Duration waited = Duration::zero();
  // An impaired host's segments are lost like its datagrams (a firewall rule
  // drops both); the global loss touches streams only with stream_loss.
  const double loss = config_.stream_loss ? LossFrom(a, b) : HostLossFrom(a, b);
  if (loss > 0.0) {
    // Each lost transmission costs one retransmission timeout, doubling as TCP
    // does; capped so a pathological loss rate cannot loop forever.
    for (int attempt = 0; attempt < 16 && rng.Bernoulli(loss); ++attempt) {
      waited += rto;
      rto *= 2;
    }
  }
  return waited + OneWayDelay(a, b, rng);
}

Duration LinkModel::StreamDelay(HostId a, HostId b, int handshake, int data, Rng& rng) const {
  Duration total = Duration::zero();
  for (int i = 0; i < handshake; ++i) {
    // The handshake alternates direction; the delay model is symmetric.
    total += Segment(a, b, config_.syn_rto, rng);
  }
  for (int i = 0; i < data; ++i) total += Segment(a, b, config_.data_rto, rng);
  return total;
}

}  // namespace picket::sim
