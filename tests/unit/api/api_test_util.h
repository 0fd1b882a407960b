#pragma once

// Helpers shared by the api/ unit tests: hand-made views, a recording
// CommandSink and a real HttpServer on 127.0.0.1, port 0.

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/cluster_view.h"
#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_client.h"
#include "api/http_server.h"
#include "api/view_publisher.h"

namespace picket::api::testing {

inline membership::MemberInfo MakeMember(std::string name, membership::MemberState state,
                                         membership::TimePoint since) {
  membership::MemberInfo m;
  m.address = "127.0.0.1:" + std::to_string(9000 + name.size());
  m.name = std::move(name);
  m.state = state;
  m.incarnation = 1;
  m.state_since = since;
  return m;
}

// A joined view of `names` (all alive), self = the first, published now.
inline std::shared_ptr<ClusterView> MakeView(const std::vector<std::string>& names) {
  auto view = std::make_shared<ClusterView>();
  view->published_steady = membership::Clock::now();
  view->published_wall = std::chrono::system_clock::now();
  view->cluster_name = "test";
  view->joined = true;
  for (const auto& name : names) {
    view->members.push_back(MakeMember(name, membership::MemberState::kAlive,
                                       view->published_steady - std::chrono::seconds(5)));
  }
  if (!view->members.empty()) view->self = view->members.front();
  const int n = static_cast<int>(names.size());
  view->quorum = {n, n, n > 0};
  return view;
}

inline membership::MemberEvent MakeEvent(membership::EventType type,
                                         const membership::MemberInfo& member) {
  membership::MemberEvent event;
  event.type = type;
  event.member = member;
  event.quorum = {1, 1, true};
  event.time = membership::Clock::now();
  return event;
}

// Records the commands it receives (called on the server thread).
class RecordingSink : public CommandSink {
 public:
  void Leave() override { ++leave_calls; }
  Status SetTags(membership::Tags tags) override {
    std::lock_guard<std::mutex> lock(mu);
    if (tags.count("forbidden") != 0) return Status::Error("tag 'forbidden' is reserved");
    last_tags = std::move(tags);
    return Status::Ok();
  }
  Status PushService(membership::ServiceHealth status, std::string output) override {
    std::lock_guard<std::mutex> lock(mu);
    pushes.emplace_back(status, std::move(output));
    return Status::Ok();
  }
  Status SetMaintenance(bool enabled, std::string reason) override {
    std::lock_guard<std::mutex> lock(mu);
    maintenance = std::make_pair(enabled, std::move(reason));
    return Status::Ok();
  }
  std::vector<std::pair<membership::ServiceHealth, std::string>> Pushes() {
    std::lock_guard<std::mutex> lock(mu);
    return pushes;
  }
  std::optional<std::pair<bool, std::string>> Maintenance() {
    std::lock_guard<std::mutex> lock(mu);
    return maintenance;
  }
  std::optional<membership::Tags> Tags() {
    std::lock_guard<std::mutex> lock(mu);
    return last_tags;
  }

  std::atomic<int> leave_calls{0};

 private:
  std::mutex mu;
  std::optional<membership::Tags> last_tags;
  std::vector<std::pair<membership::ServiceHealth, std::string>> pushes;
  std::optional<std::pair<bool, std::string>> maintenance;
};

// A started server with its publisher, log and sink.
class TestServer {
 public:
  explicit TestServer(HttpServerOptions options = {}, std::size_t log_capacity = 1000)
      : log(log_capacity) {
    options.host = "127.0.0.1";
    options.port = 0;
    server = std::make_unique<HttpServer>(options, views, log, sink);
    const Status status = server->Start();
    INFO(status.message());
    REQUIRE(status.ok());
    REQUIRE(server->port() != 0);
  }

  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + target;
  }

  HttpResult Get(const std::string& target, std::vector<std::string> headers = {}) const {
    HttpCall call;
    call.url = Url(target);
    call.headers = std::move(headers);
    return HttpFetch(call);
  }

  HttpResult Send(const std::string& method, const std::string& target, std::string body,
                  std::string content_type, std::string token = {}) const {
    HttpCall call;
    call.method = method;
    call.url = Url(target);
    call.body = std::move(body);
    call.content_type = std::move(content_type);
    call.bearer_token = std::move(token);
    return HttpFetch(call);
  }

  ViewPublisher views;
  EventLog log;
  RecordingSink sink;
  std::unique_ptr<HttpServer> server;
};

}  // namespace picket::api::testing
