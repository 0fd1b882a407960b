#include "agent/gossip_transport.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <system_error>

namespace picket::agent {

namespace {

using asio::ip::tcp;
using asio::ip::udp;

// UDP payloads cannot be larger than this; one more byte lets us see truncation.
constexpr std::size_t kMaxDatagram = 65536;
constexpr std::chrono::seconds kServerStreamTimeout{10};
constexpr std::size_t kMaxServerConnections = 128;

std::array<std::uint8_t, 4> EncodeLength(std::size_t n) {
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

std::size_t DecodeLength(const std::array<std::uint8_t, 4>& b) {
  return (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) |
         std::size_t{b[3]};
}

asio::ip::address Unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

template <typename Endpoint>
std::string FormatEndpoint(const Endpoint& endpoint) {
  HostPort hp{Unmapped(endpoint.address()).to_string(), endpoint.port()};
  return hp.ToString();
}

// A loopback address or one of this host's interface addresses. Read fresh
// on every call (interfaces come and go); only used while resolving names.
bool IsLocalAddress(const asio::ip::address& address) {
  if (address.is_loopback()) return true;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (const ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET && address.is_v4()) {
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr,
                  bytes.size());
      found = asio::ip::address_v4(bytes) == address.to_v4();
    } else if (i->ifa_addr->sa_family == AF_INET6 && address.is_v6()) {
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr,
                  bytes.size());
      found = asio::ip::address_v6(bytes) == address.to_v6();
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

std::string EndpointToString(const udp::endpoint& endpoint) { return FormatEndpoint(endpoint); }
std::string EndpointToString(const tcp::endpoint& endpoint) { return FormatEndpoint(endpoint); }

// One accepted connection: read a framed request, answer it, close.
class GossipTransport::ServerConnection
    : public std::enable_shared_from_this<GossipTransport::ServerConnection> {
 public:
  ServerConnection(GossipTransport& transport, tcp::socket socket)
      : transport_(transport),
        alive_(transport.alive_),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()) {}

  void Start() {
    ++open_connections;
    std::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    from_ = ec ? std::string("unknown") : EndpointToString(peer);
    timer_.expires_after(kServerStreamTimeout);
    timer_.async_wait([self = shared_from_this()](std::error_code wait_ec) {
      if (!wait_ec) self->socket_.close();
    });
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](std::error_code read_ec, std::size_t) {
                       self->OnHeader(read_ec);
                     });
  }

  ~ServerConnection() { --open_connections; }

  static inline std::size_t open_connections = 0;

 private:
  void OnHeader(std::error_code ec) {
    if (ec || !*alive_) return;
    const std::size_t length = DecodeLength(header_);
    if (length == 0 || length > kMaxStreamMessage) {
      ++transport_.counters_.oversized_streams;
      return;
    }
    body_.resize(length);
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](std::error_code read_ec, std::size_t) {
                       self->OnBody(read_ec);
                     });
  }

  void OnBody(std::error_code ec) {
    if (ec == asio::error::eof) ++transport_.counters_.truncated_streams;
    if (ec || !*alive_) return;
    auto request = transport_.Open(body_);
    if (!request) return;
    std::vector<std::uint8_t> response = transport_.callbacks_.on_stream_request(from_, *request);
    if (response.empty() || !*alive_) return;
    body_ = transport_.Seal(response);
    header_ = EncodeLength(body_.size());
    std::array<asio::const_buffer, 2> buffers{asio::buffer(header_), asio::buffer(body_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](std::error_code, std::size_t) {
                        std::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->timer_.cancel();
                      });
  }

  GossipTransport& transport_;
  std::shared_ptr<bool> alive_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string from_;
  std::array<std::uint8_t, 4> header_{};
  std::vector<std::uint8_t> body_;
};

