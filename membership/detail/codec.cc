#include "membership/detail/codec.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "membership.pb.h"
#include "membership/tuning.h"

namespace picket::membership::detail {
namespace {

// Envelope.messages: field 4, length-delimited.
constexpr std::uint8_t kMessagesTag = (4 << 3) | 2;

// Generated messages live on an arena that is reset after every use: parsing
// and encoding then cost no malloc/free per message (the oneof submessages of
// a reused heap message are freed and reallocated on every Clear()). No
// initial block: a simulated cluster holds thousands of idle cores, each with
// three of these.
google::protobuf::ArenaOptions ArenaOptionsForCodec() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 1024;
  options.max_block_size = 64 * 1024;
  return options;
}

// Scratch buffers larger than this are released after use.
constexpr std::size_t kKeepScratchBytes = 64 * 1024;

void AppendVarint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

}  // namespace

bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra;
    std::uint32_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<std::uint8_t>(s[i + static_cast<std::size_t>(k)]);
      const std::uint32_t low = k == 1 ? lo : 0x80;
      const std::uint32_t high = k == 1 ? hi : 0xBF;
      if (cc < low || cc > high) return false;
    }
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

namespace {

// Outcome of checking one field: ok, or the reason to drop the frame.
struct Check {
  bool ok = true;
  DropReason reason = DropReason::kMalformed;
  static Check Fail(DropReason r) { return Check{false, r}; }
};

Check CheckText(std::string_view s, std::size_t max, bool required) {
  if (required && s.empty()) return Check::Fail(DropReason::kMalformed);
  if (s.size() > max) return Check::Fail(DropReason::kOversized);
  if (!IsUtf8(s)) return Check::Fail(DropReason::kMalformed);
  return {};
}

Check CheckName(std::string_view s) { return CheckText(s, tuning::kMaxNameBytes, true); }

template <typename RepeatedTags>
Check ConvertTags(const RepeatedTags& in, std::vector<TagView>& out) {
  std::size_t total = 0;
  out.clear();
  out.reserve(static_cast<std::size_t>(in.size()));
  for (const auto& tag : in) {
    total += tag.key().size() + tag.value().size();
    if (total > tuning::kMaxTagsBytes) return Check::Fail(DropReason::kOversized);
    if (tag.key().empty()) return Check::Fail(DropReason::kMalformed);
    if (!IsUtf8(tag.key()) || !IsUtf8(tag.value())) return Check::Fail(DropReason::kMalformed);
    out.emplace_back(tag.key(), tag.value());
  }
  // A key given twice is two claims about one tag.
  std::vector<std::string_view> keys;
  keys.reserve(out.size());
  for (const auto& t : out) keys.push_back(t.first);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
    return Check::Fail(DropReason::kContradictory);
  }
  return {};
}

bool IsSyncBucketCount(std::size_t n) {
  return n >= 2 && n <= tuning::kMaxSyncBuckets && (n & (n - 1)) == 0;
}

// The delta-sync fields of a PushPull (see membership.proto): bucket counts
// are powers of two, listed buckets exist, and a datagram summary has none.
Check CheckBuckets(const wire::PushPull& p, bool datagram) {
  const bool any = p.bucket_digests_size() != 0 || p.buckets_size() != 0 || p.bucket_count() != 0;
  if (datagram && any) return Check::Fail(DropReason::kContradictory);
  if (p.bucket_digests_size() != 0 &&
      !IsSyncBucketCount(static_cast<std::size_t>(p.bucket_digests_size()))) {
    return Check::Fail(DropReason::kMalformed);
  }
  if (p.bucket_count() == 0) {
    return p.buckets_size() == 0 ? Check{} : Check::Fail(DropReason::kContradictory);
  }
  if (!IsSyncBucketCount(p.bucket_count()) ||
      static_cast<std::uint32_t>(p.buckets_size()) > p.bucket_count()) {
    return Check::Fail(DropReason::kMalformed);
  }
  for (const std::uint32_t b : p.buckets()) {
    if (b >= p.bucket_count()) return Check::Fail(DropReason::kMalformed);
  }
  return {};
}

