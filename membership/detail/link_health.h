#pragma once

// What this member's own probe rounds say about its datagram link: whether
// anyone at all answered each round (the target's ack, a helper's nack or
// relayed ack, the stream fallback), and how many rounds in a row the target
// answered directly. A member whose rounds hear nobody while others suspect
// it is the one with the bad link (a gray failure of its own), not its
// targets: see SwimCore's stand-down in membership/README.md.

#include <cstdint>
#include <optional>

#include "membership/types.h"

namespace picket::membership::detail {

class LinkHealth {
 public:
  enum class Round : std::uint8_t {
    kDirect,      // the target acked the ping itself
    kHeard,       // no direct ack, but a helper's nack or ack, or the stream answered
    kSilent,      // nobody answered, though helpers were asked and had time to nack
    kUnanswered,  // nobody answered, but no helper could have nacked in time
  };

  // A round (or a verification with helpers) this member finished at `now`.
  // Only kSilent and kHeard count towards Poor(); anything but kDirect ends
  // the direct streak.
  void Record(Round round, TimePoint now);
  // Forgets every round (after a local pause: its silence was ours, but not
  // our link's).
  void Clear();

  // At least kPoorSilentRounds of the last kRounds recorded rounds heard
  // nobody.
  [[nodiscard]] bool Poor() const;
  // The latest recorded round heard nobody.
  [[nodiscard]] bool LastSilent() const { return (silent_bits_ & 1u) != 0; }
  // Since when Poor() has held (unset while it does not).
  [[nodiscard]] std::optional<TimePoint> poor_since() const { return poor_since_; }
  // Rounds in a row, up to the last one, whose target answered directly.
  [[nodiscard]] int direct_streak() const { return direct_streak_; }

  static constexpr int kRounds = 4;
  static constexpr int kPoorSilentRounds = 3;

 private:
  std::uint8_t silent_bits_ = 0;  // bit i: the i-th latest round was silent
  int direct_streak_ = 0;
  std::optional<TimePoint> poor_since_;
};

}  // namespace picket::membership::detail
