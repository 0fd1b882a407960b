#pragma once

// Webhook subscriptions as the API sees them: the Subscription record (what
// is subscribed and how delivery to it goes), and SubscriptionStore, the
// interface the /v1/subscriptions routes (api/subscription_routes.cc) and
// /metrics call. The agent's store is delivery::SubscriptionRegistry
// (delivery/subscription_registry.h), which validates and keeps the
// subscriptions that the webhook workers deliver to; api/ knows only this
// interface, so that it does not depend on delivery/.
//
// Thread safety: every method of Subscription is safe to call from any
// thread (HTTP server thread, delivery workers, agent); so must be every
// method of a SubscriptionStore.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/detail/mutex.h"
#include "api/metrics.h"
#include "common/expected.h"
#include "membership/types.h"

namespace picket::api {

// What a client asks for.
struct SubscriptionSpec {
  std::string url;                  // http:// or https:// URL with a host
  std::vector<std::string> events;  // event type names; empty = all
  std::string secret;               // "whsec_..." or empty (a new one is generated)
  std::string description;          // free text, at most 1,024 bytes
  bool is_static = false;           // from configuration, not the API
};

// How delivery to one subscription goes. Times are wall-clock.
struct DeliveryStatus {
  std::size_t queue_length = 0;  // events (and resync markers) waiting
  std::uint64_t attempts = 0;    // attempts of the event now at the front (0: none failed)
  std::uint64_t total_attempts = 0;
  std::uint64_t delivered = 0;  // events the receiver accepted (2xx)
  std::uint64_t dropped = 0;    // events dropped by the overflow rule or refused with a 4xx
  std::optional<std::chrono::system_clock::time_point> last_success;
  std::optional<std::chrono::system_clock::time_point> last_error_time;
  std::string last_error;  // "HTTP 503", "timeout", "connection refused ..."; empty if none
  std::optional<std::chrono::system_clock::time_point> next_attempt;  // set while backing off
};

class Subscription {
 public:
  Subscription(std::string id, SubscriptionSpec spec, std::string key,
               std::array<bool, membership::kEventTypeCount> accepts,
               std::chrono::system_clock::time_point created);

  const std::string& id() const { return id_; }
  const std::string& url() const { return spec_.url; }
  const std::string& secret() const { return spec_.secret; }
  const std::string& key() const { return key_; }  // the secret's bytes
  const std::string& description() const { return spec_.description; }
  bool is_static() const { return spec_.is_static; }
  std::chrono::system_clock::time_point created() const { return created_; }
  // The event filter as given (empty = all).
  const std::vector<std::string>& events() const { return spec_.events; }
  // Whether events of this type are delivered (picket.resync always is).
  bool Accepts(membership::EventType type) const;

  DeliveryStatus status() const PICKET_API_EXCLUDES(mu_);
  // Applies `update` to the status under the lock (delivery worker).
  template <typename F>
  void UpdateStatus(F&& update) PICKET_API_EXCLUDES(mu_) {
    detail::MutexLock lock(&mu_);
    update(status_);
  }

 private:
  const std::string id_;
  const SubscriptionSpec spec_;
  const std::string key_;
  const std::array<bool, membership::kEventTypeCount> accepts_;
  const std::chrono::system_clock::time_point created_;
  mutable detail::Mutex mu_;
  DeliveryStatus status_ PICKET_API_GUARDED_BY(mu_);
};

using SubscriptionPtr = std::shared_ptr<Subscription>;

class SubscriptionStore {
 public:
  virtual ~SubscriptionStore() = default;

  struct CreateResult {
    SubscriptionPtr subscription;  // null on error
    Status status;                 // the reason, naming the bad field
  };
  // Validates `spec`, assigns an id and a secret if none was given, and adds it.
  virtual CreateResult Create(SubscriptionSpec spec) = 0;
  // Every subscription, in creation order.
  virtual std::vector<SubscriptionPtr> List() const = 0;
  // The subscription with `id`, or null.
  virtual SubscriptionPtr Get(std::string_view id) const = 0;
  // Removes it; false if there is none with that id.
  virtual bool Delete(std::string_view id) = 0;
  // The picket_webhook_* metrics.
  virtual WebhookMetrics Metrics() const = 0;
};

}  // namespace picket::api