// The optional service status of an Alive or a snapshot.
template <typename Owner>
Check ConvertService(const Owner& in, std::optional<ServiceView>& out) {
  out.reset();
  if (!in.has_service()) return {};
  const auto& service = in.service();
  ServiceView view;
  switch (service.status()) {
    case wire::SERVICE_PASSING:
      view.status = ServiceHealth::kPassing;
      break;
    case wire::SERVICE_WARNING:
      view.status = ServiceHealth::kWarning;
      break;
    case wire::SERVICE_CRITICAL:
      view.status = ServiceHealth::kCritical;
      break;
    case wire::SERVICE_MAINTENANCE:
      view.status = ServiceHealth::kMaintenance;
      break;
    default:
      return Check::Fail(DropReason::kMalformed);
  }
  if (Check c = CheckText(service.output(), tuning::kMaxServiceOutputBytes, false); !c.ok) {
    return c;
  }
  view.output = service.output();
  view.since_unix_ms = service.since_unix_ms();
  out = view;
  return {};
}

wire::ServiceHealth ToWire(ServiceHealth health) {
  switch (health) {
    case ServiceHealth::kPassing:
      return wire::SERVICE_PASSING;
    case ServiceHealth::kWarning:
      return wire::SERVICE_WARNING;
    case ServiceHealth::kCritical:
      return wire::SERVICE_CRITICAL;
    case ServiceHealth::kMaintenance:
      return wire::SERVICE_MAINTENANCE;
  }
  return wire::SERVICE_CRITICAL;
}

template <typename Owner>
void FillService(const std::optional<ServiceView>& service, Owner* out) {
  if (!service) return;
  auto* s = out->mutable_service();
  s->set_status(ToWire(service->status));
  s->set_output(service->output.data(), service->output.size());
  s->set_since_unix_ms(service->since_unix_ms);
}

std::optional<MemberState> ConvertState(int state) {
  switch (state) {
    case wire::ALIVE:
      return MemberState::kAlive;
    case wire::SUSPECT:
      return MemberState::kSuspect;
    case wire::FAILED:
      return MemberState::kFailed;
    case wire::LEFT:
      return MemberState::kLeft;
    default:
      return std::nullopt;
  }
}

wire::MemberStatus ToWire(MemberState state) {
  switch (state) {
    case MemberState::kAlive:
      return wire::ALIVE;
    case MemberState::kSuspect:
      return wire::SUSPECT;
    case MemberState::kFailed:
      return wire::FAILED;
    case MemberState::kLeft:
      return wire::LEFT;
  }
  return wire::ALIVE;
}

template <typename RepeatedTags>
void FillTags(const std::vector<TagView>& tags, RepeatedTags* out) {
  std::vector<TagView> sorted = tags;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [key, value] : sorted) {
    auto* t = out->Add();
    t->set_key(key.data(), key.size());
    t->set_value(value.data(), value.size());
  }
}

