#pragma once

// The discrete-event scheduler: virtual time and a queue of events ordered by
// (time, sequence), as rippled's CSF Scheduler. Events scheduled for the same
// instant run in the order they were scheduled, so a run is a pure function of
// its seed.
//
// Events are small plain values (no heap allocation per event); the owner of
// the scheduler pops them and dispatches on `kind`.
//
// Thread safety: none; one owner.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "membership/types.h"

namespace picket::sim {

using membership::Duration;
using membership::TimePoint;

// What to do when an event is due. The meaning of the fields is the owner's.
struct Event {
  std::uint32_t kind = 0;
  std::uint32_t target = 0;  // usually a host index
  std::uint64_t arg = 0;     // e.g. a message slot or a generation
};

class Scheduler {
 public:
  Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Virtual time: starts at TimePoint{} and only moves forward.
  [[nodiscard]] TimePoint now() const { return now_; }

  // Queues `event` to run at `when`. A time in the past runs at now() (after
  // everything already due at now()). Returns the event's sequence number.
  std::uint64_t ScheduleAt(TimePoint when, Event event);
  std::uint64_t ScheduleAfter(Duration delay, Event event) {
    return ScheduleAt(now_ + delay, event);
  }

  // Removes and returns the earliest event due at or before `until`, and moves
  // now() to its time. When none is due, moves now() to `until` (if later) and
  // returns nullopt.
  std::optional<Event> PopUntil(TimePoint until);

  // Time of the earliest queued event, nullopt when empty.
  [[nodiscard]] std::optional<TimePoint> NextTime() const;

  [[nodiscard]] std::size_t pending() const { return heap_.size(); }
  // Events popped so far.
  [[nodiscard]] std::uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    TimePoint when;
    std::uint64_t seq;
    Event event;
  };
  // a runs after b.
  static bool Later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }

  TimePoint now_{};
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  // A 4-ary min-heap by (when, seq): the children of i are 4i+1 .. 4i+4.
  std::vector<Entry> heap_;
};

}  // namespace picket::sim
