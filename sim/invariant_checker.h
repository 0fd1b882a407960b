#pragma once

// Protocol invariants the simulator checks on everything the cores emit.
// A violation is a bug in the core (or the simulator): it is counted and the
// first few are kept, each with the simulated time and the member.
//
// Checked:
//  - an event is stamped with the time of the call that produced it;
//  - the event's member state matches its type (suspect, alive, failed and
//    left events carry that state; joined and updated may carry any);
//  - a member never declares itself suspect (it may declare itself failed:
//    it stands down when its own link is broken, membership/README.md);
//  - the quorum view is consistent (0 <= alive <= members, has_majority ==
//    alive * 2 > members);
//  - every event names a member that exists in the simulation;
//  - no datagram exceeds the configured packet budget.
//
// Thread safety: none; the simulation loop owns it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "membership/types.h"

namespace picket::sim {

class InvariantChecker {
 public:
  explicit InvariantChecker(std::size_t max_messages) : max_messages_(max_messages) {}

  // Checks one event `observer` emitted at virtual time `now`.
  // `subject_known`: the event's member is a simulated host.
  void CheckEvent(const std::string& observer, const membership::MemberEvent& event,
                  membership::TimePoint now, bool subject_known);
  // Checks one datagram `sender` sent.
  void CheckDatagram(const std::string& sender, std::size_t bytes, std::size_t budget,
                     membership::TimePoint now);
  // Records a violation found elsewhere.
  void Violation(const std::string& who, const std::string& what, membership::TimePoint now);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  // The first violations, "t=12.345678s n17: what".
  [[nodiscard]] const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::size_t max_messages_;
  std::uint64_t count_ = 0;
  std::vector<std::string> messages_;
};

}  // namespace picket::sim
