#include "api/event_log.h"

#include <algorithm>
#include <utility>

#include "api/render.h"

namespace picket::api {

EventLog::EventLog(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::uint64_t EventLog::Append(const membership::MemberEvent& event) {
  return Append(event, membership::Clock::now(), std::chrono::system_clock::now());
}

std::uint64_t EventLog::Append(const membership::MemberEvent& event,
                               membership::TimePoint steady_now,
                               std::chrono::system_clock::time_point wall_now) {
  const WallClockMapping clock{steady_now, wall_now};
  auto record = std::make_shared<EventRecord>();
  record->event = event;
  record->wall_time = clock.ToWall(event.time);
  std::uint64_t seq = 0;
  {
    detail::MutexLock lock(&mu_);
    seq = ++last_seq_;
    record->seq = seq;
    // Rendering under the lock keeps seq order and ring order identical; it
    // costs a few microseconds per event.
    record->json = RenderEvent(seq, membership::ToString(event.type), record->wall_time, event.member,
                               clock, event.time, event.quorum);
    ring_.push_back(std::move(record));
    if (ring_.size() > capacity_) {
      ring_.pop_front();
      ++evicted_;
    }
    const auto type_index = static_cast<std::size_t>(event.type);
    if (type_index < appended_by_type_.size()) ++appended_by_type_[type_index];
  }
  appended_.SignalAll();
  detail::MutexLock lock(&listeners_mu_);
  for (auto& [id, listener] : listeners_) listener();
  return seq;
}

EventLog::ReadResult EventLog::ReadLocked(std::uint64_t since, std::size_t max_events) const {
  ReadResult result;
  result.last_seq = last_seq_;
  if (since > last_seq_) {
    result.resync = true;
    result.resync_seq = last_seq_;
    return result;
  }
  const std::uint64_t oldest = last_seq_ - ring_.size() + 1;  // last+1 when empty
  std::uint64_t from = since + 1;
  if (from < oldest) {
    result.resync = true;
    result.resync_seq = oldest - 1;
    from = oldest;
  }
  const std::uint64_t available = last_seq_ + 1 - from;
  const std::size_t count = static_cast<std::size_t>(
      std::min<std::uint64_t>(available, std::max<std::size_t>(max_events, 1)));
  const auto first = ring_.begin() + static_cast<std::ptrdiff_t>(from - oldest);
  result.events.assign(first, first + static_cast<std::ptrdiff_t>(count));
  return result;
}

EventLog::ReadResult EventLog::Read(std::uint64_t since, std::size_t max_events) const {
  detail::MutexLock lock(&mu_);
  return ReadLocked(since, max_events);
}

EventLog::ReadResult EventLog::WaitAndRead(std::uint64_t since, std::size_t max_events,
                                           std::chrono::steady_clock::duration timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  detail::MutexLock lock(&mu_);
  while (since == last_seq_ && std::chrono::steady_clock::now() < deadline) {
    appended_.WaitUntil(mu_, deadline);
  }
  return ReadLocked(since, max_events);
}

std::uint64_t EventLog::LastSeq() const {
  detail::MutexLock lock(&mu_);
  return last_seq_;
}

EventLog::Stats EventLog::GetStats() const {
  detail::MutexLock lock(&mu_);
  Stats stats;
  stats.last_seq = last_seq_;
  stats.size = ring_.size();
  stats.oldest_seq = ring_.empty() ? 0 : ring_.front()->seq;
  stats.capacity = capacity_;
  stats.evicted = evicted_;
  stats.appended_by_type = appended_by_type_;
  return stats;
}

EventLog::ListenerId EventLog::AddListener(std::function<void()> listener) {
  detail::MutexLock lock(&listeners_mu_);
  const ListenerId id = next_listener_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void EventLog::RemoveListener(ListenerId id) {
  detail::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

}  // namespace picket::api
