// The real server on 127.0.0.1 (ephemeral port), queried with libcurl.

#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "api/json_writer.h"
#include "api/owners.h"
#include "api_test_util.h"
#include "test_server.h"

namespace picket::api {
namespace {

using cli::HttpCall;
using cli::HttpResult;
using cli::HttpStream;
using membership::EventType;
using membership::MemberState;
using nlohmann::json;
using testing::MakeEvent;
using testing::MakeView;
using testing::TestServer;

// Sends `request` as it is over a new connection to 127.0.0.1:port and
// returns everything the server sends until it closes (10 s at most).
std::string RawExchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

json Body(const HttpResult& result) {
  INFO(result.error << " " << result.body);
  REQUIRE(result.ok());
  const json parsed = json::parse(result.body, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

// Checks status, the JSON error shape and its code.
void CheckError(const HttpResult& result, long status, const std::string& code) {
  INFO(result.body);
  CHECK(result.status == status);
  CHECK(result.Header("content-type") == "application/json");
  const json body = Body(result);
  CHECK(body["error"]["code"] == code);
  CHECK(body["error"]["message"].is_string());
}

void CheckMemberShape(const json& m) {
  for (const char* field :
       {"name", "address", "state", "incarnation", "tags", "service", "phi", "reported_phi",
        "expected_interval_s", "suspect_after_s", "suspect_at", "state_since", "state_age_s"}) {
    INFO(field);
    CHECK(m.contains(field));
  }
  static const std::regex kRfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  CHECK(std::regex_match(m["state_since"].get<std::string>(), kRfc3339));
  CHECK(m["state_age_s"].is_number());
}

// Polls /metrics until `line` appears (a condition, not a sleep); false after 20 s.
bool WaitForMetric(const TestServer& server, const std::string& line) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (server.Get("/metrics").body.find(line) != std::string::npos) return true;
    std::this_thread::yield();
  }
  return false;
}

TEST_CASE("healthz answers before any view, readiness follows the view", "[api][http]") {
  TestServer server;
  const auto health = server.Get("/healthz");
  CHECK(health.status == 200);
  CHECK(Body(health) == json{{"status", "ok"}});
  CheckError(server.Get("/readyz"), 503, "not_ready");
  CheckError(server.Get("/v1/members"), 503, "not_ready");
  CheckError(server.Get("/v1/self"), 503, "not_ready");

  auto view = MakeView({"alpha"});
  view->joined = false;
  server.views.Publish(view);
  CheckError(server.Get("/readyz"), 503, "not_ready");
  server.views.Publish(MakeView({"alpha"}));
  CHECK(server.Get("/readyz").status == 200);
  auto leaving = MakeView({"alpha"});
  leaving->leaving = true;
  server.views.Publish(leaving);
  CheckError(server.Get("/readyz"), 503, "not_ready");
}

TEST_CASE("GET /v1/members and /v1/members/{name} return Member objects", "[api][http]") {
  TestServer server;
  auto view = MakeView({"alpha", "beta", "gamma delta"});
  view->members[1].state = MemberState::kSuspect;
  view->members[1].incarnation = 7;
  view->members[1].phi = 3.5;
  view->members[1].reported_phi = 8.25;
  view->members[1].detector =
      membership::DetectorEstimate{std::chrono::milliseconds(502), std::chrono::milliseconds(1061),
                                   view->published_steady + std::chrono::milliseconds(1500)};
  view->members[1].tags = {{"zone", "eu-1"}};
  view->members[1].service = membership::ServiceStatus{membership::ServiceHealth::kCritical,
                                                       "http-1: HTTP 503 \"x\"", 1764820800123};
  server.views.Publish(view);
  server.log.Append(MakeEvent(EventType::kJoined, view->members[0]));

  const json body = Body(server.Get("/v1/members"));
  REQUIRE(body["members"].size() == 3);
  CHECK(body["last_seq"] == 1);
  for (const auto& m : body["members"]) CheckMemberShape(m);
  const json& beta = body["members"][1];
  CHECK(beta["name"] == "beta");
  CHECK(beta["state"] == "suspect");
  CHECK(beta["incarnation"] == 7);
  CHECK(beta["phi"] == 3.5);
  CHECK(beta["reported_phi"] == 8.25);
  CHECK(beta["tags"] == json{{"zone", "eu-1"}});
  CHECK(beta["service"] == json{{"status", "critical"},
                                {"output", "http-1: HTTP 503 \"x\""},
                                {"since", "2025-12-04T04:00:00.123Z"}});
  CHECK(body["members"][0]["service"].is_null());
  CHECK(body["members"][0]["phi"].is_null());
  CHECK(beta["state_age_s"].get<double>() >= 5.0);

  const auto one = server.Get("/v1/members/beta");
  CHECK(one.status == 200);
  const json one_body = Body(one);
  CHECK(one_body["name"] == "beta");
  CHECK(one_body["expected_interval_s"] == 0.502);
  CHECK(one_body["suspect_after_s"] == 1.061);
  // suspect_at is the crossing as wall time: 1.5 s after publication.
  std::string suspect_at;
  AppendRfc3339(suspect_at, view->published_wall + std::chrono::milliseconds(1500));
  CHECK(one_body["suspect_at"] == suspect_at);
  const json alpha = Body(server.Get("/v1/members/alpha"));
  CHECK(alpha["expected_interval_s"].is_null());
  CHECK(alpha["suspect_after_s"].is_null());
  CHECK(alpha["suspect_at"].is_null());
  CHECK(Body(server.Get("/v1/members/gamma%20delta"))["name"] == "gamma delta");
  CheckError(server.Get("/v1/members/nobody"), 404, "member_not_found");
  CheckError(server.Get("/v1/members/"), 404, "not_found");
  CheckError(server.Get("/v1/members/bad%zz"), 400, "bad_request");
}

TEST_CASE("the cached members body follows each published view", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a", "b"}));
  CHECK(Body(server.Get("/v1/members"))["members"].size() == 2);
  CHECK(Body(server.Get("/v1/members"))["members"].size() == 2);
  server.views.Publish(MakeView({"a", "b", "c"}));
  CHECK(Body(server.Get("/v1/members"))["members"].size() == 3);
}

TEST_CASE("GET /v1/self reports name, state, health and quorum", "[api][http]") {
  TestServer server;
  auto view = MakeView({"self", "peer1", "peer2"});
  view->health_score = 3;
  view->quorum = {2, 3, true};
  view->counters.name_conflicts = 4;
  server.views.Publish(view);
  const json self = Body(server.Get("/v1/self"));
  CHECK(self["name_conflicts"] == 4);
  CHECK(self["name"] == "self");
  CHECK(self["address"] == view->self.address);
  CHECK(self["state"] == "alive");
  CHECK(self["incarnation"] == 1);
  CHECK(self["health_score"] == 3);
  CHECK(self["alive"] == 2);
  CHECK(self["members"] == 3);
  CHECK(self["has_majority"] == true);
}

TEST_CASE("unknown routes are 404 and wrong methods 405 with Allow", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a"}));
  CheckError(server.Get("/v2/nothing"), 404, "not_found");
  CheckError(server.Get("/"), 404, "not_found");

  const auto post_members = server.Send("POST", "/v1/members", "{}", "application/json");
  CheckError(post_members, 405, "method_not_allowed");
  CHECK(post_members.Header("allow") == "GET");
  const auto get_leave = server.Get("/v1/leave");
  CheckError(get_leave, 405, "method_not_allowed");
  CHECK(get_leave.Header("allow") == "POST");
  const auto delete_tags = server.Send("DELETE", "/v1/self/tags", "", "");
  CheckError(delete_tags, 405, "method_not_allowed");
  CHECK(delete_tags.Header("allow") == "GET, PUT");
  CHECK(server.sink.leave_calls == 0);
}

TEST_CASE("POST /v1/leave forwards a leave command", "[api][http]") {
  TestServer server;
  const auto result = server.Send("POST", "/v1/leave", "", "");
  CHECK(result.status == 202);
  CHECK(Body(result) == json{{"status", "leaving"}});
  CHECK(server.sink.leave_calls == 1);
  // A body, when present, must be JSON.
  CheckError(server.Send("POST", "/v1/leave", "now", "text/plain"), 415, "unsupported_media_type");
  CHECK(server.Send("POST", "/v1/leave", "{}", "application/json").status == 202);
  CHECK(server.sink.leave_calls == 2);
}

TEST_CASE("PUT /v1/self/tags validates the body and forwards the tags", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a"}));
  const auto ok = server.Send("PUT", "/v1/self/tags", R"({"role":"primary","zone":"b"})",
                              "application/json; charset=utf-8");
  CHECK(ok.status == 202);
  CHECK(Body(ok)["tags"] == json{{"role", "primary"}, {"zone", "b"}});
  REQUIRE(server.sink.Tags().has_value());
  CHECK(*server.sink.Tags() == membership::Tags{{"role", "primary"}, {"zone", "b"}});
  CHECK(Body(server.Get("/v1/self/tags")) == json{{"tags", json::object()}});

  CheckError(server.Send("PUT", "/v1/self/tags", "{\"role\":", "application/json"), 400,
             "invalid_json");
  CheckError(server.Send("PUT", "/v1/self/tags", "", "application/json"), 400, "invalid_json");
  CheckError(server.Send("PUT", "/v1/self/tags", R"(["role"])", "application/json"), 400,
             "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/tags", R"({"port":9746})", "application/json"), 400,
             "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/tags", R"({"":"x"})", "application/json"), 400,
             "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/tags", R"({"forbidden":"x"})", "application/json"), 400,
             "invalid_tags");
  CheckError(server.Send("PUT", "/v1/self/tags", "role=primary", "text/plain"), 415,
             "unsupported_media_type");
  CheckError(server.Send("PUT", "/v1/self/tags", R"({"a":"b"})", ""), 415,
             "unsupported_media_type");
  const std::string big = "{\"x\":\"" + std::string(70 * 1024, 'y') + "\"}";
  CheckError(server.Send("PUT", "/v1/self/tags", big, "application/json"), 413,
             "payload_too_large");
  CHECK(*server.sink.Tags() == membership::Tags{{"role", "primary"}, {"zone", "b"}});
}

