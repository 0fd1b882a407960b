#pragma once

// The faults of a scenario as data: which members crash, restart, pause,
// leave, join, and when partitions start and heal. Built once from the
// options and the seed, then applied to a Cluster, so a run's faults can be
// listed and reproduced exactly.
//
// Thread safety: none (a value type).

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/cluster.h"
#include "sim/scenario_options.h"

namespace picket::sim {

struct FaultAction {
  enum class Kind : std::uint8_t {
    kCrash,
    kRestart,
    kPause,
    kResume,
    kPartition,
    kHeal,
    kJoin,
    kLeave,
    kGrayStart,  // host's gray failure begins (judging: it counts as impaired)
    kGrayEnd,    // ... and ends
    kLossOn,     // host's datagrams get the impairment's loss (flips repeat these)
    kLossOff,
    kOneWayCut,  // host stops hearing peer
    kOneWayRestore,
    kReplace,  // host leaves or crashes (FaultPlan::replace_by), peer joins
  };
  TimePoint at{};
  Kind kind = Kind::kCrash;
  HostId host = 0;  // unused for kPartition / kHeal
  HostId peer = 0;  // kOneWayCut / kOneWayRestore: the unheard; kReplace: the new member
};

struct FaultPlan {
  std::vector<FaultAction> actions;   // in time order (stable for equal times)
  std::vector<std::uint32_t> groups;  // partition group per initial member (0 or 1)
  std::vector<HostId> crashed, paused, leaving, joiners, impaired;
  // Replacement churn: replaced[i] goes and replacements[i] joins.
  std::vector<HostId> replaced, replacements;
  ReplaceBy replace_by = ReplaceBy::kLeave;
  // One-way link faults: `first` does not hear `second`.
  std::vector<std::pair<HostId, HostId>> one_way;
  // The loss an impaired member's incoming and outgoing datagrams get.
  double loss_in = 0, loss_out = 0;
};

// Chooses victims and times. Fault times are options times plus `measure_start`.
// REQUIRES: options.Validate() is nullopt.
FaultPlan BuildFaultPlan(const ScenarioOptions& options, TimePoint measure_start);

// Schedules every action of `plan` on `cluster`. Restarted members and
// joiners join through up to 3 random members running (and not leaving) at
// that moment (chosen with `seed`). REQUIRES: the plan's hosts exist in the cluster.
void ApplyFaultPlan(const FaultPlan& plan, Cluster& cluster, std::uint64_t seed);

}  // namespace picket::sim
