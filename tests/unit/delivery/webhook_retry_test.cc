#include "delivery/webhook_retry.h"

#include <catch2/catch.hpp>

namespace picket::delivery {
namespace {

using std::chrono::milliseconds;

TEST_CASE("backoff doubles per failure up to the cap, with equal jitter", "[delivery][webhook]") {
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(250);
  policy.max_backoff = milliseconds(10'000);
  // unit = 1 gives the nominal delay, unit = 0 half of it.
  CHECK(BackoffDelay(policy, 1, 1.0) == milliseconds(250));
  CHECK(BackoffDelay(policy, 2, 1.0) == milliseconds(500));
  CHECK(BackoffDelay(policy, 3, 1.0) == milliseconds(1000));
  CHECK(BackoffDelay(policy, 6, 1.0) == milliseconds(8000));
  CHECK(BackoffDelay(policy, 7, 1.0) == milliseconds(10'000));
  CHECK(BackoffDelay(policy, 1000, 1.0) == milliseconds(10'000));
  CHECK(BackoffDelay(policy, 1, 0.0) == milliseconds(125));
  CHECK(BackoffDelay(policy, 1000, 0.0) == milliseconds(5000));
  // Every draw lies in [nominal/2, nominal]; an hour of failures on a manual
  // "clock" (the sum of delays) grows as the schedule says.
  milliseconds total{0};
  for (unsigned failures = 1; failures <= 400; ++failures) {
    const double unit = static_cast<double>(failures % 10) / 10.0;
    const milliseconds d = BackoffDelay(policy, failures, unit);
    const milliseconds nominal = BackoffDelay(policy, failures, 1.0);
    CHECK(d >= nominal / 2);
    CHECK(d <= nominal);
    total += d;
  }
  CHECK(total > milliseconds(400 * 5000 - 20'000));
  CHECK(total < milliseconds(400 * 10'000));
}

TEST_CASE("Retry-After: delay-seconds and the three HTTP-date forms", "[delivery][webhook]") {
  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example date).
  const auto now = std::chrono::system_clock::from_time_t(784111777);
  CHECK(ParseRetryAfter("0", now) == milliseconds(0));
  CHECK(ParseRetryAfter("  3 ", now) == milliseconds(3000));
  CHECK(ParseRetryAfter("120", now) == milliseconds(120'000));
  CHECK(ParseRetryAfter("99999999999", now) == milliseconds(86'400'000));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now) == milliseconds(10'000));
  CHECK(ParseRetryAfter("Sunday, 06-Nov-94 08:50:37 GMT", now) == milliseconds(60'000));
  CHECK(ParseRetryAfter("Sun Nov  6 08:49:39 1994", now) == milliseconds(2000));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now) == milliseconds(0));  // past
  CHECK_FALSE(ParseRetryAfter("", now));
  CHECK_FALSE(ParseRetryAfter("soon", now));
  CHECK_FALSE(ParseRetryAfter("1.5", now));
  CHECK_FALSE(ParseRetryAfter("-1", now));
}

TEST_CASE("attempt classification: what is retried", "[delivery][webhook]") {
  auto check = [](AttemptClass c, DeliveryOutcome outcome, bool retry) {
    CHECK(c.outcome == outcome);
    CHECK(c.retry == retry);
  };
  check(ClassifyAttempt(false, false, 200), DeliveryOutcome::kSuccess, false);
  check(ClassifyAttempt(false, false, 204), DeliveryOutcome::kSuccess, false);
  check(ClassifyAttempt(true, true, 0), DeliveryOutcome::kTimeout, true);
  check(ClassifyAttempt(false, true, 0), DeliveryOutcome::kConnectionError, true);
  check(ClassifyAttempt(false, false, 500), DeliveryOutcome::kHttpError, true);
  check(ClassifyAttempt(false, false, 503), DeliveryOutcome::kHttpError, true);
  check(ClassifyAttempt(false, false, 429), DeliveryOutcome::kHttpError, true);
  check(ClassifyAttempt(false, false, 408), DeliveryOutcome::kHttpError, true);
  check(ClassifyAttempt(false, false, 400), DeliveryOutcome::kHttpError, false);
  check(ClassifyAttempt(false, false, 410), DeliveryOutcome::kHttpError, false);
  check(ClassifyAttempt(false, false, 301), DeliveryOutcome::kHttpError, false);
}

}  // namespace
}  // namespace picket::delivery
