#pragma once

// Monotonic counters kept by the core, read by metrics and the simulator.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace picket::membership {

// Why an incoming packet was dropped. Append only.
enum class DropReason : std::uint8_t {
  kMalformed,        // not a valid Envelope / message
  kTruncated,        // a stream message that ended before its length prefix (the runtime's)
  kOversized,        // larger than the maximum datagram or stream message
  kWrongCluster,     // cluster name differs
  kBadVersion,       // protocol version not understood
  kContradictory,    // fields that cannot all be true (e.g. an ack for a probe never sent)
  kUnauthenticated,  // failed decryption (counted by the runtime, which decrypts)
  kCount,
};
std::string_view ToString(DropReason reason);

// Upper bounds of the phi histogram buckets (phi of each subject's silence at
// the moment its next heartbeat arrived: how close observers came to
// suspecting; the suspicion threshold defaults to 8). +Inf is implied.
inline constexpr std::array<double, 9> kPhiBucketBounds = {0.5, 1, 2, 3, 4, 6, 8, 12, 16};

struct PhiHistogram {
  std::array<std::uint64_t, kPhiBucketBounds.size() + 1> buckets{};  // last: above all bounds
  std::uint64_t count = 0;
  double sum = 0;
  void Observe(double phi) {
    std::size_t i = 0;
    while (i < kPhiBucketBounds.size() && phi > kPhiBucketBounds[i]) ++i;
    ++buckets[i];
    ++count;
    sum += phi;
  }
};

// All fields are monotonic unless marked "current". Appending fields is fine.
struct Counters {
  std::uint64_t datagrams_in = 0, datagrams_out = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::uint64_t streams_in = 0, streams_out = 0;
  std::uint64_t probes = 0;                 // direct probes sent
  std::uint64_t indirect_probes = 0;        // ping-req sent
  std::uint64_t stream_probes = 0;          // fallback probes over the stream transport
  std::uint64_t refused_stream_probes = 0;  // ... refused: nothing listened (verifications only)
  std::uint64_t heartbeats_out = 0, heartbeats_in = 0;
  std::uint64_t suspicions = 0;   // members this agent started suspecting
  std::uint64_t refutations = 0;  // times this agent refuted suspicion of itself
  std::uint64_t stand_downs = 0;  // times it declared itself failed: suspected, its link broken
  std::uint64_t failures = 0;     // members declared failed
  // `failed` heard from an accuser that was cut off itself, taken as suspicion
  std::uint64_t distrusted_failures = 0;
  // Claims checked before they are believed (see QueueClaimCheck), and those
  // that had to wait because kMaxClaimChecks ran already.
  std::uint64_t claim_checks = 0;
  std::uint64_t claim_checks_waited = 0;
  // Verifications started because phi crossed the threshold, and those the
  // subject answered (its heartbeats were lost or do not come to us).
  std::uint64_t phi_checks = 0;
  std::uint64_t phi_checks_answered = 0;
  // Failed probes not turned into accusations: this agent heard nobody
  // (tuning::kDeafWithholdIntervals)
  std::uint64_t accusations_withheld = 0;
  std::uint64_t local_pauses = 0;    // times this agent found its own timers far late
  std::uint64_t name_conflicts = 0;  // alive claims for a live name at another address
  std::uint64_t push_pulls = 0;      // push-pull exchanges completed (either side)
  // Entries piggybacked on datagrams (each transmission counts): membership
  // updates, and the observers' phi reports that ride in the space left.
  std::uint64_t updates_sent = 0;
  std::uint64_t phi_reports_sent = 0;
  // Acks that carried our Alive to a prober whose view of us was older
  std::uint64_t stale_views_refreshed = 0;
  std::uint64_t gossip_queue_depth = 0;  // current, not monotonic
  PhiHistogram phi_at_heartbeat;  // observers' phi of each subject when its heartbeat arrived
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> dropped{};
};

}  // namespace picket::membership
