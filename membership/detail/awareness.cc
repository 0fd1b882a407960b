#include "membership/detail/awareness.h"

#include <algorithm>

namespace picket::membership::detail {

void Awareness::Apply(int delta) { score_ = std::clamp(score_ + delta, 0, max_); }

Duration Awareness::Scale(Duration d) const { return d * (1 + score_); }

}  // namespace picket::membership::detail
