#pragma once

// The outputs of the sans-I/O membership core. The agent implements this with
// Asio sockets; the simulator with a simulated network; tests with a recorder.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "membership/types.h"

namespace picket::membership {

// Identifies one stream (TCP) exchange started by the core.
using StreamId = std::uint64_t;

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

// How a Runtime::StartStream exchange ended: the one input the core takes
// for it (join, push-pull and fallback probes alike).
struct StreamResult {
  enum class Kind : std::uint8_t {
    kAnswered,  // `response` is the peer's answer
    kFailed,    // connecting, sending or receiving failed, or the timeout passed
    kRefused,   // every address tried refused the connection: nothing listens
                // there (an agent that crashed on a live host)
    kOnlySelf,  // every address the destination resolved to is this member's
                // own (a seed list or headless Service that lists it): nobody
                // else to ask
  };
  Kind kind = Kind::kFailed;
  std::span<const std::uint8_t> response;  // kAnswered only; valid during the call
  // Otherwise why, naming each address tried ("10.0.0.7:9746: connection
  // refused"); the core reports it in its join log.
  std::string_view error;

  static StreamResult Answered(std::span<const std::uint8_t> response) {
    return {Kind::kAnswered, response, {}};
  }
  static StreamResult NotAnswered(Kind kind, std::string_view error = {}) {
    return {kind, {}, error};
  }
};

// Everything the core asks of the world. All calls are made synchronously from
// inside a Swim method, on the thread that called it; an implementation must
// not call back into Swim from inside these methods (queue the work instead).
class Runtime {
 public:
  virtual ~Runtime() = default;

  // Sends one datagram. `bytes` is valid only during the call.
  virtual void SendDatagram(const Address& to, std::span<const std::uint8_t> bytes) = 0;

  // Starts a request/response exchange over the stream transport: deliver
  // `request` to `to` (a DNS name is resolved now), then call exactly once
  // Swim::HandleStreamResult(id, result, now) with how it ended (StreamResult).
  virtual void StartStream(StreamId id, const Address& to, std::vector<std::uint8_t> request,
                           Duration timeout) = 0;

  // A membership event happened (already applied to the member table).
  virtual void OnEvent(const MemberEvent& event) = 0;

  // A heartbeat from `subject`, a member this agent observes, arrived at `at`
  // and was fed to its Phi Accrual detector (bursts closer than a fraction of
  // the interval are not). Lets a runtime record real heartbeat traces
  // (`picket agent --record-heartbeats`). The default ignores it.
  virtual void OnHeartbeatFed(std::string_view subject, TimePoint at) {
    (void)subject;
    (void)at;
  }

  // Diagnostics. The default drops them.
  virtual void Log(LogLevel level, std::string_view message) {
    (void)level;
    (void)message;
  }
};

}  // namespace picket::membership
