#include "sim/scheduler.h"

#include <algorithm>

namespace picket::sim {

std::uint64_t Scheduler::ScheduleAt(TimePoint when, Event event) {
  const std::uint64_t seq = next_seq_++;
  heap_.push_back(Entry{std::max(when, now_), seq, event});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  return seq;
}

std::optional<Event> Scheduler::PopUntil(TimePoint until) {
  if (heap_.empty() || heap_.front().when > until) {
    now_ = std::max(now_, until);
    return std::nullopt;
  }
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  const Entry entry = heap_.back();
  heap_.pop_back();
  now_ = entry.when;
  ++events_run_;
  return entry.event;
}

std::optional<TimePoint> Scheduler::NextTime() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

}  // namespace picket::sim
