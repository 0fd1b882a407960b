#pragma once

// Rendezvous (highest-random-weight) hashing: which members own a key.
//
// weight(member, key) = Mix64(Fnv1a64(member.name + '\0' + key)), where
// Fnv1a64 is 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime
// 0x100000001b3) over the bytes, and Mix64 is the MurmurHash3 fmix64
// finalizer (FNV-1a alone spreads similar names poorly). The owners of a key
// are the eligible members sorted by weight descending, ties by name
// ascending; the first R are returned. The function depends only on names and
// the key, so every agent with the same view gives the same answer, and when a
// member leaves the eligible set only the keys it owned move.
//
// Eligible members are those alive or suspect (the same "alive" as the quorum
// view): a suspicion that is later refuted must not move ownership back and
// forth. Failed and left members own nothing. Unless `include_unhealthy`,
// neither does a member whose service is critical or in maintenance (its
// agent runs, the application beside it does not serve): service health
// moves ownership away from it and back when it passes again.
//
// Thread safety: pure functions, safe from any thread.

#include <cstdint>
#include <string_view>
#include <vector>

#include "membership/types.h"

namespace picket::api {

std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ULL);
std::uint64_t Mix64(std::uint64_t x);

// The weight of `member_name` for `key`, as defined above.
std::uint64_t RendezvousWeight(std::string_view member_name, std::string_view key);

// Whether `member` may own keys (see above).
bool EligibleOwner(const membership::MemberInfo& member, bool include_unhealthy = false);

// Indexes into `members` of the (at most) `n` owners of `key`, best first.
std::vector<std::size_t> RendezvousOwners(const std::vector<membership::MemberInfo>& members,
                                          std::string_view key, std::size_t n,
                                          bool include_unhealthy = false);

}  // namespace picket::api
