#include "agent/agent.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

namespace picket::agent {

namespace {

std::shared_ptr<const Keyring> LoadKeyring(const AgentOptions& options) {
  Expected<Keyring> ring = Keyring();
  if (!options.keyring_file.empty()) {
    ring = Keyring::LoadFile(options.keyring_file);
  } else if (!options.keyring_inline.empty()) {
    ring = Keyring::Parse(options.keyring_inline);
  }
  if (!ring) throw std::runtime_error("--keyring: " + ring.error());
  return std::make_shared<const Keyring>(std::move(*ring));
}

// The address others should dial when none was given: the bind address, or
// for a wildcard bind the host name's first non-loopback address.
std::string DefaultAdvertise(asio::io_context& io, const HostPort& bind, std::uint16_t port) {
  std::error_code ec;
  const auto address = asio::ip::make_address(bind.host, ec);
  if (!ec && !address.is_unspecified()) return HostPort{bind.host, port}.ToString();
  asio::ip::udp::resolver resolver(io);
  const auto results = resolver.resolve(HostName(), std::to_string(port), ec);
  if (!ec) {
    for (const auto& entry : results) {
      const auto candidate = entry.endpoint().address();
      if (!candidate.is_loopback() && candidate.is_v4() == address.is_v4()) {
        return HostPort{candidate.to_string(), port}.ToString();
      }
    }
  }
  spdlog::warn("cannot find a non-loopback address for host '{}'; advertising 127.0.0.1 "
               "(set --advertise)", HostName());
  return HostPort{"127.0.0.1", port}.ToString();
}

}  // namespace

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') return "picket";
  return buffer;
}

Agent::Agent(AgentOptions options, AgentListener listener)
    : options_(std::move(options)),
      listener_(std::move(listener)),
      wakeup_timer_(io_),
      publish_timer_(io_),
      leave_timer_(io_),
      signals_(io_) {
  auto keyring = LoadKeyring(options_);
  GossipTransport::Callbacks callbacks;
  callbacks.on_datagram = [this](const std::string& from, std::span<const std::uint8_t> bytes) {
    swim_->HandleDatagram(from, bytes, Now());
    AfterInput();
  };
  callbacks.on_stream_request = [this](const std::string& from,
                                       std::span<const std::uint8_t> request) {
    auto response = swim_->HandleStreamRequest(from, request, Now());
    AfterInput();
    return response;
  };
  callbacks.on_stream_response = [this](std::uint64_t id, StreamOutcome outcome) {
    swim_->HandleStreamResult(id, outcome.Result(), Now());
    AfterInput();
  };
  try {
    transport_ = std::make_unique<GossipTransport>(io_, options_.bind, std::move(callbacks));
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("--bind: ") + e.what());
  }
  transport_->SetKeyring(keyring);

  if (options_.advertise) {
    HostPort advertise = *options_.advertise;
    if (advertise.port == 0) advertise.port = transport_->port();
    advertise_ = advertise.ToString();
  } else {
    advertise_ = DefaultAdvertise(io_, options_.bind, transport_->port());
  }
  transport_->SetAdvertised(advertise_);

  membership::Config config = options_.protocol;
  // The core packs datagrams up to the budget; sealing adds its overhead after.
  config.packet_budget -= transport_->overhead();
  swim_ = std::make_unique<membership::Swim>(
      config, membership::Identity{options_.name, advertise_, options_.tags},
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
          std::hash<std::string>{}(options_.name),
      *this, Now());

  if (options_.record_heartbeats) {
    options_.record_heartbeats->observer = options_.name;
    try {
      heartbeat_recorder_ = std::make_unique<HeartbeatRecorder>(*options_.record_heartbeats);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--record-heartbeats: ") + e.what());
    }
  }

  service_checks_ = std::make_unique<ServiceChecks>(io_, std::move(options_.service),
                                                    [this] { UpdateService(); });

  spdlog::info("picket agent '{}' gossiping on {} (udp+tcp port {}), advertising {}, cluster '{}'",
               options_.name, options_.bind.ToString(), transport_->port(), advertise_,
               config.cluster_name);
  if (keyring->enabled()) {
    spdlog::info("gossip encryption on: {} key(s), XChaCha20-Poly1305", keyring->size());
  } else {
    spdlog::warn("gossip is NOT encrypted: anyone who can reach port {} can join and read "
                 "membership (set --keyring)", transport_->port());
  }
}

