#pragma once

// Parsing and printing of "host:port" addresses as the command line, the
// config file and the membership core spell them: "10.0.0.7:9746",
// "[fd00::7]:9746", "picket.ns.svc.cluster.local:9746", or a host alone when a
// default port applies.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace picket::agent {

inline constexpr std::uint16_t kDefaultGossipPort = 9746;
inline constexpr std::uint16_t kDefaultHttpPort = 9747;
inline constexpr std::uint16_t kDefaultOpsPort = 9748;  // --ops-listen, on the gossip bind host

struct HostPort {
  std::string host;  // IPv4/IPv6 literal (no brackets) or DNS name
  std::uint16_t port = 0;

  // "host:port", with brackets around an IPv6 literal.
  [[nodiscard]] std::string ToString() const;
};

// Parses `text`; a missing port takes `default_port` (0: the port is required).
// The reason when malformed.
[[nodiscard]] Expected<HostPort> ParseHostPort(std::string_view text, std::uint16_t default_port);

}  // namespace picket::agent
