// The per-check state machine on a manual clock.

#include "health/check_state.h"

#include <catch2/catch.hpp>
#include <random>

namespace picket::health {
namespace {

using namespace std::chrono_literals;
using membership::ServiceHealth;

CheckSpec HttpSpec() {
  return CheckSpec{CheckKind::kHttp, "http://127.0.0.1:8080/health", "http-1", "127.0.0.1", 8080,
                   "/health", {}};
}

CheckResult Passing() { return {ServiceHealth::kPassing, false, false, false, "HTTP 200"}; }
CheckResult Failing() { return {ServiceHealth::kCritical, false, false, false, "HTTP 500"}; }
CheckResult Refused() {
  return {ServiceHealth::kCritical, true, false, false, "connection refused"};
}

// Runs the check whenever it is due, each run taking `run` and answered by
// `answer`, until `end`; returns the times the status became critical.
template <typename Answer>
std::vector<TimePoint> Drive(CheckState& check, TimePoint& now, TimePoint end, Answer answer,
                             Duration run = 1ms) {
  std::vector<TimePoint> critical_at;
  while (now < end) {
    now = std::max(now, check.next_due());
    const TimePoint started = now;
    now += run;
    const bool was_critical = check.status() == ServiceHealth::kCritical;
    check.Record(answer(started), started, now);
    if (!was_critical && check.status() == ServiceHealth::kCritical) critical_at.push_back(now);
  }
  return critical_at;
}

TEST_CASE("the first answer sets the status at once") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  CHECK_FALSE(check.status());
  CHECK(check.next_due() == now);
  check.Record(Passing(), now, now + 2ms);
  CHECK(check.status() == ServiceHealth::kPassing);
  CHECK(check.next_due() == now + 1s);
}

TEST_CASE("a refused connection twice in a row is critical within a retry interval") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  Drive(check, now, now + 5s, [](TimePoint) { return Passing(); });
  const TimePoint crash = now + 300ms;
  const auto critical =
      Drive(check, now, crash + 3s, [&](TimePoint t) { return t >= crash ? Refused() : Passing(); });
  REQUIRE(critical.size() == 1);
  // Seen at the next regular run (at most an interval later), confirmed one retry after.
  CHECK(critical[0] - crash <= 1s + 100ms + 2ms);
  CHECK(critical[0] - crash >= 100ms);
}

TEST_CASE("other failures must last (failures - 1) intervals, re-checked every interval / 10") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  check.Record(Passing(), now, now);
  now = check.next_due();
  const TimePoint first = now;
  int runs = 0;
  while (check.status() != ServiceHealth::kCritical) {
    REQUIRE(runs < 100);
    const TimePoint started = std::max(now, check.next_due());
    now = started + 1ms;
    check.Record(Failing(), started, now);
    ++runs;
  }
  CHECK(now - first >= 1s);
  CHECK(now - first <= 1s + 110ms);
  CHECK(runs >= 9);
}

TEST_CASE("a check that fails one time in ten at random never goes critical") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  std::mt19937_64 random(7);
  std::bernoulli_distribution fails(0.1);
  const auto critical = Drive(check, now, now + 24h,
                              [&](TimePoint) { return fails(random) ? Failing() : Passing(); });
  CHECK(critical.empty());
  CHECK(check.status() != ServiceHealth::kCritical);
}

TEST_CASE("a stalled application (timeouts) is critical within interval x failures + timeout") {
  TimePoint now{};
  CheckPolicy policy;
  CheckState check(HttpSpec(), policy, now);
  Drive(check, now, now + 3s, [](TimePoint) { return Passing(); });
  const TimePoint stop = now + 450ms;
  const auto critical = Drive(
      check, now, stop + 5s,
      [&](TimePoint t) {
        return t >= stop ? CheckResult{ServiceHealth::kCritical, false, false, false, "timeout"}
                         : Passing();
      },
      policy.timeout);
  REQUIRE(critical.size() == 1);
  CHECK(critical[0] - stop <= policy.interval * policy.failures + policy.timeout);
  // Here: the run after the stop times out, one retry times out too, and
  // together they cover one interval of silence.
  CHECK(critical[0] - stop <= policy.interval + 2 * policy.timeout + policy.retry_interval());
}

