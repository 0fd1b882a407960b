#include "delivery/webhook_queue.h"

#include <algorithm>
#include <utility>

namespace picket::delivery {

WebhookQueue::WebhookQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 2)) {}

std::size_t WebhookQueue::MakeRoom() {
  std::size_t dropped = 0;
  while (entries_.size() >= capacity_) {
    if (!entries_.front().resync()) {
      // The oldest event becomes the marker that stands for it.
      entries_.front().record = nullptr;
      ++dropped;
      continue;
    }
    // The marker absorbs the event right behind it.
    auto second = entries_.begin() + 1;
    entries_.front().seq = second->seq;
    if (!second->resync()) ++dropped;
    entries_.erase(second);
  }
  return dropped;
}

std::size_t WebhookQueue::Push(api::EventRecordPtr record) {
  const std::size_t dropped = MakeRoom();
  const std::uint64_t seq = record->seq;
  entries_.push_back(QueuedEvent{std::move(record), seq});
  return dropped;
}

std::size_t WebhookQueue::PushResync(std::uint64_t seq) {
  if (!entries_.empty() && entries_.back().resync()) {
    entries_.back().seq = std::max(entries_.back().seq, seq);
    return 0;
  }
  const std::size_t dropped = MakeRoom();
  entries_.push_back(QueuedEvent{nullptr, seq});
  return dropped;
}

}  // namespace picket::delivery