TEST_CASE("a body above the hard limit gets 413 without being read", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a"}));
  // Only the headers are sent: the answer must come without the body (a
  // client that sends the body anyway may see the connection reset, as the
  // server closes with its body unread).
  const std::string response =
      RawExchange(server.server->port(),
                  "PUT /v1/self/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n");
  INFO(response);
  CHECK(response.rfind("HTTP/1.1 413 ", 0) == 0);
  const std::size_t body_at = response.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  std::string head = response.substr(0, body_at + 2);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(head.find("\r\nconnection: close\r\n") != std::string::npos);
  CHECK(head.find("\r\ncontent-type: application/json\r\n") != std::string::npos);
  const json body = json::parse(response.substr(body_at + 4));
  CHECK(body["error"]["code"] == "payload_too_large");
  CHECK(body["error"]["message"].get<std::string>().find("2097152 bytes") != std::string::npos);
  CHECK_FALSE(server.sink.Tags().has_value());
  CHECK(server.Get("/healthz").status == 200);
}

TEST_CASE("mutating endpoints require the bearer token when one is configured", "[api][http]") {
  HttpServerOptions options;
  options.router.bearer_token = "s3cret-token";
  TestServer server(options);
  server.views.Publish(MakeView({"a"}));
  const auto missing = server.Send("POST", "/v1/leave", "", "");
  CheckError(missing, 401, "unauthorized");
  CHECK(missing.Header("www-authenticate").rfind("Bearer", 0) == 0);
  CheckError(server.Send("POST", "/v1/leave", "", "", "wrong"), 401, "unauthorized");
  CheckError(server.Send("POST", "/v1/leave", "", "", "s3cret-token-and-more"), 401,
             "unauthorized");
  CheckError(server.Send("PUT", "/v1/self/tags", R"({"a":"b"})", "application/json", "s3cret"), 401,
             "unauthorized");
  CHECK(server.sink.leave_calls == 0);
  CHECK(server.Send("POST", "/v1/leave", "", "", "s3cret-token").status == 202);
  CHECK(server.sink.leave_calls == 1);
  // Reads stay open.
  CHECK(server.Get("/v1/members").status == 200);
}

