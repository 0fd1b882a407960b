#pragma once

// Wire codec: frames of protobuf Envelopes <-> the plain structs of
// messages.h. The only place that touches the generated protobuf code.
//
// Stream frame = 0xB7, the Envelope (membership.proto); datagram frame =
// 0xB8, the Envelope. The frame's length is the datagram's, or the stream
// message's that the transport delimits with its one length prefix (and seals
// when encrypted): no second length inside. The magic tells the channels
// apart, so a frame of one is never misparsed as the other.
// Decoding trusts nothing: every size, count, name and enum is checked, and a
// frame that fails a check is rejected whole with the DropReason to count.
//
// Thread safety: none; each Swim owns one Encoder and two Decoders.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "membership/counters.h"
#include "membership/detail/messages.h"

namespace picket::membership::detail {

// Datagram (UDP) or stream (TCP) message: different size limits and allowed
// message kinds.
enum class Channel : std::uint8_t { kDatagram, kStream };

// Bytes a frame adds around an Envelope (the magic).
inline constexpr std::size_t kFrameOverhead = 1;

class Encoder {
 public:
  // REQUIRES: cluster and sender within the tuning:: limits.
  Encoder(std::string_view cluster, std::string_view sender);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Appends one Envelope.messages entry (field tag, length, Message) to `out`.
  // Entries concatenate: header() + entries is a valid Envelope.
  void AppendMessage(const Message& message, std::string& out);
  [[nodiscard]] std::string EncodeMessage(const Message& message);

  // The Envelope's version, cluster and sender fields, encoded once.
  [[nodiscard]] const std::string& header() const { return header_; }

  // Frames an Envelope (header() + entries) for `channel` into `out`
  // (replacing its contents).
  static void Frame(Channel channel, std::string_view envelope, std::vector<std::uint8_t>& out);

 private:
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
  std::string header_;
};

// A decode outcome: the envelope, or why the frame was dropped.
struct DecodeResult {
  const Envelope* envelope = nullptr;  // valid until the Decoder's next Decode()
  DropReason reason = DropReason::kMalformed;
  [[nodiscard]] bool ok() const { return envelope != nullptr; }
};

class Decoder {
 public:
  // Frames whose cluster is not `cluster` are rejected (kWrongCluster).
  Decoder(std::string_view cluster, Channel channel);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one frame. Rejects: empty, the other channel's or no magic,
  // unparsable protobuf (a frame cut short included), missing sender, no
  // messages (kMalformed); over the channel's size or count limits, or
  // over-long names, addresses or tags (kOversized); a version outside
  // [kMinProtocolVersion, kProtocolVersion] (kBadVersion); another cluster
  // (kWrongCluster); a message kind not allowed on the channel, a datagram
  // push-pull that is more than a summary, more than one message in a stream
  // frame, or a push-pull naming a member twice (kContradictory). Unknown
  // message kinds (from a newer, compatible sender) are skipped.
  [[nodiscard]] DecodeResult Decode(std::span<const std::uint8_t> bytes);

  // Frees what the last decode holds (a push-pull of N members holds O(N)
  // until the next Decode). Invalidates the last DecodeResult.
  void Release();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
[[nodiscard]] bool IsUtf8(std::string_view text);

}  // namespace picket::membership::detail
