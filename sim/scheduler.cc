#include "sim/scheduler.h"

#include <algorithm>

namespace picket::sim {

std::uint64_t Scheduler::ScheduleAt(TimePoint when, Event event) {
  const std::uint64_t seq = next_seq_++;
  const Entry entry{std::max(when, now_), seq, event};
  // Sift up in a 4-ary min-heap: half the depth of a binary heap, and the
  // four children of a node share one or two cache lines. (time, sequence)
  // is a strict total order, so the order of pops is the same as with any
  // other correct priority queue.
  std::size_t i = heap_.size();
  heap_.push_back(entry);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!Later(heap_[parent], entry)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = entry;
  return seq;
}

std::optional<Event> Scheduler::PopUntil(TimePoint until) {
  if (heap_.empty() || heap_.front().when > until) {
    now_ = std::max(now_, until);
    return std::nullopt;
  }
  const Entry entry = heap_.front();
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) {
    // Sift the last entry down from the root.
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t stop = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < stop; ++c) {
        if (Later(heap_[best], heap_[c])) best = c;
      }
      if (!Later(last, heap_[best])) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }
  now_ = entry.when;
  ++events_run_;
  return entry.event;
}

std::optional<TimePoint> Scheduler::NextTime() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

}  // namespace picket::sim
