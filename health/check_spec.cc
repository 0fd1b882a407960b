#include "health/check_spec.h"

#include <charconv>
#include <stdexcept>

namespace picket::health {

namespace {

[[noreturn]] void Bad(CheckKind kind, std::string_view value, std::string_view why) {
  throw std::invalid_argument(std::string(FlagOf(kind)) + " '" + std::string(value) +
                              "': " + std::string(why));
}

// "HOST:PORT" or "[V6]:PORT" into host and port text (the port may be empty).
bool SplitHostPort(std::string_view text, std::string& host, std::string_view& port) {
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    port = rest.empty() ? std::string_view() : rest.substr(1);
    return !host.empty();
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    host = std::string(text);
    port = {};
  } else {
    if (text.find(':') != colon) return false;  // a bare IPv6 literal needs brackets
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  return !host.empty();
}

bool ParsePort(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

std::string_view ToString(CheckKind kind) {
  switch (kind) {
    case CheckKind::kHttp:
      return "http";
    case CheckKind::kTcp:
      return "tcp";
    case CheckKind::kExec:
      return "exec";
    case CheckKind::kTtl:
      return "ttl";
  }
  return "unknown";
}

std::string_view FlagOf(CheckKind kind) {
  switch (kind) {
    case CheckKind::kHttp:
      return "--check-http";
    case CheckKind::kTcp:
      return "--check-tcp";
    case CheckKind::kExec:
      return "--check-exec";
    case CheckKind::kTtl:
      return "--check-ttl";
  }
  return "--check";
}

std::string CheckPolicy::Validate() const {
  if (interval < std::chrono::milliseconds(10)) return "--check-interval: must be at least 10ms";
  if (timeout < std::chrono::milliseconds(1)) return "--check-timeout: must be at least 1ms";
  if (timeout > interval * 10) {
    return "--check-timeout: must be at most 10 times --check-interval";
  }
  if (failures < 1 || failures > 100) return "--check-failures: must be 1 to 100";
  if (successes < 1 || successes > 100) return "--check-successes: must be 1 to 100";
  return {};
}

CheckSpec MakeCheckSpec(CheckKind kind, std::string_view value, int index, Duration ttl) {
  CheckSpec spec;
  spec.kind = kind;
  spec.target = std::string(value);
  spec.name = std::string(ToString(kind)) + "-" + std::to_string(index);
  switch (kind) {
    case CheckKind::kHttp: {
      constexpr std::string_view kScheme = "http://";
      if (value.starts_with("https://")) {
        Bad(kind, value, "https is not supported (the application is local: use http://)");
      }
      if (!value.starts_with(kScheme)) Bad(kind, value, "expected http://HOST[:PORT][/PATH]");
      std::string_view rest = value.substr(kScheme.size());
      const auto slash = rest.find('/');
      const std::string_view authority = rest.substr(0, slash);
      spec.http.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
      std::string_view port;
      if (authority.find('@') != std::string_view::npos) {
        Bad(kind, value, "user information in the URL is not supported");
      }
      if (!SplitHostPort(authority, spec.http.host, port)) Bad(kind, value, "bad host");
      if (!port.empty() && !ParsePort(port, spec.http.port)) Bad(kind, value, "bad port");
      if (spec.http.path.find_first_of(" \r\n") != std::string::npos) {
        Bad(kind, value, "the path must not contain spaces or line breaks");
      }
      break;
    }
    case CheckKind::kTcp: {
      std::string_view port;
      if (!SplitHostPort(value, spec.host, port) || port.empty()) {
        Bad(kind, value, "expected HOST:PORT");
      }
      if (!ParsePort(port, spec.port)) Bad(kind, value, "bad port");
      break;
    }
    case CheckKind::kExec:
      if (value.find_first_not_of(" \t") == std::string_view::npos) {
        Bad(kind, value, "empty command");
      }
      break;
    case CheckKind::kTtl:
      if (ttl <= Duration::zero()) Bad(kind, value, "must be a positive duration");
      spec.ttl = ttl;
      break;
  }
  return spec;
}

}  // namespace picket::health
