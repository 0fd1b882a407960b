#include "membership/detail/phi_reports.h"

#include <algorithm>

namespace picket::membership::detail {

std::optional<double> PhiReports::Record(MemberIndex subject, std::uint64_t observer, double phi,
                                         double clear_below, TimePoint now, TimePoint expires) {
  std::optional<double> previous;
  auto it = reports_.find(subject);
  if (it != reports_.end()) {
    auto& list = it->second;
    for (const Report& r : list) {
      if (r.observer == observer && r.expires > now) previous = r.phi;
    }
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Report& r) {
                                return r.expires <= now ||
                                       (phi < clear_below && r.observer == observer);
                              }),
               list.end());
    if (list.empty()) {
      reports_.erase(it);
      it = reports_.end();
    }
  }
  if (phi < clear_below) return previous;
  auto& list = it != reports_.end() ? it->second : reports_[subject];
  for (Report& r : list) {
    if (r.observer == observer) {
      r.phi = phi;
      r.expires = expires;
      return previous;
    }
  }
  if (list.size() >= kMaxReportsPerSubject) {
    // Replace the report closest to expiry.
    auto oldest = std::min_element(list.begin(), list.end(), [](const Report& a, const Report& b) {
      return a.expires < b.expires;
    });
    *oldest = Report{observer, phi, expires};
    return previous;
  }
  list.push_back(Report{observer, phi, expires});
  return previous;
}

std::optional<double> PhiReports::Highest(MemberIndex subject, TimePoint now) const {
  auto it = reports_.find(subject);
  if (it == reports_.end()) return std::nullopt;
  std::optional<double> best;
  for (const Report& r : it->second) {
    if (r.expires <= now) continue;
    if (!best || r.phi > *best) best = r.phi;
  }
  return best;
}

}  // namespace picket::membership::detail
