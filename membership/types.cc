#include "membership/types.h"

namespace picket::membership {

std::string_view ToString(MemberState state) {
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

std::string_view ToString(EventType type) {
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

std::string_view ToString(ServiceHealth health) {
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

EventType ServiceEventType(ServiceHealth health) {
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

}  // namespace picket::membership
