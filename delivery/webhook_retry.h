#pragma once

// When and whether a webhook delivery is retried: exponential backoff with
// jitter, the Retry-After header, and the classification of one attempt.
//
// Thread safety: pure functions; safe from any thread.

#include <chrono>
#include <optional>
#include <string_view>

namespace picket::delivery {

struct RetryPolicy {
  // Delay before the first retry; doubles with every further failure of the
  // same event: nominal(n) = min(max_backoff, initial_backoff * 2^(n-1)).
  // Valid: 1 ms <= initial_backoff <= max_backoff.
  std::chrono::milliseconds initial_backoff{250};
  // Cap of the nominal delay. Default 10 s: a receiver that comes back is
  // served again within 10 s, and a dead one costs one request per 10 s.
  std::chrono::milliseconds max_backoff{10'000};
  // A receiver's Retry-After is honoured up to this long (a larger value is
  // capped: failover events must not wait an hour).
  std::chrono::milliseconds max_retry_after{60'000};
};

// The delay before retry number `failures` (1 after the first failed
// attempt). "Equal jitter": uniform in [nominal/2, nominal], drawn with
// `unit` in [0, 1), so that receivers that failed together do not get every
// retry at the same instant yet the delay still grows.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, unsigned failures, double unit);

// Parses a Retry-After header value (RFC 9110 10.2.3): delay-seconds ("120")
// or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850
// and asctime forms), relative to `now`. A date in the past gives 0. Returns
// nullopt for an empty or unparsable value.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// Outcome of one delivery attempt; the order is kWebhookOutcomeNames'
// (api/metrics.h).
enum class DeliveryOutcome {
  kSuccess,          // 2xx
  kHttpError,        // any other status
  kTimeout,          // no complete answer within the timeout
  kConnectionError,  // could not connect, connection reset, ...
  kDropped,          // not an attempt: an event dropped (full queue, or refused with a 4xx)
};

struct AttemptClass {
  DeliveryOutcome outcome = DeliveryOutcome::kSuccess;
  // Retry the same event later. False for a success and for statuses that a
  // retry cannot fix (4xx other than 408 and 429): that event is dropped.
  bool retry = false;
};

// `timed_out`/`transport_error`: the transfer failed without a complete
// response (timed_out wins); otherwise `status` is the HTTP status received.
AttemptClass ClassifyAttempt(bool timed_out, bool transport_error, long status);

}  // namespace picket::delivery
