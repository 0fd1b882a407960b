#include "agent/agent_services.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "agent/api_exposure.h"
#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_server.h"
#include "api/view_publisher.h"
#include "delivery/child_environment.h"
#include "delivery/command_hooks.h"
#include "delivery/webhook_delivery.h"

namespace picket::agent {

namespace {

// Forwards API commands to the agent's event loop (the Request* methods post).
class AgentCommands final : public api::CommandSink {
 public:
  void Bind(Agent* agent) {
    std::lock_guard lock(mu_);
    agent_ = agent;
  }
  void Leave() override {
    std::lock_guard lock(mu_);
    if (agent_ != nullptr) agent_->RequestLeave();
  }
  Status SetTags(membership::Tags tags) override {
    if (Status valid = membership::ValidateTags(tags); !valid) return valid;
    std::lock_guard lock(mu_);
    if (agent_ == nullptr) return Fail("agent is not running");
    agent_->RequestSetTags(std::move(tags));
    return Status{};
  }
  Status PushService(membership::ServiceHealth status, std::string output) override {
    std::lock_guard lock(mu_);
    if (agent_ == nullptr) return Fail("agent is not running");
    agent_->RequestServicePush(status, std::move(output));
    return Status{};
  }
  Status SetMaintenance(bool enabled, std::string reason) override {
    std::lock_guard lock(mu_);
    if (agent_ == nullptr) return Fail("agent is not running");
    agent_->RequestMaintenance(enabled, std::move(reason));
    return Status{};
  }

 private:
  std::mutex mu_;
  Agent* agent_ = nullptr;
};

std::string ReadToken(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--api-token-file: cannot read '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) throw std::runtime_error("--api-token-file: '" + path + "' is empty");
  return token;
}

// A hook's output on one log line: newlines and other control bytes escaped.
std::string OneLine(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n') {
      out.append("\\n");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Logs one command hook run: info when it succeeded, warn otherwise, with
// the start of its output (stdout/stderr are truncated by CommandHooks).
void LogHookRun(const delivery::HookRun& run) {
  const delivery::ChildProcessResult& r = run.result;
  const double ms = std::chrono::duration<double, std::milli>(r.duration).count();
  std::string outcome;
  if (!r.started) {
    outcome = "could not start: " + r.error;
  } else if (r.timed_out) {
    outcome = "timed out, process group killed";
  } else if (r.exited) {
    outcome = "exit status " + std::to_string(r.exit_code);
  } else {
    outcome = "killed by signal " + std::to_string(r.signal);
  }
  const auto level = r.success() ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level,
              "hook {} for {} {} (seq {}): {} after {:.1f} ms; stdout: \"{}\"{}; stderr: \"{}\"{}",
              run.hook->name, run.event_type, run.member, run.seq, outcome, ms,
              OneLine(r.stdout_data), r.stdout_truncated ? " (truncated)" : "",
              OneLine(r.stderr_data), r.stderr_truncated ? " (truncated)" : "");
}

std::vector<delivery::HookSpec> ParseHooks(const std::vector<std::string>& specs) {
  std::vector<delivery::HookSpec> hooks;
  for (const std::string& text : specs) {
    if (text.empty()) continue;
    auto parsed = delivery::ParseHookSpec(text);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      throw std::runtime_error("--hook '" + text + "': " + *error);
    }
    hooks.push_back(std::get<delivery::HookSpec>(std::move(parsed)));
  }
  return hooks;
}

// The --exec-env names, checked: a bad one fails start-up naming it.
std::vector<std::string> CheckExecEnv(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (const Status valid = delivery::ValidatePassThroughName(name); !valid) {
      throw std::runtime_error("--exec-env '" + name + "': " + valid.error());
    }
  }
  return names;
}

// The static webhook subscriptions of --webhook-url (added to `registry`).
void AddStaticWebhooks(const ServiceOptions& services, delivery::SubscriptionRegistry& registry) {
  std::string secret = services.webhook_secret;
  if (!services.webhook_secret_file.empty()) {
    std::ifstream in(services.webhook_secret_file);
    if (!in) {
      throw std::runtime_error("--webhook-secret-file: cannot read '" +
                               services.webhook_secret_file + "'");
    }
    std::getline(in, secret);
    while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  }
  for (const std::string& url : services.webhook_urls) {
    if (url.empty()) continue;
    api::SubscriptionSpec spec;
    spec.url = url;
    spec.events = services.webhook_events;
    spec.secret = secret;
    spec.is_static = true;
    const auto created = registry.Create(std::move(spec));
    if (created.subscription == nullptr) {
      throw std::runtime_error("--webhook-url '" + url + "': " + created.status.error());
    }
    if (secret.empty()) {
      spdlog::warn("webhook {} -> {}: no --webhook-secret(-file), generated secret {}",
                   created.subscription->id(), url, created.subscription->secret());
    } else {
      spdlog::info("webhook {} -> {}", created.subscription->id(), url);
    }
  }
}

}  // namespace

