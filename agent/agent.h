#pragma once

// `picket agent`: the membership core driven by real time and a real network.
//
// One io_context thread owns the core (membership::Swim), the gossip transport
// and the timers; nothing else touches the core. After each change the loop
// publishes an immutable ClusterView and appends events for readers on other
// threads (the HTTP API, webhooks).

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/gossip_transport.h"
#include "agent/heartbeat_recorder.h"
#include "agent/host_port.h"
#include "agent/keyring.h"
#include "agent/service_checks.h"
#include "api/cluster_view.h"
#include "membership/config.h"
#include "membership/runtime.h"
#include "membership/swim.h"

namespace picket::agent {

struct AgentOptions {
  std::string name;                 // unique member name (default: host name)
  HostPort bind{"0.0.0.0", kDefaultGossipPort};
  std::optional<HostPort> advertise;  // what others dial; default: bind, or the host's address
  std::vector<std::string> join;    // seed addresses or DNS names, "host[:port]"
  membership::Tags tags;
  std::string keyring_file;         // empty: see keyring_inline
  std::string keyring_inline;       // keys given directly (PICKET_KEYRING_KEYS)
  std::chrono::nanoseconds leave_timeout = std::chrono::seconds(5);
  // How often the published view is refreshed when nothing changed (phi values, ages).
  std::chrono::nanoseconds publish_interval = std::chrono::milliseconds(250);
  membership::Config protocol;
  // Service health: the local checks of the application beside the agent.
  ServiceCheckOptions service;
  // --record-heartbeats: arrival traces of the observed subjects (off if unset).
  std::optional<HeartbeatRecordingOptions> record_heartbeats;
};

// Receives what the agent publishes. Called on the agent's loop thread; must
// not block (hand work to another thread).
struct AgentListener {
  std::function<void(api::ClusterViewPtr)> on_view;
  std::function<void(const membership::MemberEvent&)> on_event;
  // SIGHUP: re-read settings that may change at run time (log level).
  std::function<void()> on_reload;
};

class Agent final : public membership::Runtime {
 public:
  // Binds the gossip sockets. Throws std::runtime_error with a message that
  // names the bad setting (bind address in use, unreadable keyring, ...).
  Agent(AgentOptions options, AgentListener listener);
  ~Agent() override;

  // Runs the event loop on the calling thread until the agent stops (after a
  // graceful leave or Stop()). Returns the process exit code.
  int Run();

  // Thread-safe: ask the loop to leave gracefully and then stop.
  void RequestLeave();
  // Thread-safe: replace own tags.
  void RequestSetTags(membership::Tags tags);
  // Thread-safe: the application pushed its status (PUT /v1/self/service).
  void RequestServicePush(membership::ServiceHealth status, std::string output);
  // Thread-safe: maintenance on or off (PUT /v1/self/maintenance).
  void RequestMaintenance(bool enabled, std::string reason);
  // Thread-safe: stop at once without leaving (a second SIGTERM).
  void Stop();
  // Thread-safe: reload the keyring file.
  void RequestKeyringReload();

  // The advertised "host:port" (known after construction).
  [[nodiscard]] const std::string& advertise_address() const { return advertise_; }
  [[nodiscard]] std::uint16_t gossip_port() const { return transport_->port(); }

 private:
  // membership::Runtime
  void SendDatagram(const membership::Address& to, std::span<const std::uint8_t> bytes) override;
  void StartStream(membership::StreamId id, const membership::Address& to,
                   std::vector<std::uint8_t> request, membership::Duration timeout) override;
  void OnEvent(const membership::MemberEvent& event) override;
  void OnHeartbeatFed(std::string_view subject, membership::TimePoint at) override;
  void Log(membership::LogLevel level, std::string_view message) override;

  void AfterInput();
  // Gossips the local service's aggregate status if it changed.
  void UpdateService();
  // Accounts for a finished stream to a seed: join attempts, their failure
  // reasons, and bootstrapping when every seed turned out to be us.
  void ArmWakeup();
  void Publish();
  void SchedulePublish();
  void LeaveAndStop();
  void PollLeave(std::chrono::steady_clock::time_point deadline);
  void ReloadKeyring();
  void WaitForSignal();
  static membership::TimePoint Now();

  AgentOptions options_;
  AgentListener listener_;
  asio::io_context io_;
  asio::steady_timer wakeup_timer_;
  asio::steady_timer publish_timer_;
  asio::steady_timer leave_timer_;
  asio::signal_set signals_;
  std::optional<membership::TimePoint> armed_for_;
  std::unique_ptr<GossipTransport> transport_;
  std::unique_ptr<membership::Swim> swim_;
  std::unique_ptr<ServiceChecks> service_checks_;
  std::unique_ptr<HeartbeatRecorder> heartbeat_recorder_;  // null unless --record-heartbeats
  std::string advertise_;
  std::vector<membership::MemberEvent> pending_events_;  // delivered after the next Publish
  // The core runs the join (and logs each attempt); the agent exits when it
  // gives up.
  bool join_failure_reported_ = false;
  bool dirty_ = true;
  bool leaving_ = false;
  int signals_seen_ = 0;
  int exit_code_ = 0;
};

// Looks up this machine's host name (the default member name).
std::string HostName();

}  // namespace picket::agent
