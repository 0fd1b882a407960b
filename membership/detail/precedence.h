#pragma once

// SWIM's precedence rules as pure functions: which of two claims about one
// member wins. Everything that applies gossip, push-pull state or probe
// results goes through Overrides(), so the rules live in one place.

#include <cstdint>

#include "membership/types.h"

namespace picket::membership::detail {

// Rank of a state at equal incarnation: alive 0 < suspect 1 < failed 2 < left 3.
[[nodiscard]] constexpr int StateRank(MemberState state) { return static_cast<int>(state); }

// True if the claim (incarnation, state) replaces the current (incarnation,
// state): a higher incarnation always wins; at equal incarnation the higher
// rank wins; anything else is old news.
[[nodiscard]] constexpr bool Overrides(std::uint64_t incarnation, MemberState state,
                                       std::uint64_t current_incarnation,
                                       MemberState current_state) {
  if (incarnation != current_incarnation) return incarnation > current_incarnation;
  return StateRank(state) > StateRank(current_state);
}

// True for the states that keep a member on the observer ring, in the probe
// rotation and in the quorum's alive count.
[[nodiscard]] constexpr bool IsLive(MemberState state) {
  return state == MemberState::kAlive || state == MemberState::kSuspect;
}

}  // namespace picket::membership::detail