TEST_CASE("GET /v1/owners: rendezvous owners among alive and suspect members", "[api][http]") {
  TestServer server;
  auto view = MakeView({"n1", "n2", "n3", "n4", "n5"});
  view->members[2].state = MemberState::kFailed;
  server.views.Publish(view);

  const json body = Body(server.Get("/v1/owners?key=shard%2F42&n=3"));
  CHECK(body["key"] == "shard/42");
  CHECK(body["n"] == 3);
  REQUIRE(body["owners"].size() == 3);
  const auto expected = RendezvousOwners(view->members, "shard/42", 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(body["owners"][i]["name"] == view->members[expected[i]].name);
    CHECK(body["owners"][i]["name"] != "n3");
    CheckMemberShape(body["owners"][i]);
  }
  CHECK(Body(server.Get("/v1/owners?key=k"))["owners"].size() == 1);  // n defaults to 1
  CHECK(Body(server.Get("/v1/owners?key=k&n=100"))["owners"].size() == 4);

  CheckError(server.Get("/v1/owners"), 400, "bad_request");
  CheckError(server.Get("/v1/owners?key="), 400, "bad_request");
  CheckError(server.Get("/v1/owners?key=k&n=0"), 400, "bad_request");
  CheckError(server.Get("/v1/owners?key=k&n=two"), 400, "bad_request");
  CheckError(server.Get("/v1/owners?key=k&n=-1"), 400, "bad_request");
  CheckError(server.Get("/v1/owners?key=k&n=10001"), 400, "bad_request");

  // A member whose service is critical owns nothing, unless asked.
  auto unhealthy = MakeView({"n1", "n2", "n3", "n4", "n5"});
  for (auto& m : unhealthy->members) {
    m.service = membership::ServiceStatus{
        m.name == "n4" ? membership::ServiceHealth::kCritical : membership::ServiceHealth::kPassing,
        "", 0};
  }
  server.views.Publish(unhealthy);
  const json healthy_owners = Body(server.Get("/v1/owners?key=k&n=5"));
  for (const auto& owner : healthy_owners["owners"]) CHECK(owner["name"] != "n4");
  CHECK(Body(server.Get("/v1/owners?key=k&n=5"))["owners"].size() == 4);
  CHECK(Body(server.Get("/v1/owners?key=k&n=5&include_unhealthy=true"))["owners"].size() == 5);
  CheckError(server.Get("/v1/owners?key=k&include_unhealthy=yes"), 400, "bad_request");
}

