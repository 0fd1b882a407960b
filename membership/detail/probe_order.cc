#include "membership/detail/probe_order.h"

#include <utility>

#include "membership/detail/precedence.h"

namespace picket::membership::detail {

MemberIndex ProbeOrder::Next(const MemberTable& table, MemberIndex self, Random& random) {
  for (int pass = 0; pass < 2; ++pass) {
    while (position_ < order_.size()) {
      const MemberIndex m = order_[position_++];
      if (m != self && table.Contains(m) && IsLive(table.State(m))) return m;
    }
    // Rebuild from the table: drops members that left the rotation and any
    // duplicates Add() introduced.
    order_.clear();
    position_ = 0;
    for (MemberIndex m = 0; m < table.end(); ++m) {
      if (m != self && table.Contains(m) && IsLive(table.State(m))) order_.push_back(m);
    }
    if (order_.empty()) return kNoMember;
    random.Shuffle(order_);
  }
  return kNoMember;
}

void ProbeOrder::Add(MemberIndex member, Random& random) {
  // Append, then swap with a random slot of the rest of the round: O(1), and
  // the newcomer's place is uniform among the members not yet probed.
  order_.push_back(member);
  const std::size_t remaining = order_.size() - position_;
  std::swap(order_.back(), order_[position_ + random.Uniform(remaining)]);
}

}  // namespace picket::membership::detail