// One outgoing exchange: resolve, skip our own addresses, then for each other
// address in turn connect, send the request and read the response, until one
// answers or the time is up.
class GossipTransport::ClientExchange
    : public std::enable_shared_from_this<GossipTransport::ClientExchange> {
 public:
  ClientExchange(GossipTransport& transport, std::uint64_t id, std::vector<std::uint8_t> request)
      : transport_(transport),
        alive_(transport.alive_),
        id_(id),
        resolver_(transport.io_),
        socket_(transport.io_),
        timer_(transport.io_),
        request_(std::move(request)) {}

  void Start(const HostPort& to, std::chrono::nanoseconds timeout) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    to_ = to.ToString();
    request_header_ = EncodeLength(request_.size());
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec && self->attempt_ == 0) self->Finish(std::nullopt, "could not resolve in time");
    });
    auto on_resolved = [self = shared_from_this()](std::error_code ec,
                                                   const tcp::resolver::results_type& results) {
      self->OnResolved(ec, results);
    };
    // A v4 agent cannot gossip with v6 peers (its UDP socket is v4): ask for
    // its family only. A v6 socket is dual-stack and takes both.
    if (transport_.bind_address_.is_v4()) {
      resolver_.async_resolve(tcp::v4(), to.host, std::to_string(to.port), on_resolved);
    } else {
      resolver_.async_resolve(to.host, std::to_string(to.port), on_resolved);
    }
  }

 private:
  void OnResolved(std::error_code ec, const tcp::resolver::results_type& results) {
    if (done_ || !*alive_) return Finish(std::nullopt, "");
    if (ec) return Finish(std::nullopt, "cannot resolve '" + to_ + "': " + ec.message());
    std::vector<std::string> self_seen;
    for (const auto& entry : results) {
      const tcp::endpoint endpoint = entry.endpoint();
      if (transport_.IsSelf(endpoint.address(), endpoint.port())) {
        self_seen.push_back(EndpointToString(endpoint));
      } else if (std::find(endpoints_.begin(), endpoints_.end(), endpoint) == endpoints_.end()) {
        endpoints_.push_back(endpoint);
      }
    }
    if (endpoints_.empty()) {
      if (self_seen.empty()) return Finish(std::nullopt, "'" + to_ + "' resolves to no address");
      std::string error = "'" + to_ + "' resolves only to this agent (";
      for (std::size_t i = 0; i < self_seen.size(); ++i) {
        error += (i == 0 ? "" : ", ") + self_seen[i];
      }
      return Finish(std::nullopt, error + ")", /*only_self=*/true);
    }
    TryNext();
  }

  // Starts the exchange with the next address, giving it an equal share of
  // the time left, or finishes if none is left.
  void TryNext() {
    const auto now = std::chrono::steady_clock::now();
    if (next_ >= endpoints_.size() || now >= deadline_) {
      if (next_ < endpoints_.size()) AddError(EndpointToString(endpoints_[next_]) + ": not tried, out of time");
      return Finish(std::nullopt, errors_);
    }
    current_ = endpoints_[next_];
    const auto left = endpoints_.size() - next_;
    ++next_;
    const std::uint64_t attempt = ++attempt_;
    timed_out_ = false;
    std::error_code ignored;
    socket_.close(ignored);
    BindToAgentAddress();
    const auto slice = (deadline_ - now) / static_cast<long>(left);
    timer_.expires_after(slice);
    timer_.async_wait([self = shared_from_this(), attempt](std::error_code ec) {
      if (ec || attempt != self->attempt_ || self->done_) return;
      self->timed_out_ = true;
      std::error_code close_ec;
      self->socket_.close(close_ec);  // the pending operation completes with an error
    });
    socket_.async_connect(current_, [self = shared_from_this(), attempt](std::error_code ec) {
      if (!self->Current(attempt)) return;
      if (ec) return self->AttemptFailed("cannot connect", ec);
      self->Write(attempt);
    });
  }

  // Connections leave from the agent's own --bind address (not whatever the
  // route picks, e.g. 127.0.0.1 for every agent on loopback), so that peers
  // and per-address firewall rules see who is talking. If that fails, the
  // connect picks the source address itself.
  void BindToAgentAddress() {
    const asio::ip::address& local = transport_.bind_address_;
    if (local.is_unspecified() || local.is_v4() != current_.address().is_v4()) return;
    std::error_code ec;
    socket_.open(current_.protocol(), ec);
    if (!ec) socket_.bind(tcp::endpoint(local, 0), ec);
    if (ec) socket_.close(ec);
  }

  [[nodiscard]] bool Current(std::uint64_t attempt) const {
    return attempt == attempt_ && !done_ && *alive_;
  }

  void Write(std::uint64_t attempt) {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(request_header_),
                                              asio::buffer(request_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this(), attempt](std::error_code ec, std::size_t) {
                        if (!self->Current(attempt)) return;
                        if (ec) return self->AttemptFailed("cannot send", ec);
                        asio::async_read(self->socket_, asio::buffer(self->response_header_),
                                         [self, attempt](std::error_code read_ec, std::size_t) {
                                           self->OnHeader(attempt, read_ec);
                                         });
                      });
  }

  void OnHeader(std::uint64_t attempt, std::error_code ec) {
    if (!Current(attempt)) return;
    if (ec == asio::error::eof) return AttemptFailed("closed the connection without answering", {});
    if (ec) return AttemptFailed("no answer", ec);
    const std::size_t length = DecodeLength(response_header_);
    if (length == 0 || length > kMaxStreamMessage) {
      ++transport_.counters_.oversized_streams;
      return AttemptFailed("answered with a bad length", {});
    }
    response_.resize(length);
    asio::async_read(socket_, asio::buffer(response_),
                     [self = shared_from_this(), attempt](std::error_code read_ec, std::size_t) {
                       if (!self->Current(attempt)) return;
                       if (read_ec) return self->AttemptFailed("answer cut short", read_ec);
                       auto plain = self->transport_.Open(self->response_);
                       if (!plain) return self->AttemptFailed("answer failed authentication", {});
                       self->Finish(std::move(plain), "");
                     });
  }

  void AddError(const std::string& error) {
    if (!errors_.empty()) errors_ += "; ";
    errors_ += error;
  }

  void AttemptFailed(std::string_view what, std::error_code ec) {
    if (!timed_out_ && ec == asio::error::connection_refused) ++refusals_;
    std::string error = EndpointToString(current_) + ": ";
    if (timed_out_) {
      error += std::string(what) + ": timed out";
    } else {
      error += what;
      if (ec) error += ": " + ec.message();
    }
    AddError(error);
    TryNext();
  }

  void Finish(std::optional<std::vector<std::uint8_t>> response, const std::string& error,
              bool only_self = false) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    resolver_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    if (!*alive_) return;
    if (!response) ++transport_.counters_.stream_errors;
    StreamOutcome outcome;
    outcome.response = std::move(response);
    outcome.error = error;
    outcome.only_self = only_self;
    outcome.refused = !outcome.response && refusals_ > 0 && refusals_ == endpoints_.size();
    transport_.callbacks_.on_stream_response(id_, std::move(outcome));
  }

  GossipTransport& transport_;
  std::shared_ptr<bool> alive_;
  std::uint64_t id_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::string to_;
  std::vector<tcp::endpoint> endpoints_;
  std::size_t next_ = 0;
  tcp::endpoint current_;
  std::uint64_t attempt_ = 0;  // 0 while resolving
  bool timed_out_ = false;
  std::string errors_;
  std::size_t refusals_ = 0;  // attempts whose connection was refused
  std::array<std::uint8_t, 4> request_header_{};
  std::vector<std::uint8_t> request_;
  std::array<std::uint8_t, 4> response_header_{};
  std::vector<std::uint8_t> response_;
  bool done_ = false;
};

