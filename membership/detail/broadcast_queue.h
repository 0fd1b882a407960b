#pragma once

// Dissemination queue (memberlist TransmitLimitedQueue): encoded updates wait
// here to be piggybacked on outgoing datagrams, least-sent first (newest first
// among equals), each until it has been sent `transmit_limit` times. A newer
// update under the same key (the same member) replaces the older one. The
// queue is bounded: past `limit` entries, the most-sent, oldest one goes
// (never the watched one). News of members new to us (joins) have a tighter
// bound of their own, `new_member_limit`: in a cold start every member hears
// of every joiner, and join news queued past what a member can send within a
// few seconds is only sent after everyone knows it (push-pull catch-ups
// repair what an early eviction misses). State changes of known members
// (suspicions, failures, refutations, leaves) are not evicted for them.
//
// Entries are stored already encoded (an Envelope.messages field, tag and
// length included), so packing a datagram is appending bytes and the budget
// is exact.
//
// Keys are member names' texts (std::string) or small dense integers (member
// indexes, std::uint32_t: found through an array, not a hash map).
//
// Heartbeats go to the same K observers every period; an entry remembers which
// observer slots it already reached so that it is not spent on the same
// observer twice (it still goes to random probe and gossip targets).
//
// Thread safety: none.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace picket::membership::detail {

enum class BroadcastKind { kStateChange, kNewMember };

// The slot of each queued key.
template <typename Key>
class KeySlots;

template <>
class KeySlots<std::string> {
 public:
  [[nodiscard]] const std::uint32_t* Find(const std::string& key) const {
    auto it = slots_.find(key);
    return it == slots_.end() ? nullptr : &it->second;
  }
  void Add(const std::string& key, std::uint32_t slot) { slots_.emplace(key, slot); }
  void Erase(const std::string& key) { slots_.erase(key); }
  [[nodiscard]] std::size_t size() const { return slots_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t> slots_;
};

template <>
class KeySlots<std::uint32_t> {
 public:
  [[nodiscard]] const std::uint32_t* Find(std::uint32_t key) const {
    return key < slots_.size() && slots_[key] != kNone ? &slots_[key] : nullptr;
  }
  void Add(std::uint32_t key, std::uint32_t slot) {
    if (slots_.size() <= key) slots_.resize(std::size_t{key} + 1, kNone);
    slots_[key] = slot;
    ++size_;
  }
  void Erase(std::uint32_t key) {
    slots_[key] = kNone;
    --size_;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  std::vector<std::uint32_t> slots_;  // by key
  std::size_t size_ = 0;
};

template <typename Key = std::string>
class BroadcastQueue {
 public:
  using Kind = BroadcastKind;

  // REQUIRES: limit >= 2 (a watched entry and a newcomer), new_member_limit >= 1.
  BroadcastQueue(std::size_t limit, std::size_t new_member_limit)
      : limit_(limit), new_member_limit_(new_member_limit) {}
  explicit BroadcastQueue(std::size_t limit) : BroadcastQueue(limit, limit) {}

  // Queues `bytes` under `key`, replacing an entry with the same key.
  void Push(const Key& key, std::string bytes, Kind kind = Kind::kStateChange);

  // Appends entries to `out` while out.size() <= budget: least-sent first,
  // skipping entries that do not fit or (slot >= 0) already went to observer
  // `slot`. Each appended entry counts one transmission and leaves the queue
  // at `transmit_limit`. Examines at most tuning::kMaxBroadcastScan entries.
  // Returns how many were appended.
  int Fill(std::string& out, std::size_t budget, int transmit_limit, int slot);

  // The observer in `slot` changed: entries may go to the new one.
  void ClearSlot(int slot);

  // Drops the entry under `key`, if any.
  void Remove(const Key& key);

  // Completion tracking (graceful leave): Watch(key) makes WatchDone() true
  // once the entry under `key` has left the queue after its last transmission
  // (not when it is replaced or pruned).
  void Watch(const Key& key);
  [[nodiscard]] bool WatchDone() const { return watch_done_; }

  [[nodiscard]] std::size_t size() const { return by_key_.size(); }
  [[nodiscard]] std::size_t new_members() const { return new_members_; }
  [[nodiscard]] bool empty() const { return by_key_.size() == 0; }
  // Times the entry under `key` was sent, or nullopt if none is queued.
  [[nodiscard]] std::optional<int> Transmits(const Key& key) const;

 private:
  struct Entry {
    Key key{};
    std::string bytes;
    std::uint64_t id = 0;  // push order: among equal counts newer ids go first
    int transmits = 0;
    std::uint32_t slots_sent = 0;
    Kind kind = Kind::kStateChange;
  };
  // An entry's place in the send order: its bucket (kind, transmits) and id.
  struct Ref {
    std::uint64_t id;
    std::uint32_t slot;  // index into slots_
  };
  // Entries of one kind and one transmit count, oldest (lowest id) first.
  // The send order is by transmits, then newest first across both kinds: a
  // send moves a few entries one bucket up, a push appends to bucket 0 and an
  // eviction takes the oldest of the highest bucket, with no allocation once
  // the buckets have grown (a tree of (transmits, id) rebalanced on every
  // send cost a third of a simulated cold start of 5,000).
  using Bucket = std::vector<Ref>;
  struct Taken {
    int kind;
    int transmits;
    std::size_t position;  // in its bucket
    Ref ref;
  };

  static int KindIndex(Kind kind) { return kind == Kind::kNewMember ? 1 : 0; }
  Bucket& BucketOf(int kind, int transmits);
  // Erases the most-sent, oldest entry (of `kind` only, if given) that is not
  // watched. False if there is none.
  bool EvictOne(std::optional<Kind> kind);
  // Removes the entry in `slot` from its bucket, then from the queue.
  void Erase(std::uint32_t slot);
  void Release(std::uint32_t slot);

  std::size_t limit_;
  std::size_t new_member_limit_;
  std::uint64_t next_id_ = 1;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  KeySlots<Key> by_key_;
  std::array<std::vector<Bucket>, 2> buckets_;  // [KindIndex][transmits]
  std::size_t new_members_ = 0;                 // entries of Kind::kNewMember
  std::vector<Taken> taken_;                    // Fill's scratch
  Bucket sent_;                                 // Fill's scratch
  Bucket merged_;                               // Fill's scratch
  std::optional<Key> watch_key_;
  bool watch_done_ = false;
};

extern template class BroadcastQueue<std::string>;
extern template class BroadcastQueue<std::uint32_t>;

}  // namespace picket::membership::detail
