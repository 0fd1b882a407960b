#include "membership/detail/broadcast_queue.h"

#include <algorithm>
#include <iterator>

#include "membership/tuning.h"

namespace picket::membership::detail {

namespace {

bool OlderId(const auto& a, const auto& b) { return a.id < b.id; }

}  // namespace

template <typename Key>
typename BroadcastQueue<Key>::Bucket& BroadcastQueue<Key>::BucketOf(int kind, int transmits) {
  auto& buckets = buckets_[static_cast<std::size_t>(kind)];
  const auto level = static_cast<std::size_t>(transmits);
  if (buckets.size() <= level) buckets.resize(level + 1);
  return buckets[level];
}

template <typename Key>
void BroadcastQueue<Key>::Push(const Key& key, std::string bytes, Kind kind) {
  if (const std::uint32_t* queued = by_key_.Find(key)) Erase(*queued);
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Entry& e = slots_[slot];
  e.key = key;
  e.bytes = std::move(bytes);
  e.id = next_id_++;
  e.transmits = 0;
  e.slots_sent = 0;
  e.kind = kind;
  by_key_.Add(key, slot);
  if (kind == Kind::kNewMember) ++new_members_;
  BucketOf(KindIndex(kind), 0).push_back(Ref{e.id, slot});  // the newest id: last
  bool evicted = true;
  while (evicted && size() > limit_) evicted = EvictOne(std::nullopt);
  evicted = true;
  while (evicted && new_members_ > new_member_limit_) evicted = EvictOne(Kind::kNewMember);
}

template <typename Key>
bool BroadcastQueue<Key>::EvictOne(std::optional<Kind> kind) {
  // The most-sent, oldest entry has done the most of its job already. A
  // watched entry (our own leave) stays: a graceful leave waits for it.
  const bool state_changes = !kind || *kind == Kind::kStateChange;
  const bool new_members = !kind || *kind == Kind::kNewMember;
  const std::size_t levels = std::max(buckets_[0].size(), buckets_[1].size());
  for (std::size_t level = levels; level-- > 0;) {
    const Bucket* a = state_changes && level < buckets_[0].size() ? &buckets_[0][level] : nullptr;
    const Bucket* b = new_members && level < buckets_[1].size() ? &buckets_[1][level] : nullptr;
    std::size_t i = 0;
    std::size_t j = 0;
    for (;;) {
      const bool has_a = a != nullptr && i < a->size();
      const bool has_b = b != nullptr && j < b->size();
      if (!has_a && !has_b) break;
      const Ref ref = has_a && (!has_b || (*a)[i].id < (*b)[j].id) ? (*a)[i++] : (*b)[j++];
      if (watch_key_ && slots_[ref.slot].key == *watch_key_) continue;
      Erase(ref.slot);
      return true;
    }
  }
  return false;
}

template <typename Key>
int BroadcastQueue<Key>::Fill(std::string& out, std::size_t budget, int transmit_limit, int slot) {
  const std::uint32_t bit = slot >= 0 ? (1u << slot) : 0u;
  // Scan in send order: by transmits, then newest first across both kinds.
  taken_.clear();
  std::size_t scanned = 0;
  bool full = false;
  const std::size_t levels = std::max(buckets_[0].size(), buckets_[1].size());
  for (std::size_t level = 0; level < levels && !full; ++level) {
    const Bucket* a = level < buckets_[0].size() ? &buckets_[0][level] : nullptr;
    const Bucket* b = level < buckets_[1].size() ? &buckets_[1][level] : nullptr;
    std::size_t i = a != nullptr ? a->size() : 0;
    std::size_t j = b != nullptr ? b->size() : 0;
    while (i > 0 || j > 0) {
      if (scanned >= tuning::kMaxBroadcastScan || out.size() >= budget) {
        full = true;
        break;
      }
      ++scanned;
      const bool from_a = i > 0 && (j == 0 || (*a)[i - 1].id > (*b)[j - 1].id);
      const std::size_t position = from_a ? --i : --j;
      const Ref ref = from_a ? (*a)[position] : (*b)[position];
      const Entry& e = slots_[ref.slot];
      if ((e.slots_sent & bit) != 0) continue;
      if (out.size() + e.bytes.size() > budget) continue;
      out.append(e.bytes);
      taken_.push_back(Taken{from_a ? 0 : 1, static_cast<int>(level), position, ref});
    }
  }
  // Move what was sent one bucket up, the highest bucket first so that a
  // bucket gives up its sent entries before it receives those from below.
  for (std::size_t end = taken_.size(); end > 0;) {
    const int level = taken_[end - 1].transmits;
    std::size_t begin = end;
    while (begin > 0 && taken_[begin - 1].transmits == level) --begin;
    for (int kind = 0; kind < 2; ++kind) {
      Bucket& sent = sent_;  // ascending ids
      sent.clear();
      Bucket& bucket = BucketOf(kind, level);
      for (std::size_t k = end; k-- > begin;) {
        const Taken& t = taken_[k];
        if (t.kind != kind) continue;
        bucket[t.position].id = 0;  // ids start at 1
        Entry& e = slots_[t.ref.slot];
        e.transmits = level + 1;
        e.slots_sent |= bit;
        if (e.transmits >= transmit_limit) {
          if (watch_key_ && *watch_key_ == e.key) watch_done_ = true;
          Release(t.ref.slot);
        } else {
          sent.push_back(t.ref);
        }
      }
      std::erase_if(bucket, [](const Ref& r) { return r.id == 0; });
      if (sent.empty()) continue;
      Bucket& up = BucketOf(kind, level + 1);
      if (up.empty() || up.back().id < sent.front().id) {
        up.insert(up.end(), sent.begin(), sent.end());
      } else {
        merged_.clear();
        std::merge(up.begin(), up.end(), sent.begin(), sent.end(), std::back_inserter(merged_),
                   OlderId<Ref, Ref>);
        up.swap(merged_);
      }
    }
    end = begin;
  }
  return static_cast<int>(taken_.size());
}

template <typename Key>
void BroadcastQueue<Key>::ClearSlot(int slot) {
  const std::uint32_t mask = ~(1u << slot);
  for (Entry& e : slots_) e.slots_sent &= mask;
}

template <typename Key>
void BroadcastQueue<Key>::Remove(const Key& key) {
  if (const std::uint32_t* queued = by_key_.Find(key)) Erase(*queued);
}

template <typename Key>
void BroadcastQueue<Key>::Watch(const Key& key) {
  watch_key_ = key;
  watch_done_ = false;
}

template <typename Key>
std::optional<int> BroadcastQueue<Key>::Transmits(const Key& key) const {
  const std::uint32_t* queued = by_key_.Find(key);
  if (queued == nullptr) return std::nullopt;
  return slots_[*queued].transmits;
}

template <typename Key>
void BroadcastQueue<Key>::Erase(std::uint32_t slot) {
  const Entry& e = slots_[slot];
  Bucket& bucket = BucketOf(KindIndex(e.kind), e.transmits);
  const auto it =
      std::lower_bound(bucket.begin(), bucket.end(), Ref{e.id, slot}, OlderId<Ref, Ref>);
  bucket.erase(it);
  Release(slot);
}

template <typename Key>
void BroadcastQueue<Key>::Release(std::uint32_t slot) {
  Entry& e = slots_[slot];
  if (e.kind == Kind::kNewMember) --new_members_;
  by_key_.Erase(e.key);
  free_slots_.push_back(slot);
}

template class BroadcastQueue<std::string>;
template class BroadcastQueue<std::uint32_t>;

}  // namespace picket::membership::detail
