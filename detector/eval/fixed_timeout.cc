#include "detector/eval/fixed_timeout.h"

#include <algorithm>
#include <functional>

namespace picket::detector::eval {

FixedTimeoutModel::FixedTimeoutModel(std::vector<Duration> gaps,
                                     std::vector<Duration> last_minus_crash)
    : gaps_(std::move(gaps)), u_(std::move(last_minus_crash)) {
  std::sort(gaps_.begin(), gaps_.end(), std::greater<>());
  prefix_.resize(gaps_.size() + 1, Duration::zero());
  for (std::size_t i = 0; i < gaps_.size(); ++i) prefix_[i + 1] = prefix_[i] + gaps_[i];
  std::sort(u_.begin(), u_.end());
}

std::uint64_t FixedTimeoutModel::Mistakes(Duration timeout) const {
  return static_cast<std::uint64_t>(
      std::lower_bound(gaps_.begin(), gaps_.end(), timeout, std::greater<>()) - gaps_.begin());
}

Duration FixedTimeoutModel::MistakeTime(Duration timeout) const {
  const std::uint64_t n = Mistakes(timeout);
  return prefix_[n] - timeout * static_cast<Duration::rep>(n);
}

std::vector<Duration> FixedTimeoutModel::DetectionTimes(Duration timeout) const {
  std::vector<Duration> out;
  out.reserve(u_.size());
  for (const Duration u : u_) out.push_back(std::max(Duration::zero(), u + timeout));
  return out;  // u_ is sorted and the map is monotone
}

Duration FixedTimeoutModel::DetectionMedian(Duration timeout) const {
  if (u_.empty()) return Duration::zero();
  return std::max(Duration::zero(), u_[u_.size() / 2] + timeout);
}

Duration FixedTimeoutModel::ShortestWithAtMost(std::uint64_t mistakes) const {
  return mistakes < gaps_.size() ? gaps_[mistakes] : Duration::zero();
}

Duration FixedTimeoutModel::WithDetectionMedian(Duration median) const {
  if (u_.empty()) return Duration::zero();
  return std::max(Duration::zero(), median - u_[u_.size() / 2]);
}

Duration FixedTimeoutModel::LongestGap() const {
  return gaps_.empty() ? Duration::zero() : gaps_.front();
}

}  // namespace picket::detector::eval
