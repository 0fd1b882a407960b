#pragma once

// The aggregate status of the application beside the agent: the worst status
// of its checks, or maintenance when the operator set it. This is what the
// agent gossips as its member's `service` (membership::ServiceStatus). Pure
// code: wall time for `since` is passed in.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "health/check_state.h"
#include "membership/types.h"

namespace picket::health {

class LocalService {
 public:
  LocalService() = default;
  explicit LocalService(std::vector<CheckState> checks) : checks_(std::move(checks)) {}

  [[nodiscard]] std::vector<CheckState>& checks() { return checks_; }
  [[nodiscard]] const std::vector<CheckState>& checks() const { return checks_; }

  // The TTL check the application pushes to (the first --check-ttl), or one
  // without a TTL, created on the first push when none was configured.
  CheckState& PushCheck(const CheckPolicy& policy, TimePoint now);

  void SetMaintenance(bool enabled, std::string reason) {
    maintenance_ = enabled;
    maintenance_reason_ = std::move(reason);
  }
  [[nodiscard]] bool maintenance() const { return maintenance_; }

  // The status to gossip, given the wall time now (Unix ms) for a status that
  // begins now. None while no check has a status and maintenance is off.
  // Unchanged (same output, same `since`) while the status stays the same,
  // so that a check's changing output text is not gossiped on every run.
  std::optional<membership::ServiceStatus> Aggregate(std::int64_t now_unix_ms);

 private:
  std::vector<CheckState> checks_;
  bool maintenance_ = false;
  std::string maintenance_reason_;
  std::optional<membership::ServiceStatus> last_;
};

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence, and
// replaces bytes that are not UTF-8 (a command's output may be anything).
std::string BoundedUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace picket::health
