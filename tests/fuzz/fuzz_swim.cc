// libFuzzer target: one Swim fed arbitrary inputs from arbitrary senders.
//
// The input is a program of operations: raw datagrams and stream messages
// (to reach the decoder's edges), well-formed protocol messages built from
// fuzzer bytes (to reach the state machine: any claim about any of a few
// names, at any incarnation, from any sender), time steps, commands and
// stream outcomes. After every operation the member table's invariants must
// hold; the core must never crash, and its tables stay bounded by what the
// input mentioned.

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "membership/detail/codec.h"
#include "membership/swim.h"

namespace {

using namespace picket::membership;
using namespace std::chrono_literals;
namespace d = picket::membership::detail;

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = Byte();
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
    }
    return v;
  }
  std::span<const std::uint8_t> Bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::span<const std::uint8_t> out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

class NullRuntime : public Runtime {
 public:
  void SendDatagram(const Address&, std::span<const std::uint8_t> bytes) override {
    if (bytes.size() > 65507) std::abort();  // never more than a datagram holds
  }
  void StartStream(StreamId id, const Address&, std::vector<std::uint8_t>, Duration) override {
    streams.push_back(id);
  }
  void OnEvent(const MemberEvent&) override {}
  std::vector<StreamId> streams;
};

// A small world of names, so that claims collide: self is "n0".
const char* const kNames[] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};
std::string Name(std::uint8_t b) { return kNames[b % 8]; }
std::string AddressOf(std::uint8_t b) { return Name(b) + ":" + std::to_string(7946 + (b >> 3) % 2); }

// A service status from fuzzer bits (the output text is one of a few).
d::ServiceView ServiceView(std::uint64_t bits) {
  static const char* const kOutputs[] = {"", "http-1: HTTP 200 OK", "tcp-1: connection refused"};
  return d::ServiceView{static_cast<ServiceHealth>(bits % 4), kOutputs[(bits >> 2) % 3],
                        static_cast<std::int64_t>(bits >> 4)};
}

