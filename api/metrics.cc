#include "api/metrics.h"

#include <algorithm>
#include <array>

#include "api/json_writer.h"
#include "api/names.h"
#include "api/render.h"

namespace picket::api {
namespace {

// Appends the HELP and TYPE lines of one family.
void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).push_back(' ');
  out.append(help).push_back('\n');
  out.append("# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

void Sample(std::string& out, std::string_view name, std::uint64_t value) {
  out.append(name).push_back(' ');
  AppendUint(out, value);
  out.push_back('\n');
}

void SampleDouble(std::string& out, std::string_view name, double value) {
  out.append(name).push_back(' ');
  AppendJsonNumber(out, value);
  out.push_back('\n');
}

// Label values here are fixed identifiers or numbers: no escaping needed.
void LabeledSample(std::string& out, std::string_view name, std::string_view label,
                   std::string_view label_value, std::uint64_t value) {
  out.append(name).push_back('{');
  out.append(label).append("=\"").append(label_value).append("\"} ");
  AppendUint(out, value);
  out.push_back('\n');
}

void Counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  Family(out, name, "counter", help);
  Sample(out, name, value);
}

void Gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  Family(out, name, "gauge", help);
  Sample(out, name, value);
}

void RenderViewMetrics(std::string& out, const ClusterView& view, membership::TimePoint now) {
  std::array<std::uint64_t, kMemberStateCount> by_state{};
  for (const auto& member : view.members) {
    const auto index = static_cast<std::size_t>(member.state);
    if (index < by_state.size()) ++by_state[index];
  }
  Family(out, "picket_members", "gauge", "Members in this agent's view, by state.");
  for (std::size_t i = 0; i < by_state.size(); ++i) {
    LabeledSample(out, "picket_members", "state",
                  StateName(static_cast<membership::MemberState>(i)), by_state[i]);
  }
  Gauge(out, "picket_quorum_alive_members",
        "Members (self included) this agent sees alive or suspect.",
        static_cast<std::uint64_t>(std::max(view.quorum.alive, 0)));
  Gauge(out, "picket_quorum_members", "Size of the last agreed membership.",
        static_cast<std::uint64_t>(std::max(view.quorum.members, 0)));
  Gauge(out, "picket_quorum_has_majority",
        "1 if this agent sees a strict majority of the agreed membership alive.",
        view.quorum.has_majority ? 1 : 0);
  Gauge(out, "picket_health_score",
        "Local health score (Lifeguard awareness); 0 is healthy, higher is worse.",
        static_cast<std::uint64_t>(std::max(view.health_score, 0)));
  Gauge(out, "picket_joined", "1 once this agent has joined a cluster.", view.joined ? 1 : 0);
  Gauge(out, "picket_leaving", "1 while a graceful leave is in progress.", view.leaving ? 1 : 0);
  Family(out, "picket_view_age_seconds", "gauge",
         "Seconds since the event loop published the view served by the API.");
  SampleDouble(out, "picket_view_age_seconds", AgeSeconds(view.published_steady, now));

  const membership::Counters& c = view.counters;
  Counter(out, "picket_datagrams_received_total", "UDP datagrams received.", c.datagrams_in);
  Counter(out, "picket_datagrams_sent_total", "UDP datagrams sent.", c.datagrams_out);
  Counter(out, "picket_received_bytes_total", "Bytes received (datagrams and streams).",
          c.bytes_in);
  Counter(out, "picket_sent_bytes_total", "Bytes sent (datagrams and streams).", c.bytes_out);
  Counter(out, "picket_streams_accepted_total", "Stream (TCP) exchanges accepted.", c.streams_in);
  Counter(out, "picket_streams_opened_total", "Stream (TCP) exchanges started.", c.streams_out);
  Family(out, "picket_dropped_packets_total", "counter", "Incoming packets dropped, by reason.");
  for (std::size_t i = 0; i < c.dropped.size(); ++i) {
    LabeledSample(out, "picket_dropped_packets_total", "reason",
                  DropReasonName(static_cast<membership::DropReason>(i)), c.dropped[i]);
  }
  Counter(out, "picket_probes_total", "Direct probes (pings) sent.", c.probes);
  Counter(out, "picket_indirect_probes_total", "Indirect probes (ping-req) sent.",
          c.indirect_probes);
  Counter(out, "picket_stream_probes_total", "Fallback probes over the stream transport.",
          c.stream_probes);
  Counter(out, "picket_heartbeats_sent_total", "Heartbeats sent to observers.", c.heartbeats_out);
  Counter(out, "picket_heartbeats_received_total", "Heartbeats received from subjects.",
          c.heartbeats_in);
  Counter(out, "picket_suspicions_total", "Members this agent started suspecting.", c.suspicions);
  Counter(out, "picket_refutations_total", "Times this agent refuted suspicion of itself.",
          c.refutations);
  Counter(out, "picket_failures_total", "Members this agent declared failed.", c.failures);
  Gauge(out, "picket_gossip_queue_depth", "Membership updates waiting to be disseminated.",
        c.gossip_queue_depth);
}

}  // namespace

std::string_view DropReasonName(membership::DropReason reason) {
  switch (reason) {
    case membership::DropReason::kMalformed:
      return "malformed";
    case membership::DropReason::kTruncated:
      return "truncated";
    case membership::DropReason::kOversized:
      return "oversized";
    case membership::DropReason::kWrongCluster:
      return "wrong_cluster";
    case membership::DropReason::kBadVersion:
      return "bad_version";
    case membership::DropReason::kContradictory:
      return "contradictory";
    case membership::DropReason::kUnauthenticated:
      return "unauthenticated";
    case membership::DropReason::kCount:
      break;
  }
  return "unknown";
}

std::string RenderMetrics(const ClusterView* view, const EventLog::Stats& log, const ApiStats& api,
                          membership::TimePoint now) {
  std::string out;
  out.reserve(8192);
  if (view != nullptr) RenderViewMetrics(out, *view, now);

  Family(out, "picket_events_total", "counter", "Membership events logged, by type.");
  for (std::size_t i = 0; i < log.appended_by_type.size(); ++i) {
    LabeledSample(out, "picket_events_total", "type",
                  EventTypeName(static_cast<membership::EventType>(i)), log.appended_by_type[i]);
  }
  Gauge(out, "picket_event_log_last_seq", "Sequence number of the newest logged event.",
        log.last_seq);
  Gauge(out, "picket_event_log_events", "Events held in the event log ring.", log.size);
  Gauge(out, "picket_event_log_capacity", "Capacity of the event log ring.", log.capacity);
  Counter(out, "picket_event_log_evicted_total", "Events dropped from the full event log ring.",
          log.evicted);
  Gauge(out, "picket_api_long_poll_waiters", "Long-poll requests waiting for events.",
        api.long_poll_waiters);
  Gauge(out, "picket_api_event_streams", "Connected Server-Sent Events clients.",
        api.event_streams);
  Family(out, "picket_api_responses_total", "counter", "HTTP API responses sent, by status code.");
  for (const auto& [code, count] : api.responses_by_code) {
    std::string code_text;
    AppendInt(code_text, code);
    LabeledSample(out, "picket_api_responses_total", "code", code_text, count);
  }
  return out;
}

}  // namespace picket::api
