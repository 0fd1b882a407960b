// Pins the default of every Config field in every profile: the values the
// presets had when they were written by hand in config.cc (commit 673c267),
// before they came from the descriptor table. A change here is a change of
// behaviour, never a refactoring.

#include <catch2/catch.hpp>
#include <string>

#include "membership/config.h"

namespace picket::membership {
namespace {

struct Expected {
  std::string cluster_name;
  Duration probe_interval;
  Duration probe_timeout;
  int indirect_checks;
  bool stream_fallback_probe;
  Duration heartbeat_interval;
  int observers;
  double phi_threshold;
  std::size_t phi_window_size;
  std::size_t phi_recent_window_size;
  Duration phi_min_std_deviation;
  Duration phi_acceptable_heartbeat_pause;
  Duration phi_first_heartbeat_estimate;
  detector::Distribution phi_distribution;
  Duration phi_false_suspicion_cost;
  Duration phi_min_bandwidth;
  bool phi_learn_suspected_intervals;
  Duration phi_probe_timeout;
  double phi_report_threshold;
  double suspicion_min_multiplier;
  double suspicion_max_multiplier;
  int suspicion_confirmations;
  int awareness_max_score;
  Duration gossip_interval;
  int gossip_fanout;
  int retransmit_multiplier;
  std::size_t packet_budget;
  std::size_t gossip_queue_limit;
  Duration push_pull_interval;
  Duration reconnect_interval;
  Duration stream_timeout;
  Duration join_retry_initial;
  Duration join_retry_max;
  Duration join_timeout;
  Duration leave_propagate_timeout;
  Duration reap_after;
};

// Compares all 33 fields (config_fields_test.cc checks that the descriptor
// table has as many rows).
void CheckDefaults(const Config& c, const Expected& e) {
  CHECK(c.cluster_name == e.cluster_name);
  CHECK(c.probe_interval == e.probe_interval);
  CHECK(c.probe_timeout == e.probe_timeout);
  CHECK(c.indirect_checks == e.indirect_checks);
  CHECK(c.stream_fallback_probe == e.stream_fallback_probe);
  CHECK(c.heartbeat_interval == e.heartbeat_interval);
  CHECK(c.observers == e.observers);
  CHECK(c.phi.threshold == e.phi_threshold);
  CHECK(c.phi.window_size == e.phi_window_size);
  CHECK(c.phi.recent_window_size == e.phi_recent_window_size);
  CHECK(c.phi.min_std_deviation == e.phi_min_std_deviation);
  CHECK(c.phi.acceptable_heartbeat_pause == e.phi_acceptable_heartbeat_pause);
  CHECK(c.phi.first_heartbeat_estimate == e.phi_first_heartbeat_estimate);
  CHECK(c.phi.distribution == e.phi_distribution);
  CHECK(c.phi.false_suspicion_cost == e.phi_false_suspicion_cost);
  CHECK(c.phi.min_bandwidth == e.phi_min_bandwidth);
  CHECK(c.phi.learn_suspected_intervals == e.phi_learn_suspected_intervals);
  CHECK(c.phi_probe_timeout == e.phi_probe_timeout);
  CHECK(c.phi_report_threshold == e.phi_report_threshold);
  CHECK(c.suspicion_min_multiplier == e.suspicion_min_multiplier);
  CHECK(c.suspicion_max_multiplier == e.suspicion_max_multiplier);
  CHECK(c.suspicion_confirmations == e.suspicion_confirmations);
  CHECK(c.awareness_max_score == e.awareness_max_score);
  CHECK(c.gossip_interval == e.gossip_interval);
  CHECK(c.gossip_fanout == e.gossip_fanout);
  CHECK(c.retransmit_multiplier == e.retransmit_multiplier);
  CHECK(c.packet_budget == e.packet_budget);
  CHECK(c.gossip_queue_limit == e.gossip_queue_limit);
  CHECK(c.push_pull_interval == e.push_pull_interval);
  CHECK(c.reconnect_interval == e.reconnect_interval);
  CHECK(c.stream_timeout == e.stream_timeout);
  CHECK(c.join_retry_initial == e.join_retry_initial);
  CHECK(c.join_retry_max == e.join_retry_max);
  CHECK(c.join_timeout == e.join_timeout);
  CHECK(c.leave_propagate_timeout == e.leave_propagate_timeout);
  CHECK(c.reap_after == e.reap_after);
}

const Expected kLan{
    .cluster_name = "default",
    .probe_interval = 1s,
    .probe_timeout = 500ms,
    .indirect_checks = 3,
    .stream_fallback_probe = true,
    .heartbeat_interval = 500ms,
    .observers = 4,
    .phi_threshold = 8.0,
    .phi_window_size = 1000,
    .phi_recent_window_size = 20,
    .phi_min_std_deviation = 100ms,
    .phi_acceptable_heartbeat_pause = 0ms,
    .phi_first_heartbeat_estimate = 500ms,
    .phi_distribution = detector::Distribution::kEmpirical,
    .phi_false_suspicion_cost = 50s,
    .phi_min_bandwidth = 1ms,
    .phi_learn_suspected_intervals = true,
    .phi_probe_timeout = 600ms,
    .phi_report_threshold = 8.0,
    .suspicion_min_multiplier = 1.0,
    .suspicion_max_multiplier = 6.0,
    .suspicion_confirmations = 3,
    .awareness_max_score = 8,
    .gossip_interval = 200ms,
    .gossip_fanout = 3,
    .retransmit_multiplier = 4,
    .packet_budget = 1400,
    .gossip_queue_limit = 4096,
    .push_pull_interval = 30s,
    .reconnect_interval = 10s,
    .stream_timeout = 5s,
    .join_retry_initial = 1s,
    .join_retry_max = 30s,
    .join_timeout = 0s,
    .leave_propagate_timeout = 3s,
    .reap_after = 1h,
};

Expected Frugal() {
  Expected e = kLan;
  e.phi_window_size = 100;
  e.phi_recent_window_size = 0;
  e.probe_interval = 2s;
  e.probe_timeout = 500ms;
  e.indirect_checks = 2;
  e.heartbeat_interval = 1s;
  e.observers = 3;
  e.phi_min_std_deviation = 200ms;
  e.phi_distribution = detector::Distribution::kNormal;
  e.phi_false_suspicion_cost = 100s;
  e.phi_first_heartbeat_estimate = 1s;
  e.phi_probe_timeout = 300ms;
  return e;
}

Expected Wan() {
  Expected e = kLan;
  e.phi_window_size = 100;
  e.phi_recent_window_size = 0;
  e.probe_interval = 5s;
  e.probe_timeout = 3s;
  e.heartbeat_interval = 2s;
  e.phi_threshold = 10.0;
  e.phi_min_std_deviation = 500ms;
  e.phi_distribution = detector::Distribution::kNormal;
  e.phi_false_suspicion_cost = 200s;
  e.phi_first_heartbeat_estimate = 2s;
  e.phi_probe_timeout = 2s;
  e.suspicion_min_multiplier = 2.0;
  e.gossip_interval = 500ms;
  e.gossip_fanout = 4;
  e.push_pull_interval = 60s;
  e.reconnect_interval = 30s;
  e.stream_timeout = 10s;
  e.leave_propagate_timeout = 10s;
  return e;
}

Expected Local() {
  Expected e = kLan;
  e.probe_interval = 200ms;
  e.probe_timeout = 100ms;
  e.heartbeat_interval = 100ms;
  e.phi_min_std_deviation = 20ms;
  e.phi_false_suspicion_cost = 10s;
  e.phi_first_heartbeat_estimate = 100ms;
  e.phi_probe_timeout = 50ms;
  e.gossip_interval = 50ms;
  e.push_pull_interval = 5s;
  e.reconnect_interval = 2s;
  e.stream_timeout = 1s;
  e.join_retry_initial = 100ms;
  e.join_retry_max = 2s;
  e.leave_propagate_timeout = 1s;
  e.reap_after = 60s;
  return e;
}

}  // namespace

TEST_CASE("config defaults: lan (and Config{}) are pinned", "[config]") {
  CheckDefaults(Config{}, kLan);
  CheckDefaults(Config::Lan(), kLan);
}

TEST_CASE("config defaults: frugal is pinned", "[config]") {
  CheckDefaults(Config::Frugal(), Frugal());
}

TEST_CASE("config defaults: wan is pinned", "[config]") { CheckDefaults(Config::Wan(), Wan()); }

TEST_CASE("config defaults: local is pinned", "[config]") {
  CheckDefaults(Config::Local(), Local());
}

}  // namespace picket::membership
