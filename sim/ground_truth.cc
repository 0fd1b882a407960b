#include "sim/ground_truth.h"

namespace picket::sim {

void GroundTruth::AddHost() { hosts_.push_back(HostTruth{}); }

void GroundTruth::OnStart(HostId h, TimePoint t, bool after_fault) {
  HostTruth& host = hosts_[h];
  if (!host.running) ++running_count_;
  host.running = true;
  host.paused = false;
  host.leaving = false;
  if (after_fault) {
    host.fault_end = t;
    host.had_fault = true;
    Fault(t);
  }
}

void GroundTruth::OnCrash(HostId h, TimePoint t) {
  HostTruth& host = hosts_[h];
  if (host.running) --running_count_;
  host.running = false;
  host.paused = false;
  host.fault_end = t;
  host.had_fault = true;
  Fault(t);
}

void GroundTruth::OnPause(HostId h, TimePoint t) {
  hosts_[h].paused = true;
  Fault(t);
}

void GroundTruth::OnResume(HostId h, TimePoint t) {
  hosts_[h].paused = false;
  EndFault(h, t);
}

void GroundTruth::OnGrayStart(HostId h, TimePoint t) {
  hosts_[h].gray = true;
  if (!hosts_[h].ever_gray) ++ever_gray_count_;
  hosts_[h].ever_gray = true;
  Fault(t);
}

void GroundTruth::OnGrayEnd(HostId h, TimePoint t) {
  hosts_[h].gray = false;
  EndFault(h, t);
}

void GroundTruth::EndFault(HostId h, TimePoint t) {
  hosts_[h].fault_end = t;
  hosts_[h].had_fault = true;
  Fault(t);
}

void GroundTruth::OnLeaving(HostId h, TimePoint t) {
  hosts_[h].leaving = true;
  Fault(t);
}

void GroundTruth::OnExit(HostId h, TimePoint t) {
  HostTruth& host = hosts_[h];
  if (host.running) --running_count_;
  host.running = false;
  host.paused = false;
  host.leaving = true;
  host.fault_end = t;
  host.had_fault = true;
  Fault(t);
}

void GroundTruth::OnPartition(const std::vector<std::uint32_t>& group_of_host, TimePoint t) {
  if (partitioned()) partitions_.back().end = t;
  partitions_.push_back(PartitionSpan{t, std::nullopt, group_of_host});
  Fault(t);
}

void GroundTruth::OnHeal(TimePoint t) {
  if (partitioned()) partitions_.back().end = t;
  Fault(t);
}

std::uint32_t GroundTruth::CurrentGroup(HostId h) const {
  return partitioned() ? GroupIn(partitions_.back(), h) : 0;
}

bool GroundTruth::Healthy(HostId observer, HostId subject, TimePoint t) const {
  const HostTruth& host = hosts_[subject];
  if (!host.running || host.paused || host.leaving || host.gray) return false;
  if (host.had_fault && t - host.fault_end < grace_) return false;
  const TimePoint window_start = t - grace_;
  for (auto it = partitions_.rbegin(); it != partitions_.rend(); ++it) {
    if (it->end && *it->end < window_start) break;  // spans are in time order
    if (it->start > t) continue;
    if (GroupIn(*it, observer) != GroupIn(*it, subject)) return false;
  }
  return true;
}

}  // namespace picket::sim
