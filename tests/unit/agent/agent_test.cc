// The agent on real sockets (127.0.0.1), run to completion on the test's
// thread: joining when every seed is this agent, giving up on seeds nobody
// answers, and what its own leave reports. Bounded by join timeouts, not sleeps.

#include "agent/agent.h"

#include <catch2/catch.hpp>

using picket::agent::Agent;
using picket::agent::AgentListener;
using picket::agent::AgentOptions;
using picket::agent::HostPort;
namespace membership = picket::membership;
using namespace std::chrono_literals;

namespace {

// A TCP port free right now on 127.0.0.1 (the agent binds TCP first, then UDP).
std::uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

AgentOptions Options(const std::string& name, std::uint16_t port) {
  AgentOptions o;
  o.name = name;
  o.bind = HostPort{"127.0.0.1", port};
  o.leave_timeout = 2s;
  o.protocol.join_retry_initial = 100ms;
  o.protocol.join_retry_max = 200ms;
  o.protocol.join_timeout = 10s;
  return o;
}

bool IsQuorumEvent(const membership::MemberEvent& e) {
  return e.type == membership::EventType::kQuorumLost ||
         e.type == membership::EventType::kQuorumRegained;
}

}  // namespace

TEST_CASE("agent: its own graceful leave reports no quorum change", "[agent]") {
  std::vector<membership::MemberEvent> events;
  picket::api::ClusterViewPtr last_view;
  AgentListener listener;
  listener.on_event = [&](const membership::MemberEvent& e) { events.push_back(e); };
  listener.on_view = [&](picket::api::ClusterViewPtr v) { last_view = std::move(v); };
  Agent agent(Options("solo", 0), std::move(listener));
  agent.RequestLeave();  // runs once the loop does
  CHECK(agent.Run() == 0);
  REQUIRE(last_view);
  CHECK(last_view->leaving);
  CHECK(last_view->self.state == membership::MemberState::kLeft);
  for (const auto& e : events) {
    INFO(membership::ToString(e.type) << " alive " << e.quorum.alive << "/" << e.quorum.members);
    CHECK_FALSE(IsQuorumEvent(e));
  }
}

TEST_CASE("agent: a seed name that resolves only to itself starts a cluster of one", "[agent]") {
  const std::uint16_t port = FreePort();
  AgentOptions options = Options("first", port);
  options.join = {"localhost:" + std::to_string(port)};  // 127.0.0.1 in /etc/hosts
  Agent* running = nullptr;
  bool joined = false;
  AgentListener listener;
  listener.on_view = [&](picket::api::ClusterViewPtr v) {
    if (v->joined && !joined) {
      joined = true;
      running->RequestLeave();
    }
  };
  Agent agent(std::move(options), std::move(listener));
  running = &agent;
  CHECK(agent.Run() == 0);  // 1 if it had given up at the join timeout
  CHECK(joined);
}

TEST_CASE("agent: seeds nobody answers make it give up at the join timeout, non-zero", "[agent]") {
  AgentOptions options = Options("lonely", 0);
  options.join = {"127.0.0.1:" + std::to_string(FreePort())};
  options.protocol.join_timeout = 1s;
  bool joined = false;
  AgentListener listener;
  listener.on_view = [&](picket::api::ClusterViewPtr v) { joined = joined || v->joined; };
  Agent agent(std::move(options), std::move(listener));
  const auto started = std::chrono::steady_clock::now();
  CHECK(agent.Run() == 1);
  CHECK(std::chrono::steady_clock::now() - started >= 900ms);
  CHECK_FALSE(joined);
}
