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
  }
  return "unknown";
}

}  // namespace picket::membership