void ToWire(const Message& message, wire::Message& out) {
  out.Clear();
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PingMsg>) {
          auto* p = out.mutable_ping();
          p->set_seq(m.seq);
          p->set_target(m.target.data(), m.target.size());
          p->set_target_incarnation(m.target_incarnation);
        } else if constexpr (std::is_same_v<T, IndirectPingMsg>) {
          auto* p = out.mutable_indirect_ping();
          p->set_seq(m.seq);
          p->set_target(m.target.data(), m.target.size());
          p->set_target_address(m.target_address.data(), m.target_address.size());
          p->set_want_nack(m.want_nack);
        } else if constexpr (std::is_same_v<T, AckMsg>) {
          out.mutable_ack()->set_seq(m.seq);
        } else if constexpr (std::is_same_v<T, NackMsg>) {
          out.mutable_nack()->set_seq(m.seq);
        } else if constexpr (std::is_same_v<T, HeartbeatMsg>) {
          out.mutable_heartbeat()->set_incarnation(m.incarnation);
        } else if constexpr (std::is_same_v<T, AliveMsg>) {
          auto* p = out.mutable_alive();
          p->set_name(m.name.data(), m.name.size());
          p->set_address(m.address.data(), m.address.size());
          p->set_incarnation(m.incarnation);
          FillTags(m.tags, p->mutable_tags());
          FillService(m.service, p);
        } else if constexpr (std::is_same_v<T, SuspectMsg>) {
          auto* p = out.mutable_suspect();
          p->set_name(m.name.data(), m.name.size());
          p->set_incarnation(m.incarnation);
          p->set_from(m.from.data(), m.from.size());
        } else if constexpr (std::is_same_v<T, FailedMsg>) {
          auto* p = out.mutable_failed();
          p->set_name(m.name.data(), m.name.size());
          p->set_incarnation(m.incarnation);
          p->set_from(m.from.data(), m.from.size());
        } else if constexpr (std::is_same_v<T, LeftMsg>) {
          auto* p = out.mutable_left();
          p->set_name(m.name.data(), m.name.size());
          p->set_incarnation(m.incarnation);
        } else if constexpr (std::is_same_v<T, PhiReportMsg>) {
          auto* p = out.mutable_phi_report();
          p->set_observer(m.observer.data(), m.observer.size());
          p->set_subject(m.subject.data(), m.subject.size());
          p->set_phi(static_cast<float>(m.phi));
          p->set_hops(m.hops);
        } else if constexpr (std::is_same_v<T, PushPullMsg>) {
          auto* p = out.mutable_push_pull();
          p->set_join(m.join);
          p->set_digest(m.digest);
          p->set_count(m.count);
          p->mutable_bucket_digests()->Add(m.bucket_digests.begin(), m.bucket_digests.end());
          p->mutable_buckets()->Add(m.buckets.begin(), m.buckets.end());
          p->set_bucket_count(m.bucket_count);
          p->set_summary_only(m.summary_only);
          p->mutable_members()->Reserve(static_cast<int>(m.members.size()));
          for (const auto& member : m.members) {
            auto* s = p->add_members();
            s->set_name(member.name.data(), member.name.size());
            s->set_address(member.address.data(), member.address.size());
            s->set_incarnation(member.incarnation);
            s->set_state(ToWire(member.state));
            FillTags(member.tags, s->mutable_tags());
            FillService(member.service, s);
          }
        }
      },
      message);
}

}  // namespace

// ---------------------------------------------------------------- Encoder

struct Encoder::Scratch {
  Scratch() : arena(ArenaOptionsForCodec()) {}
  google::protobuf::Arena arena;
  std::string bytes;
};

Encoder::Encoder(std::string_view cluster, std::string_view sender)
    : scratch_(std::make_unique<Scratch>()) {
  wire::Envelope header;
  header.set_version(tuning::kProtocolVersion);
  header.set_cluster(cluster.data(), cluster.size());
  header.set_sender(sender.data(), sender.size());
  header.SerializeToString(&header_);
}

Encoder::~Encoder() = default;

