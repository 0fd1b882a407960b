#include "agent/agent_services.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_server.h"
#include "api/view_publisher.h"

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
  api::Status SetTags(membership::Tags tags) override {
    std::size_t bytes = 0;
    for (const auto& [k, v] : tags) bytes += k.size() + v.size();
    if (bytes > 512) return api::Status::Error("tags are larger than 512 bytes in total");
    std::lock_guard lock(mu_);
    if (agent_ == nullptr) return api::Status::Error("agent is not running");
    agent_->RequestSetTags(std::move(tags));
    return api::Status::Ok();
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

}  // namespace

int RunAgentWithServices(AgentOptions options, const ServiceOptions& services) {
  std::string error;
  const auto http = ParseHostPort(services.http, kDefaultHttpPort, &error);
  if (!http) throw std::runtime_error("--http '" + services.http + "': " + error);

  api::ViewPublisher views;
  api::EventLog events;
  AgentCommands commands;
  api::HttpServerOptions http_options;
  http_options.host = http->host;
  http_options.port = http->port;
  http_options.router.bearer_token = ReadToken(services.api_token_file);

  AgentListener listener;
  listener.on_view = [&views](api::ClusterViewPtr view) { views.Publish(std::move(view)); };
  listener.on_event = [&events](const membership::MemberEvent& event) { events.Append(event); };
  Agent agent(std::move(options), std::move(listener));

  api::HttpServer server(http_options, views, events, commands);
  if (const api::Status status = server.Start(); !status.ok()) {
    throw std::runtime_error("--http: " + status.message());
  }
  spdlog::info("HTTP API on http://{}/ (GET /v1/members, /v1/self, /metrics)",
               HostPort{http->host, server.port()}.ToString());
  commands.Bind(&agent);
  const int code = agent.Run();
  commands.Bind(nullptr);
  server.Stop();
  return code;
}

}  // namespace picket::agent
