#pragma once

// Plain value types shared by the membership core, the simulator, the agent
// runtime and the HTTP API. Nothing here does I/O.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace picket::membership {

// Time is always passed in; the core never reads a clock. The agent converts
// std::chrono::steady_clock readings, the simulator counts virtual time from
// TimePoint{}.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// A transport address as text: "host:port", IPv6 as "[::1]:9746". Opaque to
// the core. Seed addresses may be DNS names; the runtime resolves them anew on
// every connection attempt.
using Address = std::string;

// Small key/value metadata a member advertises about itself.
using Tags = std::map<std::string, std::string>;

// The application beside a member, as its agent's local checks see it
// (health/). Precedence is the member's own: each change raises its
// incarnation, so a newer status always wins and an older one never returns.
enum class ServiceHealth : std::uint8_t { kPassing, kWarning, kCritical, kMaintenance };

// "passing", "warning", "critical", "maintenance": the names used by the API and events.
constexpr std::string_view ToString(ServiceHealth health) {
  switch (health) {
    case ServiceHealth::kPassing:
      return "passing";
    case ServiceHealth::kWarning:
      return "warning";
    case ServiceHealth::kCritical:
      return "critical";
    case ServiceHealth::kMaintenance:
      return "maintenance";
  }
  return "unknown";
}

// A member's aggregated service status, gossiped with its alive state.
struct ServiceStatus {
  ServiceHealth status = ServiceHealth::kPassing;
  std::string output;             // short text of the check that decided it (UTF-8, bounded)
  std::int64_t since_unix_ms = 0;  // wall time the status began, at the member's agent
  bool operator==(const ServiceStatus&) const = default;
};

// SWIM member states. Precedence at equal incarnation: left > failed > suspect > alive.
enum class MemberState : std::uint8_t { kAlive, kSuspect, kFailed, kLeft };

inline constexpr int kMemberStateCount = 4;

// "alive", "suspect", "failed", "left": the names used by the API and events
// (a stable contract: scripts and other programs depend on them).
constexpr std::string_view ToString(MemberState state) {
  switch (state) {
    case MemberState::kAlive:
      return "alive";
    case MemberState::kSuspect:
      return "suspect";
    case MemberState::kFailed:
      return "failed";
    case MemberState::kLeft:
      return "left";
  }
  return "unknown";
}

// What this agent's Phi Accrual detector of a member believes, from the
// heartbeats it has received (see detector/phi_accrual_detector.h).
struct DetectorEstimate {
  Duration expected_interval{};  // the mean inter-arrival time phi assumes
  // The adaptive timeout: phi reaches the threshold this long after the last
  // heartbeat if no other arrives.
  Duration suspect_after{};
  TimePoint suspect_at{};  // last heartbeat + suspect_after
};

// One member as the local agent sees it. A copy: holding it keeps nothing alive.
struct MemberInfo {
  std::string name;
  Address address;
  std::uint64_t incarnation = 0;
  MemberState state = MemberState::kAlive;
  Tags tags;
  std::optional<ServiceStatus> service;  // none: the member runs no checks
  TimePoint state_since{};             // when this agent saw the current state begin
  std::optional<double> phi;           // this agent's phi, if it observes the member
  std::optional<double> reported_phi;  // highest phi the member's observers report
  // This agent's detector of the member, if it observes it and has had a heartbeat.
  std::optional<DetectorEstimate> detector;
};

// How much of the last agreed membership this agent sees alive.
struct Quorum {
  int alive = 0;    // members (self included) alive or suspect in the local view
  int members = 0;  // size of the last agreed membership (alive + suspect + failed)
  bool has_majority = false;  // alive * 2 > members
};

enum class EventType : std::uint8_t {
  kJoined,          // a member appeared (or came back after failed/left with a higher incarnation)
  kSuspect,         // a member became suspect
  kAlive,           // a suspect member refuted its suspicion
  kFailed,          // a member was declared failed
  kLeft,            // a member left gracefully
  kUpdated,         // a member changed its tags or address
  kQuorumLost,      // this agent no longer sees a majority
  kQuorumRegained,  // this agent sees a majority again
  kServicePassing,      // a member's service became passing (or reports a status at all)
  kServiceWarning,      // ... warning
  kServiceCritical,     // ... critical
  kServiceMaintenance,  // ... in maintenance (set by its operator)
};

inline constexpr int kEventTypeCount = static_cast<int>(EventType::kServiceMaintenance) + 1;

// The service event for a status: kServicePassing for kPassing, and so on.
constexpr EventType ServiceEventType(ServiceHealth health) {
  switch (health) {
    case ServiceHealth::kPassing:
      return EventType::kServicePassing;
    case ServiceHealth::kWarning:
      return EventType::kServiceWarning;
    case ServiceHealth::kCritical:
      return EventType::kServiceCritical;
    case ServiceHealth::kMaintenance:
      return EventType::kServiceMaintenance;
  }
  return EventType::kServiceCritical;
}

// "member.joined", "member.suspect", ... "service.maintenance": the names
// used by the API, the event stream and webhooks (a stable contract).
constexpr std::string_view ToString(EventType type) {
  switch (type) {
    case EventType::kJoined:
      return "member.joined";
    case EventType::kSuspect:
      return "member.suspect";
    case EventType::kAlive:
      return "member.alive";
    case EventType::kFailed:
      return "member.failed";
    case EventType::kLeft:
      return "member.left";
    case EventType::kUpdated:
      return "member.updated";
    case EventType::kQuorumLost:
      return "cluster.quorum_lost";
    case EventType::kQuorumRegained:
      return "cluster.quorum_regained";
    case EventType::kServicePassing:
      return "service.passing";
    case EventType::kServiceWarning:
      return "service.warning";
    case EventType::kServiceCritical:
      return "service.critical";
    case EventType::kServiceMaintenance:
      return "service.maintenance";
  }
  return "unknown";
}

// One membership event, emitted by the core through Runtime::OnEvent.
struct MemberEvent {
  EventType type = EventType::kJoined;
  MemberInfo member;  // the member after the change (self for quorum events)
  Quorum quorum;      // the local quorum view after the change
  TimePoint time{};
};

}  // namespace picket::membership
