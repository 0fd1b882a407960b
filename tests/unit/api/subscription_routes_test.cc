// The /v1/subscriptions endpoints on a real server, with the agent's
// SubscriptionStore (delivery::SubscriptionRegistry).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "delivery/subscription_registry.h"
#include "test_server.h"

namespace picket::api {
namespace {

using cli::HttpResult;
using nlohmann::json;

// Checks status, the JSON error shape and its code.
void CheckError(const HttpResult& result, long status, const std::string& code) {
  INFO(result.body);
  CHECK(result.status == status);
  const json body = json::parse(result.body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  CHECK(body["error"]["code"] == code);
}

struct ServerWithRegistry {
  explicit ServerWithRegistry(std::string token = {}) : server(Options(this, std::move(token))) {}
  static HttpServerOptions Options(ServerWithRegistry* self, std::string token) {
    HttpServerOptions options;
    options.router.subscriptions = &self->registry;
    options.router.bearer_token = std::move(token);
    options.router.max_body_bytes = 1024;
    return options;
  }
  delivery::SubscriptionRegistry registry;  // constructed before the server uses it
  testing::TestServer server;
};

TEST_CASE("POST, GET, DELETE /v1/subscriptions", "[api][webhook][http]") {
  ServerWithRegistry s;
  auto& server = s.server;
  const auto created = server.Send("POST", "/v1/subscriptions",
                                   R"({"url":"http://127.0.0.1:1/hook","events":["member.failed",
                                   "member.left"],"description":"failover"})",
                                   "application/json");
  INFO(created.body);
  REQUIRE(created.status == 201);
  const json body = json::parse(created.body);
  const std::string id = body["id"];
  CHECK(created.Header("location") == "/v1/subscriptions/" + id);
  CHECK(body["url"] == "http://127.0.0.1:1/hook");
  CHECK(body["events"] == json::array({"member.failed", "member.left"}));
  CHECK(body["description"] == "failover");
  CHECK(body["static"] == false);
  CHECK(body["secret"].get<std::string>().rfind("whsec_", 0) == 0);
  for (const char* field : {"queue_length", "attempts", "delivered", "dropped", "last_success",
                            "last_error"}) {
    INFO(field);
    CHECK(body["delivery"].contains(field));
  }

  const auto list = server.Get("/v1/subscriptions");
  CHECK(list.status == 200);
  const json listed = json::parse(list.body);
  REQUIRE(listed["subscriptions"].size() == 1);
  CHECK(listed["subscriptions"][0]["id"] == id);
  CHECK_FALSE(listed["subscriptions"][0].contains("secret"));  // never shown again

  const auto one = server.Get("/v1/subscriptions/" + id);
  CHECK(one.status == 200);
  CHECK(json::parse(one.body)["id"] == id);

  const auto with_secret = server.Send(
      "POST", "/v1/subscriptions",
      R"({"url":"https://example.com/x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})",
      "application/json");
  CHECK(with_secret.status == 201);
  CHECK(json::parse(with_secret.body)["secret"] == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  CHECK(json::parse(with_secret.body)["events"].size() == 12);  // all

  const auto deleted = server.Send("DELETE", "/v1/subscriptions/" + id, "", "");
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CheckError(server.Get("/v1/subscriptions/" + id), 404, "subscription_not_found");
  CheckError(server.Send("DELETE", "/v1/subscriptions/" + id, "", ""), 404,
             "subscription_not_found");
  CHECK(json::parse(server.Get("/v1/subscriptions").body)["subscriptions"].size() == 1);
  CHECK(server.Get("/metrics").body.find("picket_webhook_queue_length{subscription=\"") !=
        std::string::npos);
}

TEST_CASE("/v1/subscriptions errors: 400, 404, 405, 413, 415", "[api][webhook][http]") {
  ServerWithRegistry s;
  auto& server = s.server;
  const auto post = [&](const std::string& body) {
    return server.Send("POST", "/v1/subscriptions", body, "application/json");
  };
  CheckError(post("{not json"), 400, "invalid_json");
  CheckError(post("[]"), 400, "invalid_field");
  CheckError(post("{}"), 400, "invalid_field");
  CheckError(post(R"({"url":42})"), 400, "invalid_field");
  CheckError(post(R"({"url":"not a url"})"), 400, "invalid_field");
  CheckError(post(R"({"url":"ftp://h/x"})"), 400, "invalid_field");
  CheckError(post(R"({"url":"http://h/x","events":"member.failed"})"), 400, "invalid_field");
  CheckError(post(R"({"url":"http://h/x","events":["member.nope"]})"), 400, "invalid_field");
  CheckError(post(R"({"url":"http://h/x","secret":"hunter2"})"), 400, "invalid_field");
  CheckError(post(R"({"url":"http://h/x","color":"red"})"), 400, "invalid_field");
  CheckError(server.Get("/v1/subscriptions/nope"), 404, "subscription_not_found");
  CheckError(server.Get("/v1/subscriptions/a/b"), 404, "not_found");
  const auto put = server.Send("PUT", "/v1/subscriptions", "{}", "application/json");
  CheckError(put, 405, "method_not_allowed");
  CHECK(put.Header("allow") == "GET, POST");
  const auto post_one = server.Send("POST", "/v1/subscriptions/x", "{}", "application/json");
  CheckError(post_one, 405, "method_not_allowed");
  CHECK(post_one.Header("allow") == "GET, DELETE");
  CheckError(post(R"({"url":"http://h/x","description":")" + std::string(2000, 'x') + "\"}"), 413,
             "payload_too_large");
  CheckError(server.Send("POST", "/v1/subscriptions", R"({"url":"http://h/x"})", "text/plain"), 415,
             "unsupported_media_type");
  CHECK(s.registry.List().empty());
}

TEST_CASE("/v1/subscriptions with a token: mutations need it, reads do not",
          "[api][webhook][http]") {
  ServerWithRegistry s("s3cret");
  auto& server = s.server;
  const std::string body = R"({"url":"http://127.0.0.1:1/hook"})";
  CheckError(server.Send("POST", "/v1/subscriptions", body, "application/json"), 401,
             "unauthorized");
  CheckError(server.Send("POST", "/v1/subscriptions", body, "application/json", "wrong"), 401,
             "unauthorized");
  const auto created = server.Send("POST", "/v1/subscriptions", body, "application/json", "s3cret");
  REQUIRE(created.status == 201);
  const std::string id = json::parse(created.body)["id"];
  CHECK(server.Get("/v1/subscriptions").status == 200);
  CheckError(server.Send("DELETE", "/v1/subscriptions/" + id, "", ""), 401, "unauthorized");
  CHECK(server.Send("DELETE", "/v1/subscriptions/" + id, "", "", "s3cret").status == 204);
}

TEST_CASE("without a registry /v1/subscriptions stays 404", "[api][webhook][http]") {
  testing::TestServer server;
  CheckError(server.Get("/v1/subscriptions"), 404, "not_found");
}

}  // namespace
}  // namespace picket::api
