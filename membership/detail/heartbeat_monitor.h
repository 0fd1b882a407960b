#pragma once

// The observer side of Phi Accrual heartbeats: one detector per subject (the
// K ring predecessors this agent watches), fed with heartbeat arrival times.
// For each subject it knows when phi will cross the threshold if no further
// heartbeat arrives, so the core wakes up once at that moment instead of
// polling phi.
//
// Thread safety: none.

#include <cstdint>
#include <optional>
#include <vector>

#include "detector/phi_accrual_detector.h"
#include "membership/detail/member_table.h"
#include "membership/types.h"

namespace picket::membership::detail {

class HeartbeatMonitor {
 public:
  struct Watch {
    Watch(MemberIndex m, std::uint64_t gen, const detector::PhiConfig& config)
        : member(m), generation(gen), detector(config) {}
    // The next heartbeat counts as the first.
    void ForgetHistory() {
      detector.Reset();
      last_fed.reset();
      silence_verified = false;
    }
    MemberIndex member;
    // Changes whenever this watch is (re)created: timers carry it.
    std::uint64_t generation;
    detector::PhiAccrualDetector detector;
    // Last arrival fed to the detector.
    std::optional<TimePoint> last_fed;
    // Phi of the silence the last fed arrival ended (nullopt for the first).
    std::optional<double> phi_at_arrival;
    // The time the live PhiCheck timer is queued for (nullopt: none), and its
    // token (older timers of this watch carry other tokens and are ignored).
    std::optional<TimePoint> timer_at;
    std::uint64_t timer_token = 0;
    // No verification probe before this (one just succeeded).
    TimePoint quiet_until{};
    // A verification probe is running.
    bool verifying = false;
    // A verification found the subject alive during the current silence: no
    // more checks (and no phi reports) until its next heartbeat.
    bool silence_verified = false;
    // The last phi report this agent queued was at or above the report
    // threshold; when, and with which value.
    bool reported = false;
    TimePoint reported_at{};
    double reported_phi = 0.0;
  };

  // REQUIRES: config.Validate() is nullopt; heartbeat_interval > 0.
  HeartbeatMonitor(const detector::PhiConfig& config, Duration heartbeat_interval);

  // Makes `members` the watched subjects, keeping the history of those already
  // watched; new ones start with no heartbeat (phi 0 until their first).
  void SetSubjects(const std::vector<MemberIndex>& members);

  // A heartbeat from `member` arrived at `now`. Returns the watch if it was
  // fed to its detector, nullptr if `member` is not a subject or the arrival
  // was part of a burst (closer than kMinHeartbeatGapFraction * interval).
  Watch* OnHeartbeat(MemberIndex member, TimePoint now);

  // When phi of the subject reaches the threshold if nothing more arrives;
  // nullopt before its first heartbeat.
  [[nodiscard]] static std::optional<TimePoint> Crossing(const Watch& watch);

  // What the subject's detector believes (its mean interval, when it would
  // suspect); nullopt before its first heartbeat or if the crossing is beyond
  // the clock's range.
  [[nodiscard]] static std::optional<DetectorEstimate> Estimate(const Watch& watch);

  [[nodiscard]] Watch* Find(MemberIndex member);
  [[nodiscard]] const Watch* Find(MemberIndex member) const;
  // Phi of a subject at `now`, or nullopt if `member` is not a subject.
  [[nodiscard]] std::optional<double> Phi(MemberIndex member, TimePoint now) const;

  // Forgets every history (after a local pause: the silence was ours). The
  // next heartbeat of each subject counts as its first.
  void ResetAll();

  [[nodiscard]] std::vector<Watch>& watches() { return watches_; }
  [[nodiscard]] const std::vector<Watch>& watches() const { return watches_; }

 private:
  detector::PhiConfig config_;
  Duration min_gap_;
  std::vector<Watch> watches_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace picket::membership::detail
