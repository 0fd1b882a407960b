#pragma once

// The one definition of a percentile (and so of the median) that picket's
// reports use: nearest rank. Header-only: the simulator and the detector
// evaluation share it without linking each other.

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <vector>

namespace picket::detector {

// The nearest-rank q-quantile of `sorted` (ascending, not empty): the
// smallest value with at least a fraction q of the sample at or below it.
// The median is NearestRank(sorted, 0.5): the lower middle value of an even
// sample.
template <typename T>
const T& NearestRank(const std::vector<T>& sorted, double q) {
  assert(!sorted.empty());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace picket::detector
