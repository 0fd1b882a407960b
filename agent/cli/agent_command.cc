// `picket agent`: flags, environment and config file to AgentOptions, then run.

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "agent/agent.h"
#include "agent/agent_services.h"
#include "agent/cli/commands.h"
#include "agent/cli/protocol_flags.h"
#include "agent/config_file.h"
#include "agent/duration_flag.h"
#include "agent/logging.h"

namespace picket::cli {

namespace {

struct AgentFlags {
  std::string name;
  std::string bind = "0.0.0.0:9746";
  std::string advertise;
  std::vector<std::string> join;
  std::string http = "127.0.0.1:9747";
  std::string keyring_file;
  std::string keyring_keys;
  std::string config_file;
  std::string log_format = "text";
  std::string log_level = "info";
  std::string leave_timeout = "5s";
  std::vector<std::string> tags;
  std::string api_token_file;
  ProtocolFlags protocol;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "picket agent: " << message << "\n";
  throw CLI::RuntimeError(2);
}

agent::AgentOptions ToOptions(const AgentFlags& f) {
  agent::AgentOptions o;
  std::string error;
  o.name = f.name.empty() ? agent::HostName() : f.name;
  if (o.name.empty() || o.name.size() > 128) Fail("--name: must be 1 to 128 bytes");
  const auto bind = agent::ParseHostPort(f.bind, agent::kDefaultGossipPort, &error);
  if (!bind) Fail("--bind '" + f.bind + "': " + error);
  o.bind = *bind;
  if (!f.advertise.empty()) {
    const auto advertise = agent::ParseHostPort(f.advertise, 0, &error);
    if (!advertise) Fail("--advertise '" + f.advertise + "': " + error);
    o.advertise = *advertise;
  }
  for (const std::string& seed : f.join) {
    if (seed.empty()) continue;
    const auto hp = agent::ParseHostPort(seed, agent::kDefaultGossipPort, &error);
    if (!hp || hp->port == 0) Fail("--join '" + seed + "': " + (hp ? "port 0" : error));
    o.join.push_back(hp->ToString());
  }
  for (const std::string& tag : f.tags) {
    const auto eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) Fail("--tag '" + tag + "': expected KEY=VALUE");
    o.tags[tag.substr(0, eq)] = tag.substr(eq + 1);
  }
  o.keyring_file = f.keyring_file;
  o.keyring_inline = f.keyring_keys;
  const auto leave = agent::ParseDuration(f.leave_timeout, &error);
  if (!leave) Fail("--leave-timeout: " + error);
  o.leave_timeout = *leave;
  try {
    o.protocol = f.protocol.Build();
  } catch (const CLI::ValidationError& e) {
    Fail(e.what());
  }
  return o;
}

}  // namespace

void AddAgentCommand(CLI::App& app) {
  auto flags = std::make_shared<AgentFlags>();
  auto* cmd = app.add_subcommand("agent", "Run a picket agent: gossip, detect failures, serve the local API");
  auto env = [](CLI::Option* opt) {
    return opt->envname(agent::EnvNameFor("--" + opt->get_lnames().front()));
  };
  env(cmd->add_option("--name", flags->name, "Unique member name [host name]"));
  env(cmd->add_option("--bind", flags->bind, "Gossip address, UDP and TCP (port 0: any)")
          ->capture_default_str());
  env(cmd->add_option("--advertise", flags->advertise,
                      "Address others dial, e.g. the pod IP [bind address]"));
  env(cmd->add_option("--join", flags->join,
                      "Seed HOST[:PORT] or DNS name, repeatable (env: comma list); re-resolved "
                      "on every attempt")
          ->delimiter(','));
  env(cmd->add_option("--http", flags->http, "Local HTTP API address")->capture_default_str());
  env(cmd->add_option("--keyring", flags->keyring_file,
                      "Keyring file: base64 keys, one per line, first is primary"));
  env(cmd->add_option("--keyring-keys", flags->keyring_keys,
                      "Keys given directly, comma separated (prefer --keyring or a Secret)"));
  env(cmd->add_option("--config", flags->config_file,
                      "Config file (key = value; keys are flag names)"));
  env(cmd->add_option("--log-format", flags->log_format, "text or json")
          ->check(CLI::IsMember({"text", "json"}))
          ->capture_default_str());
  env(cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error, off")
          ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
          ->capture_default_str());
  env(cmd->add_option("--leave-timeout", flags->leave_timeout,
                      "Longest wait for a graceful leave to spread on SIGTERM")
          ->capture_default_str());
  env(cmd->add_option("--tag", flags->tags, "Own tag KEY=VALUE, repeatable")->delimiter(','));
  env(cmd->add_option("--api-token-file", flags->api_token_file,
                      "File with a bearer token required by mutating API calls"));
  flags->protocol.Register(cmd, /*with_env=*/true);

  cmd->callback([flags] {
    agent::AgentOptions options = ToOptions(*flags);
    agent::ConfigureLogging(*agent::ParseLogFormat(flags->log_format), flags->log_level);
    agent::ServiceOptions services;
    services.http = flags->http;
    services.api_token_file = flags->api_token_file;
    int code = 0;
    try {
      code = agent::RunAgentWithServices(std::move(options), services);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      std::cerr << "picket agent: " << e.what() << "\n";
      throw CLI::RuntimeError(1);
    }
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

// Used by main before parsing: the config file becomes a fallback environment.
std::vector<std::string> AgentFlagNames(CLI::App& app) {
  std::vector<std::string> names;
  auto* cmd = app.get_subcommand("agent");
  for (const CLI::Option* opt : cmd->get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

}  // namespace picket::cli