TEST_CASE("PUT /v1/self/service and /v1/self/maintenance validate and forward", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"alpha"}));
  const auto ok =
      server.Send("PUT", "/v1/self/service",
                  R"({"status":"warning","output":"replication lag 3s"})", "application/json");
  CHECK(ok.status == 200);
  CHECK(Body(ok) == json{{"status", "warning"}, {"output", "replication lag 3s"}});
  REQUIRE(server.sink.Pushes().size() == 1);
  CHECK(server.sink.Pushes()[0].first == membership::ServiceHealth::kWarning);
  CHECK(server.sink.Pushes()[0].second == "replication lag 3s");
  CHECK(server.Send("PUT", "/v1/self/service", R"({"status":"passing"})", "application/json")
            .status == 200);

  CheckError(
      server.Send("PUT", "/v1/self/service", R"({"status":"maintenance"})", "application/json"),
      400, "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/service", R"({"status":"ok"})", "application/json"), 400,
             "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/service", R"({"output":"x"})", "application/json"), 400,
             "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/service", R"({"status":"passing","output":7})",
                         "application/json"),
             400, "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/service",
                         R"({"status":"passing","output":")" + std::string(5000, 'x') + "\"}",
                         "application/json"),
             400, "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/service", "{", "application/json"), 400, "invalid_json");
  CheckError(server.Send("PUT", "/v1/self/service", R"({"status":"passing"})", "text/plain"), 415,
             "unsupported_media_type");
  CheckError(server.Send("POST", "/v1/self/service", R"({"status":"passing"})", "application/json"),
             405, "method_not_allowed");
  CHECK(server.sink.Pushes().size() == 2);

  const auto on = server.Send("PUT", "/v1/self/maintenance",
                              R"({"enabled":true,"reason":"upgrade"})", "application/json");
  CHECK(on.status == 200);
  CHECK(Body(on) == json{{"maintenance", true}, {"reason", "upgrade"}});
  CHECK(server.sink.Maintenance() == std::make_pair(true, std::string("upgrade")));
  CheckError(server.Send("PUT", "/v1/self/maintenance", R"({"enabled":"yes"})", "application/json"),
             400, "invalid_field");
  CheckError(server.Send("PUT", "/v1/self/maintenance", R"({})", "application/json"), 400,
             "invalid_field");
}

