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

bool LinkModel::Connected(HostId a, HostId b) const {
  if (partitioned_ && GroupOf(a) != GroupOf(b)) return false;
  return cut_.empty() || cut_.count(Key(a, b)) == 0;
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
  if (rng.Bernoulli(config_.loss)) return std::nullopt;
  return OneWayDelay(a, b, rng);
}

Duration LinkModel::Segment(HostId a, HostId b, Duration rto, Rng& rng) const {
  Duration waited = Duration::zero();
  if (config_.stream_loss) {
    // Each lost transmission costs one retransmission timeout, doubling as TCP
    // does; capped so a pathological loss rate cannot loop forever.
    for (int attempt = 0; attempt < 16 && rng.Bernoulli(config_.loss); ++attempt) {
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
