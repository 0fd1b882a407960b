#include "detector/eval/fleet.h"

#include <algorithm>
#include <functional>

namespace picket::detector::eval {
namespace {

double Nanos(Duration d) { return static_cast<double>(d.count()); }

// The smallest t in [lo, hi] with pred(t), for a monotone pred (false..true);
// hi if none.
Duration SmallestWhere(Duration lo, Duration hi, const std::function<bool(Duration)>& pred) {
  while (lo < hi) {
    const Duration mid = lo + (hi - lo) / 2;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid + Duration(1);
    }
  }
  return hi;
}

}  // namespace

FleetComparison CompareFleet(const std::vector<const TraceEvaluation*>& evaluations,
                             double threshold) {
  FleetComparison result;
  result.threshold = threshold;
  if (evaluations.empty()) return result;

  double phi_median_sum = 0.0;
  Duration longest_gap = Duration::zero();
  for (const TraceEvaluation* e : evaluations) {
    const auto it = std::find_if(e->phi.begin(), e->phi.end(),
                                 [&](const QosStats& s) { return s.threshold == threshold; });
    FleetComparison::Family family;
    if (it != e->phi.end()) {
      family.phi_detection_median = it->detection_median;
      family.phi_mistakes = it->mistakes;
      result.label = it->label;
    }
    result.phi_mistakes += family.phi_mistakes;
    phi_median_sum += Nanos(family.phi_detection_median);
    result.hours += e->hours;
    longest_gap = std::max(longest_gap, e->fixed_timeout.LongestGap());
    result.families.push_back(family);
  }
  const auto n = static_cast<double>(evaluations.size());
  result.phi_mean_detection_median = Duration(static_cast<Duration::rep>(phi_median_sum / n));

  auto mean_median = [&](Duration timeout) {
    double sum = 0.0;
    for (const TraceEvaluation* e : evaluations)
      sum += Nanos(e->fixed_timeout.DetectionMedian(timeout));
    return sum / n;
  };
  auto total_mistakes = [&](Duration timeout) {
    std::uint64_t sum = 0;
    for (const TraceEvaluation* e : evaluations) sum += e->fixed_timeout.Mistakes(timeout);
    return sum;
  };

  const Duration search_end = longest_gap + std::chrono::hours(1);
  result.equal_speed_timeout = SmallestWhere(Duration::zero(), search_end, [&](Duration t) {
    return mean_median(t) >= Nanos(result.phi_mean_detection_median);
  });
  result.equal_speed_mistakes = total_mistakes(result.equal_speed_timeout);
  if (result.equal_speed_mistakes > 0) {
    result.fewer_mistakes = 1.0 - static_cast<double>(result.phi_mistakes) /
                                      static_cast<double>(result.equal_speed_mistakes);
  }

  result.equal_mistakes_timeout = SmallestWhere(Duration::zero(), search_end, [&](Duration t) {
    return total_mistakes(t) <= result.phi_mistakes;
  });
  const double timeout_median = mean_median(result.equal_mistakes_timeout);
  result.equal_mistakes_mean_detection_median =
      Duration(static_cast<Duration::rep>(timeout_median));
  if (timeout_median > 0.0) {
    result.faster = 1.0 - Nanos(result.phi_mean_detection_median) / timeout_median;
  }

  for (std::size_t i = 0; i < evaluations.size(); ++i) {
    const FixedTimeoutModel& fixed = evaluations[i]->fixed_timeout;
    FleetComparison::Family& family = result.families[i];
    family.equal_speed_detection_median = fixed.DetectionMedian(result.equal_speed_timeout);
    family.equal_speed_mistakes = fixed.Mistakes(result.equal_speed_timeout);
    family.equal_mistakes_detection_median = fixed.DetectionMedian(result.equal_mistakes_timeout);
    family.equal_mistakes_mistakes = fixed.Mistakes(result.equal_mistakes_timeout);
  }
  return result;
}

}  // namespace picket::detector::eval
