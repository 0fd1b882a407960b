// Real UDP and TCP on 127.0.0.1 between two transports in one io_context.

#include "agent/gossip_transport.h"

#include <catch2/catch.hpp>

using picket::agent::GossipTransport;
using picket::agent::HostPort;
using picket::agent::Keyring;

namespace {

struct Endpoint {
  std::vector<std::vector<std::uint8_t>> datagrams;
  std::vector<std::optional<std::vector<std::uint8_t>>> responses;
  std::vector<picket::agent::StreamOutcome> outcomes;  // the same exchanges, with the reasons
  std::vector<std::uint64_t> outcome_ids;              // the exchange id of each outcome
  std::vector<std::string> stream_senders;             // `from` of each stream request served
  std::unique_ptr<GossipTransport> transport;

  explicit Endpoint(asio::io_context& io, const std::string& bind_host = "127.0.0.1") {
    GossipTransport::Callbacks callbacks;
    callbacks.on_datagram = [this](const std::string&, std::span<const std::uint8_t> bytes) {
      datagrams.emplace_back(bytes.begin(), bytes.end());
    };
    callbacks.on_stream_request = [this](const std::string& from,
                                         std::span<const std::uint8_t> request) {
      stream_senders.push_back(from);
      std::vector<std::uint8_t> response(request.begin(), request.end());
      response.push_back('!');
      return response;
    };
    callbacks.on_stream_response = [this](std::uint64_t id,
                                          picket::agent::StreamOutcome outcome) {
      responses.push_back(outcome.response);
      outcome_ids.push_back(id);
      outcomes.push_back(std::move(outcome));
    };
    transport = std::make_unique<GossipTransport>(io, HostPort{bind_host, 0}, callbacks);
  }
  std::string address(const std::string& host = "127.0.0.1") const {
    return host + ":" + std::to_string(transport->port());
  }
};

std::shared_ptr<const Keyring> Ring(const std::string& keys) {
  return std::make_shared<const Keyring>(Keyring::Parse(keys).value());
}

// Runs the loop until `done` holds; bounded by a count of handler runs, not time.
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done) {
  for (int i = 0; i < 200000 && !done(); ++i) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return done();
}

const std::vector<std::uint8_t> kPayload{1, 2, 3, 4, 5};

}  // namespace

TEST_CASE("Datagrams and stream exchanges travel in clear text") {
  asio::io_context io;
  Endpoint a(io), b(io);
  a.transport->Send(b.address(), kPayload);
  REQUIRE(RunUntil(io, [&] { return b.datagrams.size() == 1; }));
  CHECK(b.datagrams[0] == kPayload);
  a.transport->StartStream(7, b.address(), kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.responses.size() == 1; }));
  REQUIRE(a.responses[0]);
  CHECK(a.responses[0]->size() == kPayload.size() + 1);
}

TEST_CASE("Stream connections leave from the bind address") {
  // With every agent on loopback, an unbound connect would leave from
  // 127.0.0.1 whatever the agent's address.
  asio::io_context io;
  Endpoint a(io, "127.0.0.21"), b(io, "127.0.0.22");
  a.transport->StartStream(1, b.address("127.0.0.22"), kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.responses.size() == 1; }));
  REQUIRE(b.stream_senders.size() == 1);
  CHECK(b.stream_senders[0].rfind("127.0.0.21:", 0) == 0);
}

TEST_CASE("Sealed traffic is opened by a matching keyring and dropped otherwise") {
  asio::io_context io;
  Endpoint a(io), b(io), c(io);
  const std::string k1 = Keyring::GenerateKeyBase64();
  const std::string k2 = Keyring::GenerateKeyBase64();
  a.transport->SetKeyring(Ring(k1));
  b.transport->SetKeyring(Ring(k2 + "\n" + k1));  // accepts k1 as a secondary key
  c.transport->SetKeyring(Ring(k2));
  a.transport->Send(b.address(), kPayload);
  a.transport->Send(c.address(), kPayload);
  REQUIRE(RunUntil(io, [&] {
    return b.datagrams.size() == 1 && c.transport->counters().unauthenticated == 1;
  }));
  CHECK(b.datagrams[0] == kPayload);
  CHECK(c.datagrams.empty());
  // Stream: the server cannot open the request, so the client sees a failure.
  a.transport->StartStream(1, c.address(), kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.responses.size() == 1; }));
  CHECK_FALSE(a.responses[0]);
}

TEST_CASE("A stream to a closed port fails once, without calling back early") {
  asio::io_context io;
  Endpoint a(io);
  std::uint16_t closed_port = 0;
  {
    Endpoint gone(io);
    closed_port = gone.transport->port();
  }
  a.transport->StartStream(3, "127.0.0.1:" + std::to_string(closed_port), kPayload,
                           std::chrono::seconds(5));
  a.transport->StartStream(4, "not an address", kPayload, std::chrono::seconds(5));
  CHECK(a.responses.empty());  // never from inside StartStream
  REQUIRE(RunUntil(io, [&] { return a.responses.size() == 2; }));
  CHECK_FALSE(a.responses[0]);
  CHECK_FALSE(a.responses[1]);
  // Nothing listens on the closed port: refused. A name that does not
  // resolve says nothing about a process.
  for (std::size_t i = 0; i < a.outcomes.size(); ++i) {
    CHECK(a.outcomes[i].refused == (a.outcome_ids[i] == 3));
  }
}

