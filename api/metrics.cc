#include "api/metrics.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "api/json_writer.h"
#include "api/names.h"
#include "api/render.h"
#include "membership/types.h"

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

// A label value in the text format: backslash, double quote and line feed
// escaped (member names are arbitrary UTF-8).
void AppendLabelValue(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
}

void Counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  Family(out, name, "counter", help);
  Sample(out, name, value);
}

void Gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  Family(out, name, "gauge", help);
  Sample(out, name, value);
}

// A histogram family from per-bucket counts (buckets[i] counts values <= bounds[i]
// and above bounds[i-1]); the samples are cumulative, as the format wants.
template <std::size_t N>
void Histogram(std::string& out, std::string_view name, std::string_view help,
               const std::array<double, N>& bounds, const std::uint64_t* buckets,
               std::uint64_t count, double sum) {
  Family(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += buckets[i];
    out.append(name).append("_bucket{le=\"");
    AppendJsonNumber(out, bounds[i]);
    out.append("\"} ");
    AppendUint(out, cumulative);
    out.push_back('\n');
  }
  out.append(name).append("_bucket{le=\"+Inf\"} ");
  AppendUint(out, count);
  out.push_back('\n');
  SampleDouble(out, std::string(name) + "_sum", sum);
  Sample(out, std::string(name) + "_count", count);
}

// What this agent's detectors believe of each member it observes (its K ring
// predecessors, so the label set stays small): the mean heartbeat interval and
// the adaptive timeout. Omitted while it observes nobody.
void RenderDetectorMetrics(std::string& out, const ClusterView& view) {
  const bool any =
      std::any_of(view.members.begin(), view.members.end(),
                  [](const membership::MemberInfo& m) { return m.detector.has_value(); });
  if (!any) return;
  const auto family = [&](std::string_view name, std::string_view help, auto duration_of) {
    Family(out, name, "gauge", help);
    for (const auto& member : view.members) {
      if (!member.detector) continue;
      out.append(name).append("{member=\"");
      AppendLabelValue(out, member.name);
      out.append("\"} ");
      AppendJsonNumber(out, std::chrono::duration<double>(duration_of(*member.detector)).count());
      out.push_back('\n');
    }
  };
  family("picket_detector_expected_interval_seconds",
         "Mean heartbeat interval this agent's Phi Accrual detector expects from each member it "
         "observes.",
         [](const membership::DetectorEstimate& e) { return e.expected_interval; });
  family("picket_detector_suspect_after_seconds",
         "Silence after the last heartbeat at which this agent's phi of each observed member "
         "reaches the threshold (the adaptive timeout).",
         [](const membership::DetectorEstimate& e) { return e.suspect_after; });
}

constexpr std::array<membership::ServiceHealth, 4> kServiceHealths = {
    membership::ServiceHealth::kPassing, membership::ServiceHealth::kWarning,
    membership::ServiceHealth::kCritical, membership::ServiceHealth::kMaintenance};

// Service health: members by service status, this agent's own status and its
// local checks (check names are fixed identifiers: "http-1", ...).
void RenderServiceMetrics(std::string& out, const ClusterView& view) {
  std::array<std::uint64_t, kServiceHealths.size() + 1> by_status{};  // last: no checks
  for (const auto& member : view.members) {
    ++by_status[member.service ? static_cast<std::size_t>(member.service->status)
                               : kServiceHealths.size()];
  }
  Family(out, "picket_members_by_service", "gauge",
         "Members in this agent's view by the status of the service beside them "
         "(\"none\": runs no checks).");
  for (std::size_t i = 0; i < kServiceHealths.size(); ++i) {
    LabeledSample(out, "picket_members_by_service", "status",
                  membership::ToString(kServiceHealths[i]), by_status[i]);
  }
  LabeledSample(out, "picket_members_by_service", "status", "none", by_status.back());
  Family(out, "picket_service_status", "gauge",
         "1 for the status of the service beside this agent (all 0: it runs no checks).");
  for (const auto health : kServiceHealths) {
    LabeledSample(out, "picket_service_status", "status", membership::ToString(health),
                  view.self.service && view.self.service->status == health ? 1 : 0);
  }
  if (view.checks.empty()) return;
  const auto check_sample = [&out](std::string_view name, const LocalCheckInfo& check,
                                   std::string_view extra_label, std::string_view extra_value) {
    out.append(name).append("{check=\"").append(check.name).append("\",kind=\"");
    out.append(check.kind).push_back('"');
    if (!extra_label.empty()) {
      out.append(",").append(extra_label).append("=\"").append(extra_value).push_back('"');
    }
    out.append("} ");
  };
  Family(out, "picket_check_status", "gauge",
         "1 for the current status of each local check (all 0: no result yet).");
  for (const LocalCheckInfo& check : view.checks) {
    for (std::size_t i = 0; i < 3; ++i) {
      check_sample("picket_check_status", check, "status",
                   membership::ToString(kServiceHealths[i]));
      out.append(check.status == kServiceHealths[i] ? "1\n" : "0\n");
    }
  }
  Family(out, "picket_check_runs_total", "counter", "Runs (and pushes) of each local check.");
  for (const LocalCheckInfo& check : view.checks) {
    check_sample("picket_check_runs_total", check, "", "");
    AppendUint(out, check.runs);
    out.push_back('\n');
  }
  Family(out, "picket_check_duration_seconds", "gauge", "Duration of each check's latest run.");
  for (const LocalCheckInfo& check : view.checks) {
    check_sample("picket_check_duration_seconds", check, "", "");
    AppendJsonNumber(out, check.duration_ms / 1000.0);
    out.push_back('\n');
  }
  Family(out, "picket_check_consecutive_failures", "gauge",
         "Critical results in a row of each local check.");
  for (const LocalCheckInfo& check : view.checks) {
    check_sample("picket_check_consecutive_failures", check, "", "");
    AppendUint(out, static_cast<std::uint64_t>(std::max(check.consecutive_failures, 0)));
    out.push_back('\n');
  }
  Family(out, "picket_check_late_results_total", "counter",
         "Critical results ignored because this agent's own timers ran late (it was paused or "
         "starved), not the application.");
  for (const LocalCheckInfo& check : view.checks) {
    check_sample("picket_check_late_results_total", check, "", "");
    AppendUint(out, check.discarded_late);
    out.push_back('\n');
  }
}