Agent::~Agent() = default;

membership::TimePoint Agent::Now() { return std::chrono::steady_clock::now(); }

int Agent::Run() {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  WaitForSignal();
  if (!options_.join.empty()) {
    spdlog::info("joining through {}", fmt::join(options_.join, ", "));
    swim_->Join(options_.join, Now());
  }
  service_checks_->Start();
  AfterInput();
  Publish();
  SchedulePublish();
  io_.run();
  service_checks_->Stop();
  transport_->Close();
  return exit_code_;
}

void Agent::WaitForSignal() {
  signals_.async_wait([this](std::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading keyring and log level");
      ReloadKeyring();
      if (listener_.on_reload) listener_.on_reload();
    } else if (++signals_seen_ == 1) {
      spdlog::info("{}: leaving the cluster (send again to exit at once)",
                   signal == SIGINT ? "SIGINT" : "SIGTERM");
      LeaveAndStop();
    } else {
      spdlog::warn("second signal: exiting without waiting for the leave to spread");
      exit_code_ = 1;
      io_.stop();
      return;
    }
    WaitForSignal();
  });
}

void Agent::RequestLeave() {
  asio::post(io_, [this] { LeaveAndStop(); });
}

void Agent::RequestSetTags(membership::Tags tags) {
  asio::post(io_, [this, tags = std::move(tags)]() mutable {
    if (const Status set = swim_->SetTags(std::move(tags), Now()); !set) {
      // Checked by the API before it answered 202; only a leave in between gets here.
      spdlog::warn("tags not changed: {}", set.error());
    }
    dirty_ = true;  // GET /v1/self/tags must show the new tags now, not at the next periodic publish
    AfterInput();
  });
}

void Agent::RequestServicePush(membership::ServiceHealth status, std::string output) {
  asio::post(io_, [this, status, output = std::move(output)]() mutable {
    service_checks_->Push(status, std::move(output));
  });
}

void Agent::RequestMaintenance(bool enabled, std::string reason) {
  asio::post(io_, [this, enabled, reason = std::move(reason)]() mutable {
    service_checks_->SetMaintenance(enabled, std::move(reason));
  });
}

void Agent::UpdateService() {
  const auto status = service_checks_->Aggregate();
  const auto self = swim_->Self();
  if (status != self.service) {
    // The checks bound and clean the output (health::BoundedUtf8): only a
    // leave in between fails here.
    if (const Status set = swim_->SetService(status, Now()); !set) {
      spdlog::warn("service status not spread: {}", set.error());
    } else if (status) {
      spdlog::info("service {}: {}", membership::ToString(status->status), status->output);
    }
  }
  AfterInput();
}

void Agent::Stop() {
  asio::post(io_, [this] { io_.stop(); });
}

void Agent::RequestKeyringReload() {
  asio::post(io_, [this] { ReloadKeyring(); });
}

void Agent::ReloadKeyring() {
  if (options_.keyring_file.empty()) return;
  auto ring = Keyring::LoadFile(options_.keyring_file);
  if (!ring) {
    spdlog::error("keyring not reloaded, keeping the old one: {}", ring.error());
    return;
  }
  spdlog::info("keyring reloaded: {} key(s)", ring->size());
  transport_->SetKeyring(std::make_shared<const Keyring>(std::move(*ring)));
}

void Agent::LeaveAndStop() {
  if (leaving_) return;
  leaving_ = true;
  swim_->Leave(Now());
  AfterInput();
  PollLeave(std::chrono::steady_clock::now() + options_.leave_timeout);
}

void Agent::PollLeave(std::chrono::steady_clock::time_point deadline) {
  if (swim_->LeaveComplete() || std::chrono::steady_clock::now() >= deadline) {
    spdlog::info("left the cluster{}", swim_->LeaveComplete() ? "" : " (leave timeout passed)");
    Publish();
    io_.stop();
    return;
  }
  leave_timer_.expires_after(std::chrono::milliseconds(50));
  leave_timer_.async_wait([this, deadline](std::error_code ec) {
    if (!ec) PollLeave(deadline);
  });
}