TEST_CASE("A stream that is answered is not refused") {
  asio::io_context io;
  Endpoint a(io);
  Endpoint b(io);
  a.transport->StartStream(1, b.address(), kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.outcomes.size() == 1; }));
  REQUIRE(a.outcomes[0].response);
  CHECK_FALSE(a.outcomes[0].refused);
}

TEST_CASE("A stream to an address that is our own fails at once as only_self") {
  asio::io_context io;
  Endpoint a(io);
  a.transport->StartStream(1, a.address(), kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.outcomes.size() == 1; }));
  CHECK_FALSE(a.outcomes[0].response);
  CHECK(a.outcomes[0].only_self);
  CHECK_THAT(a.outcomes[0].error, Catch::Contains("only to this agent"));
}

TEST_CASE("The advertised endpoint counts as our own, a peer's does not") {
  asio::io_context io;
  Endpoint a(io, "0.0.0.0");
  a.transport->SetAdvertised("10.1.2.3:4000");
  const auto port = a.transport->port();
  CHECK(a.transport->IsSelf(asio::ip::make_address("10.1.2.3"), 4000));
  CHECK_FALSE(a.transport->IsSelf(asio::ip::make_address("10.1.2.3"), 4001));
  // Wildcard bind: any local address with our port reaches us.
  CHECK(a.transport->IsSelf(asio::ip::make_address("127.0.0.1"), port));
  CHECK(a.transport->IsSelf(asio::ip::make_address("127.9.9.9"), port));
  CHECK_FALSE(a.transport->IsSelf(asio::ip::make_address("127.0.0.1"),
                                  static_cast<std::uint16_t>(port + 1)));
  CHECK_FALSE(a.transport->IsSelf(asio::ip::make_address("192.0.2.1"), port));
  Endpoint b(io);  // bound to 127.0.0.1 only: another loopback address is someone else
  CHECK(b.transport->IsSelf(asio::ip::make_address("127.0.0.1"), b.transport->port()));
  CHECK_FALSE(b.transport->IsSelf(asio::ip::make_address("127.0.0.2"), b.transport->port()));
}

TEST_CASE("A name that resolves to us and to a peer reaches the peer") {
  asio::io_context io;
  // "localhost" resolves to 127.0.0.1 (and maybe ::1, which a v4 agent skips).
  Endpoint a(io), b(io);
  const std::string via_name = "localhost:" + std::to_string(a.transport->port());
  // The name is a's own address: only_self, no exchange with anyone.
  a.transport->StartStream(1, via_name, kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.outcomes.size() == 1; }));
  CHECK(a.outcomes[0].only_self);
  // From b the same name is a peer: the exchange goes through.
  b.transport->StartStream(2, via_name, kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return b.outcomes.size() == 1; }));
  REQUIRE(b.outcomes[0].response);
  CHECK(b.outcomes[0].response->size() == kPayload.size() + 1);
}

TEST_CASE("A failed exchange says why, naming the address") {
  asio::io_context io;
  Endpoint a(io);
  std::uint16_t closed_port = 0;
  {
    Endpoint gone(io);
    closed_port = gone.transport->port();
  }
  const std::string to = "127.0.0.1:" + std::to_string(closed_port);
  a.transport->StartStream(3, to, kPayload, std::chrono::seconds(5));
  REQUIRE(RunUntil(io, [&] { return a.outcomes.size() == 1; }));
  CHECK_FALSE(a.outcomes[0].only_self);
  CHECK_THAT(a.outcomes[0].error, Catch::Contains(to) && Catch::Contains("cannot connect"));
}

TEST_CASE("A stream request longer than the limit, or cut short, is counted and dropped") {
  asio::io_context io;
  Endpoint b(io);
  auto send_raw = [&](std::uint32_t announced, std::size_t body_bytes) {
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           b.transport->port()));
    std::vector<std::uint8_t> bytes = {static_cast<std::uint8_t>(announced >> 24),
                                       static_cast<std::uint8_t>(announced >> 16),
                                       static_cast<std::uint8_t>(announced >> 8),
                                       static_cast<std::uint8_t>(announced)};
    bytes.resize(bytes.size() + body_bytes, 0xB7);
    asio::write(socket, asio::buffer(bytes));
    socket.close();  // the rest never comes
  };
  send_raw(0xFFFFFFFF, 0);
  REQUIRE(RunUntil(io, [&] { return b.transport->counters().oversized_streams == 1; }));
  send_raw(100, 10);
  REQUIRE(RunUntil(io, [&] { return b.transport->counters().truncated_streams == 1; }));
  CHECK(b.stream_senders.empty());  // neither reached the core
  CHECK(b.transport->counters().oversized_streams == 1);
}
