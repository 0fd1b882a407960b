#pragma once

// The protocol messages as plain structs: what the codec turns wire bytes into
// and back. Nothing outside codec.cc sees the generated protobuf classes.
//
// Text fields are string_views. In decoded messages they point into the
// Decoder that produced them and stay valid until its next Decode(); in
// messages being encoded they must outlive the Encode call.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "membership/types.h"

namespace picket::membership::detail {

using TagView = std::pair<std::string_view, std::string_view>;

// A member's service status (types.h ServiceStatus) with its text in place.
struct ServiceView {
  ServiceHealth status = ServiceHealth::kPassing;
  std::string_view output;
  std::int64_t since_unix_ms = 0;
};

// "Are you alive?" Answered with AckMsg{seq}. As a stream request, the
// fallback probe.
struct PingMsg {
  std::uint32_t seq = 0;
  std::string_view target;  // the member the sender means to reach
  // The sender's view of the target's incarnation; a target with a newer
  // one answers with its Alive beside the Ack.
  std::uint64_t target_incarnation = 0;
};
// "Ping `target` for me; forward its ack (or a nack if it is silent)."
struct IndirectPingMsg {
  std::uint32_t seq = 0;
  std::string_view target;
  std::string_view target_address;
  bool want_nack = false;
};
struct AckMsg {
  std::uint32_t seq = 0;
};
struct NackMsg {
  std::uint32_t seq = 0;
};
// One-way, to each observer, every heartbeat_interval.
struct HeartbeatMsg {
  std::uint64_t incarnation = 0;
};
// Gossip updates.
struct AliveMsg {
  std::string_view name;
  std::string_view address;
  std::uint64_t incarnation = 0;
  std::vector<TagView> tags;
  std::optional<ServiceView> service;  // none: the member runs no checks
};
struct SuspectMsg {
  std::string_view name;
  std::uint64_t incarnation = 0;
  std::string_view from;
};
struct FailedMsg {
  std::string_view name;
  std::uint64_t incarnation = 0;
  std::string_view from;
};
struct LeftMsg {
  std::string_view name;
  std::uint64_t incarnation = 0;
};
struct PhiReportMsg {
  std::string_view observer;
  std::string_view subject;
  double phi = 0.0;
  std::uint32_t hops = 0;  // relays so far
};
struct MemberSnapshotMsg {
  std::string_view name;
  std::string_view address;
  std::uint64_t incarnation = 0;
  MemberState state = MemberState::kAlive;
  std::vector<TagView> tags;
  std::optional<ServiceView> service;
};
// Anti-entropy (streams only): the sender's whole table, or only its summary
// (digest and count, see MemberTable::Digest) when `members` is empty.
struct PushPullMsg {
  bool join = false;
  std::vector<MemberSnapshotMsg> members;
  std::uint64_t digest = 0;
  std::uint32_t count = 0;
  // Delta sync (see membership.proto): the sender's digest per bucket, and
  // in an answer the buckets `members` holds (of bucket_count; 0: all).
  std::vector<std::uint64_t> bucket_digests;
  std::vector<std::uint32_t> buckets;
  std::uint32_t bucket_count = 0;
  // A request that wants only the summary back (a join announced to a seed
  // other than the one sending its table).
  bool summary_only = false;
};

using Message = std::variant<PingMsg, IndirectPingMsg, AckMsg, NackMsg, HeartbeatMsg, AliveMsg,
                             SuspectMsg, FailedMsg, LeftMsg, PhiReportMsg, PushPullMsg>;

// One decoded datagram or stream message.
struct Envelope {
  std::uint32_t version = 0;
  std::string_view cluster;
  std::string_view sender;
  std::vector<Message> messages;
};

}  // namespace picket::membership::detail
