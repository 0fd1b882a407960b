#pragma once

// A real HttpServer on 127.0.0.1 (port 0) with a recording CommandSink, and
// requests to it through the CLI's HTTP client, for the api/ unit tests.

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/cli/http_client.h"
#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_server.h"
#include "api/view_publisher.h"

namespace picket::api::testing {

// Records the commands it receives (called on the server thread).
class RecordingSink : public CommandSink {
 public:
  void Leave() override { ++leave_calls; }
  Status SetTags(membership::Tags tags) override {
    std::lock_guard<std::mutex> lock(mu);
    if (tags.count("forbidden") != 0) return Fail("tag 'forbidden' is reserved");
    last_tags = std::move(tags);
    return Status{};
  }
  Status PushService(membership::ServiceHealth status, std::string output) override {
    std::lock_guard<std::mutex> lock(mu);
    pushes.emplace_back(status, std::move(output));
    return Status{};
  }
  Status SetMaintenance(bool enabled, std::string reason) override {
    std::lock_guard<std::mutex> lock(mu);
    maintenance = std::make_pair(enabled, std::move(reason));
    return Status{};
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
    INFO((status ? std::string() : status.error()));
    REQUIRE(status);
    REQUIRE(server->port() != 0);
  }

  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + target;
  }

  cli::HttpResult Get(const std::string& target, std::vector<std::string> headers = {}) const {
    cli::HttpCall call;
    call.url = Url(target);
    call.headers = std::move(headers);
    return cli::HttpFetch(call);
  }

  cli::HttpResult Send(const std::string& method, const std::string& target, std::string body,
                       std::string content_type, std::string token = {}) const {
    cli::HttpCall call;
    call.method = method;
    call.url = Url(target);
    call.body = std::move(body);
    call.content_type = std::move(content_type);
    call.bearer_token = std::move(token);
    return cli::HttpFetch(call);
  }

  ViewPublisher views;
  EventLog log;
  RecordingSink sink;
  std::unique_ptr<HttpServer> server;
};

}  // namespace picket::api::testing
