// libFuzzer target: the wire decoder on both channels. Arbitrary bytes must
// never crash it; whatever it accepts must survive a re-encode and decode
// unchanged (so the decoder accepts nothing the encoder could not have said).

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "membership/detail/codec.h"

namespace {

using picket::membership::detail::Channel;
using picket::membership::detail::Decoder;
using picket::membership::detail::Encoder;
using picket::membership::detail::Envelope;
using picket::membership::detail::Message;

// A comparable rendering of a decoded envelope (views die with the decoder).
// A service status as text ("-" for none).
template <typename Owner>
std::string RenderService(const Owner& m) {
  if (!m.service) return "-";
  return std::to_string(static_cast<int>(m.service->status)) + "/" +
         std::string(m.service->output) + "/" + std::to_string(m.service->since_unix_ms);
}

std::string Render(const Envelope& e) {
  std::string out = std::to_string(e.version) + "|" + std::string(e.sender) + "|";
  for (const Message& m : e.messages) {
    out += std::to_string(m.index()) + ":";
    std::visit(
        [&out](const auto& msg) {
          using T = std::decay_t<decltype(msg)>;
          using namespace picket::membership::detail;
          if constexpr (std::is_same_v<T, PingMsg>) {
            out += std::to_string(msg.seq) + "," + std::string(msg.target);
          } else if constexpr (std::is_same_v<T, IndirectPingMsg>) {
            out += std::to_string(msg.seq) + "," + std::string(msg.target) + "," +
                   std::string(msg.target_address) + "," + std::to_string(msg.want_nack);
          } else if constexpr (std::is_same_v<T, AckMsg> || std::is_same_v<T, NackMsg>) {
            out += std::to_string(msg.seq);
          } else if constexpr (std::is_same_v<T, HeartbeatMsg>) {
            out += std::to_string(msg.incarnation);
          } else if constexpr (std::is_same_v<T, AliveMsg>) {
            out += std::string(msg.name) + "," + std::string(msg.address) + "," +
                   std::to_string(msg.incarnation) + "," + std::to_string(msg.tags.size()) + "," +
                   RenderService(msg);
          } else if constexpr (std::is_same_v<T, SuspectMsg> || std::is_same_v<T, FailedMsg>) {
            out += std::string(msg.name) + "," + std::to_string(msg.incarnation) + "," +
                   std::string(msg.from);
          } else if constexpr (std::is_same_v<T, LeftMsg>) {
            out += std::string(msg.name) + "," + std::to_string(msg.incarnation);
          } else if constexpr (std::is_same_v<T, PhiReportMsg>) {
            out += std::string(msg.observer) + "," + std::string(msg.subject) + "," +
                   std::to_string(static_cast<float>(msg.phi));
          } else if constexpr (std::is_same_v<T, PushPullMsg>) {
            out += std::to_string(msg.join) + "," + std::to_string(msg.digest) + "," +
                   std::to_string(msg.count) + "," + std::to_string(msg.members.size());
            for (const auto& s : msg.members) {
              out += "," + std::string(s.name) + "/" + std::to_string(s.incarnation) + "/" +
                     std::to_string(static_cast<int>(s.state)) + "/" + RenderService(s);
            }
          }
        },
        m);
    out += ";";
  }
  return out;
}

void Check(Channel channel, std::span<const std::uint8_t> bytes) {
  Decoder decoder("default", channel);
  const auto result = decoder.Decode(bytes);
  if (!result.ok()) return;
  const Envelope& e = *result.envelope;
  if (e.messages.empty()) return;  // only message kinds this build does not know
  const std::string before = Render(e);
  Encoder encoder(e.cluster, e.sender);
  std::string envelope = encoder.header();
  for (const Message& m : e.messages) encoder.AppendMessage(m, envelope);
  std::vector<std::uint8_t> frame;
  Encoder::Frame(channel, envelope, frame);
  Decoder again("default", channel);
  const auto second = again.Decode(frame);
  if (!second.ok() || Render(*second.envelope) != before) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  Check(Channel::kDatagram, bytes);
  Check(Channel::kStream, bytes);
  return 0;
}
