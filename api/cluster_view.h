#pragma once

// The immutable snapshot of the local agent's view that the event loop
// publishes after every change and the HTTP API serves. The API never touches
// protocol state: it only reads the latest ClusterView.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "membership/counters.h"
#include "membership/types.h"

namespace picket::api {

// One local check of the application beside this agent (GET /v1/self/checks).
struct LocalCheckInfo {
  std::string name;    // "http-1", "tcp-1", "exec-1", "ttl-1", "push"
  std::string kind;    // "http", "tcp", "exec", "ttl"
  std::string target;  // URL, HOST:PORT, command, TTL
  std::optional<membership::ServiceHealth> status;  // none before the first result
  std::string output;  // of the latest run or push
  std::optional<membership::TimePoint> last_run;
  double duration_ms = 0.0;  // of the latest run
  int consecutive_failures = 0;
  int consecutive_successes = 0;
  std::uint64_t discarded_late = 0;  // failures ignored: this agent's own timers ran late
  std::uint64_t runs = 0;
};

struct ClusterView {
  membership::MemberInfo self;
  std::vector<membership::MemberInfo> members;  // self included, sorted by name
  membership::Quorum quorum;
  int health_score = 0;
  bool joined = false;   // /readyz answers 200 once true
  bool leaving = false;  // a graceful leave is in progress
  std::string cluster_name;
  membership::Counters counters;
  // The socket layer's failures (the core never sees them).
  std::uint64_t datagram_send_errors = 0;  // datagrams the OS refused to send
  std::uint64_t stream_failures = 0;       // exchanges we started that failed
  // Service health of the application beside this agent (self.service is
  // what the cluster sees): each local check, and the maintenance switch.
  std::vector<LocalCheckInfo> checks;
  bool maintenance = false;

  // The two clocks at publication, so steady TimePoints (state_since) can be
  // shown as wall time: wall(t) = published_wall - (published_steady - t).
  membership::TimePoint published_steady{};
  std::chrono::system_clock::time_point published_wall{};
};

using ClusterViewPtr = std::shared_ptr<const ClusterView>;

}  // namespace picket::api
