#pragma once

// The endpoints of the local HTTP API, independent of the HTTP library:
// a request goes in, a response (or a request to wait for events) comes out.
// http_server.cc feeds it from RESTinio; tests may call it directly.
//
// Thread safety: not thread-safe. One thread (the HTTP server's) calls Route.
// The ViewPublisher, EventLog and CommandSink it uses are thread-safe and must
// outlive the Router.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_message.h"
#include "api/metrics.h"
#include "api/render.h"
#include "api/view_publisher.h"

namespace picket::api {

class SubscriptionStore;

// Which routes a Router serves.
enum class RouteTable {
  kFull,        // the whole API (--http)
  kOperations,  // GET /healthz, /readyz, /metrics only (--ops-listen): nothing
                // that names members beyond metrics, nothing that changes state
};

struct RouterOptions {
  RouteTable routes = RouteTable::kFull;
  // When non-empty, every mutating request (every non-GET route) is refused
  // with 403 and this message: the API is reachable beyond loopback without
  // a token (agent/api_exposure.h decides it and writes the message).
  std::string mutations_refused;
  // When non-empty, POST /v1/leave and PUT /v1/self/tags require the header
  // "Authorization: Bearer <token>" (compared in constant time); else 401.
  std::string bearer_token;
  // Largest accepted request body; larger gets 413. Default 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  // GET /v1/events: `timeout` when absent, and the largest accepted (else 400).
  std::chrono::milliseconds default_poll_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds max_poll_timeout{std::chrono::seconds(300)};
  // GET /v1/events: `limit` when absent, and the largest accepted (else 400).
  std::size_t default_event_limit = 1000;
  std::size_t max_event_limit = 10'000;
  // GET /v1/owners: largest accepted `n` (else 400).
  std::size_t max_owners = 10'000;
  // Webhook subscriptions (api/subscriptions.h; the agent's is a
  // delivery::SubscriptionRegistry): when set, the router serves
  // /v1/subscriptions and webhook metrics from it. Not owned; must outlive
  // the Router. When null, /v1/subscriptions is 404.
  SubscriptionStore* subscriptions = nullptr;
  // Command hook counters (delivery/command_hooks.h, CommandHooks::Metrics) for
  // /metrics; called on the server thread, must be thread-safe. May be empty.
  std::function<std::vector<HookMetrics>()> hook_metrics;
};

// GET /v1/events found nothing to return yet: wait up to `timeout` for an
// event after `since`, then answer with Router::EventsResponse.
struct LongPoll {
  std::uint64_t since = 0;
  std::chrono::steady_clock::duration timeout{};
  std::size_t limit = 0;
};

// GET /v1/events/stream: start a Server-Sent Events stream that sends every
// event after `since` (frames from Router::SseFrames), then follows the log.
struct EventStream {
  std::uint64_t since = 0;
};

using RouteResult = std::variant<HttpResponse, LongPoll, EventStream>;

class Router {
 public:
  // `stats` (may be null) is shown by /metrics; it is read on the calling thread.
  Router(RouterOptions options, const ViewPublisher& views, const EventLog& log,
         CommandSink& commands, const ApiStats* stats);

  // Handles one request at `now` (steady clock, for state ages).
  RouteResult Route(const HttpRequest& request, membership::TimePoint now);

  // The GET /v1/events answer for events after `since` (read from the log now).
  HttpResponse EventsResponse(std::uint64_t since, std::size_t limit,
                              membership::TimePoint now) const;

  // SSE frames for the events after `since` (at most `limit`), and the seq the
  // stream has reached after them.
  struct SseChunk {
    std::string frames;  // empty if nothing new
    std::uint64_t next_since = 0;
  };
  SseChunk SseFrames(std::uint64_t since, std::size_t limit, membership::TimePoint now) const;

  const RouterOptions& options() const { return options_; }

 private:
  // The RouteTable::kOperations subset.
  HttpResponse RouteOperations(const HttpRequest& request, membership::TimePoint now);
  HttpResponse Members(membership::TimePoint now);
  HttpResponse Member(std::string_view encoded_name, membership::TimePoint now);
  HttpResponse Self(membership::TimePoint now);
  HttpResponse Ready();
  HttpResponse Metrics(membership::TimePoint now);
  HttpResponse Owners(std::string_view query, membership::TimePoint now);
  RouteResult Events(const HttpRequest& request, membership::TimePoint now);
  RouteResult Stream(const HttpRequest& request);
  HttpResponse Leave(const HttpRequest& request);
  HttpResponse GetTags();
  HttpResponse PutTags(const HttpRequest& request);
  // service_routes.cc
  HttpResponse PutService(const HttpRequest& request);
  HttpResponse PutMaintenance(const HttpRequest& request);
  HttpResponse Checks();
  // /v1/subscriptions and /v1/subscriptions/{id} (api/subscription_routes.cc);
  // `rest` is what follows "/v1/subscriptions": "" or "/{id}".
  HttpResponse Subscriptions(const HttpRequest& request, std::string_view rest);

  // Checks exposure (403), token, body size and content type of a mutating
  // request; returns an error response, or nothing if the request may proceed.
  std::optional<HttpResponse> CheckMutation(const HttpRequest& request, bool body_required) const;

  const RouterOptions options_;
  const ViewPublisher& views_;
  const EventLog& log_;
  CommandSink& commands_;
  const ApiStats* const stats_;
  MembersBodyCache members_cache_;
};

}  // namespace picket::api
