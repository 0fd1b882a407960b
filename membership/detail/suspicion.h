#pragma once

// Lifeguard suspicion (memberlist suspicion.go): a suspicion starts with the
// maximum timeout and shrinks toward the minimum as independent members
// confirm it. The pure timeout functions are separate so they can be table
// tested; Suspicions keeps the live suspicions of one agent.

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "membership/detail/member_table.h"
#include "membership/types.h"

namespace picket::membership::detail {

// Timeout of a suspicion with `confirmations` independent confirmations out of
// `expected` (memberlist remainingSuspicionTime, elapsed excluded):
//   max(min, max - (max - min) * log(c + 1) / log(k + 1)), floored to 1 ms;
// `min` when expected < 1.
[[nodiscard]] Duration SuspicionTimeout(int confirmations, int expected, Duration min,
                                        Duration max);

// Minimum suspicion timeout for a cluster of n members:
//   multiplier * probe_interval * max(1, log10(n)).
[[nodiscard]] Duration SuspicionMinTimeout(double multiplier, Duration probe_interval, int n);

class Suspicions {
 public:
  struct Entry {
    std::uint64_t incarnation = 0;
    TimePoint start{};
    Duration min{};
    Duration max{};
    int expected = 0;
    // Name hashes of the members that suspect it (originator first).
    std::vector<std::uint64_t> confirmers;
    std::uint64_t generation = 0;
    TimePoint deadline{};
    // Final verification probes of an unconfirmed suspicion: one is running,
    // and how many ran without an answer in a row.
    bool checking = false;
    int failed_checks = 0;
  };

  // Starts suspicion of `member` at `incarnation`, replacing any earlier one.
  // Returns the entry (its deadline is start + max, or min when expected < 1).
  const Entry& Start(MemberIndex member, std::uint64_t incarnation, std::uint64_t originator,
                     TimePoint now, Duration min, Duration max, int expected);

  // Records `from` as confirming the current suspicion of `member`. Returns the
  // entry if `from` is new (its deadline may have moved earlier), nullopt if
  // there is no such suspicion or `from` already counted.
  const Entry* Confirm(MemberIndex member, std::uint64_t from);
  // True if Confirm(member, from) would count `from`: a suspicion of
  // `member` is running, still counts confirmations, and has none from `from`.
  [[nodiscard]] bool WouldCount(MemberIndex member, std::uint64_t from) const;

  // Moves the deadline of the current suspicion of `member` to `deadline`
  // (a new generation). Returns the entry, or nullptr if there is none.
  const Entry* Extend(MemberIndex member, TimePoint deadline);
  // Records the start (running) or the end (answered or not) of a final check.
  void StartFinalCheck(MemberIndex member);
  void EndFinalCheck(MemberIndex member, bool answered);

  void Clear(MemberIndex member);
  [[nodiscard]] const Entry* Find(MemberIndex member) const;
  // True if `generation` is the current suspicion of `member`.
  [[nodiscard]] bool IsCurrent(MemberIndex member, std::uint64_t generation) const;

  // Moves every deadline earlier than `not_before` to it (after a local pause,
  // refutations may be waiting unread). Returns the entries moved.
  std::vector<std::pair<MemberIndex, const Entry*>> Postpone(TimePoint not_before);

  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<MemberIndex, Entry> entries_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace picket::membership::detail
