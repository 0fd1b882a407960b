#include "sim/gray_collector.h"

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
      break;
    default:
      break;
  }
}

}  // namespace picket::sim
