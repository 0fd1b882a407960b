// WebhookDelivery against a real (in-test) HTTP receiver on 127.0.0.1.

#include "delivery/webhook_delivery.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "delivery/webhook_signature.h"
#include "tests/unit/api/api_test_util.h"
#include "webhook_test_receiver.h"

namespace picket::delivery {
namespace {

using api::testing::MakeEvent;
using api::testing::MakeMember;
using membership::EventType;
using nlohmann::json;
using testing::ScriptedAnswer;
using testing::TestReceiver;

WebhookOptions FastOptions() {
  WebhookOptions options;
  options.agent_name = "node-1";
  options.timeout = std::chrono::milliseconds(2000);
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  options.retry.max_backoff = std::chrono::milliseconds(5);
  return options;
}

membership::MemberInfo Member(const std::string& name) {
  return MakeMember(name, membership::MemberState::kAlive, membership::Clock::now());
}

// Waits (bounded) for a condition on the subscription's status.
template <typename Predicate>
bool WaitForStatus(const api::Subscription& s, Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate(s.status())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// The event log, views and registry a delivery reads, and the delivery;
// members are destroyed in reverse, so the delivery stops first.
struct Harness {
  explicit Harness(WebhookOptions options = FastOptions())
      : delivery(std::move(options), log, views, registry) {}

  api::EventLog log;
  api::ViewPublisher views;
  SubscriptionRegistry registry;
  WebhookDelivery delivery;
};

TEST_CASE("delivers signed CloudEvents in order, filtered by type", "[delivery][webhook]") {
  TestReceiver receiver;
  Harness h;
  api::SubscriptionSpec spec;
  spec.url = receiver.Url();
  spec.events = {"member.failed", "member.joined"};
  const auto created = h.registry.Create(spec);
  REQUIRE(created.subscription != nullptr);

  h.log.Append(MakeEvent(EventType::kJoined, Member("a")));   // seq 1
  h.log.Append(MakeEvent(EventType::kSuspect, Member("a")));  // seq 2: filtered out
  h.log.Append(MakeEvent(EventType::kFailed, Member("a")));   // seq 3
  h.log.Append(MakeEvent(EventType::kJoined, Member("b")));   // seq 4
  REQUIRE(receiver.WaitFor(3));
  const auto requests = receiver.Requests();
  REQUIRE(requests.size() == 3);
  const std::vector<std::uint64_t> expected_seqs = {1, 3, 4};
  const auto key = DecodeWebhookSecret(created.subscription->secret());
  REQUIRE(key);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    INFO(r.body);
    CHECK(r.headers.at("content-type") == "application/cloudevents+json");
    const std::string& id = r.headers.at("webhook-id");
    const std::int64_t timestamp = std::stoll(r.headers.at("webhook-timestamp"));
    CHECK(r.headers.at("webhook-signature") == SignWebhook(*key, id, timestamp, r.body));
    const json event = json::parse(r.body);
    CHECK(event["specversion"] == "1.0");
    CHECK(event["id"] == id);
    CHECK(event["source"] == "picket://node-1");
    CHECK(event["data"]["seq"] == expected_seqs[i]);
    CHECK(event["type"] == event["data"]["type"]);
    CHECK(event["subject"] == event["data"]["member"]["name"]);
  }
  CHECK(WaitForStatus(*created.subscription,
                      [](const api::DeliveryStatus& s) { return s.delivered == 3; }));
  const api::DeliveryStatus status = created.subscription->status();
  CHECK(status.queue_length == 0);
  CHECK(status.last_success.has_value());
  CHECK(status.last_error.empty());
  const api::WebhookMetrics metrics = h.registry.Metrics();
  CHECK(metrics.deliveries[0] == 3);  // success
  CHECK(metrics.latency_count == 3);
  REQUIRE(metrics.queue_lengths.size() == 1);
  CHECK(metrics.queue_lengths[0].first == created.subscription->id());
}

TEST_CASE("5xx and 429 are retried (Retry-After honoured) with the same id",
          "[delivery][webhook]") {
  TestReceiver receiver([](std::size_t n) {
    if (n == 0) return ScriptedAnswer{503, ""};
    if (n == 1) return ScriptedAnswer{429, "Retry-After: 0\r\n"};
    return ScriptedAnswer{200, ""};
  });
  Harness h;
  api::SubscriptionSpec spec;
  spec.url = receiver.Url();
  const auto created = h.registry.Create(spec);
  REQUIRE(created.subscription != nullptr);
  h.log.Append(MakeEvent(EventType::kFailed, Member("a")));
  h.log.Append(MakeEvent(EventType::kLeft, Member("b")));
  REQUIRE(receiver.WaitFor(4));
  const auto requests = receiver.Requests();
  // seq 1 three times (503, 429, 200), then seq 2 once.
  CHECK(requests[0].headers.at("webhook-id") == requests[1].headers.at("webhook-id"));
  CHECK(requests[1].headers.at("webhook-id") == requests[2].headers.at("webhook-id"));
  CHECK(requests[3].headers.at("webhook-id") != requests[2].headers.at("webhook-id"));
  CHECK(json::parse(requests[3].body)["data"]["seq"] == 2);
  CHECK(WaitForStatus(*created.subscription,
                      [](const api::DeliveryStatus& s) { return s.delivered == 2; }));
  const api::DeliveryStatus status = created.subscription->status();
  CHECK(status.total_attempts == 4);
  CHECK(status.attempts == 0);
  CHECK(status.last_error == "HTTP 429");
  const api::WebhookMetrics metrics = h.registry.Metrics();
  CHECK(metrics.deliveries[0] == 2);  // success
  CHECK(metrics.deliveries[1] == 2);  // http_error
}

TEST_CASE("a 4xx drops the event and delivery goes on", "[delivery][webhook]") {
  TestReceiver receiver([](std::size_t n) { return ScriptedAnswer{n == 0 ? 400 : 200, ""}; });
  Harness h;
  const auto created = h.registry.Create(api::SubscriptionSpec{receiver.Url(), {}, "", "", false});
  REQUIRE(created.subscription != nullptr);
  h.log.Append(MakeEvent(EventType::kFailed, Member("a")));
  h.log.Append(MakeEvent(EventType::kLeft, Member("b")));
  REQUIRE(receiver.WaitFor(2));
  CHECK(WaitForStatus(*created.subscription, [](const api::DeliveryStatus& s) {
    return s.delivered == 1 && s.dropped == 1;
  }));
  CHECK(h.registry.Metrics().deliveries[4] == 1);  // dropped
}

TEST_CASE("a full queue drops the oldest and sends picket.resync first", "[delivery][webhook]") {
  // The receiver fails every request until the test has queued 20 events.
  std::atomic<bool> up{false};
  TestReceiver receiver([&](std::size_t) { return ScriptedAnswer{up ? 200 : 500, ""}; });
  WebhookOptions options = FastOptions();
  options.queue_capacity = 4;
  Harness h(options);
  h.views.Publish(api::testing::MakeView({"node-1", "b"}));
  const auto created = h.registry.Create(api::SubscriptionSpec{receiver.Url(), {}, "", "", false});
  REQUIRE(created.subscription != nullptr);
  h.log.Append(MakeEvent(EventType::kJoined, Member("e1")));
  REQUIRE(receiver.WaitFor(1));  // e1 is failing at the front
  for (int i = 2; i <= 20; ++i) {
    h.log.Append(MakeEvent(EventType::kJoined, Member("e" + std::to_string(i))));
  }
  REQUIRE(WaitForStatus(*created.subscription, [](const api::DeliveryStatus& s) {
    return s.dropped == 17 && s.queue_length == 4;
  }));
  const std::size_t failed = receiver.Requests().size();
  up = true;
  REQUIRE(WaitForStatus(*created.subscription, [](const api::DeliveryStatus& s) {
    return s.queue_length == 0 && s.delivered == 4;
  }));
  const auto requests = receiver.Requests();
  std::vector<json> delivered;
  for (std::size_t i = failed; i < requests.size(); ++i) delivered.push_back(json::parse(requests[i].body));
  // Accepted: the marker (standing for seq 1..17), then 18, 19, 20.
  REQUIRE(delivered.size() >= 4);
  const std::size_t n = delivered.size();
  CHECK(delivered[n - 4]["type"] == "picket.resync");
  CHECK(delivered[n - 4]["data"]["type"] == "picket.resync");
  CHECK(delivered[n - 4]["data"]["seq"] == 17);
  CHECK(delivered[n - 3]["data"]["seq"] == 18);
  CHECK(delivered[n - 2]["data"]["seq"] == 19);
  CHECK(delivered[n - 1]["data"]["seq"] == 20);
  CHECK(h.registry.Metrics().deliveries[4] == 17);  // dropped
}

TEST_CASE("a dead receiver does not hold up another subscription, delete stops delivery",
          "[delivery][webhook]") {
  TestReceiver good;
  Harness h;
  // Port 1 on loopback: connection refused, retried forever.
  const auto dead =
      h.registry.Create(api::SubscriptionSpec{"http://127.0.0.1:1/x", {}, "", "", false});
  const auto live = h.registry.Create(api::SubscriptionSpec{good.Url(), {}, "", "", false});
  REQUIRE(dead.subscription != nullptr);
  REQUIRE(live.subscription != nullptr);
  for (int i = 0; i < 5; ++i) h.log.Append(MakeEvent(EventType::kFailed, Member("m")));
  REQUIRE(good.WaitFor(5));
  CHECK(WaitForStatus(*dead.subscription, [](const api::DeliveryStatus& s) {
    return s.attempts >= 2 && !s.last_error.empty() && s.queue_length == 5;
  }));
  CHECK(h.registry.Metrics().deliveries[3] >= 2);  // connection_error
  CHECK(h.registry.Delete(dead.subscription->id()));
  CHECK(h.registry.Metrics().queue_lengths.size() == 1);
}

TEST_CASE("Stop abandons a hanging receiver quickly", "[delivery][webhook]") {
  // A listening socket that never answers: the attempt hangs until the timeout.
  TestReceiver receiver([](std::size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return ScriptedAnswer{200, ""};
  });
  WebhookOptions options = FastOptions();
  options.timeout = std::chrono::milliseconds(50);
  Harness h(options);
  const auto created = h.registry.Create(api::SubscriptionSpec{receiver.Url(), {}, "", "", false});
  REQUIRE(created.subscription != nullptr);
  h.log.Append(MakeEvent(EventType::kFailed, Member("a")));
  CHECK(WaitForStatus(*created.subscription, [](const api::DeliveryStatus& s) {
    return s.last_error.rfind("timeout", 0) == 0;
  }));
  CHECK(h.registry.Metrics().deliveries[2] >= 1);  // timeout
  const auto started = std::chrono::steady_clock::now();
  h.delivery.Stop();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}

}  // namespace

TEST_CASE("Drain waits until every queued event is delivered", "[delivery][webhook]") {
  TestReceiver receiver;
  Harness h;
  api::SubscriptionSpec spec;
  spec.url = receiver.Url();
  REQUIRE(h.registry.Create(spec).subscription != nullptr);
  for (int i = 0; i < 20; ++i) {
    h.log.Append(MakeEvent(EventType::kJoined, Member("m" + std::to_string(i))));
  }
  CHECK(h.delivery.Drain(std::chrono::seconds(20)) == 0);
  // (The receiver records a request just after answering it.)
  REQUIRE(receiver.WaitFor(20));
  CHECK(receiver.Requests().size() == 20);
  h.delivery.Stop();
}

TEST_CASE("Drain gives up after its budget and says what is left", "[delivery][webhook]") {
  std::string url;
  {
    TestReceiver closed;  // a port that was just free: every attempt is refused
    url = closed.Url();
  }
  Harness h;
  api::SubscriptionSpec spec;
  spec.url = url;
  REQUIRE(h.registry.Create(spec).subscription != nullptr);
  for (int i = 0; i < 3; ++i) {
    h.log.Append(MakeEvent(EventType::kFailed, Member("m" + std::to_string(i))));
  }
  CHECK(h.delivery.Drain(std::chrono::milliseconds(200)) == 3);
  CHECK(h.delivery.Drain(std::chrono::milliseconds(0)) == 3);
  h.delivery.Stop();
}

TEST_CASE("Drain without subscriptions returns at once", "[delivery][webhook]") {
  Harness h;
  h.log.Append(MakeEvent(EventType::kJoined, Member("a")));
  CHECK(h.delivery.Drain(std::chrono::seconds(20)) == 0);
}

}  // namespace picket::delivery
