#pragma once

// Lifeguard local health awareness (memberlist awareness.go): a score that
// grows when this agent shows signs of being the problem (missed nacks, local
// pauses, having to refute) and shrinks with successful probes. Timeouts and
// intervals of its own probing are multiplied by (1 + score).

#include "membership/types.h"

namespace picket::membership::detail {

class Awareness {
 public:
  // REQUIRES: max_score >= 0.
  explicit Awareness(int max_score) : max_(max_score) {}

  // Adds delta (may be negative), clamped to [0, max_score].
  void Apply(int delta);

  // d * (1 + score).
  [[nodiscard]] Duration Scale(Duration d) const;

  [[nodiscard]] int score() const { return score_; }

 private:
  int max_;
  int score_ = 0;
};

}  // namespace picket::membership::detail