TEST_CASE("GET /v1/self/checks shows each local check and the service", "[api][http]") {
  TestServer server;
  CheckError(server.Get("/v1/self/checks"), 503, "not_ready");
  auto view = MakeView({"alpha"});
  view->self.service = membership::ServiceStatus{membership::ServiceHealth::kCritical,
                                                 "http-1: connection refused", 1764820800000};
  api::LocalCheckInfo check;
  check.name = "http-1";
  check.kind = "http";
  check.target = "http://127.0.0.1:8080/health";
  check.status = membership::ServiceHealth::kCritical;
  check.output = "connection refused";
  check.last_run = view->published_steady;
  check.duration_ms = 0.5;
  check.consecutive_failures = 3;
  check.runs = 12;
  view->checks.push_back(check);
  api::LocalCheckInfo waiting;
  waiting.name = "ttl-1";
  waiting.kind = "ttl";
  waiting.target = "30s";
  view->checks.push_back(waiting);
  server.views.Publish(view);
  const json body = Body(server.Get("/v1/self/checks"));
  CHECK(body["service"]["status"] == "critical");
  CHECK(body["maintenance"] == false);
  REQUIRE(body["checks"].size() == 2);
  const json& c = body["checks"][0];
  CHECK(c["name"] == "http-1");
  CHECK(c["kind"] == "http");
  CHECK(c["status"] == "critical");
  CHECK(c["output"] == "connection refused");
  CHECK(c["consecutive_failures"] == 3);
  CHECK(c["runs"] == 12);
  CHECK(c["last_run"].is_string());
  CHECK(body["checks"][1]["status"].is_null());
  CHECK(body["checks"][1]["last_run"].is_null());
  CHECK(Body(server.Get("/v1/self"))["service"]["status"] == "critical");
}

