#include "membership/config.h"

#include <string>

#include "membership/tuning.h"

namespace picket::membership {
namespace {

std::optional<std::string> Bad(const char* field, const char* rule) {
  return std::string(field) + " " + rule;
}

}  // namespace

detector::PhiConfig Config::DefaultPhi() {
  detector::PhiConfig phi;
  phi.threshold = 8.0;
  phi.window_size = 100;
  phi.min_std_deviation = 100ms;
  phi.acceptable_heartbeat_pause = 0ms;
  phi.first_heartbeat_estimate = 500ms;
  return phi;
}

Config Config::Lan() { return Config{}; }

Config Config::Frugal() {
  Config c;
  c.heartbeat_interval = 1s;
  c.observers = 3;
  c.phi.first_heartbeat_estimate = 1s;
  c.phi.min_std_deviation = 200ms;
  c.probe_interval = 2s;
  c.probe_timeout = 500ms;
  c.phi_probe_timeout = 300ms;
  c.indirect_checks = 2;
  return c;
}

Config Config::Wan() {
  Config c;
  c.probe_interval = 5s;
  c.probe_timeout = 3s;
  c.heartbeat_interval = 2s;
  c.phi.first_heartbeat_estimate = 2s;
  c.phi.min_std_deviation = 500ms;
  c.phi.threshold = 10.0;
  c.phi_probe_timeout = 2s;
  c.suspicion_min_multiplier = 2.0;
  c.gossip_interval = 500ms;
  c.gossip_fanout = 4;
  c.push_pull_interval = 60s;
  c.reconnect_interval = 30s;
  c.stream_timeout = 10s;
  c.leave_propagate_timeout = 10s;
  return c;
}

Config Config::Local() {
  Config c;
  c.probe_interval = 200ms;
  c.probe_timeout = 100ms;
  c.heartbeat_interval = 100ms;
  c.phi.first_heartbeat_estimate = 100ms;
  c.phi.min_std_deviation = 20ms;
  c.phi_probe_timeout = 50ms;
  c.gossip_interval = 50ms;
  c.push_pull_interval = 5s;
  c.reconnect_interval = 2s;
  c.stream_timeout = 1s;
  c.join_retry_initial = 100ms;
  c.join_retry_max = 2s;
  c.leave_propagate_timeout = 1s;
  c.reap_after = 60s;
  return c;
}

std::optional<std::string> Config::Validate() const {
  if (cluster_name.empty() || cluster_name.size() > tuning::kMaxClusterNameBytes) {
    return Bad("cluster_name", "must be 1..64 bytes");
  }
  if (probe_interval <= Duration::zero()) return Bad("probe_interval", "must be > 0");
  if (probe_timeout <= Duration::zero() || probe_timeout >= probe_interval) {
    return Bad("probe_timeout", "must be > 0 and < probe_interval");
  }
  if (indirect_checks < 0 || indirect_checks > 16) return Bad("indirect_checks", "must be 0..16");
  if (heartbeat_interval <= Duration::zero()) return Bad("heartbeat_interval", "must be > 0");
  if (observers < 1 || observers > 16) return Bad("observers", "must be 1..16");
  if (auto phi_error = phi.Validate()) return "phi." + *phi_error;
  if (!(phi_report_threshold >= 0.0)) return Bad("phi_report_threshold", "must be >= 0");
  if (phi_probe_timeout <= Duration::zero() || phi_probe_timeout > probe_interval) {
    return Bad("phi_probe_timeout", "must be > 0 and <= probe_interval");
  }
  if (!(suspicion_min_multiplier >= 0.1) || suspicion_min_multiplier > 1000.0) {
    return Bad("suspicion_min_multiplier", "must be 0.1..1000");
  }
  if (!(suspicion_max_multiplier >= 1.0) || suspicion_max_multiplier > 1000.0) {
    return Bad("suspicion_max_multiplier", "must be 1..1000");
  }
  if (suspicion_confirmations < 0 || suspicion_confirmations > 16) {
    return Bad("suspicion_confirmations", "must be 0..16");
  }
  if (awareness_max_score < 0 || awareness_max_score > 16) {
    return Bad("awareness_max_score", "must be 0..16");
  }
  if (gossip_interval < Duration::zero()) return Bad("gossip_interval", "must be >= 0");
  if (gossip_fanout < 0 || gossip_fanout > 16) return Bad("gossip_fanout", "must be 0..16");
  if (retransmit_multiplier < 1 || retransmit_multiplier > 16) {
    return Bad("retransmit_multiplier", "must be 1..16");
  }
  if (packet_budget < 512 || packet_budget > 65000) return Bad("packet_budget", "must be 512..65000");
  if (gossip_queue_limit < 16) return Bad("gossip_queue_limit", "must be >= 16");
  if (push_pull_interval < Duration::zero()) return Bad("push_pull_interval", "must be >= 0");
  if (reconnect_interval < Duration::zero()) return Bad("reconnect_interval", "must be >= 0");
  if (stream_timeout <= Duration::zero()) return Bad("stream_timeout", "must be > 0");
  if (join_retry_initial <= Duration::zero()) return Bad("join_retry_initial", "must be > 0");
  if (join_retry_max < join_retry_initial) {
    return Bad("join_retry_max", "must be >= join_retry_initial");
  }
  if (join_timeout < Duration::zero()) return Bad("join_timeout", "must be >= 0");
  if (leave_propagate_timeout < Duration::zero()) {
    return Bad("leave_propagate_timeout", "must be >= 0");
  }
  if (reap_after <= Duration::zero()) return Bad("reap_after", "must be > 0");
  return std::nullopt;
}

}  // namespace picket::membership
