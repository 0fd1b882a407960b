#pragma once

// `picket agent` as a whole process: the Agent (protocol loop) plus the local
// HTTP API it publishes to, wired together and torn down in order.

#include <string>

#include "agent/agent.h"

namespace picket::agent {

struct ServiceOptions {
  std::string http = "127.0.0.1:9747";  // HTTP API listen address ("host:port")
  std::string api_token_file;           // bearer token for mutating calls (empty: none)
};

// Runs until the agent stops; returns the process exit code. Throws
// std::runtime_error naming the setting when start-up fails.
int RunAgentWithServices(AgentOptions options, const ServiceOptions& services);

}  // namespace picket::agent
