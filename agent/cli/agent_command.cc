// `picket agent`: flags, environment and config file to AgentOptions, then run.

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "agent/agent.h"
#include "agent/agent_services.h"
#include "agent/check_flags.h"
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
  std::string ops_listen;  // used only when given (see OpsListen)
  bool api_insecure_allow_mutations = false;
  std::string keyring_file;
  std::string keyring_keys;
  std::string config_file;
  std::string log_format = "text";
  std::string log_level = "info";
  std::string leave_timeout = "5s";
  std::vector<std::string> tags;
  std::string api_token_file;
  std::vector<std::string> hooks;
  std::string hook_timeout = "30s";
  std::vector<std::string> exec_env;
  std::vector<std::string> webhook_urls;
  std::string webhook_secret;
  std::string webhook_secret_file;
  std::vector<std::string> webhook_events;
  std::string webhook_timeout = "5s";
  std::size_t webhook_queue = 1024;
  std::string webhook_drain = "2s";
  std::string record_heartbeats;
  std::uint64_t record_heartbeats_max_bytes = 4 * 1024 * 1024;
  agent::CheckFlags checks;
  ProtocolFlags protocol;
};

// Below this a recording holds a few minutes of one subject at most.
constexpr std::uint64_t kMinRecordingBytes = 4096;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "picket agent: " << message << "\n";
  throw CLI::RuntimeError(2);
}

// A duration flag's value in milliseconds (rounded up), at least `min`.
std::chrono::milliseconds Millis(const std::string& flag, const std::string& value,
                                 std::chrono::milliseconds min) {
  const auto parsed = agent::ParseDuration(value);
  if (!parsed || *parsed < min) {
    Fail(flag + " '" + value + "': " +
         (parsed ? "must be at least " + std::to_string(min.count()) + "ms" : parsed.error()));
  }
  return std::chrono::ceil<std::chrono::milliseconds>(*parsed);
}

agent::AgentOptions ToOptions(const AgentFlags& f) {
  agent::AgentOptions o;
  o.name = f.name.empty() ? agent::HostName() : f.name;
  if (o.name.empty() || o.name.size() > 128) Fail("--name: must be 1 to 128 bytes");
  const auto bind = agent::ParseHostPort(f.bind, agent::kDefaultGossipPort);
  if (!bind) Fail("--bind '" + f.bind + "': " + bind.error());
  o.bind = *bind;
  if (!f.advertise.empty()) {
    const auto advertise = agent::ParseHostPort(f.advertise, 0);
    if (!advertise) Fail("--advertise '" + f.advertise + "': " + advertise.error());
    o.advertise = *advertise;
  }
  for (const std::string& seed : f.join) {
    if (seed.empty()) continue;
    const auto hp = agent::ParseHostPort(seed, agent::kDefaultGossipPort);
    if (!hp || hp->port == 0) Fail("--join '" + seed + "': " + (hp ? "port 0" : hp.error()));
    o.join.push_back(hp->ToString());
  }
  for (const std::string& tag : f.tags) {
    const auto eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) Fail("--tag '" + tag + "': expected KEY=VALUE");
    o.tags[tag.substr(0, eq)] = tag.substr(eq + 1);
  }
  o.keyring_file = f.keyring_file;
  o.keyring_inline = f.keyring_keys;
  const auto leave = agent::ParseDuration(f.leave_timeout);
  if (!leave) Fail("--leave-timeout: " + leave.error());
  o.leave_timeout = *leave;
  try {
    o.protocol = f.protocol.Build();
  } catch (const CLI::ValidationError& e) {
    Fail(e.what());
  }
  try {
    o.service.checks = agent::ParseChecks(f.checks);
    o.service.policy = agent::ParseCheckPolicy(f.checks);
  } catch (const std::invalid_argument& e) {
    Fail(e.what());
  }
  o.service.exec_env = f.exec_env;
  if (!f.record_heartbeats.empty()) {
    if (f.record_heartbeats_max_bytes < kMinRecordingBytes) {
      Fail("--record-heartbeats-max-bytes: must be at least " +
           std::to_string(kMinRecordingBytes) + " (got " +
           std::to_string(f.record_heartbeats_max_bytes) + ")");
    }
    o.record_heartbeats =
        agent::HeartbeatRecordingOptions{f.record_heartbeats, f.record_heartbeats_max_bytes, {}};
  }
  return o;
}

