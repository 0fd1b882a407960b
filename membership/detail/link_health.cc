#include "membership/detail/link_health.h"

#include <bit>

namespace picket::membership::detail {

void LinkHealth::Record(Round round, TimePoint now) {
  if (round == Round::kUnanswered) {
    direct_streak_ = 0;
    return;
  }
  constexpr unsigned kMask = (1u << kRounds) - 1;
  const unsigned shifted =
      (static_cast<unsigned>(silent_bits_) << 1u) | (round == Round::kSilent ? 1u : 0u);
  silent_bits_ = static_cast<std::uint8_t>(shifted & kMask);
  direct_streak_ = round == Round::kDirect ? direct_streak_ + 1 : 0;
  if (!Poor()) {
    poor_since_.reset();
  } else if (!poor_since_) {
    poor_since_ = now;
  }
}

void LinkHealth::Clear() { *this = LinkHealth{}; }

bool LinkHealth::Poor() const {
  return std::popcount(static_cast<unsigned>(silent_bits_)) >= kPoorSilentRounds;
}

}  // namespace picket::membership::detail
