// The Router's restricted modes, called directly (no sockets): the
// operations route table (--ops-listen) and the refusal of mutations on an
// exposed API without a token (RouterOptions::mutations_refused).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>

#include "api/router.h"
#include "api_test_util.h"
#include "delivery/subscription_registry.h"
#include "test_server.h"

namespace picket::api {
namespace {

using nlohmann::json;

struct RouterFixture {
  explicit RouterFixture(RouterOptions options)
      : router(std::move(options), views, log, sink, nullptr) {}

  HttpResponse Call(std::string_view method, std::string_view path, std::string_view body = {},
                    std::string_view content_type = {}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.content_type = content_type;
    RouteResult result = router.Route(request, membership::Clock::now());
    REQUIRE(std::holds_alternative<HttpResponse>(result));
    return std::get<HttpResponse>(std::move(result));
  }

  ViewPublisher views;
  EventLog log;
  testing::RecordingSink sink;
  Router router;
};

std::string ErrorCodeOf(const HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  return body["error"]["code"].get<std::string>();
}

std::string HeaderOf(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

RouterOptions Operations() {
  RouterOptions options;
  options.routes = RouteTable::kOperations;
  return options;
}

TEST_CASE("the operations route table serves /healthz, /readyz and /metrics", "[api][ops]") {
  RouterFixture f(Operations());
  CHECK(f.Call("GET", "/healthz").status == 200);
  CHECK(f.Call("GET", "/healthz").body == R"({"status":"ok"})");

  // The same readiness as the full API: 503 before a view, before joining, 200 once joined.
  HttpResponse ready = f.Call("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(ErrorCodeOf(ready) == "not_ready");
  auto view = testing::MakeView({"a", "b"});
  view->joined = false;
  f.views.Publish(view);
  ready = f.Call("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("not joined") != std::string::npos);
  f.views.Publish(testing::MakeView({"a", "b"}));
  ready = f.Call("GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == R"({"status":"ready"})");

  const HttpResponse metrics = f.Call("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.starts_with("text/plain"));
  CHECK(metrics.body.find("picket_joined 1") != std::string::npos);
}

TEST_CASE("the operations route table has nothing else and takes GET only", "[api][ops]") {
  RouterFixture f(Operations());
  f.views.Publish(testing::MakeView({"a", "b"}));
  for (const char* path : {"/v1/members", "/v1/members/a", "/v1/self", "/v1/events",
                           "/v1/events/stream", "/v1/owners", "/v1/subscriptions", "/"}) {
    INFO(path);
    const HttpResponse response = f.Call("GET", path);
    CHECK(response.status == 404);
    CHECK(ErrorCodeOf(response) == "not_found");
  }
  struct Row {
    const char* method;
    const char* path;
  };
  for (const Row row : {Row{"POST", "/v1/leave"}, Row{"PUT", "/v1/self/tags"},
                        Row{"PUT", "/v1/self/maintenance"}, Row{"POST", "/healthz"},
                        Row{"DELETE", "/metrics"}, Row{"POST", "/v1/subscriptions"}}) {
    INFO(row.method << " " << row.path);
    const HttpResponse response = f.Call(row.method, row.path, "{}", "application/json");
    CHECK(response.status == 405);
    CHECK(ErrorCodeOf(response) == "method_not_allowed");
    CHECK(HeaderOf(response, "Allow") == "GET");
  }
  CHECK(f.sink.leave_calls == 0);
  CHECK_FALSE(f.sink.Tags().has_value());
  CHECK_FALSE(f.sink.Maintenance().has_value());
}

TEST_CASE("mutations_refused: every mutating route is 403, reads still work", "[api][ops]") {
  delivery::SubscriptionRegistry registry;
  RouterOptions options;
  options.subscriptions = &registry;
  options.mutations_refused = "refused: set --api-token-file";
  RouterFixture f(std::move(options));
  f.views.Publish(testing::MakeView({"a", "b"}));
  struct Row {
    const char* method;
    const char* path;
    const char* body;
  };
  for (const Row row : {Row{"POST", "/v1/leave", ""}, Row{"PUT", "/v1/self/tags", R"({"k":"v"})"},
                        Row{"PUT", "/v1/self/service", R"({"status":"passing"})"},
                        Row{"PUT", "/v1/self/maintenance", R"({"enabled":true})"},
                        Row{"POST", "/v1/subscriptions", R"({"url":"http://127.0.0.1:1/h"})"},
                        Row{"DELETE", "/v1/subscriptions/static-1", ""}}) {
    INFO(row.method << " " << row.path);
    const HttpResponse response = f.Call(row.method, row.path, row.body, "application/json");
    CHECK(response.status == 403);
    CHECK(ErrorCodeOf(response) == "forbidden");
    CHECK(json::parse(response.body)["error"]["message"] == "refused: set --api-token-file");
  }
  CHECK(f.sink.leave_calls == 0);
  CHECK_FALSE(f.sink.Tags().has_value());
  CHECK(f.sink.Pushes().empty());
  CHECK_FALSE(f.sink.Maintenance().has_value());
  CHECK(registry.List().empty());
  CHECK(f.Call("GET", "/v1/self").status == 200);
  CHECK(f.Call("GET", "/v1/subscriptions").status == 200);
  CHECK(f.Call("GET", "/v1/self/tags").status == 200);
  // Route and method are still checked first.
  CHECK(f.Call("POST", "/v1/members").status == 405);
  CHECK(f.Call("POST", "/v1/nothing").status == 404);
}

TEST_CASE("without mutations_refused the same mutations go through", "[api][ops]") {
  RouterFixture f(RouterOptions{});
  f.views.Publish(testing::MakeView({"a", "b"}));
  CHECK(f.Call("POST", "/v1/leave").status == 202);
  CHECK(f.sink.leave_calls == 1);
  CHECK(f.Call("PUT", "/v1/self/tags", R"({"k":"v"})", "application/json").status == 202);
  CHECK(f.sink.Tags().has_value());
}

}  // namespace
}  // namespace picket::api
