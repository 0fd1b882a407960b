#pragma once

// `picket agent` as a whole process: the Agent (protocol loop) plus the local
// HTTP API it publishes to, wired together and torn down in order.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"

namespace picket::agent {

struct ServiceOptions {
  std::string http = "127.0.0.1:9747";  // HTTP API listen address ("host:port")
  std::string api_token_file;           // bearer token for mutating calls (empty: none)
  // Without a token, an --http address that is not loopback refuses mutating
  // calls (agent/api_exposure.h) unless this is set.
  bool api_insecure_allow_mutations = false;
  // The read-only operations listener (GET /healthz, /readyz, /metrics):
  // "host:port"; "" disables it; nullopt: the gossip bind host, port 9748.
  std::optional<std::string> ops_listen;
  // Command hooks, "EVENTS=COMMAND" each (delivery/hook_spec.h); each runs on its
  // own thread, one command at a time, killed after hook_timeout.
  std::vector<std::string> hooks;
  std::chrono::milliseconds hook_timeout{std::chrono::seconds(30)};
  // Names of the agent's environment variables passed on to command hooks
  // and exec checks (--exec-env); they get only PATH, these and their own
  // PICKET_* fields (delivery/child_environment.h). Validated at start-up.
  std::vector<std::string> exec_env;
  // Static webhook subscriptions (delivery/webhook_delivery.h): one per URL, all
  // with the same secret ("whsec_...", or read from webhook_secret_file;
  // empty: a random one each, logged) and event filter (empty: all).
  std::vector<std::string> webhook_urls;
  std::string webhook_secret;
  std::string webhook_secret_file;
  std::vector<std::string> webhook_events;
  std::chrono::milliseconds webhook_timeout{std::chrono::seconds(5)};  // per attempt
  std::size_t webhook_queue = 1024;  // events waiting per subscription (>= 2)
  // At exit (after the leave), how long queued webhook events may still be
  // delivered before the agent gives up on them.
  std::chrono::milliseconds webhook_drain{std::chrono::seconds(2)};
};

// Runs until the agent stops; returns the process exit code. Throws
// std::runtime_error naming the setting when start-up fails.
int RunAgentWithServices(AgentOptions options, const ServiceOptions& services);

}  // namespace picket::agent