d::Message BuildMessage(Input& in, std::vector<std::string>& keep) {
  const std::uint8_t kind = in.Byte();
  keep.push_back(Name(in.Byte()));
  const std::string& name = keep.back();
  keep.push_back(Name(in.Byte()));
  const std::string& other = keep.back();
  keep.push_back(AddressOf(in.Byte()));
  const std::string& address = keep.back();
  const std::uint64_t incarnation = in.Varint() % 16;
  const auto seq = static_cast<std::uint32_t>(in.Varint());
  switch (kind % 10) {
    case 0: return d::PingMsg{seq, name, incarnation};
    case 1: return d::IndirectPingMsg{seq, name, address, (kind & 0x10) != 0};
    case 2: return d::AckMsg{seq};
    case 3: return d::NackMsg{seq};
    case 4: return d::HeartbeatMsg{incarnation};
    case 5: {
      d::AliveMsg alive{name, address, incarnation, {}, std::nullopt};
      if (kind & 0x20) alive.tags.emplace_back("k", other);
      if (kind & 0x40) alive.service = ServiceView(seq);
      return alive;
    }
    case 6: return d::SuspectMsg{name, incarnation, other};
    case 7: return d::FailedMsg{name, incarnation, other};
    case 8: return d::LeftMsg{name, incarnation};
    default: return d::PhiReportMsg{other, name, static_cast<double>(in.Byte()) / 8.0};
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Config config = Config::Local();
  config.reap_after = 3s;
  NullRuntime runtime;
  TimePoint now = TimePoint{} + 1000s;
  Swim swim(config, Identity{"n0", "n0:7946", {}}, 1, runtime, now);
  for (int op = 0; op < 256 && !in.empty(); ++op) {
    const std::uint8_t code = in.Byte();
    const std::string sender = Name(in.Byte());
    switch (code % 8) {
      case 0: {  // raw datagram
        const auto bytes = in.Bytes(in.Byte());
        swim.HandleDatagram(AddressOf(code), bytes, now);
        break;
      }
      case 1:
      case 2: {  // well-formed datagram with 1..4 messages from `sender`
        d::Encoder encoder("default", sender);
        std::string envelope = encoder.header();
        std::vector<std::string> keep;
        keep.reserve(64);
        const int count = 1 + in.Byte() % 4;
        for (int i = 0; i < count; ++i) encoder.AppendMessage(BuildMessage(in, keep), envelope);
        std::vector<std::uint8_t> frame;
        d::Encoder::Frame(d::Channel::kDatagram, envelope, frame);
        swim.HandleDatagram(AddressOf(in.Byte()), frame, now);
        break;
      }
      case 3: {  // stream request: raw, or a push-pull built from the input
        if (code & 0x80) {
          (void)swim.HandleStreamRequest(AddressOf(code), in.Bytes(in.Byte()), now);
        } else {
          d::Encoder encoder("default", sender);
          d::PushPullMsg state;
          state.join = (code & 0x40) != 0;
          std::vector<std::string> names;
          names.reserve(8);
          const int count = in.Byte() % 6;
          for (int i = 0; i < count; ++i) {
            names.push_back(Name(static_cast<std::uint8_t>(i + in.Byte() % 2 * 8)));
          }
          std::vector<std::string> addresses;
          addresses.reserve(8);
          for (int i = 0; i < count; ++i) {
            addresses.push_back(AddressOf(in.Byte()));
            const std::uint8_t bits = in.Byte();
            state.members.push_back({names[static_cast<std::size_t>(i)], addresses.back(),
                                     in.Varint() % 16, static_cast<MemberState>(bits % 4), {},
                                     (bits & 0x10) != 0 ? std::optional(ServiceView(bits >> 5))
                                                        : std::nullopt});
          }
          std::string envelope = encoder.header();
          encoder.AppendMessage(state, envelope);
          std::vector<std::uint8_t> frame;
          d::Encoder::Frame(d::Channel::kStream, envelope, frame);
          (void)swim.HandleStreamRequest(AddressOf(in.Byte()), frame, now);
        }
        break;
      }
      case 4: {  // the outcome of a stream we started: failure, or raw bytes
        if (runtime.streams.empty()) break;
        const StreamId id = runtime.streams.front();
        runtime.streams.erase(runtime.streams.begin());
        if (code & 0x80) {
          swim.HandleStreamResult(id, StreamResult::Answered(in.Bytes(in.Byte())), now);
        } else {
          // Failed, refused or only-self: every way a stream can end unanswered.
          const auto kind = static_cast<StreamResult::Kind>(1 + (code >> 4) % 3);
          swim.HandleStreamResult(id, StreamResult::NotAnswered(kind, "fuzzed"), now);
        }
        break;
      }
      case 5:  // time passes (sometimes far: a local pause)
        now += std::chrono::milliseconds(in.Varint() % 5000);
        swim.Tick(now);
        break;
      case 6:  // run timers up to the next wake-up a few times
        for (int i = 0; i < 4; ++i) {
          const TimePoint next = swim.NextWakeup();
          if (next == TimePoint::max() || next > now + 60s) break;
          now = std::max(now, next);
          swim.Tick(now);
        }
        break;
      case 7:  // commands
        switch (in.Byte() % 4) {
          case 0: swim.Join({AddressOf(in.Byte()), "seed:1"}, now); break;
          case 1: (void)swim.SetTags({{"role", sender}}, now); break;
          case 2: {
            const std::uint8_t bits = in.Byte();
            std::optional<ServiceStatus> service;
            if (bits & 1) {
              const d::ServiceView v = ServiceView(bits >> 1);
              service = ServiceStatus{v.status, std::string(v.output), v.since_unix_ms};
            }
            (void)swim.SetService(service, now);
            break;
          }
          default:
            if ((code & 0xF0) == 0xF0) swim.Leave(now);  // rare: it ends most activity
            break;
        }
        break;
    }
    if (const std::string error = swim.CheckInvariants(); !error.empty()) std::abort();
    if (swim.Members(now).size() > 8) std::abort();  // only 8 names exist
  }
  return 0;
}
