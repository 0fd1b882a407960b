#pragma once

// The webhook subscriptions of an agent: what is subscribed (URL, event
// filter, secret) and how delivery to it goes (api/subscriptions.h: the
// Subscription record and its DeliveryStatus). Subscriptions come from POST
// /v1/subscriptions (the Router calls this registry as its
// api::SubscriptionStore) or from the agent's configuration (--webhook-url,
// "static"). The registry validates and stores them; a WebhookDelivery
// (delivery/webhook_delivery.h) registered as the Observer delivers to them.
//
// Thread safety: every method of SubscriptionRegistry is safe to call from
// any thread (HTTP server thread, delivery workers, agent).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "api/detail/mutex.h"
#include "api/metrics.h"
#include "common/expected.h"
#include "api/subscriptions.h"
#include "delivery/webhook_retry.h"
#include "membership/types.h"

namespace picket::delivery {

class SubscriptionRegistry final : public api::SubscriptionStore {
 public:
  // Told about every subscription added or removed, under the registry's
  // lock: it must be quick and must not call back into the registry.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnAdded(const api::SubscriptionPtr& subscription) = 0;
    virtual void OnRemoved(const api::SubscriptionPtr& subscription) = 0;
  };

  static constexpr std::size_t kDefaultMaxSubscriptions = 64;

  explicit SubscriptionRegistry(std::size_t max_subscriptions = kDefaultMaxSubscriptions);
  SubscriptionRegistry(const SubscriptionRegistry&) = delete;
  SubscriptionRegistry& operator=(const SubscriptionRegistry&) = delete;

  // Sets (or, with nullptr, clears) the observer. It is told about the
  // subscriptions that already exist at once.
  void SetObserver(Observer* observer) PICKET_API_EXCLUDES(mu_);

  // Validates `spec` (URL, event names, secret, description, the limit on
  // subscriptions), assigns an id ("sub_" + 16 hex digits, or "static-N" for
  // static ones) and a secret if none was given, and adds it.
  CreateResult Create(api::SubscriptionSpec spec) override PICKET_API_EXCLUDES(mu_);

  // Every subscription, in creation order.
  std::vector<api::SubscriptionPtr> List() const override PICKET_API_EXCLUDES(mu_);
  // The subscription with `id`, or null.
  api::SubscriptionPtr Get(std::string_view id) const override PICKET_API_EXCLUDES(mu_);
  // Removes it; false if there is none with that id. Delivery to it stops
  // (an attempt in progress is abandoned).
  bool Delete(std::string_view id) override PICKET_API_EXCLUDES(mu_);

  // Delivery workers report here, for /metrics.
  void RecordOutcome(DeliveryOutcome outcome, std::uint64_t count = 1) PICKET_API_EXCLUDES(mu_);
  void RecordLatency(double seconds) PICKET_API_EXCLUDES(mu_);
  // The picket_webhook_* metrics.
  api::WebhookMetrics Metrics() const override PICKET_API_EXCLUDES(mu_);

 private:
  const std::size_t max_subscriptions_;
  mutable api::detail::Mutex mu_;
  std::vector<api::SubscriptionPtr> subscriptions_ PICKET_API_GUARDED_BY(mu_);
  Observer* observer_ PICKET_API_GUARDED_BY(mu_) = nullptr;
  std::uint64_t static_count_ PICKET_API_GUARDED_BY(mu_) = 0;
  api::WebhookMetrics metrics_ PICKET_API_GUARDED_BY(mu_);  // without queue_lengths
};

// Parses and checks an event type name ("member.failed", ...); nullopt if
// unknown. "picket.resync" is not accepted in filters (it is always sent).
std::optional<membership::EventType> ParseEventTypeName(std::string_view name);

// Checks that `url` is an absolute http:// or https:// URL with a host, as
// libcurl parses it. The error names what is wrong.
Status ValidateWebhookUrl(std::string_view url);

}  // namespace picket::delivery
