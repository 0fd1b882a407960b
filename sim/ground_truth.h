#pragma once

// What is really true in the simulation, with its history: which processes
// run, which are paused, leaving or gone, and which partitions existed when.
// Collectors judge every suspect/failed declaration against it.
//
// "Healthy" (the definition behind false_suspicions and false_failures): at
// time t, subject s is healthy as seen from observer o if s's process runs,
// is not paused and is not leaving, no fault of s (crash, restart, pause)
// ended less than `grace` before t, and no partition separating o and s
// existed at any time in [t - grace, t]. Random loss of every link (--loss)
// does not make anything unhealthy: a member behind a lossy link is alive and
// reachable, so declaring it suspect or failed is a false positive. A gray
// failure (one member's own traffic lossy, --impair) does: from its start to
// `grace` after its end the member counts as impaired, as seen from anyone. The grace lets
// consequences of a real fault (a suspicion raised during a pause, refuted
// right after it) count as true positives, not false ones.
//
// Thread safety: none; the simulation loop owns it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "membership/types.h"
#include "sim/link_model.h"

namespace picket::sim {

class GroundTruth {
 public:
  // REQUIRES: grace >= 0.
  explicit GroundTruth(Duration grace) : grace_(grace) {}

  // Registers the next host (ids 0, 1, 2, ... in order), not running.
  void AddHost();
  [[nodiscard]] std::size_t host_count() const { return hosts_.size(); }

  // A process starts on h. `after_fault`: a restart after a crash (its
  // start ends a fault) rather than a first start.
  void OnStart(HostId h, TimePoint t, bool after_fault);
  void OnCrash(HostId h, TimePoint t);
  void OnPause(HostId h, TimePoint t);
  void OnResume(HostId h, TimePoint t);
  // A graceful leave began (the process still runs) / the process exited.
  void OnLeaving(HostId h, TimePoint t);
  void OnExit(HostId h, TimePoint t);
  // Hosts in different groups cannot reach each other until OnHeal.
  void OnPartition(const std::vector<std::uint32_t>& group_of_host, TimePoint t);
  void OnHeal(TimePoint t);
  // A gray failure of h (lossy or one-way traffic) begins / ends: h is not
  // healthy meanwhile (nor for `grace` after), as seen from anyone.
  void OnGrayStart(HostId h, TimePoint t);
  void OnGrayEnd(HostId h, TimePoint t);
  // h has had a gray failure at some time in the run.
  [[nodiscard]] bool EverGray(HostId h) const { return hosts_[h].ever_gray; }
  // Hosts that have had a gray failure so far.
  [[nodiscard]] std::size_t ever_gray_count() const { return ever_gray_count_; }

  // A process runs on h (possibly paused or leaving).
  [[nodiscard]] bool Running(HostId h) const { return hosts_[h].running; }
  [[nodiscard]] bool Paused(HostId h) const { return hosts_[h].paused; }
  // Running and not leaving: every other live member should see it up.
  [[nodiscard]] bool ExpectedUp(HostId h) const { return hosts_[h].running && !hosts_[h].leaving; }
  [[nodiscard]] std::size_t running_count() const { return running_count_; }
  // See the file comment.
  [[nodiscard]] bool Healthy(HostId observer, HostId subject, TimePoint t) const;
  // Time of the last fault event of any kind (crash, restart, pause start or
  // end, leave, partition, heal), nullopt if none happened.
  [[nodiscard]] std::optional<TimePoint> last_fault() const { return last_fault_; }
  // The group of h in the partition active now (0 if none).
  [[nodiscard]] std::uint32_t CurrentGroup(HostId h) const;
  [[nodiscard]] bool partitioned() const { return !partitions_.empty() && !partitions_.back().end; }
  [[nodiscard]] Duration grace() const { return grace_; }

 private:
  struct HostTruth {
    bool running = false;
    bool paused = false;
    bool leaving = false;
    bool gray = false;
    bool ever_gray = false;
    TimePoint fault_end{};  // the last time a fault of this host ended
    bool had_fault = false;
  };
  struct PartitionSpan {
    TimePoint start;
    std::optional<TimePoint> end;
    std::vector<std::uint32_t> groups;
  };
  static std::uint32_t GroupIn(const PartitionSpan& span, HostId h) {
    return h < span.groups.size() ? span.groups[h] : 0;
  }
  void Fault(TimePoint t) { last_fault_ = t; }
  // A fault of h ended at t: the grace starts.
  void EndFault(HostId h, TimePoint t);

  Duration grace_;
  std::vector<HostTruth> hosts_;
  std::vector<PartitionSpan> partitions_;
  std::size_t running_count_ = 0;
  std::size_t ever_gray_count_ = 0;
  std::optional<TimePoint> last_fault_;
};

}  // namespace picket::sim
