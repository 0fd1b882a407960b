#pragma once

// Webhook subscriptions: what is subscribed (URL, event filter, secret) and
// how delivery to it goes (queue length, attempts, last success and error,
// delivered and dropped counts). Subscriptions come from POST
// /v1/subscriptions or from the agent's configuration (--webhook-url,
// "static"). The registry validates and stores them; a WebhookDelivery
// (api/webhook_delivery.h) registered as the Observer delivers to them.
//
// Thread safety: every method of SubscriptionRegistry and Subscription is
// safe to call from any thread (HTTP server thread, delivery workers, agent).

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
#include "api/names.h"
#include "membership/types.h"
#include "api/status.h"
#include "api/webhook_retry.h"

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

class SubscriptionRegistry {
 public:
  // Told about every subscription added or removed, under the registry's
  // lock: it must be quick and must not call back into the registry.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnAdded(const SubscriptionPtr& subscription) = 0;
    virtual void OnRemoved(const SubscriptionPtr& subscription) = 0;
  };

  static constexpr std::size_t kDefaultMaxSubscriptions = 64;

  explicit SubscriptionRegistry(std::size_t max_subscriptions = kDefaultMaxSubscriptions);
  SubscriptionRegistry(const SubscriptionRegistry&) = delete;
  SubscriptionRegistry& operator=(const SubscriptionRegistry&) = delete;

  // Sets (or, with nullptr, clears) the observer. It is told about the
  // subscriptions that already exist at once.
  void SetObserver(Observer* observer) PICKET_API_EXCLUDES(mu_);

  struct CreateResult {
    SubscriptionPtr subscription;  // null on error
    Status status;                 // the reason, naming the bad field
  };
  // Validates `spec` (URL, event names, secret, description, the limit on
  // subscriptions), assigns an id ("sub_" + 16 hex digits, or "static-N" for
  // static ones) and a secret if none was given, and adds it.
  CreateResult Create(SubscriptionSpec spec) PICKET_API_EXCLUDES(mu_);

  // Every subscription, in creation order.
  std::vector<SubscriptionPtr> List() const PICKET_API_EXCLUDES(mu_);
  // The subscription with `id`, or null.
  SubscriptionPtr Get(std::string_view id) const PICKET_API_EXCLUDES(mu_);
  // Removes it; false if there is none with that id. Delivery to it stops
  // (an attempt in progress is abandoned).
  bool Delete(std::string_view id) PICKET_API_EXCLUDES(mu_);

  // Delivery workers report here, for /metrics.
  void RecordOutcome(DeliveryOutcome outcome, std::uint64_t count = 1) PICKET_API_EXCLUDES(mu_);
  void RecordLatency(double seconds) PICKET_API_EXCLUDES(mu_);
  // The picket_webhook_* metrics.
  WebhookMetrics Metrics() const PICKET_API_EXCLUDES(mu_);

 private:
  const std::size_t max_subscriptions_;
  mutable detail::Mutex mu_;
  std::vector<SubscriptionPtr> subscriptions_ PICKET_API_GUARDED_BY(mu_);
  Observer* observer_ PICKET_API_GUARDED_BY(mu_) = nullptr;
  std::uint64_t static_count_ PICKET_API_GUARDED_BY(mu_) = 0;
  WebhookMetrics metrics_ PICKET_API_GUARDED_BY(mu_);  // without queue_lengths
};

// Parses and checks an event type name ("member.failed", ...); nullopt if
// unknown. "picket.resync" is not accepted in filters (it is always sent).
std::optional<membership::EventType> ParseEventTypeName(std::string_view name);

// Checks that `url` is an absolute http:// or https:// URL with a host, as
// libcurl parses it. The error names what is wrong.
Status ValidateWebhookUrl(std::string_view url);

}  // namespace picket::api