// --ops-listen: nullopt (the default, on the gossip bind host) unless given
// by flag, config file or environment. CLI11 ignores an empty environment
// variable, so PICKET_OPS_LISTEN= is looked at here: empty disables, as
// --ops-listen= does.
std::optional<std::string> OpsListen(const AgentFlags& f, const CLI::Option& option) {
  if (option.count() > 0) return f.ops_listen;
  const char* env = std::getenv(agent::EnvNameFor("--ops-listen").c_str());
  if (env != nullptr && *env == '\0') return std::string();
  return std::nullopt;
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
  CLI::Option* ops_listen = env(cmd->add_option(
      "--ops-listen", flags->ops_listen,
      "Read-only operations listener: GET /healthz, /readyz, /metrics only, for probes and "
      "scrapers; empty disables it [gossip bind host:9748]")
                                        ->expected(0, 1));  // --ops-listen= (empty) is a value
  env(cmd->add_flag("--api-insecure-allow-mutations", flags->api_insecure_allow_mutations,
                    "Allow mutating API calls without --api-token-file although --http is not a "
                    "loopback address (otherwise they get 403)"));
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
  env(cmd->add_option("--hook", flags->hooks,
                      "Command hook EVENTS=COMMAND, repeatable (env: one per line): run COMMAND "
                      "(/bin/sh -c) for each event of the comma-listed types (* for all), event "
                      "JSON on stdin, PICKET_EVENT, PICKET_MEMBER, ... in the environment")
          ->delimiter('\n'));
  env(cmd->add_option("--hook-timeout", flags->hook_timeout,
                      "Longest run of one hook command; then its process group is killed")
          ->capture_default_str());
  env(cmd->add_option("--exec-env", flags->exec_env,
                      "Environment variable of the agent passed through to command hooks and "
                      "exec checks (repeatable; env: comma list); they otherwise get only PATH "
                      "and their PICKET_* fields")
          ->delimiter(','));
  env(cmd->add_option("--webhook-url", flags->webhook_urls,
                      "Webhook receiver URL, repeatable (env: comma list): a static subscription "
                      "each, CloudEvents JSON signed per Standard Webhooks")
          ->delimiter(','));
  env(cmd->add_option("--webhook-secret", flags->webhook_secret,
                      "Signing secret whsec_... of the --webhook-url subscriptions (prefer "
                      "--webhook-secret-file)"));
  env(cmd->add_option("--webhook-secret-file", flags->webhook_secret_file,
                      "File holding the whsec_... signing secret of the --webhook-url subscriptions"));
  env(cmd->add_option("--webhook-events", flags->webhook_events,
                      "Event types sent to --webhook-url, comma list (e.g. "
                      "member.failed,member.left) [all]")
          ->delimiter(','));
  env(cmd->add_option("--webhook-timeout", flags->webhook_timeout,
                      "Longest webhook attempt (connect + answer); slower counts as a timeout "
                      "and is retried")
          ->capture_default_str());
  env(cmd->add_option("--webhook-queue", flags->webhook_queue,
                      "Events waiting per webhook subscription; beyond it the oldest are dropped "
                      "and a picket.resync event is sent")
          ->check(CLI::Range(std::size_t{2}, std::size_t{1'000'000}))
          ->capture_default_str());
  env(cmd->add_option("--webhook-drain", flags->webhook_drain,
                      "At exit, wait at most this long for queued webhook events to be "
                      "delivered (0: do not wait)")
          ->capture_default_str());
  env(cmd->add_option("--check-http", flags->checks.http,
                      "Service health: GET this URL of the application beside the agent, "
                      "repeatable (env: comma list); 2xx/3xx passing, 429 warning, else critical")
          ->delimiter(','));
  env(cmd->add_option("--check-tcp", flags->checks.tcp,
                      "Service health: connect to HOST:PORT and hold the connection (a crash is "
                      "seen when it closes), repeatable (env: comma list)")
          ->delimiter(','));
  env(cmd->add_option("--check-exec", flags->checks.exec,
                      "Service health: run COMMAND (/bin/sh -c, clean environment), repeatable "
                      "(env: one per line); exit 0 passing, 1 warning, else critical")
          ->delimiter('\n'));
  env(cmd->add_option("--check-ttl", flags->checks.ttl,
                      "Service health: the application must PUT /v1/self/service at least this "
                      "often; silence past it is critical"));
  env(cmd->add_option("--check-interval", flags->checks.interval,
                      "Service health: time between runs of each check (a failing check is "
                      "re-run every tenth of it until confirmed)")
          ->capture_default_str());
  env(cmd->add_option("--check-timeout", flags->checks.timeout,
                      "Service health: longest run of one check; slower is critical")
          ->capture_default_str());
  env(cmd->add_option("--check-failures", flags->checks.failures,
                      "Service health: consecutive failures before critical (spanning at least "
                      "(failures - 1) intervals unless the application refused the connection)")
          ->capture_default_str());
  env(cmd->add_option("--check-successes", flags->checks.successes,
                      "Service health: consecutive successes before a critical check passes")
          ->capture_default_str());
  env(cmd->add_option("--record-heartbeats", flags->record_heartbeats,
                      "Record the arrival time of every heartbeat fed to a Phi Accrual detector "
                      "into DIR, one file per observed member, for `picket detector-eval "
                      "--trace-dir` [off]"));
  env(cmd->add_option("--record-heartbeats-max-bytes", flags->record_heartbeats_max_bytes,
                      "Bound on the files in the --record-heartbeats DIR together (e.g. 4MiB, "
                      "500KB); recording stops there")
          ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true))
          ->capture_default_str());
  flags->protocol.Register(cmd, /*with_env=*/true);

  cmd->callback([flags, ops_listen] {
    agent::AgentOptions options = ToOptions(*flags);
    agent::ConfigureLogging(*agent::ParseLogFormat(flags->log_format), flags->log_level);
    agent::ServiceOptions services;
    services.http = flags->http;
    services.api_token_file = flags->api_token_file;
    services.api_insecure_allow_mutations = flags->api_insecure_allow_mutations;
    services.ops_listen = OpsListen(*flags, *ops_listen);
    services.hooks = flags->hooks;
    services.hook_timeout =
        Millis("--hook-timeout", flags->hook_timeout, std::chrono::milliseconds(1));
    services.exec_env = flags->exec_env;
    services.webhook_urls = flags->webhook_urls;
    services.webhook_secret = flags->webhook_secret;
    services.webhook_secret_file = flags->webhook_secret_file;
    services.webhook_events = flags->webhook_events;
    services.webhook_queue = flags->webhook_queue;
    services.webhook_timeout =
        Millis("--webhook-timeout", flags->webhook_timeout, std::chrono::milliseconds(1));
    services.webhook_drain =
        Millis("--webhook-drain", flags->webhook_drain, std::chrono::milliseconds(0));
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
