#include "delivery/webhook_retry.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace picket::delivery {
namespace {

// The three HTTP-date forms (RFC 9110 5.6.7), read with the C library's
// strptime (the names of days and months are the C locale's: picket never
// calls setlocale). Returns -1 if `text` is none of them.
time_t ParseHttpDate(const std::string& text) {
  static constexpr const char* kForms[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
      "%a %b %e %H:%M:%S %Y",       // asctime:     Sun Nov  6 08:49:37 1994
  };
  for (const char* form : kForms) {
    struct tm parts {};
    const char* end = ::strptime(text.c_str(), form, &parts);
    if (end != nullptr && *end == '\0') return ::timegm(&parts);
  }
  return -1;
}

}  // namespace

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, unsigned failures,
                                       double unit) {
  using std::chrono::milliseconds;
  const milliseconds cap = std::max(policy.max_backoff, milliseconds(1));
  milliseconds nominal = std::clamp(policy.initial_backoff, milliseconds(1), cap);
  for (unsigned i = 1; i < failures && nominal < cap; ++i) nominal = std::min(cap, nominal * 2);
  unit = std::clamp(unit, 0.0, 1.0);
  const auto half = nominal.count() / 2;
  return milliseconds(half + static_cast<milliseconds::rep>(
                                 unit * static_cast<double>(nominal.count() - half)));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::uint64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || ptr != value.data() + value.size()) return std::nullopt;
    // Anything above a day is as good as "a day" (and cannot overflow).
    return std::chrono::milliseconds(std::min<std::uint64_t>(seconds, 86'400) * 1000);
  }
  const time_t when = ParseHttpDate(std::string(value));
  if (when == -1) return std::nullopt;
  const auto target = std::chrono::system_clock::from_time_t(when);
  if (target <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(target - now);
}

AttemptClass ClassifyAttempt(bool timed_out, bool transport_error, long status) {
  if (timed_out) return {DeliveryOutcome::kTimeout, true};
  if (transport_error || status == 0) return {DeliveryOutcome::kConnectionError, true};
  if (status >= 200 && status < 300) return {DeliveryOutcome::kSuccess, false};
  const bool retry = status == 408 || status == 429 || status >= 500;
  return {DeliveryOutcome::kHttpError, retry};
}

}  // namespace picket::delivery
