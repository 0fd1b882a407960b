#pragma once

// One local check's state machine: thresholds and hysteresis, pure code with
// time passed in (the agent runs the probes and reports each run here).
//
// The rules (docs/service-health.md has the reasoning and the figures):
//   - A passing or warning result counts at once when the check has no status
//     yet; a critical check needs `successes` consecutive non-critical results.
//   - Critical needs `failures` consecutive critical results that span at
//     least (failures - 1) x interval, from the start of the first to the
//     end of the last (a timeout is silence for its whole length). A failing check is re-run every
//     interval / 10 meanwhile, so a failure is confirmed by about ten
//     retries: a check that fails one time in ten at random needs ten
//     failures in a row to go critical, and never flaps.
//   - Hard evidence that the application is gone (connection refused, or the
//     held TCP connection closed and the reconnect refused) needs only
//     `failures` consecutive results, with no span: about interval / 10
//     after the crash at the defaults. A held connection that closes and
//     whose reconnect is refused is decisive: critical at once. Until the
//     application first answered, a refusal is not hard evidence (it may
//     still be starting).
//   - A run during which the agent's own timers ran late (the agent was
//     paused or starved of CPU) is no evidence against the application: a
//     critical result from it is discarded and the check re-run (Lifeguard's
//     rule, applied to checks).
//   - A TTL check takes the application's pushes at face value; silence past
//     the TTL (not counting time the agent itself was stalled) is critical.

#include <cstdint>
#include <optional>
#include <string>

#include "health/check_spec.h"
#include "membership/types.h"

namespace picket::health {

using TimePoint = std::chrono::steady_clock::time_point;
using membership::ServiceHealth;

// One run of a probe as the agent saw it.
struct CheckResult {
  ServiceHealth status = ServiceHealth::kPassing;  // passing, warning or critical
  // Hard evidence that the application's process is gone (see above).
  bool gone = false;
  // The held connection closed and the reconnect was refused: two pieces of
  // hard evidence at once, critical without a retry.
  bool decisive = false;
  // The agent's own timers ran late during the run: not evidence.
  bool late = false;
  std::string output;  // e.g. "HTTP 503", "connection refused", the command's output
};

class CheckState {
 public:
  // A probe check's first run is due at `now`; a TTL check expects its
  // first push within the TTL.
  CheckState(CheckSpec spec, CheckPolicy policy, TimePoint now);

  // A probe run that started at `started` ended at `now` with `result`.
  void Record(CheckResult result, TimePoint started, TimePoint now);
  // TTL check: the application pushed `status` (passing, warning or critical).
  void Push(ServiceHealth status, std::string output, TimePoint now);
  // TTL check: `now` passed; `stalled` is how late the agent's own timers
  // ran since the last call (added to the TTL). Returns true if the status changed.
  bool Expire(TimePoint now, Duration stalled);

  // When the probe should run next, or when the TTL runs out.
  [[nodiscard]] TimePoint next_due() const { return next_due_; }
  // None until the first result (or the first TTL expiry).
  [[nodiscard]] std::optional<ServiceHealth> status() const { return status_; }
  // The output of the result that set the current status.
  [[nodiscard]] const std::string& status_output() const { return status_output_; }
  // The latest run or push.
  [[nodiscard]] const std::optional<CheckResult>& last_result() const { return last_result_; }
  [[nodiscard]] std::optional<TimePoint> last_run() const { return last_run_; }
  [[nodiscard]] int consecutive_failures() const { return failures_; }
  [[nodiscard]] int consecutive_successes() const { return successes_; }
  // Critical results discarded because the agent itself ran late.
  [[nodiscard]] std::uint64_t discarded_late() const { return discarded_late_; }
  [[nodiscard]] const CheckSpec& spec() const { return spec_; }
  [[nodiscard]] const CheckPolicy& policy() const { return policy_; }

 private:
  void SetStatus(ServiceHealth status, const std::string& output);

  CheckSpec spec_;
  CheckPolicy policy_;
  std::optional<ServiceHealth> status_;
  std::string status_output_;
  std::optional<CheckResult> last_result_;
  std::optional<TimePoint> last_run_;
  TimePoint next_due_;
  int failures_ = 0;       // consecutive critical results
  int hard_failures_ = 0;  // consecutive critical results with `gone`
  TimePoint failing_since_{};  // start of the first run of the failing streak
  int successes_ = 0;      // consecutive non-critical results
  std::optional<ServiceHealth> success_status_;  // the status those results agree on
  std::uint64_t discarded_late_ = 0;
  bool answered_ = false;  // a non-critical result was seen
};

}  // namespace picket::health
