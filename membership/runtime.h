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
  // Swim::HandleStreamResponse(id, response-or-nullopt, now), with nullopt if
  // connecting, sending or receiving failed or took longer than `timeout` --
  // or, instead, Swim::HandleStreamRefused(id, now) if every address `to`
  // resolved to refused the connection (nothing listens there).
  virtual void StartStream(StreamId id, const Address& to, std::vector<std::uint8_t> request,
                           Duration timeout) = 0;

  // A membership event happened (already applied to the member table).
  virtual void OnEvent(const MemberEvent& event) = 0;

  // Diagnostics. The default drops them.
  virtual void Log(LogLevel level, std::string_view message) {
    (void)level;
    (void)message;
  }
};

}  // namespace picket::membership