void Agent::AfterInput() {
  if (!join_failure_reported_ && swim_->JoinFailed()) {
    join_failure_reported_ = true;  // the core has logged why
    spdlog::error("exiting: could not join the cluster");
    exit_code_ = 1;
    io_.stop();
  }
  ArmWakeup();
  if (dirty_) Publish();
  // Readers expect the view to reflect an event before the event is visible.
  std::vector<membership::MemberEvent> events;
  events.swap(pending_events_);
  if (listener_.on_event) {
    for (const auto& event : events) listener_.on_event(event);
  }
}

void Agent::ArmWakeup() {
  const membership::TimePoint next = swim_->NextWakeup();
  if (armed_for_ && *armed_for_ == next) return;
  armed_for_ = next;
  wakeup_timer_.expires_at(next);
  wakeup_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;  // re-armed or shutting down
    armed_for_.reset();
    swim_->Tick(Now());
    AfterInput();
  });
}

void Agent::SchedulePublish() {
  publish_timer_.expires_after(options_.publish_interval);
  publish_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    Publish();
    SchedulePublish();
  });
}

void Agent::Publish() {
  dirty_ = false;
  if (!listener_.on_view) return;
  const auto now = Now();
  auto view = std::make_shared<api::ClusterView>();
  view->self = swim_->Self();
  view->members = swim_->Members(now);
  view->quorum = swim_->GetQuorum();
  view->health_score = swim_->HealthScore();
  view->joined = options_.join.empty() || swim_->Joined();
  view->leaving = leaving_;
  view->cluster_name = swim_->config().cluster_name;
  view->counters = swim_->counters();
  view->checks = service_checks_->Describe();
  view->maintenance = service_checks_->maintenance();
  const TransportCounters& transport = transport_->counters();
  view->counters.dropped[static_cast<std::size_t>(membership::DropReason::kUnauthenticated)] +=
      transport.unauthenticated;
  view->counters.dropped[static_cast<std::size_t>(membership::DropReason::kOversized)] +=
      transport.oversized_streams;
  view->counters.dropped[static_cast<std::size_t>(membership::DropReason::kTruncated)] +=
      transport.truncated_streams;
  view->datagram_send_errors = transport.send_errors;
  view->stream_failures = transport.stream_errors;
  view->published_steady = now;
  view->published_wall = std::chrono::system_clock::now();
  listener_.on_view(std::move(view));
}

void Agent::SendDatagram(const membership::Address& to, std::span<const std::uint8_t> bytes) {
  transport_->Send(to, bytes);
}

void Agent::StartStream(membership::StreamId id, const membership::Address& to,
                        std::vector<std::uint8_t> request, membership::Duration timeout) {
  transport_->StartStream(id, to, std::move(request), timeout);
}

void Agent::OnEvent(const membership::MemberEvent& event) {
  dirty_ = true;
  const auto& m = event.member;
  if (leaving_ && (event.type == membership::EventType::kQuorumLost ||
                   event.type == membership::EventType::kQuorumRegained)) {
    // After our own leave we are no longer counted (the last member to leave
    // sees alive 0 of 0): a quorum change then says nothing about the cluster
    // and must not make an orchestrator fail over.
    spdlog::debug("{} after our own leave not reported (alive {}/{})",
                  membership::ToString(event.type), event.quorum.alive, event.quorum.members);
    return;
  }
  spdlog::info("{} {} {} incarnation {} (alive {}/{}{})", membership::ToString(event.type), m.name,
               m.address, m.incarnation, event.quorum.alive, event.quorum.members,
               event.quorum.has_majority ? "" : ", NO majority");
  pending_events_.push_back(event);
}

void Agent::OnHeartbeatFed(std::string_view subject, membership::TimePoint at) {
  if (heartbeat_recorder_) heartbeat_recorder_->Record(subject, at);
}

void Agent::Log(membership::LogLevel level, std::string_view message) {
  switch (level) {
    case membership::LogLevel::kDebug: spdlog::debug("{}", message); break;
    case membership::LogLevel::kInfo: spdlog::info("{}", message); break;
    case membership::LogLevel::kWarn: spdlog::warn("{}", message); break;
    case membership::LogLevel::kError: spdlog::error("{}", message); break;
  }
}

}  // namespace picket::agent
