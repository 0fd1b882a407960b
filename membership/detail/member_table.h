#pragma once

// The member table of one agent: every member it knows (self included), with
// name, address, incarnation, state, tags and the time of the last state
// change, plus tombstones of reaped members. It stores facts; the rules that
// decide which facts win live in precedence.h and swim_state.cc.
//
// Compact on purpose: a simulated cluster of N agents holds N^2 records.
// Names and addresses live in one arena string per table, records are 40
// bytes (with the name's hash, so that lookups and ring positions never touch
// the arena except to confirm a match), and the name index is an
// open-addressing table of 4-byte slots (load <= 3/4): about 63 bytes per
// member with short names.
//
// Thread safety: none.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "membership/types.h"

namespace picket::membership::detail {

// Position of a record in the table; stable while the member is in it, and
// reused after the member is removed.
using MemberIndex = std::uint32_t;
inline constexpr MemberIndex kNoMember = 0xFFFFFFFFu;

// What is remembered of a reaped member: an update at or below this
// incarnation is old news and must not bring the name back.
struct Tombstone {
  std::uint64_t incarnation = 0;
  MemberState state = MemberState::kFailed;
  TimePoint expires{};
};

class MemberTable {
 public:
  MemberTable();

  // The member called `name`, or kNoMember. O(1) expected.
  [[nodiscard]] MemberIndex Find(std::string_view name) const;

  // Makes room for `members` members whose names and addresses take
  // `text_bytes` in all, without further reallocation.
  void Reserve(std::size_t members, std::size_t text_bytes = 0);

  // Adds a member. REQUIRES: Find(name) == kNoMember.
  MemberIndex Insert(std::string_view name, std::string_view address, std::uint64_t incarnation,
                     MemberState state, Tags tags, TimePoint now);
  // Removes a member (its index may be reused by a later Insert).
  void Remove(MemberIndex member);

  // Changes state and incarnation; state_since moves only if the state changed.
  void SetState(MemberIndex member, MemberState state, std::uint64_t incarnation, TimePoint now);
  void SetAddress(MemberIndex member, std::string_view address);
  void SetTags(MemberIndex member, Tags tags);

  [[nodiscard]] bool Contains(MemberIndex member) const {
    return member < records_.size() && records_[member].in_use;
  }
  [[nodiscard]] std::string_view Name(MemberIndex member) const;
  [[nodiscard]] std::string_view AddressOf(MemberIndex member) const;
  [[nodiscard]] std::uint64_t Incarnation(MemberIndex member) const {
    return records_[member].incarnation;
  }
  [[nodiscard]] MemberState State(MemberIndex member) const { return records_[member].state; }
  [[nodiscard]] TimePoint StateSince(MemberIndex member) const {
    return records_[member].state_since;
  }
  // NameHash of the member's name (kept in the record).
  [[nodiscard]] std::uint64_t RingHash(MemberIndex member) const {
    return records_[member].name_hash;
  }
  [[nodiscard]] const Tags& TagsOf(MemberIndex member) const;

  // Members in the table, and per state.
  [[nodiscard]] int size() const { return used_; }
  [[nodiscard]] int Count(MemberState state) const {
    return counts_[static_cast<std::size_t>(state)];
  }
  // Order-independent summary of every (name, incarnation, state) in the
  // table, kept up to date on every change: two tables with the same digest
  // and size hold the same facts (barring a 2^-64 collision), so push-pull
  // can skip the full exchange. Addresses and tags are not included: they
  // change only with the incarnation.
  [[nodiscard]] std::uint64_t Digest() const { return digest_; }

  // One past the largest index in use; iterate 0..end() and skip !Contains.
  [[nodiscard]] MemberIndex end() const { return static_cast<MemberIndex>(records_.size()); }

  // --- Tombstones of reaped members ---
  void AddTombstone(std::string_view name, std::uint64_t incarnation, MemberState state,
                    TimePoint expires);
  [[nodiscard]] const Tombstone* FindTombstone(std::string_view name) const;
  void EraseTombstone(std::string_view name);
  // Drops tombstones that expired at or before `now`.
  void ExpireTombstones(TimePoint now);
  [[nodiscard]] std::size_t tombstone_count() const { return tombstones_.size(); }

 private:
  struct Record {
    std::uint64_t name_hash = 0;
    std::uint64_t incarnation = 0;
    TimePoint state_since{};
    std::uint32_t name_offset = 0;
    std::uint32_t address_offset = 0;
    std::uint32_t tags_slot = 0;  // 0: no tags; else tags_[tags_slot - 1]
    std::uint8_t name_size = 0;
    std::uint8_t address_size = 0;
    MemberState state = MemberState::kAlive;
    bool in_use = false;
  };

  std::uint32_t AppendToArena(std::string_view text);
  void MaybeCompactArena();
  void IndexInsert(MemberIndex member);
  void IndexErase(MemberIndex member);
  void IndexGrow();
  void SetCount(MemberState state, int delta) {
    counts_[static_cast<std::size_t>(state)] += delta;
  }
  [[nodiscard]] static std::uint64_t Fingerprint(std::uint64_t name_hash, const Record& r);
  [[nodiscard]] std::size_t Home(MemberIndex member) const {
    return RingHash(member) & (index_.size() - 1);
  }

  std::vector<Record> records_;
  std::vector<MemberIndex> free_;
  std::string arena_;
  std::size_t arena_garbage_ = 0;
  // Open addressing, linear probing, power-of-two size, load <= 3/4.
  std::vector<MemberIndex> index_;
  std::vector<Tags> tags_;
  std::vector<std::uint32_t> free_tags_;
  int used_ = 0;
  int counts_[4] = {0, 0, 0, 0};
  std::uint64_t digest_ = 0;

  std::unordered_map<std::string, Tombstone> tombstones_;
  // (expiry, name) in insertion order; reap_after is one value, so FIFO order
  // is expiry order. Entries whose tombstone was replaced are skipped.
  std::deque<std::pair<TimePoint, std::string>> tombstone_expiry_;
};

}  // namespace picket::membership::detail