void Encoder::AppendMessage(const Message& message, std::string& out) {
  auto* proto = google::protobuf::Arena::CreateMessage<wire::Message>(&scratch_->arena);
  ToWire(message, *proto);
  scratch_->bytes.clear();
  {
    google::protobuf::io::StringOutputStream stream(&scratch_->bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    proto->SerializeToCodedStream(&coded);
  }
  scratch_->arena.Reset();
  out.push_back(static_cast<char>(kMessagesTag));
  AppendVarint(scratch_->bytes.size(), out);
  out.append(scratch_->bytes);
  if (scratch_->bytes.capacity() > kKeepScratchBytes) std::string().swap(scratch_->bytes);
}

std::string Encoder::EncodeMessage(const Message& message) {
  std::string out;
  AppendMessage(message, out);
  return out;
}

void Encoder::Frame(Channel channel, std::string_view envelope, std::vector<std::uint8_t>& out) {
  out.clear();
  out.reserve(envelope.size() + kFrameOverhead);
  out.push_back(channel == Channel::kDatagram ? tuning::kDatagramFrameMagic
                                              : tuning::kStreamFrameMagic);
  out.insert(out.end(), envelope.begin(), envelope.end());
}

// ---------------------------------------------------------------- Decoder

struct Decoder::State {
  State() : arena(ArenaOptionsForCodec()) {}
  std::string cluster;
  Channel channel;
  google::protobuf::Arena arena;
  // The last decoded envelope, on `arena` (valid until the next Decode).
  wire::Envelope* proto = nullptr;
  Envelope out;
  std::vector<std::string_view> names;  // push-pull duplicate check

  // Converts proto.messages() into out.messages; returns the first failure.
  Check Convert();
  Check ConvertOne(const wire::Message& m);
};

Check Decoder::State::ConvertOne(const wire::Message& m) {
  const bool datagram = channel == Channel::kDatagram;
  switch (m.body_case()) {
    case wire::Message::kPing: {
      const auto& p = m.ping();
      if (Check c = CheckText(p.target(), tuning::kMaxNameBytes, false); !c.ok) return c;
      out.messages.emplace_back(PingMsg{p.seq(), p.target(), p.target_incarnation()});
      return {};
    }
    case wire::Message::kIndirectPing: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.indirect_ping();
      if (Check c = CheckName(p.target()); !c.ok) return c;
      if (Check c = CheckText(p.target_address(), tuning::kMaxAddressBytes, true); !c.ok) return c;
      out.messages.emplace_back(IndirectPingMsg{p.seq(), p.target(), p.target_address(),
                                                p.want_nack()});
      return {};
    }
    case wire::Message::kAck:
      out.messages.emplace_back(AckMsg{m.ack().seq()});
      return {};
    case wire::Message::kNack:
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      out.messages.emplace_back(NackMsg{m.nack().seq()});
      return {};
    case wire::Message::kHeartbeat:
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      out.messages.emplace_back(HeartbeatMsg{m.heartbeat().incarnation()});
      return {};
    case wire::Message::kAlive: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.alive();
      if (Check c = CheckName(p.name()); !c.ok) return c;
      if (Check c = CheckText(p.address(), tuning::kMaxAddressBytes, true); !c.ok) return c;
      AliveMsg alive{p.name(), p.address(), p.incarnation(), {}, std::nullopt};
      if (Check c = ConvertTags(p.tags(), alive.tags); !c.ok) return c;
      if (Check c = ConvertService(p, alive.service); !c.ok) return c;
      out.messages.emplace_back(std::move(alive));
      return {};
    }
    case wire::Message::kSuspect: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.suspect();
      if (Check c = CheckName(p.name()); !c.ok) return c;
      if (Check c = CheckName(p.from()); !c.ok) return c;
      out.messages.emplace_back(SuspectMsg{p.name(), p.incarnation(), p.from()});
      return {};
    }
    case wire::Message::kFailed: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.failed();
      if (Check c = CheckName(p.name()); !c.ok) return c;
      if (Check c = CheckName(p.from()); !c.ok) return c;
      out.messages.emplace_back(FailedMsg{p.name(), p.incarnation(), p.from()});
      return {};
    }
    case wire::Message::kLeft: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.left();
      if (Check c = CheckName(p.name()); !c.ok) return c;
      out.messages.emplace_back(LeftMsg{p.name(), p.incarnation()});
      return {};
    }
    case wire::Message::kPhiReport: {
      if (!datagram) return Check::Fail(DropReason::kContradictory);
      const auto& p = m.phi_report();
      if (Check c = CheckName(p.observer()); !c.ok) return c;
      if (Check c = CheckName(p.subject()); !c.ok) return c;
      const double phi = p.phi();
      if (!std::isfinite(phi) || phi < 0.0) return Check::Fail(DropReason::kMalformed);
      out.messages.emplace_back(PhiReportMsg{p.observer(), p.subject(), phi, p.hops()});
      return {};
    }
    case wire::Message::kPushPull: {
      const auto& p = m.push_pull();
      // A datagram carries only the periodic summary; tables go by stream.
      if (datagram && (p.join() || p.members_size() != 0 || p.summary_only())) {
        return Check::Fail(DropReason::kContradictory);
      }
      if (static_cast<std::size_t>(p.members_size()) > tuning::kMaxPushPullMembers) {
        return Check::Fail(DropReason::kOversized);
      }
      if (Check c = CheckBuckets(p, datagram); !c.ok) return c;
      PushPullMsg pp;
      pp.join = p.join();
      pp.digest = p.digest();
      pp.count = p.count();
      pp.bucket_digests.assign(p.bucket_digests().begin(), p.bucket_digests().end());
      pp.buckets.assign(p.buckets().begin(), p.buckets().end());
      pp.bucket_count = p.bucket_count();
      pp.summary_only = p.summary_only();
      pp.members.reserve(static_cast<std::size_t>(p.members_size()));
      names.clear();
      for (const auto& s : p.members()) {
        if (Check c = CheckName(s.name()); !c.ok) return c;
        if (Check c = CheckText(s.address(), tuning::kMaxAddressBytes, true); !c.ok) return c;
        const auto state = ConvertState(s.state());
        if (!state) return Check::Fail(DropReason::kMalformed);
        MemberSnapshotMsg snapshot{s.name(), s.address(), s.incarnation(), *state, {}, std::nullopt};
        if (Check c = ConvertTags(s.tags(), snapshot.tags); !c.ok) return c;
        if (Check c = ConvertService(s, snapshot.service); !c.ok) return c;
        pp.members.push_back(std::move(snapshot));
        names.push_back(s.name());
      }
      std::sort(names.begin(), names.end());
      if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        return Check::Fail(DropReason::kContradictory);
      }
      out.messages.emplace_back(std::move(pp));
      return {};
    }
    case wire::Message::BODY_NOT_SET:
      // A message kind added by a newer, compatible sender: skip it.
      return {};
  }
  return {};
}

