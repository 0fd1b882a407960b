#pragma once

// This agent's place on the observer ring. Members sit on a ring ordered by
// (NameHash(name), name); every member is watched by its K successors. So this
// agent sends heartbeats to its K successors (its observers) and watches its K
// predecessors (its subjects). The choice is deterministic (every agent with
// the same view computes the same ring) and stable under churn: a join or a
// failure changes the observers of at most K members on each side.
//
// Only the 2K neighbours are kept, not the whole ring: an arriving member is
// compared with the current neighbours in O(K); a departing neighbour is
// replaced by one O(N) scan of the table (rare: only neighbours trigger it).
//
// Thread safety: none.

#include <cstdint>
#include <string_view>
#include <vector>

#include "membership/detail/member_table.h"

namespace picket::membership::detail {

class ObserverRing {
 public:
  // REQUIRES: k >= 1; `self` is in `table`.
  ObserverRing(int k, MemberIndex self) : k_(k), self_(self) {}

  // A member joined the ring (became alive or suspect). Returns true if the
  // observers or subjects changed.
  bool Add(const MemberTable& table, MemberIndex member);
  // A member left the ring (failed, left or removed; still in `table` or not).
  // Returns true if the observers or subjects changed.
  bool Remove(const MemberTable& table, MemberIndex member);
  // Recomputes both lists from the table (O(N)). Returns true if they changed.
  bool Rebuild(const MemberTable& table);

  // Successors: the members this agent heartbeats, nearest first. Size min(K, N-1).
  [[nodiscard]] const std::vector<MemberIndex>& observers() const { return observers_; }
  // Predecessors: the members this agent watches, nearest first.
  [[nodiscard]] const std::vector<MemberIndex>& subjects() const { return subjects_; }
  [[nodiscard]] bool IsSubject(MemberIndex member) const;
  [[nodiscard]] bool IsObserver(MemberIndex member) const;

 private:
  // Clockwise distance from self to `member` (successor order) or from
  // `member` to self (predecessor order), with ties on the hash broken by name.
  struct Distance {
    std::uint64_t hops;
    MemberIndex member;  // its name breaks ties, looked up only then
  };
  [[nodiscard]] Distance SuccessorDistance(const MemberTable& table, MemberIndex member) const;
  [[nodiscard]] Distance PredecessorDistance(const MemberTable& table, MemberIndex member) const;
  static bool Closer(const MemberTable& table, const Distance& a, const Distance& b,
                     bool successor);
  bool Offer(const MemberTable& table, MemberIndex member, std::vector<MemberIndex>& list,
             bool successor) const;

  int k_;
  MemberIndex self_;
  std::vector<MemberIndex> observers_;
  std::vector<MemberIndex> subjects_;
};

}  // namespace picket::membership::detail
