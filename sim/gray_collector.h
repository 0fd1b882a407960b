#pragma once

// What healthy members concluded about members with a gray failure
// (--impair): for each impaired member, the suspect and failed declarations
// and re-admissions (joined again after failed) made by members that never
// had a gray failure themselves, and when every healthy running member had
// declared it failed at least once. The simulator report's `gray` object.
// Also how often the healthy members agree: at each agreement sample, whether
// at least kAgreementQuorum of the healthy running members hold the very same
// set of members up.
//
// Thread safety: none; the simulation loop owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "membership/types.h"
#include "sim/ground_truth.h"
#include "sim/link_model.h"
#include "sim/view_collector.h"

namespace picket::sim {

class GrayCollector {
 public:
  struct Subject {
    std::uint64_t suspicions = 0;
    std::uint64_t failures = 0;
    std::uint64_t readmissions = 0;
    // Healthy observers that declared it failed at least once.
    std::set<HostId> failed_by;
    // When failed_by first covered every healthy running member.
    std::optional<TimePoint> failed_everywhere;
    // Re-admissions (joined events) before the impairment ended for good.
    std::uint64_t readmissions_while_impaired = 0;
    // After the impairment ended for good: when every running member first
    // held it up (alive or suspect) again.
    std::optional<TimePoint> up_everywhere;
  };

  // The impaired members, and when their impairment ends for good
  // (TimePoint::max() if never): re-admissions before then are counted
  // apart, and their return after it is sampled.
  void Watch(const std::vector<HostId>& impaired, TimePoint end);

  // `observer` (healthy) reported `type` about impaired `subject` at `now`;
  // `healthy_running` is the number of healthy members running then.
  void OnEvent(HostId observer, HostId subject, membership::EventType type, TimePoint now,
               std::size_t healthy_running);

  [[nodiscard]] const std::map<HostId, Subject>& subjects() const { return subjects_; }

  // Share of the healthy running members that must hold one identical up set
  // for a sample to count as agreeing (Rapid's "almost everywhere").
  static constexpr double kAgreementQuorum = 0.99;
  // Takes one agreement sample now: healthy = running, not leaving, never gray.
  void SampleAgreement(const ViewCollector& views, const GroundTruth& truth);
  // Notes, once the impairment has ended, which impaired members every
  // running member holds up again.
  void SampleReturns(const ViewCollector& views, const GroundTruth& truth, TimePoint now);
  [[nodiscard]] std::uint64_t agreement_samples() const { return agreement_samples_; }
  [[nodiscard]] std::uint64_t agreeing_samples() const { return agreeing_samples_; }

 private:
  std::map<HostId, Subject> subjects_;
  TimePoint end_ = TimePoint::max();
  std::uint64_t agreement_samples_ = 0;
  std::uint64_t agreeing_samples_ = 0;
};

}  // namespace picket::sim
