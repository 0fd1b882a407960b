#include "membership/config.h"

#include <catch2/catch.hpp>

#include "membership/config_fields.h"

namespace picket::membership {

TEST_CASE("config: every preset is valid", "[config]") {
  CHECK_FALSE(Config{}.Validate());
  CHECK_FALSE(Config::Lan().Validate());
  CHECK_FALSE(Config::Frugal().Validate());
  CHECK_FALSE(Config::Wan().Validate());
  CHECK_FALSE(Config::Local().Validate());
}

TEST_CASE("config: the default profile is lan", "[config]") {
  const Config c;
  CHECK(c.probe_interval == 1s);
  CHECK(c.probe_timeout == 500ms);
  CHECK(c.heartbeat_interval == 500ms);
  CHECK(c.observers == 4);
  CHECK(c.phi.threshold == 8.0);
  CHECK(c.phi.min_std_deviation == 100ms);
  CHECK(c.packet_budget == 1400);
}

TEST_CASE("config: Validate names the first bad field", "[config]") {
  struct Case {
    const char* field;
    void (*breaks)(Config&);
  };
  const Case cases[] = {
      {"cluster_name", [](Config& c) { c.cluster_name = ""; }},
      {"probe_interval", [](Config& c) { c.probe_interval = 0s; }},
      {"probe_timeout", [](Config& c) { c.probe_timeout = 2s; }},
      {"indirect_checks", [](Config& c) { c.indirect_checks = 17; }},
      {"heartbeat_interval", [](Config& c) { c.heartbeat_interval = -1s; }},
      {"observers", [](Config& c) { c.observers = 0; }},
      {"phi.threshold", [](Config& c) { c.phi.threshold = -1; }},
      {"phi_report_threshold", [](Config& c) { c.phi_report_threshold = -1; }},
      {"phi_probe_timeout", [](Config& c) { c.phi_probe_timeout = 0s; }},
      {"suspicion_min_multiplier", [](Config& c) { c.suspicion_min_multiplier = 0; }},
      {"suspicion_max_multiplier", [](Config& c) { c.suspicion_max_multiplier = 0.5; }},
      {"suspicion_confirmations", [](Config& c) { c.suspicion_confirmations = -1; }},
      {"awareness_max_score", [](Config& c) { c.awareness_max_score = 99; }},
      {"gossip_interval", [](Config& c) { c.gossip_interval = -1s; }},
      {"gossip_fanout", [](Config& c) { c.gossip_fanout = 17; }},
      {"retransmit_multiplier", [](Config& c) { c.retransmit_multiplier = 0; }},
      {"packet_budget", [](Config& c) { c.packet_budget = 100; }},
      {"gossip_queue_limit", [](Config& c) { c.gossip_queue_limit = 1; }},
      {"push_pull_interval", [](Config& c) { c.push_pull_interval = -1s; }},
      {"stream_timeout", [](Config& c) { c.stream_timeout = 0s; }},
      {"join_retry_initial", [](Config& c) { c.join_retry_initial = 0s; }},
      {"join_retry_max", [](Config& c) { c.join_retry_max = 1ms; }},
      {"join_timeout", [](Config& c) { c.join_timeout = -1s; }},
      {"leave_propagate_timeout", [](Config& c) { c.leave_propagate_timeout = -1s; }},
      {"reap_after", [](Config& c) { c.reap_after = 0s; }},
  };
  for (const auto& test : cases) {
    Config c;
    test.breaks(c);
    const auto error = c.Validate();
    INFO(test.field);
    REQUIRE(error.has_value());
    CHECK(error->field->name == test.field);
    CHECK(error->Message().rfind(test.field, 0) == 0);
  }
}

}  // namespace picket::membership
