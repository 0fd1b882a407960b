#pragma once

// GET /metrics: the Prometheus text exposition format (version 0.0.4) of the
// counters in the published view, the event log and the API server itself.
// Names follow Prometheus conventions (picket_ prefix, base units, `_total`
// on counters, HELP and TYPE for every family) and pass `promtool check
// metrics`. The full list is in api/README.md.
//
// Thread safety: pure functions, safe from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

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

// "malformed", "truncated", ... : the label values of picket_dropped_packets_total.
std::string_view DropReasonName(membership::DropReason reason);

// Renders the exposition. `view` may be null (nothing published yet): the
// view families are then omitted. `now` is used for picket_view_age_seconds.
std::string RenderMetrics(const ClusterView* view, const EventLog::Stats& log, const ApiStats& api,
                          membership::TimePoint now);

}  // namespace picket::api
