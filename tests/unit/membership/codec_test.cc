#include "membership/detail/codec.h"

#include <catch2/catch.hpp>

#include "membership.pb.h"
#include "membership/tuning.h"
#include "test_support.h"

namespace picket::membership::detail {
namespace {

std::vector<std::uint8_t> FrameProto(const wire::Envelope& envelope,
                                     Channel channel = Channel::kDatagram) {
  std::string bytes;
  envelope.SerializeToString(&bytes);
  std::vector<std::uint8_t> out;
  Encoder::Frame(channel, bytes, out);
  return out;
}

wire::Envelope ValidProto() {
  wire::Envelope e;
  e.set_version(tuning::kProtocolVersion);
  e.set_cluster("default");
  e.set_sender("peer");
  e.add_messages()->mutable_ack()->set_seq(7);
  return e;
}

DropReason Rejection(const std::vector<std::uint8_t>& bytes,
                     Channel channel = Channel::kDatagram) {
  Decoder decoder("default", channel);
  const DecodeResult r = decoder.Decode(bytes);
  REQUIRE_FALSE(r.ok());
  return r.reason;
}

}  // namespace

TEST_CASE("codec: every message kind survives a round trip", "[codec]") {
  Encoder encoder("default", "alpha");
  std::string envelope = encoder.header();
  encoder.AppendMessage(PingMsg{1, "beta", 7}, envelope);
  encoder.AppendMessage(IndirectPingMsg{2, "gamma", "10.0.0.3:9746", true}, envelope);
  encoder.AppendMessage(AckMsg{3}, envelope);
  encoder.AppendMessage(NackMsg{4}, envelope);
  encoder.AppendMessage(HeartbeatMsg{5}, envelope);
  encoder.AppendMessage(AliveMsg{"delta", "10.0.0.4:9746", 6, {{"zone", "b"}, {"role", "db"}},
                                 ServiceView{ServiceHealth::kCritical, "http-1: HTTP 503", 1234}},
                        envelope);
  encoder.AppendMessage(SuspectMsg{"eps", 7, "alpha"}, envelope);
  encoder.AppendMessage(FailedMsg{"zeta", 8, "beta"}, envelope);
  encoder.AppendMessage(LeftMsg{"eta", 9}, envelope);
  encoder.AppendMessage(PhiReportMsg{"alpha", "theta", 3.5, 2}, envelope);
  std::vector<std::uint8_t> frame;
  Encoder::Frame(Channel::kDatagram, envelope, frame);

  Decoder decoder("default", Channel::kDatagram);
  const DecodeResult r = decoder.Decode(frame);
  REQUIRE(r.ok());
  const Envelope& e = *r.envelope;
  CHECK(e.version == tuning::kProtocolVersion);
  CHECK(e.cluster == "default");
  CHECK(e.sender == "alpha");
  REQUIRE(e.messages.size() == 10);
  CHECK(std::get<PingMsg>(e.messages[0]).target == "beta");
  CHECK(std::get<PingMsg>(e.messages[0]).target_incarnation == 7);
  const auto& ip = std::get<IndirectPingMsg>(e.messages[1]);
  CHECK(ip.seq == 2);
  CHECK(ip.target_address == "10.0.0.3:9746");
  CHECK(ip.want_nack);
  CHECK(std::get<AckMsg>(e.messages[2]).seq == 3);
  CHECK(std::get<NackMsg>(e.messages[3]).seq == 4);
  CHECK(std::get<HeartbeatMsg>(e.messages[4]).incarnation == 5);
  const auto& alive = std::get<AliveMsg>(e.messages[5]);
  CHECK(alive.name == "delta");
  CHECK(alive.incarnation == 6);
  REQUIRE(alive.tags.size() == 2);
  CHECK(alive.tags[0] == TagView{"role", "db"});  // encoded in key order
  REQUIRE(alive.service);
  CHECK(alive.service->status == ServiceHealth::kCritical);
  CHECK(alive.service->output == "http-1: HTTP 503");
  CHECK(alive.service->since_unix_ms == 1234);
  CHECK(std::get<SuspectMsg>(e.messages[6]).from == "alpha");
  CHECK(std::get<FailedMsg>(e.messages[7]).incarnation == 8);
  CHECK(std::get<LeftMsg>(e.messages[8]).name == "eta");
  CHECK(std::get<PhiReportMsg>(e.messages[9]).phi == Approx(3.5));
  CHECK(std::get<PhiReportMsg>(e.messages[9]).hops == 2);
}

TEST_CASE("codec: push-pull and stream ping round trip on the stream channel", "[codec]") {
  Encoder encoder("default", "alpha");
  PushPullMsg state;
  state.join = true;
  state.members.push_back({"alpha", "a:1", 3, MemberState::kAlive, {{"k", "v"}},
                           ServiceView{ServiceHealth::kMaintenance, "", -5}});
  state.members.push_back({"beta", "b:1", 1, MemberState::kSuspect, {}, {}});
  state.members.push_back({"gamma", "c:1", 9, MemberState::kFailed, {}, {}});
  state.members.push_back({"delta", "d:1", 2, MemberState::kLeft, {}, {}});
  std::string envelope = encoder.header();
  encoder.AppendMessage(state, envelope);
  std::vector<std::uint8_t> frame;
  Encoder::Frame(Channel::kStream, envelope, frame);

  Decoder decoder("default", Channel::kStream);
  const DecodeResult r = decoder.Decode(frame);
  REQUIRE(r.ok());
  const auto& pp = std::get<PushPullMsg>(r.envelope->messages.at(0));
  CHECK(pp.join);
  REQUIRE(pp.members.size() == 4);
  CHECK(pp.members[1].state == MemberState::kSuspect);
  CHECK(pp.members[2].incarnation == 9);
  CHECK(pp.members[3].state == MemberState::kLeft);
  CHECK(pp.members[0].tags.size() == 1);
  REQUIRE(pp.members[0].service);
  CHECK(pp.members[0].service->status == ServiceHealth::kMaintenance);
  CHECK(pp.members[0].service->since_unix_ms == -5);
  CHECK_FALSE(pp.members[1].service);

  // The delta-sync fields.
  PushPullMsg delta;
  delta.bucket_digests = {1, 2, 3, 0xFFFFFFFFFFFFFFFFULL};
  delta.bucket_count = 8;
  delta.buckets = {0, 7};
  envelope = encoder.header();
  encoder.AppendMessage(delta, envelope);
  Encoder::Frame(Channel::kStream, envelope, frame);
  const DecodeResult d = decoder.Decode(frame);
  REQUIRE(d.ok());
  const auto& dp = std::get<PushPullMsg>(d.envelope->messages.at(0));
  CHECK(dp.bucket_digests == delta.bucket_digests);
  CHECK(dp.bucket_count == 8);
  CHECK(dp.buckets == delta.buckets);
}

TEST_CASE("codec: a push-pull summary round trips on the datagram channel", "[codec]") {
  Encoder encoder("default", "alpha");
  PushPullMsg summary;
  summary.digest = 0x0123456789abcdefULL;
  summary.count = 32;
  std::string envelope = encoder.header();
  encoder.AppendMessage(summary, envelope);
  encoder.AppendMessage(AliveMsg{"beta", "b:1", 2, {}, {}}, envelope);  // gossip rides along
  std::vector<std::uint8_t> frame;
  Encoder::Frame(Channel::kDatagram, envelope, frame);

  Decoder decoder("default", Channel::kDatagram);
  const DecodeResult r = decoder.Decode(frame);
  REQUIRE(r.ok());
  REQUIRE(r.envelope->messages.size() == 2);
  const auto& pp = std::get<PushPullMsg>(r.envelope->messages.at(0));
  CHECK(pp.digest == summary.digest);
  CHECK(pp.count == 32);
  CHECK(pp.members.empty());
}

TEST_CASE("codec: rejects each kind of bad input with its reason", "[codec]") {
  SECTION("empty input") { CHECK(Rejection({}) == DropReason::kMalformed); }
  SECTION("wrong magic byte") {
    auto bytes = FrameProto(ValidProto());
    bytes[0] = 0x00;
    CHECK(Rejection(bytes) == DropReason::kMalformed);
  }
  SECTION("a frame of the other channel") {
    CHECK(Rejection(FrameProto(ValidProto(), Channel::kStream)) == DropReason::kMalformed);
    CHECK(Rejection(FrameProto(ValidProto()), Channel::kStream) == DropReason::kMalformed);
  }
  SECTION("a stream message cut inside a message") {
    auto bytes = FrameProto(ValidProto(), Channel::kStream);
    bytes.pop_back();
    CHECK(Rejection(bytes, Channel::kStream) == DropReason::kMalformed);
  }
  SECTION("a stream frame that is only the magic: an empty envelope, version 0") {
    CHECK(Rejection({tuning::kStreamFrameMagic}, Channel::kStream) == DropReason::kBadVersion);
  }
  SECTION("a datagram cut inside a message") {
    auto bytes = FrameProto(ValidProto());
    bytes.pop_back();
    CHECK(Rejection(bytes) == DropReason::kMalformed);
  }
  SECTION("oversized datagram") {
    std::vector<std::uint8_t> bytes(tuning::kMaxDatagramBytes + 1, 0);
    bytes[0] = tuning::kDatagramFrameMagic;
    CHECK(Rejection(bytes) == DropReason::kOversized);
  }
  SECTION("oversized stream message") {
    std::vector<std::uint8_t> bytes(tuning::kMaxStreamBytes + 1, 0);
    bytes[0] = tuning::kStreamFrameMagic;
    CHECK(Rejection(bytes, Channel::kStream) == DropReason::kOversized);
  }
  SECTION("not protobuf") {
    CHECK(Rejection({tuning::kDatagramFrameMagic, 0xFF, 0xFF, 0xFF}) == DropReason::kMalformed);
    CHECK(Rejection({tuning::kStreamFrameMagic, 0xFF, 0xFF, 0xFF}, Channel::kStream) ==
          DropReason::kMalformed);
  }
  SECTION("unknown version") {
    auto e = ValidProto();
    e.set_version(tuning::kProtocolVersion + 1);
    CHECK(Rejection(FrameProto(e)) == DropReason::kBadVersion);
    e.set_version(0);
    CHECK(Rejection(FrameProto(e)) == DropReason::kBadVersion);
  }
  SECTION("another cluster") {
    auto e = ValidProto();
    e.set_cluster("other");
    CHECK(Rejection(FrameProto(e)) == DropReason::kWrongCluster);
  }
  SECTION("no sender") {
    auto e = ValidProto();
    e.clear_sender();
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
  }
  SECTION("sender name too long") {
    auto e = ValidProto();
    e.set_sender(std::string(tuning::kMaxNameBytes + 1, 'x'));
    CHECK(Rejection(FrameProto(e)) == DropReason::kOversized);
  }
  SECTION("sender not UTF-8") {
    auto e = ValidProto();
    e.set_sender(std::string("bad\xC0\xAF", 5));
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
  }
  SECTION("no messages") {
    auto e = ValidProto();
    e.clear_messages();
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
  }
  SECTION("too many messages") {
    auto e = ValidProto();
    for (std::size_t i = 0; i < tuning::kMaxMessagesPerDatagram; ++i) {
      e.add_messages()->mutable_ack()->set_seq(1);
    }
    CHECK(Rejection(FrameProto(e)) == DropReason::kOversized);
  }
  SECTION("alive without an address") {
    auto e = ValidProto();
    e.add_messages()->mutable_alive()->set_name("x");
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
  }
  SECTION("tags over the size limit") {
    auto e = ValidProto();
    auto* alive = e.add_messages()->mutable_alive();
    alive->set_name("x");
    alive->set_address("x:1");
    auto* tag = alive->add_tags();
    tag->set_key("k");
    tag->set_value(std::string(tuning::kMaxTagsBytes, 'v'));
    CHECK(Rejection(FrameProto(e)) == DropReason::kOversized);
  }
  SECTION("a tag key given twice") {
    auto e = ValidProto();
    auto* alive = e.add_messages()->mutable_alive();
    alive->set_name("x");
    alive->set_address("x:1");
    for (int i = 0; i < 2; ++i) {
      auto* tag = alive->add_tags();
      tag->set_key("k");
      tag->set_value(std::to_string(i));
    }
    CHECK(Rejection(FrameProto(e)) == DropReason::kContradictory);
  }
  SECTION("negative or non-finite phi") {
    auto e = ValidProto();
    auto* report = e.add_messages()->mutable_phi_report();
    report->set_observer("a");
    report->set_subject("b");
    report->set_phi(-1.0f);
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
    report->set_phi(std::numeric_limits<float>::infinity());
    CHECK(Rejection(FrameProto(e)) == DropReason::kMalformed);
  }
  SECTION("push-pull in a datagram with more than the summary") {
    auto e = ValidProto();
    auto* pp = e.add_messages()->mutable_push_pull();
    pp->set_digest(42);
    pp->add_members()->set_name("a");
    CHECK(Rejection(FrameProto(e)) == DropReason::kContradictory);
    pp->clear_members();
    pp->set_join(true);
    CHECK(Rejection(FrameProto(e)) == DropReason::kContradictory);
  }
  SECTION("delta-sync fields that do not add up") {
    const auto stream_with = [](auto set) {
      auto e = ValidProto();
      e.clear_messages();
      set(*e.add_messages()->mutable_push_pull());
      return Rejection(FrameProto(e, Channel::kStream), Channel::kStream);
    };
    // Bucket counts are powers of two from 2 to kMaxSyncBuckets.
    CHECK(stream_with([](wire::PushPull& p) { p.set_bucket_count(3); }) == DropReason::kMalformed);
    CHECK(stream_with([](wire::PushPull& p) { p.set_bucket_count(1); }) == DropReason::kMalformed);
    CHECK(stream_with([](wire::PushPull& p) {
            p.set_bucket_count(static_cast<std::uint32_t>(tuning::kMaxSyncBuckets) * 2);
          }) == DropReason::kMalformed);
    CHECK(stream_with([](wire::PushPull& p) {
            for (int i = 0; i < 6; ++i) p.add_bucket_digests(1);
          }) == DropReason::kMalformed);
    // A bucket beyond the count, or buckets without one.
    CHECK(stream_with([](wire::PushPull& p) {
            p.set_bucket_count(4);
            p.add_buckets(4);
          }) == DropReason::kMalformed);
    CHECK(stream_with([](wire::PushPull& p) { p.add_buckets(0); }) == DropReason::kContradictory);
    // A datagram summary carries none of them.
    auto e = ValidProto();
    e.add_messages()->mutable_push_pull()->set_bucket_count(4);
    CHECK(Rejection(FrameProto(e)) == DropReason::kContradictory);
  }
  SECTION("gossip in a stream message") {
    auto e = ValidProto();
    e.clear_messages();
    e.add_messages()->mutable_heartbeat();
    CHECK(Rejection(FrameProto(e, Channel::kStream), Channel::kStream) == DropReason::kContradictory);
  }
  SECTION("two messages in one stream frame") {
    auto e = ValidProto();
    e.add_messages()->mutable_ack()->set_seq(2);
    CHECK(Rejection(FrameProto(e, Channel::kStream), Channel::kStream) == DropReason::kContradictory);
  }
  SECTION("push-pull naming a member twice") {
    auto e = ValidProto();
    e.clear_messages();
    auto* pp = e.add_messages()->mutable_push_pull();
    for (int i = 0; i < 2; ++i) {
      auto* s = pp->add_members();
      s->set_name("same");
      s->set_address("s:1");
    }
    CHECK(Rejection(FrameProto(e, Channel::kStream), Channel::kStream) == DropReason::kContradictory);
  }
  SECTION("push-pull with an unknown member state") {
    auto e = ValidProto();
    e.clear_messages();
    auto* s = e.add_messages()->mutable_push_pull()->add_members();
    s->set_name("x");
    s->set_address("x:1");
    s->set_state(static_cast<wire::MemberStatus>(9));
    CHECK(Rejection(FrameProto(e, Channel::kStream), Channel::kStream) == DropReason::kMalformed);
  }
  SECTION("a service status that is unknown, unset, over-long or not UTF-8") {
    const auto alive_with = [](auto set) {
      auto e = ValidProto();
      auto* a = e.add_messages()->mutable_alive();
      a->set_name("x");
      a->set_address("x:1");
      set(*a->mutable_service());
      return FrameProto(e);
    };
    CHECK(Rejection(alive_with([](wire::Service& s) {
            s.set_status(static_cast<wire::ServiceHealth>(17));
          })) == DropReason::kMalformed);
    CHECK(Rejection(alive_with([](wire::Service&) {})) == DropReason::kMalformed);
    CHECK(Rejection(alive_with([](wire::Service& s) {
            s.set_status(wire::SERVICE_PASSING);
            s.set_output(std::string(tuning::kMaxServiceOutputBytes + 1, 'o'));
          })) == DropReason::kOversized);
    CHECK(Rejection(alive_with([](wire::Service& s) {
            s.set_status(wire::SERVICE_PASSING);
            s.set_output("\xC0\xAF");
          })) == DropReason::kMalformed);
    auto e = ValidProto();
    e.clear_messages();
    auto* m = e.add_messages()->mutable_push_pull()->add_members();
    m->set_name("x");
    m->set_address("x:1");
    m->mutable_service()->set_status(static_cast<wire::ServiceHealth>(-1));
    CHECK(Rejection(FrameProto(e, Channel::kStream), Channel::kStream) == DropReason::kMalformed);
  }
}

TEST_CASE("codec: message kinds from a newer compatible sender are skipped", "[codec]") {
  auto e = ValidProto();
  e.add_messages();  // a Message whose body this build does not know
  Decoder decoder("default", Channel::kDatagram);
  const DecodeResult r = decoder.Decode(FrameProto(e));
  REQUIRE(r.ok());
  CHECK(r.envelope->messages.size() == 1);
}

TEST_CASE("codec: UTF-8 validation", "[codec]") {
  CHECK(IsUtf8("plain"));
  CHECK(IsUtf8("gr\xC3\xBC\xC3\x9F"));          // ü ß
  CHECK(IsUtf8("\xF0\x9F\x98\x80"));            // emoji
  CHECK_FALSE(IsUtf8("\xC0\xAF"));              // overlong
  CHECK_FALSE(IsUtf8("\xED\xA0\x80"));          // surrogate
  CHECK_FALSE(IsUtf8("\xF4\x90\x80\x80"));      // > U+10FFFF
  CHECK_FALSE(IsUtf8("\xE2\x82"));              // cut short
}

TEST_CASE("codec: a frame is its channel's magic and the envelope, no length inside",
          "[codec]") {
  std::vector<std::uint8_t> out;
  Encoder::Frame(Channel::kStream, std::string(300, 'x'), out);
  CHECK(out.size() == kFrameOverhead + 300);
  CHECK(out[0] == tuning::kStreamFrameMagic);
  Encoder::Frame(Channel::kDatagram, std::string(300, 'x'), out);
  CHECK(out.size() == kFrameOverhead + 300);
  CHECK(out[0] == tuning::kDatagramFrameMagic);
}

}  // namespace picket::membership::detail
