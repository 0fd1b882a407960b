#include "api/metrics.h"

#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "api_test_util.h"

namespace picket::api {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST_CASE("metrics expose the view's counters in Prometheus text format", "[api][metrics]") {
  auto view = testing::MakeView({"a", "b", "c", "d"});
  view->members[1].state = membership::MemberState::kSuspect;
  view->members[3].state = membership::MemberState::kFailed;
  view->counters.datagrams_in = 11;
  view->counters.bytes_out = 2048;
  view->counters.dropped[static_cast<std::size_t>(membership::DropReason::kWrongCluster)] = 4;
  view->counters.gossip_queue_depth = 7;
  view->counters.name_conflicts = 3;
  view->counters.stale_views_refreshed = 6;
  view->counters.updates_sent = 12;
  view->counters.phi_reports_sent = 13;
  view->counters.push_pulls = 14;
  view->datagram_send_errors = 5;
  view->stream_failures = 8;
  view->health_score = 2;
  view->members[0].service =
      membership::ServiceStatus{membership::ServiceHealth::kCritical, "http-1: refused", 1};
  view->members[1].service =
      membership::ServiceStatus{membership::ServiceHealth::kPassing, "http-1: HTTP 200", 1};
  view->self.service = view->members[0].service;
  LocalCheckInfo check;
  check.name = "http-1";
  check.kind = "http";
  check.status = membership::ServiceHealth::kCritical;
  check.runs = 9;
  check.duration_ms = 1.5;
  check.consecutive_failures = 4;
  check.discarded_late = 2;
  view->checks.push_back(check);
  view->counters.phi_at_heartbeat.Observe(0.2);
  view->counters.phi_at_heartbeat.Observe(0.7);
  view->counters.phi_at_heartbeat.Observe(9.0);
  EventLog log;
  log.Append(testing::MakeEvent(membership::EventType::kFailed, view->members[3]));
  ApiStats api;
  api.responses_by_code[200] = 5;
  api.responses_by_code[404] = 1;

  const std::string text = RenderMetrics(view.get(), log.GetStats(), api, view->published_steady);
  CHECK(Contains(text, "# TYPE picket_members gauge\n"));
  CHECK(Contains(text, "picket_members{state=\"alive\"} 2\n"));
  CHECK(Contains(text, "picket_members{state=\"suspect\"} 1\n"));
  CHECK(Contains(text, "picket_members{state=\"failed\"} 1\n"));
  CHECK(Contains(text, "picket_members{state=\"left\"} 0\n"));
  CHECK(Contains(text, "picket_datagrams_received_total 11\n"));
  CHECK(Contains(text, "picket_sent_bytes_total 2048\n"));
  CHECK(Contains(text, "picket_dropped_packets_total{reason=\"wrong_cluster\"} 4\n"));
  CHECK(Contains(text, "picket_gossip_queue_depth 7\n"));
  CHECK(Contains(text, "# TYPE picket_name_conflicts_total counter\n"));
  CHECK(Contains(text, "picket_name_conflicts_total 3\n"));
  CHECK(Contains(text, "picket_stale_views_refreshed_total 6\n"));
  CHECK(Contains(text, "picket_gossip_updates_sent_total 12\n"));
  CHECK(Contains(text, "picket_phi_reports_sent_total 13\n"));
  CHECK(Contains(text, "picket_push_pulls_total 14\n"));
  CHECK(Contains(text, "picket_datagram_send_errors_total 5\n"));
  CHECK(Contains(text, "picket_stream_failures_total 8\n"));
  CHECK(Contains(text, "picket_health_score 2\n"));
  CHECK(Contains(text, "picket_events_total{type=\"member.failed\"} 1\n"));
  CHECK(Contains(text, "picket_api_responses_total{code=\"404\"} 1\n"));
  CHECK(Contains(text, "picket_view_age_seconds 0\n"));
  CHECK(Contains(text, "# TYPE picket_phi_at_heartbeat histogram\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_bucket{le=\"0.5\"} 1\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_bucket{le=\"1\"} 2\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_bucket{le=\"8\"} 2\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_bucket{le=\"12\"} 3\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_bucket{le=\"+Inf\"} 3\n"));
  CHECK(Contains(text, "picket_phi_at_heartbeat_count 3\n"));
  CHECK(Contains(text, "picket_members_by_service{status=\"critical\"} 1\n"));
  CHECK(Contains(text, "picket_members_by_service{status=\"passing\"} 1\n"));
  CHECK(Contains(text, "picket_members_by_service{status=\"none\"} 2\n"));
  CHECK(Contains(text, "picket_service_status{status=\"critical\"} 1\n"));
  CHECK(Contains(text, "picket_service_status{status=\"passing\"} 0\n"));
  CHECK(Contains(text, "picket_check_status{check=\"http-1\",kind=\"http\",status=\"critical\"} 1\n"));
  CHECK(Contains(text, "picket_check_status{check=\"http-1\",kind=\"http\",status=\"passing\"} 0\n"));
  CHECK(Contains(text, "picket_check_runs_total{check=\"http-1\",kind=\"http\"} 9\n"));
  CHECK(Contains(text, "picket_check_duration_seconds{check=\"http-1\",kind=\"http\"} 0.0015\n"));
  CHECK(Contains(text, "picket_check_consecutive_failures{check=\"http-1\",kind=\"http\"} 4\n"));
  CHECK(Contains(text, "picket_check_late_results_total{check=\"http-1\",kind=\"http\"} 2\n"));

