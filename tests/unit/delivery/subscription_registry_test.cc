// The subscription registry: validation, ids, secrets, the limit (its HTTP
// routes: tests/unit/api/subscription_routes_test.cc).

#include "delivery/subscription_registry.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace picket::delivery {
namespace {

api::SubscriptionSpec Spec(std::string url, std::vector<std::string> events = {},
                           std::string secret = {}) {
  api::SubscriptionSpec spec;
  spec.url = std::move(url);
  spec.events = std::move(events);
  spec.secret = std::move(secret);
  return spec;
}

std::string CreateError(SubscriptionRegistry& registry, api::SubscriptionSpec spec) {
  const auto result = registry.Create(std::move(spec));
  CHECK(result.subscription == nullptr);
  REQUIRE_FALSE(result.status);
  return result.status.error();
}

TEST_CASE("registry validates URL, event types, secret and description", "[delivery][webhook]") {
  SubscriptionRegistry registry(3);
  CHECK(CreateError(registry, Spec("")).find("'url'") != std::string::npos);
  CHECK(CreateError(registry, Spec("ftp://example.com/x")).find("http://") != std::string::npos);
  CHECK(CreateError(registry, Spec("example.com/hook")).find("'url'") != std::string::npos);
  CHECK(CreateError(registry, Spec("http://")).find("'url'") != std::string::npos);
  CHECK(CreateError(registry, Spec("http://h/x", {"member.exploded"})).find("member.exploded") !=
        std::string::npos);
  CHECK(CreateError(registry, Spec("http://h/x", {"picket.resync"})).find("'events'") !=
        std::string::npos);
  // The message names every event type a subscription accepts.
  const std::string unknown = CreateError(registry, Spec("http://h/x", {"member.exploded"}));
  for (int i = 0; i < membership::kEventTypeCount; ++i) {
    const std::string_view type = membership::ToString(static_cast<membership::EventType>(i));
    CHECK(unknown.find(type) != std::string::npos);
  }
  CHECK(CreateError(registry, Spec("http://h/x", {}, "secret")).find("'secret'") !=
        std::string::npos);
  api::SubscriptionSpec long_description = Spec("http://h/x");
  long_description.description.assign(1025, 'x');
  CHECK(CreateError(registry, long_description).find("'description'") != std::string::npos);
  CHECK(registry.List().empty());

  const auto a = registry.Create(Spec("http://127.0.0.1:8080/a", {"member.failed"}));
  REQUIRE(a.subscription != nullptr);
  CHECK(a.subscription->id().rfind("sub_", 0) == 0);
  CHECK(a.subscription->id().size() == 20);
  CHECK(a.subscription->secret().rfind("whsec_", 0) == 0);
  CHECK(a.subscription->Accepts(membership::EventType::kFailed));
  CHECK_FALSE(a.subscription->Accepts(membership::EventType::kJoined));

  api::SubscriptionSpec fixed =
      Spec("https://[::1]:9/b", {}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  fixed.is_static = true;
  const auto b = registry.Create(fixed);
  REQUIRE(b.subscription != nullptr);
  CHECK(b.subscription->id() == "static-1");
  CHECK(b.subscription->secret() == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  CHECK(b.subscription->Accepts(membership::EventType::kQuorumLost));

  REQUIRE(registry.Create(Spec("http://c/")).subscription != nullptr);
  CHECK(CreateError(registry, Spec("http://d/")).find("too many") != std::string::npos);

  CHECK(registry.List().size() == 3);
  CHECK(registry.Get(a.subscription->id()) == a.subscription);
  CHECK(registry.Get("nope") == nullptr);
  CHECK(registry.Delete(a.subscription->id()));
  CHECK_FALSE(registry.Delete(a.subscription->id()));
  CHECK(registry.List().size() == 2);
}

}  // namespace
}  // namespace picket::delivery
