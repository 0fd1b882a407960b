#pragma once

// The probes of service health (health/): runs each local check of the
// application beside the agent on the agent's event loop and feeds the
// results to the pure state machine (health::CheckState, LocalService).
//
//   http  async GET on a fresh connection (Connection: close); the status
//         line is parsed with http_parser; 2xx/3xx passing, 429 warning,
//         anything else critical; a refused connection is hard evidence.
//   tcp   connect and HOLD the connection (the crash fast path): when the
//         application's process dies the kernel closes it, the agent
//         reconnects at once, and a refused reconnect is decisive.
//   exec  /bin/sh -c COMMAND on a thread of its own (never on the loop), in
//         the clean child environment (delivery/child_environment.h); exit 0
//         passing, 1 warning, anything else critical.
//   ttl   the application's pushes (PUT /v1/self/service).
//
// Lateness: a run that starts, or whose timeout fires, more than kLateAfter
// after it was due saw the agent's own stall, not the application's; its
// timeout is reported `late` and does not count (health/check_state.h).
//
// Thread safety: every method on the event loop's thread.

#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/cluster_view.h"
#include "delivery/child_environment.h"
#include "health/service_health.h"

namespace picket::agent {

struct ServiceCheckOptions {
  std::vector<health::CheckSpec> checks;
  health::CheckPolicy policy;
  std::vector<std::string> exec_env;  // --exec-env: variables passed to exec checks
};

class ServiceChecks {
 public:
  // How late a timer may fire before the agent counts itself as stalled.
  static constexpr auto kLateAfter = std::chrono::milliseconds(200);

  // `on_change` runs on the loop after every result (the aggregate may have changed).
  ServiceChecks(asio::io_context& io, ServiceCheckOptions options,
                std::function<void()> on_change);
  ~ServiceChecks();
  ServiceChecks(const ServiceChecks&) = delete;
  ServiceChecks& operator=(const ServiceChecks&) = delete;

  void Start();
  // Cancels every probe and timer; joins nothing (see the destructor).
  void Stop();

  // The application pushed a status (passing, warning or critical).
  void Push(membership::ServiceHealth status, std::string output);
  void SetMaintenance(bool enabled, std::string reason);

  // What to gossip now: the aggregate (health::LocalService::Aggregate).
  std::optional<membership::ServiceStatus> Aggregate();
  // For GET /v1/self/checks.
  [[nodiscard]] std::vector<api::LocalCheckInfo> Describe() const;
  [[nodiscard]] bool maintenance() const { return service_.maintenance(); }
  [[nodiscard]] bool any() const { return !service_.checks().empty() || maintenance(); }

 private:
  struct Runner;
  void Schedule(std::size_t index);
  void Run(std::size_t index, bool after_close);
  void Finish(std::size_t index, health::CheckResult result);
  void RunHttp(std::size_t index);
  void RunTcp(std::size_t index, bool after_close);
  void RunExec(std::size_t index);
  void HoldTcp(std::size_t index);
  // Connects the runner's socket to the check's host and port (resolving a
  // name first; a failed lookup finishes the run as critical).
  void Connect(std::size_t index,
               std::function<void(std::error_code, const asio::ip::tcp::endpoint&)> on_connect);
  // True while run `generation` of check `index` is the one in flight.
  [[nodiscard]] bool Current(std::size_t index, std::uint64_t generation) const;
  void ScheduleTtl(std::size_t index);
  // True if this run's timing shows that the agent itself stalled.
  [[nodiscard]] bool Late(const Runner& runner) const;

  asio::io_context& io_;
  health::CheckPolicy policy_;
  delivery::ChildEnvironment exec_env_;
  std::function<void()> on_change_;
  health::LocalService service_;
  std::vector<std::unique_ptr<Runner>> runners_;  // one per check, same index
  bool stopped_ = false;
};

}  // namespace picket::agent
