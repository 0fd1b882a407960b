// A picket HTTP API server over a synthetic view, for benchmarks (wrk) and the
// promtool check. Not part of the agent.
//
//   api_bench_server [--members N] [--events N] [--port P] [--port-file PATH]
//
// Serves on 127.0.0.1 (port 0 = ephemeral, written to --port-file), until
// SIGINT or SIGTERM.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/view_publisher.h"

namespace {

using picket::api::ClusterView;
using picket::membership::MemberInfo;
using picket::membership::MemberState;

class NullSink : public picket::api::CommandSink {
 public:
  void Leave() override {}
  picket::Status SetTags(picket::membership::Tags) override {
    return picket::Status{};
  }
  picket::Status PushService(picket::membership::ServiceHealth, std::string) override {
    return picket::Status{};
  }
  picket::Status SetMaintenance(bool, std::string) override {
    return picket::Status{};
  }
};

std::shared_ptr<ClusterView> SyntheticView(int members) {
  auto view = std::make_shared<ClusterView>();
  view->published_steady = picket::membership::Clock::now();
  view->published_wall = std::chrono::system_clock::now();
  view->cluster_name = "bench";
  view->joined = true;
  for (int i = 0; i < members; ++i) {
    MemberInfo m;
    char name[32];
    std::snprintf(name, sizeof(name), "member-%04d", i);
    m.name = name;
    m.address = "127.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":9746";
    m.incarnation = static_cast<std::uint64_t>(i % 7);
    m.state = i % 97 == 0   ? MemberState::kFailed
              : i % 41 == 0 ? MemberState::kSuspect
                            : MemberState::kAlive;
    m.tags = {{"role", i % 3 == 0 ? "primary" : "replica"},
              {"zone", "zone-" + std::to_string(i % 3)}};
    m.state_since = view->published_steady - std::chrono::seconds(i % 600);
    if (i % 4 == 0) m.phi = 0.25 * (i % 13);
    if (i % 2 == 0) m.reported_phi = 0.5 * (i % 11);
    if (i >= 1 && i <= 4) {  // the K = 4 members this agent observes
      m.detector = picket::membership::DetectorEstimate{
          std::chrono::milliseconds(500 + i), std::chrono::milliseconds(1061 + 10 * i),
          view->published_steady + std::chrono::milliseconds(600)};
    }
    if (i % 5 != 4) {
      m.service = picket::membership::ServiceStatus{
          i % 53 == 0 ? picket::membership::ServiceHealth::kCritical
                      : picket::membership::ServiceHealth::kPassing,
          "http-1: HTTP 200 OK", 1764820800000 + i};
    }
    view->members.push_back(std::move(m));
  }
  view->self = view->members.front();
  for (const char* kind : {"http", "tcp"}) {
    picket::api::LocalCheckInfo check;
    check.name = std::string(kind) + "-1";
    check.kind = kind;
    check.target = "127.0.0.1:8080";
    check.status = picket::membership::ServiceHealth::kPassing;
    check.runs = 100;
    check.duration_ms = 0.8;
    view->checks.push_back(std::move(check));
  }
  int alive = 0;
  for (const auto& m : view->members) {
    if (m.state == MemberState::kAlive || m.state == MemberState::kSuspect) ++alive;
  }
  view->quorum = {alive, members, alive * 2 > members};
  view->counters.datagrams_in = 123456;
  view->counters.datagrams_out = 123400;
  view->counters.bytes_in = 9876543;
  view->counters.bytes_out = 9876000;
  view->counters.probes = 4242;
  view->counters.suspicions = 3;
  view->counters.dropped[0] = 2;
  return view;
}

}  // namespace

int main(int argc, char** argv) {
  int members = 1000;
  int events = 100;
  unsigned port = 0;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--members") {
      members = std::atoi(value);
    } else if (flag == "--events") {
      events = std::atoi(value);
    } else if (flag == "--port") {
      port = static_cast<unsigned>(std::atoi(value));
    } else if (flag == "--port-file") {
      port_file = value;
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (members < 1) members = 1;

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  picket::api::ViewPublisher views;
  picket::api::EventLog log;
  NullSink sink;
  auto view = SyntheticView(members);
  views.Publish(view);
  for (int i = 0; i < events; ++i) {
    picket::membership::MemberEvent event;
    event.type = static_cast<picket::membership::EventType>(i % 6);
    event.member = view->members[static_cast<std::size_t>(i % members)];
    event.quorum = view->quorum;
    event.time = picket::membership::Clock::now();
    log.Append(event);
  }

  picket::api::HttpServerOptions options;
  options.port = static_cast<std::uint16_t>(port);
  // Two command hooks' counters, so /metrics (and promtool) covers their families.
  options.router.hook_metrics = [] {
    std::vector<picket::api::HookMetrics> hooks(2);
    hooks[0].hook = "promote.sh";
    hooks[0].success = 3;
    hooks[0].timeout = 1;
    hooks[0].duration_buckets[2] = 3;
    hooks[0].duration_count = 4;
    hooks[0].duration_sum_seconds = 30.2;
    hooks[1].hook = "logger";
    return hooks;
  };
  picket::api::HttpServer server(options, views, log, sink);
  if (auto status = server.Start(); !status) {
    std::cerr << status.error() << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream out(port_file + ".tmp");
    out << server.port() << "\n";
    out.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cerr << "api_bench_server: " << members << " members on 127.0.0.1:" << server.port() << "\n";
  int signal = 0;
  sigwait(&signals, &signal);
  server.Stop();
  return 0;
}
