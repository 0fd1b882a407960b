#pragma once

// One simulated member: a membership::Swim and the Runtime it talks to.
// The Runtime side forwards sends to the simulated Network and events to the
// cluster's collectors; the Endpoint side feeds what the Network delivers into
// the Swim. Runtime calls never re-enter the Swim: the Network only queues.
//
// Thread safety: none; the simulation loop owns it.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "membership/runtime.h"
#include "membership/swim.h"
#include "sim/endpoint.h"
#include "sim/network.h"

namespace picket::sim {

// Where a SwimHost reports what its core emits. Implemented by the Cluster.
class HostObserver {
 public:
  virtual ~HostObserver() = default;
  virtual void OnMemberEvent(HostId observer, const membership::MemberEvent& event) = 0;
  virtual void OnDatagramSent(HostId sender, std::size_t bytes) = 0;
  virtual void OnCoreLog(HostId host, membership::LogLevel level, std::string_view message) = 0;
};

class SwimHost final : public membership::Runtime, public Endpoint {
 public:
  // Constructs the core at `now`, its member table in `names` (nullptr: a
  // private pool). REQUIRES: config valid; `network` and `observer` outlive
  // this host.
  SwimHost(HostId id, Network& network, HostObserver& observer, membership::Config config,
           membership::Identity identity, std::uint64_t seed, TimePoint now,
           std::shared_ptr<membership::NamePool> names = nullptr);
  SwimHost(const SwimHost&) = delete;
  SwimHost& operator=(const SwimHost&) = delete;
  ~SwimHost() override;

  membership::Swim& swim() { return *swim_; }
  [[nodiscard]] const membership::Swim& swim() const { return *swim_; }
  [[nodiscard]] HostId id() const { return id_; }

  // --- membership::Runtime ---
  void SendDatagram(const Address& to, std::span<const std::uint8_t> bytes) override;
  void StartStream(StreamId id, const Address& to, std::vector<std::uint8_t> request,
                   membership::Duration timeout) override;
  void OnEvent(const membership::MemberEvent& event) override;
  void Log(membership::LogLevel level, std::string_view message) override;

  // --- Endpoint ---
  void OnDatagram(const Address& from, std::span<const std::uint8_t> bytes, TimePoint now) override;
  std::vector<std::uint8_t> OnStreamRequest(const Address& from,
                                            std::span<const std::uint8_t> request,
                                            TimePoint now) override;
  void OnStreamResult(StreamId id, const membership::StreamResult& result, TimePoint now) override;
  void OnTick(TimePoint now) override;
  [[nodiscard]] TimePoint NextWakeup() const override;

 private:
  HostId id_;
  Network& network_;
  HostObserver& observer_;
  std::unique_ptr<membership::Swim> swim_;
};

}  // namespace picket::sim