TEST_CASE("long poll returns at once when events exist", "[api][http][events]") {
  TestServer server;
  auto view = MakeView({"a", "b"});
  server.views.Publish(view);
  server.log.Append(MakeEvent(EventType::kJoined, view->members[0]));
  server.log.Append(MakeEvent(EventType::kSuspect, view->members[1]));

  const json all = Body(server.Get("/v1/events?since=0&timeout=300"));
  REQUIRE(all["events"].size() == 2);
  CHECK(all["last_seq"] == 2);
  const json& event = all["events"][1];
  CHECK(event["seq"] == 2);
  CHECK(event["type"] == "member.suspect");
  CHECK(event["member"]["name"] == "b");
  CheckMemberShape(event["member"]);
  CHECK(event["quorum"] == json{{"alive", 1}, {"members", 1}, {"has_majority", true}});
  CHECK(Body(server.Get("/v1/events?since=1"))["events"].size() == 1);
  CHECK(Body(server.Get("/v1/events?since=0&limit=1"))["events"].size() == 1);

  const json none = Body(server.Get("/v1/events?since=2&timeout=0"));
  CHECK(none["events"].empty());
  CHECK(none["last_seq"] == 2);
}

TEST_CASE("long poll waits, then returns an empty list at the timeout", "[api][http][events]") {
  TestServer server;
  server.views.Publish(MakeView({"a"}));
  const json body = Body(server.Get("/v1/events?since=0&timeout=0.05"));
  CHECK(body["events"].empty());
  CHECK(body["last_seq"] == 0);
}

TEST_CASE("a waiting long poll is answered when an event is appended", "[api][http][events]") {
  TestServer server;
  auto view = MakeView({"a"});
  server.views.Publish(view);
  HttpResult result;
  std::thread poller([&] { result = server.Get("/v1/events?since=0&timeout=120"); });
  const bool waiting = WaitForMetric(server, "picket_api_long_poll_waiters 1\n");
  server.log.Append(MakeEvent(EventType::kFailed, view->members[0]));
  poller.join();
  REQUIRE(waiting);
  const json body = Body(result);
  REQUIRE(body["events"].size() == 1);
  CHECK(body["events"][0]["type"] == "member.failed");
  CHECK(WaitForMetric(server, "picket_api_long_poll_waiters 0\n"));
}

TEST_CASE("long poll parameters are validated", "[api][http][events]") {
  TestServer server;
  CheckError(server.Get("/v1/events?since=abc"), 400, "bad_request");
  CheckError(server.Get("/v1/events?since=-1"), 400, "bad_request");
  CheckError(server.Get("/v1/events?timeout=soon"), 400, "bad_request");
  CheckError(server.Get("/v1/events?timeout=-2"), 400, "bad_request");
  CheckError(server.Get("/v1/events?timeout=301"), 400, "bad_request");
  CheckError(server.Get("/v1/events?limit=0"), 400, "bad_request");
  CheckError(server.Get("/v1/events?since=%zz"), 400, "bad_request");
}

TEST_CASE("readers whose events fell out of the ring get a picket.resync marker",
          "[api][http][events]") {
  TestServer server({}, /*log_capacity=*/2);
  auto view = MakeView({"a"});
  server.views.Publish(view);
  for (int i = 0; i < 5; ++i) server.log.Append(MakeEvent(EventType::kUpdated, view->members[0]));

  const json body = Body(server.Get("/v1/events?since=1"));
  REQUIRE(body["events"].size() == 3);
  CHECK(body["events"][0]["type"] == "picket.resync");
  CHECK(body["events"][0]["seq"] == 3);
  CHECK(body["events"][0]["member"]["name"] == "a");
  CHECK(body["events"][1]["seq"] == 4);
  CHECK(body["events"][2]["seq"] == 5);
  CHECK(body["last_seq"] == 5);

  // A seq from before an agent restart: resync at once, never a silent wait.
  const json future = Body(server.Get("/v1/events?since=99&timeout=120"));
  REQUIRE(future["events"].size() == 1);
  CHECK(future["events"][0]["type"] == "picket.resync");
  CHECK(future["last_seq"] == 5);
}

