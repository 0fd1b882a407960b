#pragma once

// Phi values that observers reported through gossip, so that every agent can
// show, for every member, the highest phi its observers currently report.
// Reports expire (an observer that stops reporting is not believed forever).
//
// Thread safety: none.

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "membership/detail/member_table.h"
#include "membership/types.h"

namespace picket::membership::detail {

class PhiReports {
 public:
  // Observer `observer` (a NameHash) reports `phi` for `subject` at `now`,
  // valid until `expires`; phi < `clear_below` withdraws its report. Reports of
  // `subject` that expired by `now` are dropped. Returns the observer's
  // previous unexpired report, if any.
  std::optional<double> Record(MemberIndex subject, std::uint64_t observer, double phi, double clear_below,
              TimePoint now, TimePoint expires);

  // The highest unexpired report for `subject`.
  [[nodiscard]] std::optional<double> Highest(MemberIndex subject, TimePoint now) const;

  // The member left the table.
  void Forget(MemberIndex subject) { reports_.erase(subject); }

  [[nodiscard]] std::size_t subjects() const { return reports_.size(); }

 private:
  struct Report {
    std::uint64_t observer;
    double phi;
    TimePoint expires;
  };
  // Reports kept per subject; K is at most 16, and stale observers expire.
  static constexpr std::size_t kMaxReportsPerSubject = 16;

  std::unordered_map<MemberIndex, std::vector<Report>> reports_;
};

}  // namespace picket::membership::detail
