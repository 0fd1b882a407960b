#include "membership/detail/broadcast_queue.h"

#include <vector>

#include "membership/tuning.h"

namespace picket::membership::detail {

void BroadcastQueue::Push(const std::string& key, std::string bytes, Kind kind) {
  if (auto it = by_key_.find(key); it != by_key_.end()) Erase(it->second);
  const std::uint64_t id = next_id_++;
  Entry& e = entries_[id];
  e.key = key;
  e.bytes = std::move(bytes);
  e.kind = kind;
  by_key_[key] = id;
  Index(e, id);
  bool evicted = true;
  while (evicted && entries_.size() > limit_) evicted = EvictOne(order_);
  evicted = true;
  while (evicted && new_member_order_.size() > new_member_limit_) {
    evicted = EvictOne(new_member_order_);
  }
}

bool BroadcastQueue::EvictOne(const std::set<Order>& from) {
  // The most-sent, oldest entry has done the most of its job already. A
  // watched entry (our own leave) stays: a graceful leave waits for it.
  for (auto it = from.rbegin(); it != from.rend(); ++it) {
    const std::uint64_t id = ~it->second;
    if (watch_key_ && entries_.at(id).key == *watch_key_) continue;
    Erase(id);
    return true;
  }
  return false;
}

void BroadcastQueue::Index(const Entry& e, std::uint64_t id) {
  order_.insert(OrderOf(e, id));
  if (e.kind == Kind::kNewMember) new_member_order_.insert(OrderOf(e, id));
}

void BroadcastQueue::Unindex(const Entry& e, std::uint64_t id) {
  order_.erase(OrderOf(e, id));
  if (e.kind == Kind::kNewMember) new_member_order_.erase(OrderOf(e, id));
}

int BroadcastQueue::Fill(std::string& out, std::size_t budget, int transmit_limit, int slot) {
  const std::uint32_t bit = slot >= 0 ? (1u << slot) : 0u;
  std::vector<std::uint64_t> taken;
  std::size_t scanned = 0;
  for (auto it = order_.begin(); it != order_.end() && scanned < tuning::kMaxBroadcastScan;
       ++it, ++scanned) {
    if (out.size() >= budget) break;
    const std::uint64_t id = ~it->second;
    const Entry& e = entries_.at(id);
    if ((e.slots_sent & bit) != 0) continue;
    if (out.size() + e.bytes.size() > budget) continue;
    out.append(e.bytes);
    taken.push_back(id);
  }
  for (const std::uint64_t id : taken) {
    Entry& e = entries_.at(id);
    Unindex(e, id);
    ++e.transmits;
    e.slots_sent |= bit;
    if (e.transmits >= transmit_limit) {
      if (watch_key_ && *watch_key_ == e.key) watch_done_ = true;
      Erase(id);
    } else {
      Index(e, id);
    }
  }
  return static_cast<int>(taken.size());
}

void BroadcastQueue::ClearSlot(int slot) {
  const std::uint32_t mask = ~(1u << slot);
  for (auto& [id, e] : entries_) e.slots_sent &= mask;
}

void BroadcastQueue::Remove(const std::string& key) {
  if (auto it = by_key_.find(key); it != by_key_.end()) Erase(it->second);
}

void BroadcastQueue::Watch(const std::string& key) {
  watch_key_ = key;
  watch_done_ = false;
}

std::optional<int> BroadcastQueue::Transmits(const std::string& key) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return entries_.at(it->second).transmits;
}

void BroadcastQueue::Erase(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Unindex(it->second, id);  // absent already when Fill sent it the last time
  by_key_.erase(it->second.key);
  entries_.erase(it);
}

}  // namespace picket::membership::detail
