#pragma once

// GET /metrics: the Prometheus text exposition format (version 0.0.4) of the
// counters in the published view, the event log and the API server itself.
// Names follow Prometheus conventions (picket_ prefix, base units, `_total`
// on counters, HELP and TYPE for every family) and pass `promtool check
// metrics`. The full list is in api/README.md.
//
// Thread safety: pure functions, safe from any thread.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/cluster_view.h"
#include "api/event_log.h"

namespace picket::api {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// What the HTTP server knows about itself.
struct ApiStats {
  std::uint64_t long_poll_waiters = 0;             // current
  std::uint64_t event_streams = 0;                 // current SSE clients
  std::map<int, std::uint64_t> responses_by_code;  // HTTP status -> responses sent
};

// Outcomes of webhook delivery attempts: the label values of
// picket_webhook_deliveries_total{outcome=...}, in this order.
inline constexpr std::array<std::string_view, 5> kWebhookOutcomeNames = {
    "success", "http_error", "timeout", "connection_error", "dropped"};

// Upper bounds (seconds) of picket_webhook_delivery_seconds, the time from a
// state change (the event's time) to the receiver's 2xx answer.
inline constexpr std::array<double, 12> kWebhookLatencyBounds = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};

// What webhook delivery knows about itself (delivery/webhook_delivery.h).
struct WebhookMetrics {
  std::array<std::uint64_t, kWebhookOutcomeNames.size()> deliveries{};  // by outcome
  // Non-cumulative: latency_buckets[i] counts deliveries with
  // bounds[i-1] < seconds <= bounds[i]; slower ones only count in latency_count.
  std::array<std::uint64_t, kWebhookLatencyBounds.size()> latency_buckets{};
  std::uint64_t latency_count = 0;
  double latency_sum_seconds = 0;
  std::vector<std::pair<std::string, std::uint64_t>> queue_lengths;  // subscription id, events
};

// Appends the picket_webhook_* families: deliveries by outcome, the delivery
// latency histogram and (if any subscription exists) the queue length per
// subscription.
void AppendWebhookMetrics(std::string& out, const WebhookMetrics& webhooks);

// Upper bounds (seconds) of picket_hook_duration_seconds, the run time of a
// command hook from spawn to exit (delivery/command_hooks.h).
inline constexpr std::array<double, 11> kHookDurationBounds = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0};

// What one command hook has done so far (delivery/command_hooks.h).
struct HookMetrics {
  std::string hook;  // the hook's name (label value; [A-Za-z0-9_.-] only)
  std::uint64_t success = 0;  // runs that exited with status 0
  std::uint64_t failure = 0;  // runs that exited non-zero, died of a signal or did not start
  std::uint64_t timeout = 0;  // runs killed at the timeout
  // Non-cumulative: duration_buckets[i] counts runs with
  // bounds[i-1] < seconds <= bounds[i]; slower ones only count in duration_count.
  std::array<std::uint64_t, kHookDurationBounds.size()> duration_buckets{};
  std::uint64_t duration_count = 0;
  double duration_sum_seconds = 0;
};

// Appends the picket_hook_runs_total{hook,outcome} and
// picket_hook_duration_seconds{hook} families; nothing if `hooks` is empty.
void AppendHookMetrics(std::string& out, const std::vector<HookMetrics>& hooks);

// "malformed", "truncated", ... : the label values of picket_dropped_packets_total.
std::string_view DropReasonName(membership::DropReason reason);

// Renders the exposition. `view` may be null (nothing published yet): the
// view families are then omitted. `now` is used for picket_view_age_seconds.
std::string RenderMetrics(const ClusterView* view, const EventLog::Stats& log, const ApiStats& api,
                          membership::TimePoint now);

}  // namespace picket::api
