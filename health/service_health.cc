#include "health/service_health.h"

#include "membership/detail/codec.h"
#include "membership/tuning.h"

namespace picket::health {

namespace {

// How bad a status is, for "the worst of the checks".
int Severity(ServiceHealth status) {
  switch (status) {
    case ServiceHealth::kPassing:
      return 0;
    case ServiceHealth::kWarning:
      return 1;
    case ServiceHealth::kCritical:
      return 2;
    case ServiceHealth::kMaintenance:
      return 3;
  }
  return 2;
}

// Length of the UTF-8 sequence starting at text[i], or 0 if none is valid there.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  for (std::size_t n = 1; n <= 4 && i + n <= text.size(); ++n) {
    if (membership::detail::IsUtf8(text.substr(i, n))) return n;
  }
  return 0;
}

}  // namespace

std::string BoundedUtf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8Length(text, i);
    const std::string_view piece = n == 0 ? std::string_view("?") : text.substr(i, n);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += n == 0 ? 1 : n;
  }
  return out;
}

CheckState& LocalService::PushCheck(const CheckPolicy& policy, TimePoint now) {
  for (CheckState& check : checks_) {
    if (check.spec().kind == CheckKind::kTtl) return check;
  }
  CheckSpec spec;
  spec.kind = CheckKind::kTtl;
  spec.name = "push";
  spec.target = "PUT /v1/self/service";
  checks_.emplace_back(std::move(spec), policy, now);
  return checks_.back();
}

std::optional<membership::ServiceStatus> LocalService::Aggregate(std::int64_t now_unix_ms) {
  std::optional<membership::ServiceStatus> next;
  if (maintenance_) {
    next = membership::ServiceStatus{
        ServiceHealth::kMaintenance,
        maintenance_reason_.empty() ? std::string("maintenance mode") : maintenance_reason_, 0};
  } else {
    const CheckState* worst = nullptr;
    bool all_reported = true;
    for (const CheckState& check : checks_) {
      if (!check.status()) {
        all_reported = false;
        continue;
      }
      if (worst == nullptr || Severity(*check.status()) > Severity(*worst->status())) {
        worst = &check;
      }
    }
    // Passing means every check passed: a check that has not reported yet
    // may still fail. A warning or critical check is news already.
    if (worst != nullptr && (all_reported || *worst->status() != ServiceHealth::kPassing)) {
      next = membership::ServiceStatus{*worst->status(),
                                       worst->spec().name + ": " + worst->status_output(), 0};
    }
  }
  if (!next) {
    last_.reset();
    return last_;
  }
  if (last_ && last_->status == next->status) return last_;
  next->output = BoundedUtf8(next->output, membership::tuning::kMaxServiceOutputBytes);
  next->since_unix_ms = now_unix_ms;
  last_ = std::move(next);
  return last_;
}

}  // namespace picket::health
