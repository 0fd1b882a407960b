#pragma once

// The public names of member states and event types, as the API, the event
// stream and webhooks spell them. membership/types.h declares ToString() for
// the same enums, implemented in the membership library; api/ keeps its own
// header-only mapping so that it does not link the core. Both must agree: the
// names are a stable contract (DESIGN.md, "Stable contracts").

#include <string_view>

#include "membership/types.h"

namespace picket::api {

// "alive", "suspect", "failed", "left"; "unknown" for a value outside the enum.
constexpr std::string_view StateName(membership::MemberState state) {
  switch (state) {
    case membership::MemberState::kAlive:
      return "alive";
    case membership::MemberState::kSuspect:
      return "suspect";
    case membership::MemberState::kFailed:
      return "failed";
    case membership::MemberState::kLeft:
      return "left";
  }
  return "unknown";
}

// "member.joined" ... "service.maintenance"; "unknown" outside the enum.
constexpr std::string_view EventTypeName(membership::EventType type) {
  switch (type) {
    case membership::EventType::kJoined:
      return "member.joined";
    case membership::EventType::kSuspect:
      return "member.suspect";
    case membership::EventType::kAlive:
      return "member.alive";
    case membership::EventType::kFailed:
      return "member.failed";
    case membership::EventType::kLeft:
      return "member.left";
    case membership::EventType::kUpdated:
      return "member.updated";
    case membership::EventType::kQuorumLost:
      return "cluster.quorum_lost";
    case membership::EventType::kQuorumRegained:
      return "cluster.quorum_regained";
    case membership::EventType::kServicePassing:
      return "service.passing";
    case membership::EventType::kServiceWarning:
      return "service.warning";
    case membership::EventType::kServiceCritical:
      return "service.critical";
    case membership::EventType::kServiceMaintenance:
      return "service.maintenance";
  }
  return "unknown";
}

// "passing", "warning", "critical", "maintenance"; "unknown" outside the enum.
constexpr std::string_view ServiceHealthName(membership::ServiceHealth health) {
  switch (health) {
    case membership::ServiceHealth::kPassing:
      return "passing";
    case membership::ServiceHealth::kWarning:
      return "warning";
    case membership::ServiceHealth::kCritical:
      return "critical";
    case membership::ServiceHealth::kMaintenance:
      return "maintenance";
  }
  return "unknown";
}

// The marker event the API synthesizes when a reader missed events (never
// stored in the log, never produced by the core).
inline constexpr std::string_view kResyncEventName = "picket.resync";

// Number of EventType values (for per-type counters), and of member states.
inline constexpr int kEventTypeCount = 12;
inline constexpr int kMemberStateCount = 4;

}  // namespace picket::api