  // Every sample belongs to a family with HELP and TYPE; counters end in _total.
  std::istringstream lines(text);
  std::string line;
  std::set<std::string> typed;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      std::string name, type;
      fields >> name >> type;
      typed.insert(name);
      if (type == "counter") CHECK(name.size() > 6);
      if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    // A histogram's samples carry suffixes to its family name.
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (typed.count(name) == 0 && name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        name.resize(name.size() - suffix.size());
      }
    }
    INFO(line);
    CHECK(typed.count(name) == 1);
  }
}

TEST_CASE("detector gauges: one sample per observed member, names escaped", "[api][metrics]") {
  using namespace std::chrono_literals;
  auto view = testing::MakeView({"a", "b\"q\\", "c"});
  EventLog log;
  // Nobody observed yet: the families are left out.
  std::string text = RenderMetrics(view.get(), log.GetStats(), ApiStats{}, view->published_steady);
  CHECK_FALSE(Contains(text, "picket_detector_"));

  view->members[1].detector =
      membership::DetectorEstimate{500ms, 1061ms, view->published_steady + 800ms};
  view->members[2].detector =
      membership::DetectorEstimate{750ms, 1500ms, view->published_steady + 1s};
  text = RenderMetrics(view.get(), log.GetStats(), ApiStats{}, view->published_steady);
  CHECK(Contains(text, "# TYPE picket_detector_expected_interval_seconds gauge\n"));
  CHECK(Contains(text, "# TYPE picket_detector_suspect_after_seconds gauge\n"));
  CHECK(Contains(text, "picket_detector_expected_interval_seconds{member=\"b\\\"q\\\\\"} 0.5\n"));
  CHECK(Contains(text, "picket_detector_expected_interval_seconds{member=\"c\"} 0.75\n"));
  CHECK(Contains(text, "picket_detector_suspect_after_seconds{member=\"b\\\"q\\\\\"} 1.061\n"));
  CHECK(Contains(text, "picket_detector_suspect_after_seconds{member=\"c\"} 1.5\n"));
  CHECK_FALSE(Contains(text, "{member=\"a\"}"));  // not observed: no series
}

TEST_CASE("metrics without a published view still describe the log and server", "[api][metrics]") {
  EventLog log;
  const std::string text = RenderMetrics(nullptr, log.GetStats(), ApiStats{}, {});
  CHECK_FALSE(Contains(text, "picket_members"));
  CHECK(Contains(text, "picket_event_log_last_seq 0\n"));
}

TEST_CASE("hook metrics render as Prometheus families", "[api][metrics]") {
  HookMetrics m;
  m.hook = "promote.sh";
  m.success = 2;
  m.failure = 1;
  m.timeout = 1;
  m.duration_buckets[0] = 1;  // <= 0.01 s
  m.duration_buckets[5] = 2;  // <= 1 s
  m.duration_count = 4;       // one slower than every bound
  m.duration_sum_seconds = 62.5;
  std::string out;
  AppendHookMetrics(out, {});
  CHECK(out.empty());
  AppendHookMetrics(out, {m});
  CHECK_THAT(out, Catch::Contains("# TYPE picket_hook_runs_total counter\n"));
  CHECK_THAT(
      out, Catch::Contains("picket_hook_runs_total{hook=\"promote.sh\",outcome=\"success\"} 2\n"));
  CHECK_THAT(
      out, Catch::Contains("picket_hook_runs_total{hook=\"promote.sh\",outcome=\"failure\"} 1\n"));
  CHECK_THAT(
      out, Catch::Contains("picket_hook_runs_total{hook=\"promote.sh\",outcome=\"timeout\"} 1\n"));
  CHECK_THAT(out, Catch::Contains("# TYPE picket_hook_duration_seconds histogram\n"));
  CHECK_THAT(out, Catch::Contains(
                      "picket_hook_duration_seconds_bucket{hook=\"promote.sh\",le=\"0.01\"} 1\n"));
  CHECK_THAT(out, Catch::Contains(
                      "picket_hook_duration_seconds_bucket{hook=\"promote.sh\",le=\"1\"} 3\n"));
  CHECK_THAT(out, Catch::Contains(
                      "picket_hook_duration_seconds_bucket{hook=\"promote.sh\",le=\"60\"} 3\n"));
  CHECK_THAT(out, Catch::Contains(
                      "picket_hook_duration_seconds_bucket{hook=\"promote.sh\",le=\"+Inf\"} 4\n"));
  CHECK_THAT(out, Catch::Contains("picket_hook_duration_seconds_count{hook=\"promote.sh\"} 4\n"));
  CHECK_THAT(out, Catch::Contains("picket_hook_duration_seconds_sum{hook=\"promote.sh\"} 62.5\n"));
}

}  // namespace
}  // namespace picket::api