int RunAgentWithServices(AgentOptions options, const ServiceOptions& services) {
  const auto http = ParseHostPort(services.http, kDefaultHttpPort);
  if (!http) throw std::runtime_error("--http '" + services.http + "': " + http.error());
  const std::string ops_text =
      services.ops_listen.value_or(HostPort{options.bind.host, kDefaultOpsPort}.ToString());
  std::optional<HostPort> ops;
  if (!ops_text.empty()) {
    const auto parsed = ParseHostPort(ops_text, kDefaultOpsPort);
    if (!parsed) throw std::runtime_error("--ops-listen '" + ops_text + "': " + parsed.error());
    ops = *parsed;
  }

  api::ViewPublisher views;
  api::EventLog events;
  AgentCommands commands;
  api::HttpServerOptions http_options;
  http_options.host = http->host;
  http_options.port = http->port;
  http_options.router.bearer_token = ReadToken(services.api_token_file);
  http_options.router.mutations_refused =
      MutationRefusal(http->host, !http_options.router.bearer_token.empty(),
                      services.api_insecure_allow_mutations);

  delivery::CommandHooksOptions hook_options;
  hook_options.hooks = ParseHooks(services.hooks);
  hook_options.timeout = services.hook_timeout;
  hook_options.self_name = options.name;
  hook_options.pass_through_env = CheckExecEnv(services.exec_env);
  hook_options.on_run = LogHookRun;
  delivery::CommandHooks hooks(std::move(hook_options), events, &views);
  http_options.router.hook_metrics = [&hooks] { return hooks.Metrics(); };

  delivery::SubscriptionRegistry subscriptions;
  http_options.router.subscriptions = &subscriptions;
  delivery::WebhookOptions webhook_options;
  webhook_options.agent_name = options.name;
  webhook_options.timeout = services.webhook_timeout;
  webhook_options.queue_capacity = services.webhook_queue;
  delivery::WebhookDelivery webhooks(std::move(webhook_options), events, views, subscriptions);
  AddStaticWebhooks(services, subscriptions);

  AgentListener listener;
  listener.on_view = [&views](api::ClusterViewPtr view) { views.Publish(std::move(view)); };
  listener.on_event = [&events](const membership::MemberEvent& event) { events.Append(event); };
  Agent agent(std::move(options), std::move(listener));

  api::HttpServer server(http_options, views, events, commands);
  if (const Status status = server.Start(); !status) {
    throw std::runtime_error("--http: " + status.error());
  }
  spdlog::info("HTTP API on http://{}/ (GET /v1/members, /v1/self, /metrics)",
               HostPort{http->host, server.port()}.ToString());
  if (!http_options.router.mutations_refused.empty()) {
    spdlog::warn("!!! the HTTP API on {} is reachable beyond this machine and has no token: "
                 "every mutating request (leave, tags, subscriptions, service status, "
                 "maintenance) is refused with 403. Set --api-token-file, or "
                 "--api-insecure-allow-mutations to accept the risk !!!",
                 http->ToString());
  } else if (!IsLoopbackHost(http->host) && http_options.router.bearer_token.empty()) {
    spdlog::warn("!!! the HTTP API on {} is reachable beyond this machine and anyone who can "
                 "reach it may make the agent leave or change its state "
                 "(--api-insecure-allow-mutations without --api-token-file) !!!",
                 http->ToString());
  }
  // The operations listener: a second server with the read-only route table,
  // for probes and scrapers that must not reach the full API.
  std::optional<api::HttpServer> ops_server;
  if (ops) {
    api::HttpServerOptions ops_options;
    ops_options.host = ops->host;
    ops_options.port = ops->port;
    ops_options.router.routes = api::RouteTable::kOperations;
    ops_options.router.subscriptions = http_options.router.subscriptions;  // webhook metrics
    ops_options.router.hook_metrics = http_options.router.hook_metrics;
    ops_server.emplace(ops_options, views, events, commands);
    if (const Status status = ops_server->Start(); !status) {
      throw std::runtime_error("--ops-listen: " + status.error() +
                               " (give another address, or --ops-listen= to disable it)");
    }
    spdlog::info("operations listener on http://{}/ (GET /healthz, /readyz, /metrics)",
                 HostPort{ops->host, ops_server->port()}.ToString());
  } else {
    spdlog::info("operations listener disabled (--ops-listen is empty)");
  }
  for (const delivery::HookSpec& hook : hooks.hooks()) {
    spdlog::info("hook {}: runs `{}` for {} (timeout {} ms)", hook.name, hook.command,
                 hook.all_events ? std::string("every event")
                                 : fmt::format("{}", fmt::join(hook.events, ", ")),
                 services.hook_timeout.count());
  }
  hooks.Start();
  commands.Bind(&agent);
  const int code = agent.Run();
  commands.Bind(nullptr);
  if (ops_server) ops_server->Stop();
  server.Stop();
  hooks.Stop();
  if (const std::size_t undelivered = webhooks.Drain(services.webhook_drain); undelivered > 0) {
    spdlog::warn("exiting with {} webhook event(s) undelivered (--webhook-drain {} ms)",
                 undelivered, services.webhook_drain.count());
  }
  webhooks.Stop();
  return code;
}

}  // namespace picket::agent