void RenderViewMetrics(std::string& out, const ClusterView& view, membership::TimePoint now) {
  std::array<std::uint64_t, membership::kMemberStateCount> by_state{};
  for (const auto& member : view.members) {
    const auto index = static_cast<std::size_t>(member.state);
    if (index < by_state.size()) ++by_state[index];
  }
  Family(out, "picket_members", "gauge", "Members in this agent's view, by state.");
  for (std::size_t i = 0; i < by_state.size(); ++i) {
    LabeledSample(out, "picket_members", "state",
                  membership::ToString(static_cast<membership::MemberState>(i)), by_state[i]);
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

  RenderServiceMetrics(out, view);

  const membership::Counters& c = view.counters;
  Counter(out, "picket_datagrams_received_total", "UDP datagrams received.", c.datagrams_in);
  Counter(out, "picket_datagrams_sent_total", "UDP datagrams sent.", c.datagrams_out);
  Counter(out, "picket_received_bytes_total", "Bytes received (datagrams and streams).",
          c.bytes_in);
  Counter(out, "picket_sent_bytes_total", "Bytes sent (datagrams and streams).", c.bytes_out);
  Counter(out, "picket_streams_accepted_total", "Stream (TCP) exchanges accepted.", c.streams_in);
  Counter(out, "picket_streams_opened_total", "Stream (TCP) exchanges started.", c.streams_out);
  Counter(out, "picket_datagram_send_errors_total",
          "Datagrams the operating system refused to send (no route, buffer full).",
          view.datagram_send_errors);
  Counter(out, "picket_stream_failures_total",
          "Stream (TCP) exchanges started here that failed: refused, unreachable, timed out, "
          "closed.",
          view.stream_failures);
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
  Counter(out, "picket_refused_stream_probes_total",
          "Verification stream probes refused: nothing listened at the member's address.",
          c.refused_stream_probes);
  Counter(out, "picket_heartbeats_sent_total", "Heartbeats sent to observers.", c.heartbeats_out);
  Counter(out, "picket_heartbeats_received_total", "Heartbeats received from subjects.",
          c.heartbeats_in);
  Counter(out, "picket_stale_views_refreshed_total",
          "Acks that carried this agent's own Alive to a prober that had missed an update of it.",
          c.stale_views_refreshed);
  Counter(out, "picket_gossip_updates_sent_total",
          "Membership updates piggybacked on datagrams (each transmission counts).",
          c.updates_sent);
  Counter(out, "picket_phi_reports_sent_total",
          "Observers' phi reports piggybacked on datagrams (each transmission counts).",
          c.phi_reports_sent);
  Counter(out, "picket_push_pulls_total",
          "Anti-entropy exchanges (table summaries and full-state syncs) completed, either side.",
          c.push_pulls);
  Counter(out, "picket_suspicions_total", "Members this agent started suspecting.", c.suspicions);
  Counter(out, "picket_refutations_total", "Times this agent refuted suspicion of itself.",
          c.refutations);
  Histogram(out, "picket_phi_at_heartbeat",
            "Phi of each observed member's silence when its next heartbeat arrived (how close "
            "this observer came to suspecting it; suspicion starts at the phi threshold).",
            membership::kPhiBucketBounds, c.phi_at_heartbeat.buckets.data(),
            c.phi_at_heartbeat.count, c.phi_at_heartbeat.sum);
  RenderDetectorMetrics(out, view);
  Counter(out, "picket_distrusted_failures_total",
          "Failed claims heard from an accuser that was itself cut off, verified before believed.",
          c.distrusted_failures);
  Counter(out, "picket_accusations_withheld_total",
          "Failed probes not turned into suspicions because this agent heard nobody (deaf, or "
          "its own probe rounds answered by no one): its link, not the others, was the problem.",
          c.accusations_withheld);
  Counter(out, "picket_stand_downs_total",
          "Times this agent declared itself failed instead of refuting a suspicion, because its "
          "own probe rounds heard nobody (a broken link of its own).",
          c.stand_downs);
  Counter(out, "picket_claim_checks_total",
          "Suspect and failed claims this agent verified before believing them.", c.claim_checks);
  Counter(out, "picket_claim_checks_waited_total",
          "Claim checks that waited because the most that run at once (8) were running.",
          c.claim_checks_waited);
  Counter(out, "picket_phi_checks_total",
          "Verifications started because phi of an observed member crossed the threshold.",
          c.phi_checks);
  Counter(out, "picket_phi_checks_answered_total",
          "Phi-triggered verifications the member answered: its heartbeats were late, not it.",
          c.phi_checks_answered);
  Counter(out, "picket_failures_total", "Members this agent declared failed.", c.failures);
  Counter(out, "picket_name_conflicts_total",
          "Alive claims for a live member's name from another address (two agents, one name).",
          c.name_conflicts);
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

void AppendWebhookMetrics(std::string& out, const WebhookMetrics& webhooks) {
  Family(out, "picket_webhook_deliveries_total", "counter",
         "Webhook delivery attempts by outcome (dropped: events dropped from a full queue or "
         "refused by the receiver with a 4xx).");
  for (std::size_t i = 0; i < kWebhookOutcomeNames.size(); ++i) {
    LabeledSample(out, "picket_webhook_deliveries_total", "outcome", kWebhookOutcomeNames[i],
                  webhooks.deliveries[i]);
  }
  Histogram(out, "picket_webhook_delivery_seconds",
            "Seconds from a state change (the event's time) to the receiver's 2xx answer.",
            kWebhookLatencyBounds, webhooks.latency_buckets.data(), webhooks.latency_count,
            webhooks.latency_sum_seconds);
  if (!webhooks.queue_lengths.empty()) {
    Family(out, "picket_webhook_queue_length", "gauge",
           "Events waiting for delivery, per webhook subscription.");
    for (const auto& [id, length] : webhooks.queue_lengths) {
      // Subscription ids are [A-Za-z0-9_-]: no escaping needed.
      LabeledSample(out, "picket_webhook_queue_length", "subscription", id, length);
    }
  }
}

void AppendHookMetrics(std::string& out, const std::vector<HookMetrics>& hooks) {
  if (hooks.empty()) return;
  Family(out, "picket_hook_runs_total", "counter",
         "Command hook runs by hook and outcome (failure: non-zero exit, signal or not started).");
  for (const HookMetrics& hook : hooks) {
    const std::pair<std::string_view, std::uint64_t> outcomes[] = {
        {"success", hook.success}, {"failure", hook.failure}, {"timeout", hook.timeout}};
    for (const auto& [outcome, count] : outcomes) {
      // Hook names are [A-Za-z0-9_.-] (delivery/hook_spec.h): no escaping needed.
      out.append("picket_hook_runs_total{hook=\"").append(hook.hook);
      out.append("\",outcome=\"").append(outcome).append("\"} ");
      AppendUint(out, count);
      out.push_back('\n');
    }
  }
  Family(out, "picket_hook_duration_seconds", "histogram",
         "Seconds a command hook ran, from start to exit or kill.");
  for (const HookMetrics& hook : hooks) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kHookDurationBounds.size(); ++i) {
      cumulative += hook.duration_buckets[i];
      out.append("picket_hook_duration_seconds_bucket{hook=\"").append(hook.hook);
      out.append("\",le=\"");
      AppendJsonNumber(out, kHookDurationBounds[i]);
      out.append("\"} ");
      AppendUint(out, cumulative);
      out.push_back('\n');
    }
    out.append("picket_hook_duration_seconds_bucket{hook=\"").append(hook.hook);
    out.append("\",le=\"+Inf\"} ");
    AppendUint(out, hook.duration_count);
    out.push_back('\n');
    out.append("picket_hook_duration_seconds_sum{hook=\"").append(hook.hook).append("\"} ");
    AppendJsonNumber(out, hook.duration_sum_seconds);
    out.push_back('\n');
    out.append("picket_hook_duration_seconds_count{hook=\"").append(hook.hook).append("\"} ");
    AppendUint(out, hook.duration_count);
    out.push_back('\n');
  }
}

std::string RenderMetrics(const ClusterView* view, const EventLog::Stats& log, const ApiStats& api,
                          membership::TimePoint now) {
  std::string out;
  out.reserve(8192);
  if (view != nullptr) RenderViewMetrics(out, *view, now);

  Family(out, "picket_events_total", "counter", "Membership events logged, by type.");
  for (std::size_t i = 0; i < log.appended_by_type.size(); ++i) {
    LabeledSample(out, "picket_events_total", "type",
                  membership::ToString(static_cast<membership::EventType>(i)),
                  log.appended_by_type[i]);
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
