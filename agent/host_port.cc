#include "agent/host_port.h"

#include <charconv>

namespace picket::agent {

std::string HostPort::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Expected<HostPort> ParseHostPort(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) return Fail("empty address");
  std::string_view host;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Fail("missing ']' after IPv6 address");
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Fail("expected ':' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return Fail("empty port");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      // More than one colon without brackets: a bare IPv6 literal, no port.
      host = text;
    } else if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return Fail("empty port");
    } else {
      host = text;
    }
  }
  if (host.empty()) return Fail("empty host");
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_' || c == '%';
    if (!ok) return Fail("invalid character in host '" + std::string(host) + "'");
  }
  HostPort result{std::string(host), default_port};
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535) {
      return Fail("invalid port '" + std::string(port_text) + "'");
    }
    result.port = static_cast<std::uint16_t>(value);
  }
  if (result.port == 0 && default_port == 0 && port_text.empty()) {
    return Fail("missing port");
  }
  return result;
}

}  // namespace picket::agent
