#include "agent/host_port.h"

#include <catch2/catch.hpp>

using picket::agent::ParseHostPort;

TEST_CASE("ParseHostPort accepts IPv4, IPv6 and DNS names with and without ports") {
  struct Row {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  const Row rows[] = {
      {"127.0.0.1:9746", "127.0.0.1", 9746},
      {"127.0.0.1", "127.0.0.1", 9746},
      {"[::1]:7000", "::1", 7000},
      {"[fd00::7]", "fd00::7", 9746},
      {"::1", "::1", 9746},
      {"picket.default.svc.cluster.local:9000", "picket.default.svc.cluster.local", 9000},
      {"0.0.0.0:0", "0.0.0.0", 0},
  };
  for (const Row& row : rows) {
    INFO(row.text);
    const auto hp = ParseHostPort(row.text, 9746);
    REQUIRE(hp);
    CHECK(hp->host == row.host);
    CHECK(hp->port == row.port);
  }
}

TEST_CASE("ParseHostPort rejects malformed addresses with a reason") {
  for (const char* bad : {"", ":9746", "host:", "host:99999", "host:12ab", "[::1", "[::1]x",
                          "bad host:1", "a/b:1"}) {
    INFO(bad);
    const auto parsed = ParseHostPort(bad, 9746);
    REQUIRE_FALSE(parsed);
    CHECK_FALSE(parsed.error().empty());
  }
  const auto no_port = ParseHostPort("10.0.0.1", 0);
  REQUIRE_FALSE(no_port);
  CHECK(no_port.error() == "missing port");
}

TEST_CASE("HostPort prints IPv6 in brackets and round-trips") {
  for (const char* text : {"10.1.2.3:9746", "[::1]:9746", "name.example:1"}) {
    const auto hp = ParseHostPort(text, 0);
    REQUIRE(hp);
    CHECK(hp->ToString() == text);
  }
}
