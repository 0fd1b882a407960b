#pragma once

// The bounded, ordered queue of events waiting for one webhook subscription,
// with its overflow rule:
//
//   When the queue is full, the oldest events are dropped and a
//   `picket.resync` marker takes their place at the front. The marker
//   carries the seq of the newest dropped event: the receiver re-reads
//   /v1/members and carries on with the events after it, which follow the
//   marker in the queue. Several overflows in a row extend the same marker.
//
// So a receiver always learns that it missed something, and the queue never
// holds more than `capacity` entries (the marker included).
//
// Thread safety: not thread-safe; one delivery worker owns each queue.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "api/event_log.h"

namespace picket::delivery {

struct QueuedEvent {
  api::EventRecordPtr record;  // null for a resync marker
  // The event's seq; for a marker, the newest seq it stands for (continue after it).
  std::uint64_t seq = 0;
  bool resync() const { return record == nullptr; }
};

class WebhookQueue {
 public:
  // REQUIRES: capacity >= 2 (room for a marker and one event).
  explicit WebhookQueue(std::size_t capacity);

  // Appends an event; returns how many events the overflow rule dropped (0-2).
  std::size_t Push(api::EventRecordPtr record);

  // Records that the events up to `seq` were missed upstream (the event log
  // evicted them before this queue read them): appends a marker, or extends
  // the marker at the back. Returns how many queued events were dropped.
  std::size_t PushResync(std::uint64_t seq);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  // REQUIRES: !empty().
  const QueuedEvent& front() const { return entries_.front(); }
  void pop_front() { entries_.pop_front(); }

 private:
  // Makes room for one more entry by the overflow rule; returns events dropped.
  std::size_t MakeRoom();

  const std::size_t capacity_;
  std::deque<QueuedEvent> entries_;
};

}  // namespace picket::delivery
