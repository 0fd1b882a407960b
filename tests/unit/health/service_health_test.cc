// The aggregate status: the worst check, maintenance, and what is gossiped.

#include "health/service_health.h"

#include <catch2/catch.hpp>

#include "membership/tuning.h"

namespace picket::health {
namespace {

using namespace std::chrono_literals;
using membership::ServiceHealth;

// An HTTP check "http-1" and `tcp_checks` TCP checks "tcp-1", "tcp-2", ...
std::vector<CheckState> Checks(TimePoint t, int tcp_checks) {
  std::vector<CheckState> checks;
  checks.emplace_back(CheckSpec{CheckKind::kHttp, "http://a/", "http-1", "a", 80, "/", {}},
                      CheckPolicy{}, t);
  for (int i = 1; i <= tcp_checks; ++i) {
    const std::string n = std::to_string(i);
    checks.emplace_back(
        CheckSpec{
            CheckKind::kTcp, "a:" + n, "tcp-" + n, "a", static_cast<std::uint16_t>(i), "", {}},
        CheckPolicy{}, t);
  }
  return checks;
}

TEST_CASE("no check with a status: no service status") {
  LocalService service;
  CHECK_FALSE(service.Aggregate(1000));
  std::vector<CheckState> checks;
  checks.emplace_back(CheckSpec{CheckKind::kTcp, "127.0.0.1:80", "tcp-1", "127.0.0.1", 80, "", {}},
                      CheckPolicy{}, TimePoint{});
  LocalService with_check(std::move(checks));
  CHECK_FALSE(with_check.Aggregate(1000));
}

TEST_CASE("the worst check decides, the status keeps its output and since while it lasts") {
  const TimePoint t{};
  LocalService service(Checks(t, 1));
  service.checks()[0].Record({ServiceHealth::kPassing, false, false, false, "HTTP 200"}, t, t);
  service.checks()[1].Record({ServiceHealth::kPassing, false, false, false, "connected"}, t, t);
  auto status = service.Aggregate(1000);
  REQUIRE(status);
  CHECK(status->status == ServiceHealth::kPassing);
  CHECK(status->since_unix_ms == 1000);

  service.checks()[0].Record({ServiceHealth::kWarning, false, false, false, "HTTP 429"}, t, t);
  status = service.Aggregate(2000);
  CHECK(status->status == ServiceHealth::kWarning);
  CHECK(status->output == "http-1: HTTP 429");
  CHECK(status->since_unix_ms == 2000);

  // Another warning text: not news, nothing to gossip.
  service.checks()[0].Record({ServiceHealth::kWarning, false, false, false, "HTTP 429 again"}, t,
                             t);
  CHECK(service.Aggregate(3000) == status);

  service.checks()[1].Record({ServiceHealth::kCritical, true, false, false, "connection refused"},
                             t, t);
  service.checks()[1].Record({ServiceHealth::kCritical, true, false, false, "connection refused"},
                             t, t);
  status = service.Aggregate(4000);
  CHECK(status->status == ServiceHealth::kCritical);
  CHECK(status->output == "tcp-1: connection refused");
}

TEST_CASE("passing waits for every check, a failing check is news at once") {
  const TimePoint t{};
  LocalService service(Checks(t, 2));
  service.checks()[1].Record({ServiceHealth::kPassing, false, false, false, "connected"}, t, t);
  CHECK_FALSE(service.Aggregate(1000));  // http-1 and tcp-2 have not answered yet

  service.checks()[0].Record({ServiceHealth::kWarning, false, false, false, "HTTP 429"}, t, t);
  auto status = service.Aggregate(2000);
  REQUIRE(status);
  CHECK(status->status == ServiceHealth::kWarning);

  service.checks()[0].Record({ServiceHealth::kPassing, false, false, false, "HTTP 200"}, t, t);
  CHECK_FALSE(service.Aggregate(3000));  // tcp-2 still silent: not known to pass

  service.checks()[2].Record({ServiceHealth::kPassing, false, false, false, "connected"}, t, t);
  status = service.Aggregate(4000);
  REQUIRE(status);
  CHECK(status->status == ServiceHealth::kPassing);
}

TEST_CASE("maintenance overrides every check until it is turned off") {
  const TimePoint t{};
  LocalService service;
  service.PushCheck(CheckPolicy{}, t).Push(ServiceHealth::kCritical, "disk full", t);
  CHECK(service.Aggregate(1)->status == ServiceHealth::kCritical);
  service.SetMaintenance(true, "planned restart");
  auto status = service.Aggregate(2);
  CHECK(status->status == ServiceHealth::kMaintenance);
  CHECK(status->output == "planned restart");
  CHECK(status->since_unix_ms == 2);
  service.SetMaintenance(false, "");
  CHECK(service.Aggregate(3)->status == ServiceHealth::kCritical);
  CHECK(service.checks().size() == 1);
  CHECK(&service.PushCheck(CheckPolicy{}, t) == &service.checks()[0]);
}

TEST_CASE("gossiped output is bounded and valid UTF-8") {
  const TimePoint t{};
  LocalService service;
  std::string output(1000, 'x');
  output[3] = '\xff';
  output.replace(250, 3, "\xe2\x82\xac");  // a euro sign across the cut
  service.PushCheck(CheckPolicy{}, t).Push(ServiceHealth::kPassing, output, t);
  const auto status = service.Aggregate(1);
  CHECK(status->output.size() <= membership::tuning::kMaxServiceOutputBytes);
  CHECK(status->output.find('\xff') == std::string::npos);
  CHECK(BoundedUtf8("ab\xe2\x82\xac", 4) == "ab");
  CHECK(BoundedUtf8("ab\xe2\x82\xac", 5) == "ab\xe2\x82\xac");
  CHECK(BoundedUtf8("a\xc0\xaf", 10) == "a??");
}

}  // namespace
}  // namespace picket::health
