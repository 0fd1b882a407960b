#include "membership/name_pool.h"

#include <cassert>
#include <utility>

#include "membership/detail/hash.h"

namespace picket::membership {

NamePool::NamePool(bool keep_texts, std::shared_ptr<std::pmr::memory_resource> table_memory)
    : keep_texts_(keep_texts), table_memory_(std::move(table_memory)), index_(64, kNoId) {}

std::size_t NamePool::Slot(std::string_view text, std::uint64_t hash) const {
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const Id id = index_[slot];
    if (id == kNoId || (hashes_[id] == hash && texts_[id] == text)) return slot;
  }
}

NamePool::Id NamePool::Find(std::string_view text) const {
  return index_[Slot(text, detail::NameHash(text))];
}

NamePool::Id NamePool::Predicted(std::string_view text) const {
  for (const Id recent : recent_) {
    const Id id = recent + 1;  // kNoId + 1 wraps to 0: checked like any id
    if (id < texts_.size() && (refs_[id] != 0 || keep_texts_) && texts_[id] == text) return id;
  }
  return kNoId;
}

NamePool::Id NamePool::Remember(Id id) {
  recent_[1] = recent_[0];
  recent_[0] = id;
  return id;
}

NamePool::Id NamePool::Acquire(std::string_view text) {
  if (const Id id = Predicted(text); id != kNoId) {
    ++refs_[id];
    return Remember(id);
  }
  const std::uint64_t hash = detail::NameHash(text);
  std::size_t slot = Slot(text, hash);
  if (index_[slot] != kNoId) {
    ++refs_[index_[slot]];
    return Remember(index_[slot]);
  }
  if ((used_ + 1) * 2 > index_.size()) {
    IndexGrow();
    slot = Slot(text, hash);
  }
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    texts_[id].assign(text);
  } else {
    id = static_cast<Id>(texts_.size());
    texts_.emplace_back(text);
    hashes_.push_back(0);
    refs_.push_back(0);
  }
  hashes_[id] = hash;
  refs_[id] = 1;
  ++used_;
  index_[slot] = id;
  return Remember(id);
}

void NamePool::Release(Id id) {
  assert(refs_[id] > 0);
  if (--refs_[id] != 0 || keep_texts_) return;
  IndexErase(id);
  --used_;
  // Keep no large buffer for a reused slot.
  std::string().swap(texts_[id]);
  free_.push_back(id);
}

void NamePool::IndexErase(Id id) {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = hashes_[id] & mask;
  while (index_[slot] != id) slot = (slot + 1) & mask;
  // Backward-shift deletion keeps probe chains intact without tombstone slots.
  std::size_t hole = slot;
  for (std::size_t next = (hole + 1) & mask; index_[next] != kNoId; next = (next + 1) & mask) {
    const std::size_t home = hashes_[index_[next]] & mask;
    // Move `next` into the hole unless its home lies cyclically in (hole, next].
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      index_[hole] = index_[next];
      hole = next;
    }
  }
  index_[hole] = kNoId;
}

void NamePool::IndexGrow() {
  index_.assign(index_.size() * 2, kNoId);
  const std::size_t mask = index_.size() - 1;
  for (Id id = 0; id < texts_.size(); ++id) {
    if (refs_[id] == 0) continue;
    std::size_t slot = hashes_[id] & mask;
    while (index_[slot] != kNoId) slot = (slot + 1) & mask;
    index_[slot] = id;
  }
}

}  // namespace picket::membership
