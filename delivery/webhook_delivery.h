#pragma once

// Delivers the event log to webhook subscriptions: one POST per event, the
// body a CloudEvents 1.0 structured event (delivery/cloud_event.h), signed per the
// Standard Webhooks specification (delivery/webhook_signature.h).
//
// Guarantees, per subscription:
// - ordered: events are sent one at a time in seq order; the next one is
//   sent only after the receiver accepted (2xx) or refused (4xx) this one;
// - at least once: timeouts, connection errors, 408, 429 and 5xx are retried
//   with exponential backoff and jitter (delivery/webhook_retry.h), honouring
//   Retry-After, for as long as the event is queued. A retried event keeps
//   its webhook-id, so receivers can drop duplicates;
// - bounded: at most `queue_capacity` events wait; beyond that the oldest are
//   dropped and a `picket.resync` event takes their place (delivery/webhook_queue.h);
// - filtered by event type (picket.resync is always sent).
//
// Threads: one worker thread per subscription. A receiver that is slow or
// down only ever blocks its own worker, never another subscription, the HTTP
// API or the protocol's event loop (which only signals the workers when it
// appends an event). A thread per subscription (rather than one event loop
// for all) keeps ordering, retries and backoff as plain sequential code; a
// sidecar has a handful of subscriptions (the registry caps them at 64) and an
// idle worker costs a blocked thread and one kept-alive connection.
//
// Transport: plain http:// URLs (the usual case: the application beside the
// sidecar) go over the worker's own socket (delivery/plain_http_post.h); https://
// URLs over libcurl, which is loaded only when the first https attempt is
// made (delivery/curl_library.h): an agent without https webhooks never maps TLS.
//
// Thread safety: construct and Stop from one thread (the agent's); the rest
// runs on the workers. The EventLog, ViewPublisher and SubscriptionRegistry
// must outlive this object.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "api/detail/mutex.h"
#include "api/event_log.h"
#include "api/view_publisher.h"
#include "delivery/subscription_registry.h"
#include "delivery/webhook_retry.h"

namespace picket::delivery {

struct WebhookOptions {
  // The agent's name: the CloudEvents source is "picket://<agent_name>".
  std::string agent_name = "picket";
  // Whole-request limit of one attempt (connect + send + answer); an attempt
  // that takes longer counts as a timeout and is retried. Valid: >= 1 ms.
  std::chrono::milliseconds timeout{5000};
  // Events waiting per subscription before the overflow rule applies. Valid: >= 2.
  std::size_t queue_capacity = 1024;
  RetryPolicy retry;
};

class WebhookDelivery final : private SubscriptionRegistry::Observer {
 public:
  // Starts a worker for every subscription in `registry` now and later.
  // Workers start at the log's newest seq when they are created: a
  // subscription gets the events that happen after it was added.
  WebhookDelivery(WebhookOptions options, api::EventLog& log, const api::ViewPublisher& views,
                  SubscriptionRegistry& registry);
  // Stop().
  ~WebhookDelivery() override;
  WebhookDelivery(const WebhookDelivery&) = delete;
  WebhookDelivery& operator=(const WebhookDelivery&) = delete;

  // Waits until every subscription has sent what the log holds now (each
  // event delivered, or refused by the receiver) or `budget` has passed;
  // returns how many events are still queued. For a graceful exit: the
  // events of the agent's last moments (its leave, what it saw while
  // leaving) reach the receivers before Stop(). A receiver that is down
  // holds the exit for the whole budget, no longer.
  std::size_t Drain(std::chrono::milliseconds budget);

  // Stops every worker (abandoning attempts in progress within about a
  // second) and joins them. Events still queued are not delivered (Drain
  // first for a graceful exit). Idempotent.
  void Stop();

  const WebhookOptions& options() const { return options_; }

 private:
  class Worker;

  void OnAdded(const api::SubscriptionPtr& subscription) override;
  void OnRemoved(const api::SubscriptionPtr& subscription) override;
  void WakeAll();
  void ReapRetired() PICKET_API_REQUIRES(mu_);

  const WebhookOptions options_;
  api::EventLog& log_;
  const api::ViewPublisher& views_;
  SubscriptionRegistry& registry_;
  const std::string source_;   // CloudEvents source
  const std::string boot_id_;  // makes webhook ids unique across agent restarts
  api::EventLog::ListenerId listener_ = 0;

  api::detail::Mutex mu_;
  bool stopped_ PICKET_API_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Worker>> workers_ PICKET_API_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Worker>> retired_ PICKET_API_GUARDED_BY(mu_);  // stopping
};

}  // namespace picket::delivery
