#include "sim/detection_collector.h"

namespace picket::sim {

using membership::EventType;

DetectionCollector::DetectionCollector(const GroundTruth& truth, TimePoint measure_start,
                                       std::size_t max_examples)
    : truth_(truth), measure_start_(measure_start), max_examples_(max_examples) {}

void DetectionCollector::OnCrash(HostId h, TimePoint t) {
  open_crash_[h] = crashes_.size();
  CrashRecord record;
  record.host = h;
  record.crashed_at = t;
  crashes_.push_back(record);
}

void DetectionCollector::OnRestart(HostId h, TimePoint t) {
  auto it = open_crash_.find(h);
  if (it == open_crash_.end()) return;
  crashes_[it->second].restarted_at = t;
  open_crash_.erase(it);
}

void DetectionCollector::OnDeclaration(HostId observer, HostId subject, EventType type,
                                       TimePoint t) {
  if (type != EventType::kSuspect && type != EventType::kFailed) return;
  const bool failed = type == EventType::kFailed;
  DeclarationCounts& counts = t < measure_start_ ? warmup_ : measured_;
  ++(failed ? counts.failures : counts.suspicions);

  if (!truth_.Running(subject)) {
    auto it = open_crash_.find(subject);
    if (it != open_crash_.end()) {
      CrashRecord& record = crashes_[it->second];
      if (!record.first_suspect) record.first_suspect = t;
      if (failed && !record.first_failed) record.first_failed = t;
    }
    return;
  }
  if (truth_.Healthy(observer, subject, t)) {
    ++(failed ? counts.false_failures : counts.false_suspicions);
    if (truth_.EverGray(observer)) {
      ++(failed ? counts.false_failures_by_gray : counts.false_suspicions_by_gray);
    }
    if (t >= measure_start_ && false_examples_.size() < max_examples_) {
      false_examples_.push_back(DeclarationSample{t, observer, subject, type});
    }
    return;
  }
  ++(failed ? counts.impaired_failures : counts.impaired_suspicions);
}

void DetectionCollector::OnNobodySeesUp(HostId subject, TimePoint t) {
  auto it = open_crash_.find(subject);
  if (it == open_crash_.end()) return;
  CrashRecord& record = crashes_[it->second];
  if (!record.all_down) record.all_down = t;
}

void DetectionCollector::OnSomeoneSeesUp(HostId subject) {
  auto it = open_crash_.find(subject);
  if (it != open_crash_.end()) crashes_[it->second].all_down.reset();
}

}  // namespace picket::sim