GossipTransport::GossipTransport(asio::io_context& io, const HostPort& bind, Callbacks callbacks)
    : io_(io),
      callbacks_(std::move(callbacks)),
      udp_(io),
      acceptor_(io),
      udp_resolver_(io),
      receive_buffer_(kMaxDatagram) {
  std::error_code ec;
  const auto address = asio::ip::make_address(bind.host, ec);
  if (ec) {
    throw std::system_error(ec, "bind address '" + bind.host + "' is not an IP address");
  }
  bind_address_ = address;
  // TCP first: with port 0 the kernel picks a free TCP port, and UDP takes the same.
  tcp::endpoint tcp_endpoint(address, bind.port);
  acceptor_.open(tcp_endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(tcp_endpoint, ec);
  if (ec) throw std::system_error(ec, "cannot bind TCP " + bind.ToString());
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  udp::endpoint udp_endpoint(address, port_);
  udp_.open(udp_endpoint.protocol());
  udp_.bind(udp_endpoint, ec);
  if (ec) throw std::system_error(ec, "cannot bind UDP " + HostPort{bind.host, port_}.ToString());
  // Bursts of gossip must not overflow the default socket buffers.
  udp_.set_option(asio::socket_base::receive_buffer_size(4 * 1024 * 1024), ec);
  udp_.set_option(asio::socket_base::send_buffer_size(4 * 1024 * 1024), ec);
  ReceiveNext();
  AcceptNext();
}

GossipTransport::~GossipTransport() {
  *alive_ = false;
  Close();
}

void GossipTransport::SetAdvertised(const std::string& advertise) {
  advertised_address_.reset();
  const auto hp = ParseHostPort(advertise, port_);
  if (!hp) return;
  std::error_code ec;
  const auto address = asio::ip::make_address(hp->host, ec);
  if (ec) return;
  advertised_address_ = Unmapped(address);
  advertised_port_ = hp->port;
}

bool GossipTransport::IsSelf(const asio::ip::address& address, std::uint16_t port) const {
  const asio::ip::address a = Unmapped(address);
  if (advertised_address_ && a == *advertised_address_ && port == advertised_port_) return true;
  if (port != port_) return false;
  if (!bind_address_.is_unspecified()) return a == Unmapped(bind_address_);
  return IsLocalAddress(a);
}

void GossipTransport::SetKeyring(std::shared_ptr<const Keyring> keyring) {
  keyring_ = std::move(keyring);
}

std::size_t GossipTransport::overhead() const {
  return keyring_ && keyring_->enabled() ? kSealOverhead : 0;
}

std::vector<std::uint8_t> GossipTransport::Seal(std::span<const std::uint8_t> plain) const {
  if (keyring_ && keyring_->enabled()) return keyring_->Seal(plain);
  return {plain.begin(), plain.end()};
}

std::optional<std::vector<std::uint8_t>> GossipTransport::Open(
    std::span<const std::uint8_t> sealed) {
  if (!keyring_ || !keyring_->enabled()) return std::vector<std::uint8_t>(sealed.begin(), sealed.end());
  auto plain = keyring_->Open(sealed);
  if (!plain) ++counters_.unauthenticated;
  return plain;
}

void GossipTransport::ReceiveNext() {
  udp_.async_receive_from(
      asio::buffer(receive_buffer_), receive_from_,
      [this, alive = alive_](std::error_code ec, std::size_t n) {
        if (!*alive || closed_) return;
        if (!ec) {
          const std::string from = EndpointToString(receive_from_);
          if (keyring_ && keyring_->enabled()) {
            auto plain = Open(std::span(receive_buffer_.data(), n));
            if (plain) callbacks_.on_datagram(from, *plain);
          } else {
            callbacks_.on_datagram(from, std::span(receive_buffer_.data(), n));
          }
        }
        // ICMP port-unreachable and friends surface as receive errors: keep going.
        ReceiveNext();
      });
}

void GossipTransport::AcceptNext() {
  acceptor_.async_accept([this, alive = alive_](std::error_code ec, tcp::socket socket) {
    if (!*alive || closed_) return;
    if (!ec) {
      if (ServerConnection::open_connections < kMaxServerConnections) {
        std::make_shared<ServerConnection>(*this, std::move(socket))->Start();
      }
    }
    AcceptNext();
  });
}

void GossipTransport::Send(const std::string& to, std::span<const std::uint8_t> bytes) {
  if (closed_) return;
  auto data = std::make_shared<std::vector<std::uint8_t>>(Seal(bytes));
  if (const auto it = endpoint_cache_.find(to); it != endpoint_cache_.end()) {
    SendTo(it->second, std::move(data));
    return;
  }
  const auto hp = ParseHostPort(to, kDefaultGossipPort);
  if (!hp) {
    ++counters_.send_errors;
    return;
  }
  std::error_code ec;
  const auto address = asio::ip::make_address(hp->host, ec);
  if (!ec) {
    const udp::endpoint endpoint(address, hp->port);
    if (endpoint_cache_.size() > 65536) endpoint_cache_.clear();
    endpoint_cache_.emplace(to, endpoint);
    SendTo(endpoint, std::move(data));
    return;
  }
  // A DNS name (e.g. a seed): resolve on every send, never cached.
  auto on_resolved = [this, alive = alive_, data](std::error_code resolve_ec,
                                                  const udp::resolver::results_type& results) {
    if (!*alive || closed_) return;
    if (!resolve_ec) {
      for (const auto& entry : results) {
        if (IsSelf(entry.endpoint().address(), entry.endpoint().port())) continue;
        SendTo(entry.endpoint(), data);
        return;
      }
    }
    ++counters_.send_errors;
  };
  if (bind_address_.is_v4()) {
    udp_resolver_.async_resolve(udp::v4(), hp->host, std::to_string(hp->port), on_resolved);
  } else {
    udp_resolver_.async_resolve(hp->host, std::to_string(hp->port), on_resolved);
  }
}

void GossipTransport::SendTo(const udp::endpoint& to, std::shared_ptr<std::vector<std::uint8_t>> data) {
  udp_.async_send_to(asio::buffer(*data), to,
                     [this, alive = alive_, data](std::error_code ec, std::size_t) {
                       if (ec && *alive) ++counters_.send_errors;
                     });
}

void GossipTransport::StartStream(std::uint64_t id, const std::string& to,
                                  std::vector<std::uint8_t> request,
                                  std::chrono::nanoseconds timeout) {
  const auto hp = ParseHostPort(to, kDefaultGossipPort);
  auto exchange = std::make_shared<ClientExchange>(*this, id, Seal(request));
  if (!hp || closed_) {
    // Never call back from inside StartStream: the core may be mid-call.
    std::string error = closed_ ? "transport closed" : "'" + to + "' is not HOST:PORT";
    asio::post(io_, [this, alive = alive_, id, error = std::move(error)] {
      if (!*alive) return;
      ++counters_.stream_errors;
      StreamOutcome outcome;
      outcome.error = error;
      callbacks_.on_stream_response(id, std::move(outcome));
    });
    return;
  }
  exchange->Start(*hp, timeout);
}

void GossipTransport::Close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  udp_.close(ignored);
  acceptor_.close(ignored);
  udp_resolver_.cancel();
}

}  // namespace picket::agent
