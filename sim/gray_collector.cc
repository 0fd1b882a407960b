#include "sim/gray_collector.h"

#include <algorithm>
#include <unordered_map>

namespace picket::sim {

using membership::EventType;

void GrayCollector::OnEvent(HostId observer, HostId subject, EventType type, TimePoint now,
                            std::size_t healthy_running) {
  Subject& s = subjects_[subject];
  switch (type) {
    case EventType::kSuspect:
      ++s.suspicions;
      break;
    case EventType::kFailed:
      ++s.failures;
      s.failed_by.insert(observer);
      if (!s.failed_everywhere && s.failed_by.size() >= healthy_running) s.failed_everywhere = now;
      break;
    case EventType::kJoined:
      ++s.readmissions;
      if (now < end_) ++s.readmissions_while_impaired;
      break;
    default:
      break;
  }
}

void GrayCollector::Watch(const std::vector<HostId>& impaired, TimePoint end) {
  end_ = end;
  for (HostId h : impaired) subjects_.try_emplace(h);
}

void GrayCollector::SampleReturns(const ViewCollector& views, const GroundTruth& truth,
                                  TimePoint now) {
  if (now < end_) return;
  for (auto& [h, s] : subjects_) {
    if (!s.up_everywhere && truth.Running(h) && views.UpCount(h) == truth.running_count()) {
      s.up_everywhere = now;
    }
  }
}

void GrayCollector::SampleAgreement(const ViewCollector& views, const GroundTruth& truth) {
  std::unordered_map<std::uint64_t, std::size_t> holders;
  std::size_t healthy = 0, most = 0;
  for (HostId o = 0; o < truth.host_count(); ++o) {
    if (!truth.ExpectedUp(o) || truth.EverGray(o)) continue;
    ++healthy;
    most = std::max(most, ++holders[views.ViewHash(o)]);
  }
  if (healthy == 0) return;
  ++agreement_samples_;
  if (static_cast<double>(most) >= kAgreementQuorum * static_cast<double>(healthy)) {
    ++agreeing_samples_;
  }
}

}  // namespace picket::sim
