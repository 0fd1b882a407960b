#include "membership/detail/heartbeat_monitor.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "membership/tuning.h"

namespace picket::membership::detail {

HeartbeatMonitor::HeartbeatMonitor(const detector::PhiConfig& config, Duration heartbeat_interval)
    : config_(config),
      min_gap_(std::chrono::duration_cast<Duration>(heartbeat_interval *
                                                    tuning::kMinHeartbeatGapFraction)) {}

void HeartbeatMonitor::SetSubjects(const std::vector<MemberIndex>& members) {
  std::vector<Watch> next;
  next.reserve(members.size());
  for (const MemberIndex m : members) {
    auto it = std::find_if(watches_.begin(), watches_.end(),
                           [m](const Watch& w) { return w.member == m; });
    if (it != watches_.end()) {
      next.push_back(std::move(*it));
    } else {
      next.emplace_back(m, next_generation_++, config_);
    }
  }
  watches_ = std::move(next);
}

HeartbeatMonitor::Watch* HeartbeatMonitor::OnHeartbeat(MemberIndex member, TimePoint now) {
  Watch* w = Find(member);
  if (w == nullptr) return nullptr;
  if (w->last_fed && now - *w->last_fed < min_gap_) return nullptr;
  w->phi_at_arrival.reset();
  if (w->last_fed) w->phi_at_arrival = w->detector.Phi(now);
  w->detector.Heartbeat(now);
  w->last_fed = now;
  w->silence_verified = false;
  return w;
}

std::optional<TimePoint> HeartbeatMonitor::Crossing(const Watch& watch) {
  return watch.detector.SuspicionTime();
}

std::optional<DetectorEstimate> HeartbeatMonitor::Estimate(const Watch& watch) {
  const auto last = watch.detector.last_heartbeat();
  const auto crossing = Crossing(watch);
  if (!last || !crossing || *crossing == TimePoint::max()) return std::nullopt;
  DetectorEstimate estimate;
  estimate.expected_interval = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, std::nano>(watch.detector.mean_interval_ns()));
  estimate.suspect_after = *crossing - *last;
  estimate.suspect_at = *crossing;
  return estimate;
}

HeartbeatMonitor::Watch* HeartbeatMonitor::Find(MemberIndex member) {
  for (Watch& w : watches_) {
    if (w.member == member) return &w;
  }
  return nullptr;
}

const HeartbeatMonitor::Watch* HeartbeatMonitor::Find(MemberIndex member) const {
  for (const Watch& w : watches_) {
    if (w.member == member) return &w;
  }
  return nullptr;
}

std::optional<double> HeartbeatMonitor::Phi(MemberIndex member, TimePoint now) const {
  const Watch* w = Find(member);
  if (w == nullptr) return std::nullopt;
  return w->detector.Phi(now);
}

void HeartbeatMonitor::ResetAll() {
  for (Watch& w : watches_) w.ForgetHistory();
}

}  // namespace picket::membership::detail
