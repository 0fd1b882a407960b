#include "sim/invariant_checker.h"

#include <cstdio>

namespace picket::sim {

using membership::EventType;
using membership::MemberState;

namespace {

std::string SecondsText(membership::TimePoint t) {
  const double s = std::chrono::duration<double>(t.time_since_epoch()).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", s);
  return buf;
}

bool StateMatches(EventType type, MemberState state) {
  switch (type) {
    case EventType::kAlive:
      return state == MemberState::kAlive;
    case EventType::kSuspect:
      return state == MemberState::kSuspect;
    case EventType::kFailed:
      return state == MemberState::kFailed;
    case EventType::kLeft:
      return state == MemberState::kLeft;
    default:
      return true;
  }
}

}  // namespace

void InvariantChecker::Violation(const std::string& who, const std::string& what,
                                 membership::TimePoint now) {
  ++count_;
  if (messages_.size() < max_messages_) {
    messages_.push_back("t=" + SecondsText(now) + "s " + who + ": " + what);
  }
}

void InvariantChecker::CheckEvent(const std::string& observer, const membership::MemberEvent& event,
                                  membership::TimePoint now, bool subject_known) {
  const std::string type(membership::ToString(event.type));
  if (event.time != now) {
    Violation(observer,
              type + " event stamped t=" + SecondsText(event.time) + "s, not the time of the call",
              now);
  }
  const bool quorum_event =
      event.type == EventType::kQuorumLost || event.type == EventType::kQuorumRegained;
  if (!quorum_event) {
    if (!subject_known) {
      Violation(observer, type + " event about unknown member '" + event.member.name + "'", now);
    }
    if (!StateMatches(event.type, event.member.state)) {
      Violation(observer,
                type + " event about " + event.member.name + " carries state " +
                    std::string(membership::ToString(event.member.state)),
                now);
    }
    if (event.member.name == observer && event.type == EventType::kSuspect) {
      Violation(observer, "declared itself " + type, now);
    }
  }
  const membership::Quorum& q = event.quorum;
  if (q.alive < 0 || q.alive > q.members || q.has_majority != (q.alive * 2 > q.members)) {
    Violation(observer,
              type + " event with inconsistent quorum alive=" + std::to_string(q.alive) +
                  " members=" + std::to_string(q.members) +
                  " has_majority=" + (q.has_majority ? "true" : "false"),
              now);
  }
}

void InvariantChecker::CheckDatagram(const std::string& sender, std::size_t bytes,
                                     std::size_t budget, membership::TimePoint now) {
  if (bytes > budget) {
    Violation(sender,
              "sent a datagram of " + std::to_string(bytes) + " bytes, over the packet budget of " +
                  std::to_string(budget),
              now);
  }
}

}  // namespace picket::sim