// Reads an SSE stream until `done(text so far)` says stop; `on_start` runs
// (on the reading thread) once the stream's preface arrived.
std::string ReadStream(const TestServer& server, const std::string& target,
                       std::vector<std::string> headers,
                       const std::function<bool(const std::string&)>& done,
                       const std::function<void()>& on_start = {}) {
  HttpCall call;
  call.url = server.Url(target);
  call.headers = std::move(headers);
  call.timeout = std::chrono::seconds(20);
  std::string text;
  bool started = false;
  const HttpResult result = HttpStream(call, [&](std::string_view data) {
    text.append(data);
    if (!started && text.find(": picket event stream\n\n") != std::string::npos) {
      started = true;
      if (on_start) on_start();
    }
    return !done(text);
  });
  INFO(result.error);
  CHECK(result.ok());
  CHECK(result.status == 200);
  CHECK(result.Header("content-type") == "text/event-stream; charset=utf-8");
  return text;
}

TEST_CASE("SSE resumes after Last-Event-ID and follows new events", "[api][http][events]") {
  TestServer server;
  auto view = MakeView({"a", "b"});
  server.views.Publish(view);
  for (int i = 0; i < 3; ++i) server.log.Append(MakeEvent(EventType::kJoined, view->members[0]));

  const std::string text = ReadStream(
      server, "/v1/events/stream", {"Last-Event-ID: 1"},
      [](const std::string& t) {
        return t.find("id: 4\n") != std::string::npos &&
               t.find("\n\n", t.find("id: 4\n")) != std::string::npos;
      },
      [&] { server.log.Append(MakeEvent(EventType::kFailed, view->members[1])); });
  CHECK(text.find("retry: 2000\n") == 0);
  CHECK(text.find("id: 1\n") == std::string::npos);  // already seen by the client
  const auto id2 = text.find("id: 2\nevent: member.joined\ndata: {\"seq\":2,");
  const auto id3 = text.find("id: 3\nevent: member.joined\ndata: {\"seq\":3,");
  const auto id4 = text.find("id: 4\nevent: member.failed\ndata: {\"seq\":4,");
  CHECK(id2 != std::string::npos);
  CHECK(id3 > id2);
  CHECK(id4 > id3);
  CHECK(id4 != std::string::npos);
  // Each data line is one complete Event object.
  const auto data = text.find("data: ", id4) + 6;
  const json event = json::parse(text.substr(data, text.find('\n', data) - data));
  CHECK(event["member"]["name"] == "b");
}

TEST_CASE("SSE without Last-Event-ID sends only new events, since= replays",
          "[api][http][events]") {
  TestServer server;
  auto view = MakeView({"a"});
  server.views.Publish(view);
  server.log.Append(MakeEvent(EventType::kJoined, view->members[0]));
  const std::string live = ReadStream(
      server, "/v1/events/stream", {},
      [](const std::string& t) { return t.find("id: 2\n") != std::string::npos; },
      [&] { server.log.Append(MakeEvent(EventType::kLeft, view->members[0])); });
  CHECK(live.find("id: 1\n") == std::string::npos);
  CHECK(live.find("event: member.left\n") != std::string::npos);

  const std::string replay =
      ReadStream(server, "/v1/events/stream?since=0", {},
                 [](const std::string& t) { return t.find("id: 2\n") != std::string::npos; });
  CHECK(replay.find("id: 1\nevent: member.joined\n") != std::string::npos);
  CheckError(server.Get("/v1/events/stream", {"Last-Event-ID: x"}), 400, "bad_request");
}

TEST_CASE("SSE sends a resync frame when the resume point fell out of the ring",
          "[api][http][events]") {
  TestServer server({}, /*log_capacity=*/2);
  auto view = MakeView({"a"});
  server.views.Publish(view);
  for (int i = 0; i < 4; ++i) server.log.Append(MakeEvent(EventType::kUpdated, view->members[0]));
  const std::string text =
      ReadStream(server, "/v1/events/stream", {"Last-Event-ID: 0"},
                 [](const std::string& t) { return t.find("id: 4\n") != std::string::npos; });
  const auto resync = text.find("id: 2\nevent: picket.resync\n");
  CHECK(resync != std::string::npos);
  CHECK(text.find("id: 3\nevent: member.updated\n") > resync);
}

