#pragma once

// The ordered membership event log the API serves (long poll, Server-Sent
// Events) and that webhook delivery can read.
//
// Sequence numbers: the first appended event gets seq 1, each next one seq+1,
// for the lifetime of the log (one per agent process). They are never reused.
//
// Bounded ring: the log keeps the newest `capacity` events. A reader asking
// for events after `since` when some of them are gone (since < oldest - 1), or
// with a `since` the log never reached (since > last, e.g. a seq from before
// an agent restart), gets `resync = true`: it must re-read /v1/members and
// continue from the seq it is given. The HTTP API turns this into a
// `picket.resync` marker event (see api/README.md).
//
// Thread safety: every method is safe to call from any thread. Append is
// meant for the agent's event loop; readers are HTTP threads.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/detail/mutex.h"
#include "api/names.h"
#include "membership/types.h"

namespace picket::api {

// One logged event. Immutable once appended; shared by readers.
struct EventRecord {
  std::uint64_t seq = 0;
  membership::MemberEvent event;
  std::chrono::system_clock::time_point wall_time;  // event.time as wall-clock time
  std::string json;  // the Event object (docs/architecture.md shape), rendered once at Append

  std::string_view type_name() const { return membership::ToString(event.type); }
};

using EventRecordPtr = std::shared_ptr<const EventRecord>;

class EventLog {
 public:
  static constexpr std::size_t kDefaultCapacity = 10'000;

  // REQUIRES: capacity >= 1.
  explicit EventLog(std::size_t capacity = kDefaultCapacity);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends `event` (its member and quorum as they were after the change),
  // assigns the next seq and returns it, evicting the oldest event when full,
  // then wakes blocked readers and calls the listeners (on this thread, after
  // the log's lock is released). event.time is a steady-clock TimePoint; it is
  // converted to wall time with clock readings taken now.
  //
  // Ordering contract with ViewPublisher: publish the view that reflects an
  // event BEFORE appending the event, so that a reader that takes last_seq
  // and then the view never misses an event (it may see one twice).
  std::uint64_t Append(const membership::MemberEvent& event);

  // As Append(event), with explicit clock readings taken at the same moment
  // (deterministic tests).
  std::uint64_t Append(const membership::MemberEvent& event, membership::TimePoint steady_now,
                       std::chrono::system_clock::time_point wall_now);

  struct ReadResult {
    std::vector<EventRecordPtr> events;  // seq ascending, contiguous
    // True when the reader missed events (or asked from the future): it must
    // re-read the members and continue after `resync_seq`, whatever events
    // follow in `events` (they continue right after resync_seq).
    bool resync = false;
    std::uint64_t resync_seq = 0;
    std::uint64_t last_seq = 0;  // the newest seq in the log at read time (0: none yet)
  };

  // The events with seq > since, at most `max_events` (>= 1) of them,
  // without waiting.
  ReadResult Read(std::uint64_t since, std::size_t max_events) const;

  // As Read, but if there is nothing to report (no event after `since` and
  // no resync) blocks up to `timeout` for one. May return empty.
  ReadResult WaitAndRead(std::uint64_t since, std::size_t max_events,
                         std::chrono::steady_clock::duration timeout) const;

  // The seq of the newest event, 0 if none was ever appended.
  std::uint64_t LastSeq() const;

  struct Stats {
    std::uint64_t last_seq = 0;
    std::uint64_t oldest_seq = 0;  // 0 while empty
    std::size_t size = 0;
    std::size_t capacity = 0;
    std::uint64_t evicted = 0;  // events dropped from the ring so far
    std::array<std::uint64_t, membership::kEventTypeCount> appended_by_type{};  // index: EventType
  };
  Stats GetStats() const;

  // Registers `listener`, called after every Append on the appending thread.
  // It must be quick and must not block (e.g. post to another executor) and
  // must not call AddListener/RemoveListener. Returns an id for RemoveListener.
  using ListenerId = std::uint64_t;
  ListenerId AddListener(std::function<void()> listener);
  // After it returns, the listener is not running and will not be called again.
  void RemoveListener(ListenerId id);

 private:
  ReadResult ReadLocked(std::uint64_t since, std::size_t max_events) const PICKET_API_REQUIRES(mu_);

  const std::size_t capacity_;
  mutable detail::Mutex mu_;
  mutable detail::CondVar appended_;
  std::deque<EventRecordPtr> ring_ PICKET_API_GUARDED_BY(mu_);
  std::uint64_t last_seq_ PICKET_API_GUARDED_BY(mu_) = 0;
  std::uint64_t evicted_ PICKET_API_GUARDED_BY(mu_) = 0;
  std::array<std::uint64_t, membership::kEventTypeCount> appended_by_type_ PICKET_API_GUARDED_BY(mu_){};

  // Held while calling listeners, so RemoveListener waits for a running call.
  // Lock order: never taken together with mu_.
  detail::Mutex listeners_mu_;
  std::map<ListenerId, std::function<void()>> listeners_ PICKET_API_GUARDED_BY(listeners_mu_);
  ListenerId next_listener_id_ PICKET_API_GUARDED_BY(listeners_mu_) = 1;
};

}  // namespace picket::api
