#include "api/webhook_retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace picket::api {

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
  // curl_getdate parses the three HTTP-date forms; it needs no curl_global_init.
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
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

}  // namespace picket::api