TEST_CASE("idle SSE streams get keep-alive comments", "[api][http][events]") {
  HttpServerOptions options;
  options.sse_keepalive = std::chrono::milliseconds(20);
  TestServer server(options);
  const std::string text = ReadStream(server, "/v1/events/stream", {}, [](const std::string& t) {
    return t.find(": keepalive\n\n") != std::string::npos;
  });
  CHECK(text.find(": keepalive\n\n") != std::string::npos);
}

TEST_CASE("GET /metrics serves the Prometheus text format", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a", "b"}));
  server.Get("/nope");
  const auto result = server.Get("/metrics");
  CHECK(result.status == 200);
  CHECK(result.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(result.body.find("picket_members{state=\"alive\"} 2\n") != std::string::npos);
  CHECK(result.body.find("picket_api_responses_total{code=\"404\"} 1\n") != std::string::npos);
  CheckError(server.Send("POST", "/metrics", "", ""), 405, "method_not_allowed");
}

TEST_CASE("the server serves while the event loop publishes and appends", "[api][http]") {
  TestServer server;
  server.views.Publish(MakeView({"a", "b", "c"}));
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    int i = 0;
    while (!stop) {
      auto view = MakeView({"a", "b", "c"});
      view->health_score = ++i;
      server.views.Publish(view);
      server.log.Append(MakeEvent(EventType::kUpdated, view->members[0]));
    }
  });
  std::uint64_t since = 0;
  for (int i = 0; i < 50; ++i) {
    CHECK(Body(server.Get("/v1/members"))["members"].size() == 3);
    CHECK(Body(server.Get("/v1/self"))["health_score"].get<int>() >= 1);
    const json events = Body(server.Get("/v1/events?since=" + std::to_string(since) + "&limit=5"));
    since = events["last_seq"].get<std::uint64_t>();
  }
  stop = true;
  loop.join();
  CHECK(since > 0);
}

TEST_CASE("Start reports a bad address or a port in use, Stop is idempotent", "[api][http]") {
  ViewPublisher views;
  EventLog log;
  testing::RecordingSink sink;
  HttpServerOptions bad_host;
  bad_host.host = "not-an-ip";
  bad_host.port = 0;
  HttpServer bad(bad_host, views, log, sink);
  const Status bad_status = bad.Start();
  CHECK_FALSE(bad_status);
  CHECK(bad_status.error().find("not-an-ip") != std::string::npos);

  HttpServerOptions first_options;
  first_options.port = 0;
  HttpServer first(first_options, views, log, sink);
  REQUIRE(first.Start());
  HttpServerOptions same_port;
  same_port.port = first.port();
  HttpServer second(same_port, views, log, sink);
  const Status in_use = second.Start();
  CHECK_FALSE(in_use);
  CHECK(in_use.error().find(std::to_string(first.port())) != std::string::npos);
  first.Stop();
  first.Stop();
}

TEST_CASE("Stop answers waiting long polls and ends streams", "[api][http][events]") {
  auto server = std::make_unique<TestServer>();
  server->views.Publish(MakeView({"a"}));
  HttpResult poll;
  std::thread poller([&] { poll = server->Get("/v1/events?since=0&timeout=120"); });
  REQUIRE(WaitForMetric(*server, "picket_api_long_poll_waiters 1\n"));
  server->server->Stop();
  poller.join();
  // Either the empty answer made it out before the shutdown or the
  // connection was closed; the client is never left hanging.
  CHECK((poll.status == 200 || !poll.ok()));
}

}  // namespace
}  // namespace picket::api
