#include "agent/gossip_transport.h"

#include <array>
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

template <typename Endpoint>
std::string FormatEndpoint(const Endpoint& endpoint) {
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  HostPort hp{address.to_string(), endpoint.port()};
  return hp.ToString();
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

// One outgoing exchange: resolve, connect, send the request, read the response.
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
        body_(std::move(request)) {}

  void Start(const HostPort& to, std::chrono::nanoseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->Finish(std::nullopt);
    });
    header_ = EncodeLength(body_.size());
    resolver_.async_resolve(to.host, std::to_string(to.port),
                            [self = shared_from_this()](std::error_code ec,
                                                        tcp::resolver::results_type results) {
                              if (ec) return self->Finish(std::nullopt);
                              self->Connect(results);
                            });
  }

 private:
  void Connect(const tcp::resolver::results_type& results) {
    asio::async_connect(socket_, results,
                        [self = shared_from_this()](std::error_code ec, const tcp::endpoint&) {
                          if (ec) return self->Finish(std::nullopt);
                          self->Write();
                        });
  }

  void Write() {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(header_), asio::buffer(body_)};
    asio::async_write(socket_, buffers, [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (ec) return self->Finish(std::nullopt);
      asio::async_read(self->socket_, asio::buffer(self->header_),
                       [self](std::error_code read_ec, std::size_t) { self->OnHeader(read_ec); });
    });
  }

  void OnHeader(std::error_code ec) {
    if (ec) return Finish(std::nullopt);
    const std::size_t length = DecodeLength(header_);
    if (length == 0 || length > kMaxStreamMessage) {
      if (*alive_) ++transport_.counters_.oversized_streams;
      return Finish(std::nullopt);
    }
    body_.resize(length);
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](std::error_code read_ec, std::size_t) {
                       if (read_ec) return self->Finish(std::nullopt);
                       if (!*self->alive_) return self->Finish(std::nullopt);
                       self->Finish(self->transport_.Open(self->body_));
                     });
  }

  void Finish(std::optional<std::vector<std::uint8_t>> response) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    resolver_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    if (!*alive_) return;
    if (!response) ++transport_.counters_.stream_errors;
    transport_.callbacks_.on_stream_response(id_, std::move(response));
  }

  GossipTransport& transport_;
  std::shared_ptr<bool> alive_;
  std::uint64_t id_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<std::uint8_t, 4> header_{};
  std::vector<std::uint8_t> body_;
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
  udp_resolver_.async_resolve(
      hp->host, std::to_string(hp->port),
      [this, alive = alive_, data](std::error_code resolve_ec, udp::resolver::results_type results) {
        if (!*alive || closed_) return;
        if (resolve_ec || results.empty()) {
          ++counters_.send_errors;
          return;
        }
        SendTo(results.begin()->endpoint(), data);
      });
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
    asio::post(io_, [this, alive = alive_, id] {
      if (!*alive) return;
      ++counters_.stream_errors;
      callbacks_.on_stream_response(id, std::nullopt);
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