Check Decoder::State::Convert() {
  out.messages.clear();
  const int count = proto->messages_size();
  if (count == 0) return Check::Fail(DropReason::kMalformed);
  if (channel == Channel::kStream && count != 1) return Check::Fail(DropReason::kContradictory);
  if (static_cast<std::size_t>(count) > tuning::kMaxMessagesPerDatagram) {
    return Check::Fail(DropReason::kOversized);
  }
  out.messages.reserve(static_cast<std::size_t>(count));
  for (const auto& m : proto->messages()) {
    if (Check c = ConvertOne(m); !c.ok) return c;
  }
  return {};
}

Decoder::Decoder(std::string_view cluster, Channel channel) : state_(std::make_unique<State>()) {
  state_->cluster = std::string(cluster);
  state_->channel = channel;
}

Decoder::~Decoder() = default;

void Decoder::Release() {
  State& s = *state_;
  s.out = Envelope{};
  std::vector<std::string_view>().swap(s.names);
  s.proto = nullptr;
  s.arena.Reset();
}

DecodeResult Decoder::Decode(std::span<const std::uint8_t> bytes) {
  State& s = *state_;
  auto fail = [](DropReason r) { return DecodeResult{nullptr, r}; };
  const bool datagram = s.channel == Channel::kDatagram;
  const std::size_t max_bytes = datagram ? tuning::kMaxDatagramBytes : tuning::kMaxStreamBytes;
  if (bytes.empty()) return fail(DropReason::kMalformed);
  if (bytes.size() > max_bytes) return fail(DropReason::kOversized);
  if (bytes[0] != (datagram ? tuning::kDatagramFrameMagic : tuning::kStreamFrameMagic)) {
    return fail(DropReason::kMalformed);
  }

  // The envelope is the rest of the frame: the datagram, or the stream
  // message the transport delimited (its length prefix, its seal).
  const std::size_t pos = 1;
  const std::size_t length = bytes.size() - pos;

  s.out.messages.clear();  // holds views into the arena about to be reset
  s.arena.Reset();
  s.proto = google::protobuf::Arena::CreateMessage<wire::Envelope>(&s.arena);
  if (!s.proto->ParseFromArray(bytes.data() + pos, static_cast<int>(length))) {
    return fail(DropReason::kMalformed);
  }
  const std::uint32_t version = s.proto->version();
  if (version < tuning::kMinProtocolVersion || version > tuning::kProtocolVersion) {
    return fail(DropReason::kBadVersion);
  }
  if (s.proto->cluster() != s.cluster) return fail(DropReason::kWrongCluster);
  if (Check c = CheckName(s.proto->sender()); !c.ok) return fail(c.reason);
  if (Check c = s.Convert(); !c.ok) return fail(c.reason);
  s.out.version = version;
  s.out.cluster = s.proto->cluster();
  s.out.sender = s.proto->sender();
  return DecodeResult{&s.out, DropReason::kMalformed};
}

}  // namespace picket::membership::detail
