#include "health/check_spec.h"

namespace picket::health {

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

Status CheckPolicy::Validate() const {
  if (interval < std::chrono::milliseconds(10)) {
    return Fail("--check-interval: must be at least 10ms");
  }
  if (timeout < std::chrono::milliseconds(1)) return Fail("--check-timeout: must be at least 1ms");
  if (timeout > interval * 10) {
    return Fail("--check-timeout: must be at most 10 times --check-interval");
  }
  if (failures < 1 || failures > 100) return Fail("--check-failures: must be 1 to 100");
  if (successes < 1 || successes > 100) return Fail("--check-successes: must be 1 to 100");
  return {};
}

}  // namespace picket::health
