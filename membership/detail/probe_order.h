#pragma once

// SWIM's randomized round-robin: every live member is probed once per round
// in a freshly shuffled order, so a failed member is probed within at most
// two rounds (unlike uniform random picks, which have no bound). Members that
// join mid-round go to a random place in the rest of the round.

#include <vector>

#include "membership/detail/member_table.h"
#include "membership/detail/random.h"

namespace picket::membership::detail {

class ProbeOrder {
 public:
  // The next live member (alive or suspect, not `self`) to probe, or kNoMember
  // if there is none. Starts a new shuffled round when the current one is
  // used up. Amortized O(1): a round costs O(N) once per N probes.
  MemberIndex Next(const MemberTable& table, MemberIndex self, Random& random);

  // A member became live: schedule it somewhere in the rest of this round.
  void Add(MemberIndex member, Random& random);

 private:
  std::vector<MemberIndex> order_;
  std::size_t position_ = 0;
};

}  // namespace picket::membership::detail
