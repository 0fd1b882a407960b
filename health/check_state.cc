#include "health/check_state.h"

#include <algorithm>
#include <utility>

namespace picket::health {

CheckState::CheckState(CheckSpec spec, CheckPolicy policy, TimePoint now)
    : spec_(std::move(spec)),
      policy_(policy),
      next_due_(spec_.kind == CheckKind::kTtl ? now + spec_.ttl : now) {}

void CheckState::SetStatus(ServiceHealth status, const std::string& output) {
  status_ = status;
  status_output_ = output;
}

void CheckState::Record(CheckResult result, TimePoint started, TimePoint now) {
  last_run_ = started;
  const TimePoint regular = std::max(started + policy_.interval, now);
  if (result.status == ServiceHealth::kCritical) {
    if (result.late && status_ != ServiceHealth::kCritical) {
      // Our own lateness, not the application's: run again soon.
      ++discarded_late_;
      next_due_ = now + policy_.retry_interval();
      return;
    }
    last_result_ = result;
    successes_ = 0;
    success_status_.reset();
    if (failures_++ == 0) failing_since_ = started;
    // Until the application first answered, a refusal may mean it is still
    // starting: no hard evidence of a crash then.
    const bool hard = result.gone && answered_;
    hard_failures_ = hard ? hard_failures_ + 1 : 0;
    if (status_ == ServiceHealth::kCritical) {
      next_due_ = regular;
      return;
    }
    // The span runs to the end of this run: a timeout is silence all along.
    const bool spans = now - failing_since_ >= policy_.interval * (policy_.failures - 1);
    const bool confirmed = (result.decisive && answered_) || hard_failures_ >= policy_.failures ||
                           (failures_ >= policy_.failures && spans);
    if (confirmed) {
      SetStatus(ServiceHealth::kCritical, result.output);
      next_due_ = regular;
    } else {
      next_due_ = now + policy_.retry_interval();
    }
    return;
  }
  last_result_ = result;
  answered_ = true;
  failures_ = 0;
  hard_failures_ = 0;
  if (success_status_ == result.status) {
    ++successes_;
  } else {
    success_status_ = result.status;
    successes_ = 1;
  }
  if (status_ != ServiceHealth::kCritical) {
    // Between passing and warning the latest answer counts.
    if (status_ != result.status) SetStatus(result.status, result.output);
  } else if (successes_ >= policy_.successes) {
    // Out of critical only `successes` answers in a row do.
    SetStatus(result.status, result.output);
  }
  // A critical check that answered again is re-run soon until it has its successes.
  next_due_ = (status_ == ServiceHealth::kCritical) ? now + policy_.retry_interval() : regular;
}

void CheckState::Push(ServiceHealth status, std::string output, TimePoint now) {
  last_run_ = now;
  last_result_ = CheckResult{status, false, false, false, output};
  SetStatus(status, output);
  if (spec_.ttl > Duration::zero()) next_due_ = now + spec_.ttl;
}

bool CheckState::Expire(TimePoint now, Duration stalled) {
  if (spec_.kind != CheckKind::kTtl || spec_.ttl <= Duration::zero()) return false;
  // Time the agent itself stood still does not count against the application.
  if (stalled > Duration::zero()) next_due_ += stalled;
  if (now < next_due_ || status_ == ServiceHealth::kCritical) return false;
  const auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(spec_.ttl).count();
  SetStatus(ServiceHealth::kCritical,
            "no status pushed within the TTL of " + std::to_string(ttl_ms) + "ms");
  last_result_ = CheckResult{ServiceHealth::kCritical, false, false, false, status_output_};
  return true;
}

}  // namespace picket::health