TEST_CASE("failures seen while the agent itself ran late are discarded") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  check.Record(Passing(), now, now);
  for (int i = 0; i < 50; ++i) {
    now = check.next_due();
    check.Record({ServiceHealth::kCritical, false, false, true, "timeout"}, now, now + 1ms);
  }
  CHECK(check.status() == ServiceHealth::kPassing);
  CHECK(check.discarded_late() == 50);
  CHECK(check.consecutive_failures() == 0);
}

TEST_CASE("out of critical only `successes` answers in a row count") {
  TimePoint now{};
  CheckPolicy policy;
  policy.successes = 3;
  CheckState check(HttpSpec(), policy, now);
  check.Record(Passing(), now, now);
  check.Record(Refused(), now, now);
  check.Record(Refused(), now + 100ms, now + 100ms);
  REQUIRE(check.status() == ServiceHealth::kCritical);
  now += 1s;
  check.Record(Passing(), now, now);
  check.Record(Passing(), now, now);
  CHECK(check.status() == ServiceHealth::kCritical);
  CHECK(check.next_due() == now + policy.retry_interval());
  check.Record(Passing(), now, now);
  CHECK(check.status() == ServiceHealth::kPassing);
  // Between passing and warning the latest answer counts.
  check.Record({ServiceHealth::kWarning, false, false, false, "HTTP 429"}, now, now);
  CHECK(check.status() == ServiceHealth::kWarning);
  CHECK(check.status_output() == "HTTP 429");
}

TEST_CASE("a TTL check: silent until the TTL, then critical, a push resets it") {
  TimePoint now{};
  CheckState check(CheckSpec{CheckKind::kTtl, "2s", "ttl-1", "", 0, "", 2s}, CheckPolicy{}, now);
  CHECK_FALSE(check.Expire(now + 1900ms, 0ms));
  CHECK_FALSE(check.status());
  CHECK(check.Expire(now + 2s, 0ms));
  CHECK(check.status() == ServiceHealth::kCritical);
  now += 3s;
  check.Push(ServiceHealth::kPassing, "ok", now);
  CHECK(check.status() == ServiceHealth::kPassing);
  CHECK(check.next_due() == now + 2s);
  // The agent stalled for a second: the application gets that second back.
  CHECK_FALSE(check.Expire(now + 2500ms, 1s));
  CHECK(check.Expire(now + 3s, 0ms));
  CHECK(check.status_output().find("TTL") != std::string::npos);
}

TEST_CASE("a held connection that closed and whose reconnect was refused is decisive") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  check.Record(Passing(), now, now);
  check.Record({ServiceHealth::kCritical, true, true, false, "closed, reconnect refused"}, now,
               now + 1ms);
  CHECK(check.status() == ServiceHealth::kCritical);
}

TEST_CASE("an application that never answered is still starting: refusals must last") {
  TimePoint now{};
  CheckState check(HttpSpec(), CheckPolicy{}, now);
  const auto critical = Drive(check, now, now + 3s, [](TimePoint) { return Refused(); });
  REQUIRE(critical.size() == 1);
  CHECK(critical[0] - TimePoint{} >= 1s);
}

TEST_CASE("check policy validation names the flag") {
  CHECK(CheckPolicy{}.Validate());
  CheckPolicy bad;
  bad.failures = 0;
  CHECK(bad.Validate().error().starts_with("--check-failures"));
  bad = CheckPolicy{};
  bad.interval = std::chrono::milliseconds(1);
  CHECK(bad.Validate().error().starts_with("--check-interval"));
}

}  // namespace
}  // namespace picket::health
