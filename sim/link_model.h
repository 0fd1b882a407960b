#pragma once

// The simulated links between hosts: one-way delay (base latency, uniform
// jitter, optional per-link extra delay), random loss per datagram, optional
// loss of stream segments (recovered by TCP-like retransmission, which only
// adds delay), partitions (by groups of hosts, or by single links), and gray
// failures: a host whose own incoming and/or outgoing traffic is lossy, and
// links cut in one direction only (a hears b, b does not hear a).
//
// Pure model: it decides delays and drops; the Network does the queueing.
// Thread safety: none; one owner.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "membership/types.h"
#include "sim/random.h"

namespace picket::sim {

using membership::Duration;
using membership::TimePoint;

using HostId = std::uint32_t;

struct LinkConfig {
  // One-way base delay of every link. >= 0.
  Duration latency = std::chrono::milliseconds(1);
  // Each message gets an extra uniform delay in [0, jitter] (so messages can
  // be reordered). >= 0.
  Duration jitter = Duration::zero();
  // Probability that a datagram is lost. 0..1.
  double loss = 0.0;
  // If true, each segment of a stream exchange (SYN, SYN-ACK, request,
  // response) is lost with probability `loss` too, and retransmitted like TCP:
  // after syn_rto for the handshake and data_rto for data, doubling each time.
  // The exchange then fails only when it runs past its timeout.
  bool stream_loss = false;
  Duration syn_rto = std::chrono::seconds(1);
  Duration data_rto = std::chrono::milliseconds(200);
  // If true, a down host's machine is still there and refuses stream
  // connections (RST after one round trip: its process was killed); if
  // false, the host vanished and only the timeout answers.
  bool down_refuses_streams = false;
  // Larger datagrams are dropped (the UDP maximum).
  std::size_t max_datagram_bytes = 65507;
};

class LinkModel {
 public:
  // REQUIRES: config fields in range (see LinkConfig).
  explicit LinkModel(LinkConfig config) : config_(config) {}

  [[nodiscard]] const LinkConfig& config() const { return config_; }

  // Splits hosts into groups: hosts in different groups cannot reach each
  // other until ClearPartition(). `group_of_host[h]` is h's group; hosts past
  // the end of the vector are in group 0.
  void SetPartition(std::vector<std::uint32_t> group_of_host);
  void ClearPartition();
  [[nodiscard]] bool partitioned() const { return partitioned_; }
  // h's group under the current partition (0 when none is active).
  [[nodiscard]] std::uint32_t GroupOf(HostId h) const;

  // Cuts or restores the link between a and b (both directions).
  void SetLinkUp(HostId a, HostId b, bool up);
  // Extra one-way delay on the link between a and b (both directions).
  void SetLinkDelay(HostId a, HostId b, Duration extra);

  // Extra loss of every datagram h receives (`in`) and sends (`out`), on top
  // of the global loss; 1 cuts that direction entirely (streams too). 0, 0
  // ends the impairment. REQUIRES: 0 <= in, out <= 1.
  void SetHostLoss(HostId h, double in, double out);
  // Cuts or restores the direction from -> to only.
  void SetOneWayCut(HostId from, HostId to, bool cut);

  // True if a message from a can reach b now (loss aside).
  [[nodiscard]] bool Connected(HostId a, HostId b) const;
  // True if a stream exchange between a and b can work: TCP needs both
  // directions (the handshake and the acknowledgements).
  [[nodiscard]] bool StreamConnected(HostId a, HostId b) const {
    return Connected(a, b) && Connected(b, a);
  }
  // Probability that a datagram from a to b is lost (global and host loss).
  [[nodiscard]] double LossFrom(HostId a, HostId b) const;
  // The part of it that comes from impaired hosts (SetHostLoss).
  [[nodiscard]] double HostLossFrom(HostId a, HostId b) const;

  // One-way delay of one message: latency + jitter + per-link extra.
  [[nodiscard]] Duration OneWayDelay(HostId a, HostId b, Rng& rng) const;

  // A datagram's delay, or nullopt if random loss drops it.
  [[nodiscard]] std::optional<Duration> DatagramDelay(HostId a, HostId b, Rng& rng) const;

  // Delay of `segments` sequential one-way stream segments from a to b
  // (`handshake` segments first, retransmitted after syn_rto; the rest after
  // data_rto), including retransmissions when stream_loss is on.
  [[nodiscard]] Duration StreamDelay(HostId a, HostId b, int handshake, int data, Rng& rng) const;

 private:
  static std::pair<HostId, HostId> Key(HostId a, HostId b) {
    return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
  }
  Duration Segment(HostId a, HostId b, Duration rto, Rng& rng) const;

  LinkConfig config_;
  bool partitioned_ = false;
  std::vector<std::uint32_t> group_;
  std::set<std::pair<HostId, HostId>> cut_;
  std::map<std::pair<HostId, HostId>, Duration> extra_delay_;
  struct HostLoss {
    double in = 0.0;
    double out = 0.0;
  };
  std::map<HostId, HostLoss> host_loss_;
  std::set<std::pair<HostId, HostId>> one_way_cut_;  // (from, to)
};

}  // namespace picket::sim
