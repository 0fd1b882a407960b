#pragma once

// The agent's network: one UDP socket for protocol datagrams and one TCP
// listener (same port) for stream exchanges (push-pull, join, fallback
// probes), with optional AEAD sealing of everything sent and received.
//
// A stream exchange is one request and one response on its own connection,
// each framed as a 4-byte big-endian length followed by that many bytes.
//
// Knows nothing of the protocol: it hands bytes to callbacks. Everything runs
// on the io_context given at construction; callbacks are invoked from its
// handlers (never from inside Send/StartStream), so they may call back into
// the membership core. Not thread-safe: use from the io_context's thread only.

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/host_port.h"
#include "agent/keyring.h"
#include "membership/runtime.h"
#include "membership/tuning.h"

namespace picket::agent {

// Largest stream message accepted: the core's limit plus sealing. On the wire
// each stream message follows a 4-byte big-endian length, its only one (the
// core's frame inside has none).
inline constexpr std::size_t kMaxStreamMessage =
    membership::tuning::kMaxStreamBytes + kSealOverhead;

// Read into the agent's metrics (see Agent::Publish).
struct TransportCounters {
  std::uint64_t unauthenticated = 0;    // datagrams or stream messages that failed to open
  std::uint64_t send_errors = 0;        // datagrams the OS refused
  std::uint64_t stream_errors = 0;      // stream exchanges that failed (connect, I/O, timeout)
  std::uint64_t oversized_streams = 0;  // stream messages longer than kMaxStreamMessage
  std::uint64_t truncated_streams = 0;  // requests whose connection closed before their length
};

// How a stream exchange started with StartStream ended.
struct StreamOutcome {
  std::optional<std::vector<std::uint8_t>> response;  // nullopt: it failed
  // Why it failed, naming each address tried ("10.0.0.7:9746: connection refused").
  std::string error;
  // Every address the destination resolved to is this transport's own (a seed
  // list or headless Service that includes this agent): nobody else to ask.
  bool only_self = false;
  // Every address was tried and refused the connection: nothing listens.
  bool refused = false;

  // The core's view of it; valid while this outcome lives.
  [[nodiscard]] membership::StreamResult Result() const {
    using Kind = membership::StreamResult::Kind;
    if (response) return membership::StreamResult::Answered(*response);
    const Kind kind = only_self ? Kind::kOnlySelf : refused ? Kind::kRefused : Kind::kFailed;
    return membership::StreamResult::NotAnswered(kind, error);
  }
};

class GossipTransport {
 public:
  struct Callbacks {
    // A datagram arrived (already opened when encryption is on).
    std::function<void(const std::string& from, std::span<const std::uint8_t> bytes)> on_datagram;
    // A stream request arrived; return the response (empty: close without answer).
    std::function<std::vector<std::uint8_t>(const std::string& from,
                                            std::span<const std::uint8_t> request)>
        on_stream_request;
    // The exchange started with StartStream(id, ...) finished.
    std::function<void(std::uint64_t id, StreamOutcome outcome)> on_stream_response;
  };

  // Binds UDP and TCP on `bind` (port 0: pick one, the same for both).
  // Throws std::system_error with a message naming the address on failure.
  GossipTransport(asio::io_context& io, const HostPort& bind, Callbacks callbacks);
  ~GossipTransport();

  // Replaces the keyring (empty: clear text). Takes effect for the next packet.
  void SetKeyring(std::shared_ptr<const Keyring> keyring);

  // The bound port (after port 0 was resolved).
  [[nodiscard]] std::uint16_t port() const { return port_; }

  // The "ip:port" others dial to reach this transport when it differs from
  // the bind address (NAT, a pod IP behind a wildcard bind); used only to
  // recognise this transport among resolved addresses. A DNS name is ignored.
  void SetAdvertised(const std::string& advertise);

  // True if `address`:`port` reaches this transport: the advertised endpoint,
  // the bound one, or for a wildcard bind any local address with our port.
  [[nodiscard]] bool IsSelf(const asio::ip::address& address, std::uint16_t port) const;

  // Sends one datagram to "host:port". A DNS name is resolved on every send
  // (never cached) and the first address of our family that is not our own
  // is used.
  void Send(const std::string& to, std::span<const std::uint8_t> bytes);

  // Starts a stream exchange; on_stream_response(id, ...) is called exactly
  // once, never from inside this call. `to` is resolved now (re-resolved on
  // every call); addresses that are our own are skipped, and the others are
  // tried in turn (each gets an equal share of what is left of `timeout`)
  // until one answers.
  void StartStream(std::uint64_t id, const std::string& to, std::vector<std::uint8_t> request,
                   std::chrono::nanoseconds timeout);

  // Closes the sockets; pending handlers complete with operation_aborted.
  void Close();

  [[nodiscard]] const TransportCounters& counters() const { return counters_; }

  // Bytes added to every datagram by sealing (0 when encryption is off).
  [[nodiscard]] std::size_t overhead() const;

 private:
  class ServerConnection;
  class ClientExchange;

  void ReceiveNext();
  void AcceptNext();
  void SendTo(const asio::ip::udp::endpoint& to, std::shared_ptr<std::vector<std::uint8_t>> data);
  std::vector<std::uint8_t> Seal(std::span<const std::uint8_t> plain) const;
  std::optional<std::vector<std::uint8_t>> Open(std::span<const std::uint8_t> sealed);

  asio::io_context& io_;
  Callbacks callbacks_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::udp::resolver udp_resolver_;
  std::uint16_t port_ = 0;
  asio::ip::address bind_address_;
  std::optional<asio::ip::address> advertised_address_;
  std::uint16_t advertised_port_ = 0;
  std::shared_ptr<const Keyring> keyring_;
  std::vector<std::uint8_t> receive_buffer_;
  asio::ip::udp::endpoint receive_from_;
  std::unordered_map<std::string, asio::ip::udp::endpoint> endpoint_cache_;
  TransportCounters counters_;
  bool closed_ = false;
  // Lets handlers that outlive the transport notice it is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "ip:port" for an endpoint, IPv6 in brackets (the form the core sees).
std::string EndpointToString(const asio::ip::udp::endpoint& endpoint);
std::string EndpointToString(const asio::ip::tcp::endpoint& endpoint);

}  // namespace picket::agent
