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
// Heartbeats go to the same K observers every period; an entry remembers which
// observer slots it already reached so that it is not spent on the same
// observer twice (it still goes to random probe and gossip targets).
//
// Thread safety: none.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace picket::membership::detail {

class BroadcastQueue {
 public:
  enum class Kind { kStateChange, kNewMember };

  // REQUIRES: limit >= 2 (a watched entry and a newcomer), new_member_limit >= 1.
  BroadcastQueue(std::size_t limit, std::size_t new_member_limit)
      : limit_(limit), new_member_limit_(new_member_limit) {}
  explicit BroadcastQueue(std::size_t limit) : BroadcastQueue(limit, limit) {}

  // Queues `bytes` under `key`, replacing an entry with the same key.
  void Push(const std::string& key, std::string bytes, Kind kind = Kind::kStateChange);

  // Appends entries to `out` while out.size() <= budget: least-sent first,
  // skipping entries that do not fit or (slot >= 0) already went to observer
  // `slot`. Each appended entry counts one transmission and leaves the queue
  // at `transmit_limit`. Examines at most tuning::kMaxBroadcastScan entries.
  // Returns how many were appended.
  int Fill(std::string& out, std::size_t budget, int transmit_limit, int slot);

  // The observer in `slot` changed: entries may go to the new one.
  void ClearSlot(int slot);

  // Drops the entry under `key`, if any.
  void Remove(const std::string& key);

  // Completion tracking (graceful leave): Watch(key) makes WatchDone() true
  // once the entry under `key` has left the queue after its last transmission
  // (not when it is replaced or pruned).
  void Watch(const std::string& key);
  [[nodiscard]] bool WatchDone() const { return watch_done_; }

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t new_members() const { return new_member_order_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // Times the entry under `key` was sent, or nullopt if none is queued.
  [[nodiscard]] std::optional<int> Transmits(const std::string& key) const;

 private:
  struct Entry {
    std::string key;
    std::string bytes;
    int transmits = 0;
    std::uint32_t slots_sent = 0;
    Kind kind = Kind::kStateChange;
  };
  // Ordering key: (transmits, ~id) so that among equal counts newer ids come first.
  using Order = std::pair<int, std::uint64_t>;
  static Order OrderOf(const Entry& e, std::uint64_t id) { return {e.transmits, ~id}; }

  // Erases the most-sent, oldest entry of `from` (order_ or
  // new_member_order_) that is not watched. False if there is none.
  bool EvictOne(const std::set<Order>& from);
  // Adds (removes) the entry to (from) the orders of its kind.
  void Index(const Entry& e, std::uint64_t id);
  void Unindex(const Entry& e, std::uint64_t id);
  void Erase(std::uint64_t id);

  std::size_t limit_;
  std::size_t new_member_limit_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::unordered_map<std::string, std::uint64_t> by_key_;
  std::set<Order> order_;             // every entry
  std::set<Order> new_member_order_;  // entries of Kind::kNewMember only
  std::optional<std::string> watch_key_;
  bool watch_done_ = false;
};

}  // namespace picket::membership::detail
