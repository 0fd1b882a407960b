#include "agent/check_flags.h"

#include <stdexcept>

#include "agent/duration_flag.h"
#include "agent/host_port.h"
#include "delivery/plain_http_post.h"

namespace picket::agent {

namespace {

[[noreturn]] void Bad(std::string_view flag, std::string_view value, std::string_view why) {
  throw std::invalid_argument(std::string(flag) + " '" + std::string(value) + "': " +
                              std::string(why));
}

health::Duration ParsePositiveDuration(std::string_view flag, const std::string& value) {
  const auto parsed = ParseDuration(value);
  if (!parsed) Bad(flag, value, parsed.error());
  if (*parsed <= health::Duration::zero()) Bad(flag, value, "must be positive");
  return std::chrono::duration_cast<health::Duration>(*parsed);
}

health::CheckSpec Named(health::CheckKind kind, const std::string& value, int index) {
  health::CheckSpec spec;
  spec.kind = kind;
  spec.target = value;
  spec.name = std::string(health::ToString(kind)) + "-" + std::to_string(index);
  return spec;
}

}  // namespace

std::vector<health::CheckSpec> ParseChecks(const CheckFlags& flags) {
  std::vector<health::CheckSpec> specs;
  int index = 0;
  for (const std::string& url : flags.http) {
    if (url.empty()) continue;
    health::CheckSpec spec = Named(health::CheckKind::kHttp, url, ++index);
    const delivery::UrlParseResult parsed = delivery::ParseHttpUrl(url);
    if (!parsed.url) Bad("--check-http", url, delivery::UrlErrorText(parsed.error));
    if (parsed.url->scheme != "http") {
      Bad("--check-http", url, "https is not supported (the application is local: use http://)");
    }
    spec.host = parsed.url->host;
    spec.port = parsed.url->port;
    spec.path = parsed.url->target;
    specs.push_back(std::move(spec));
  }
  index = 0;
  for (const std::string& target : flags.tcp) {
    if (target.empty()) continue;
    health::CheckSpec spec = Named(health::CheckKind::kTcp, target, ++index);
    const auto hp = ParseHostPort(target, 0);
    if (!hp) Bad("--check-tcp", target, hp.error());
    if (hp->port == 0) Bad("--check-tcp", target, "expected HOST:PORT with a port");
    spec.host = hp->host;
    spec.port = hp->port;
    specs.push_back(std::move(spec));
  }
  index = 0;
  for (const std::string& command : flags.exec) {
    if (command.find_first_not_of(" \t") == std::string::npos) continue;
    specs.push_back(Named(health::CheckKind::kExec, command, ++index));
  }
  index = 0;
  for (const std::string& ttl : flags.ttl) {
    if (ttl.empty()) continue;
    if (index == 1) {
      Bad("--check-ttl", ttl, "only one TTL check (the application pushes one status)");
    }
    health::CheckSpec spec = Named(health::CheckKind::kTtl, ttl, ++index);
    spec.ttl = ParsePositiveDuration("--check-ttl", ttl);
    specs.push_back(std::move(spec));
  }
  return specs;
}

health::CheckPolicy ParseCheckPolicy(const CheckFlags& flags) {
  health::CheckPolicy policy;
  policy.interval = ParsePositiveDuration("--check-interval", flags.interval);
  policy.timeout = ParsePositiveDuration("--check-timeout", flags.timeout);
  policy.failures = flags.failures;
  policy.successes = flags.successes;
  if (const Status valid = policy.Validate(); !valid) {
    throw std::invalid_argument(valid.error());
  }
  return policy;
}

}  // namespace picket::agent
