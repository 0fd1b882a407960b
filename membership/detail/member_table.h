#pragma once

// The member table of one agent: every member it knows (self included), with
// name, address, incarnation, state, tags and the time of the last state
// change, plus tombstones of reaped members. It stores facts; the rules that
// decide which facts win live in precedence.h and swim_state.cc.
//
// Compact on purpose: a simulated cluster of N agents holds N^2 records.
// Names and addresses are ids into a NamePool (shared by every table of a
// simulation, so each text and its hash are stored once), records are 24
// bytes plus a state byte, and the name index maps pool ids straight to
// records: about 33 bytes per member.
//
// Thread safety: none.

#include <cstdint>
#include <deque>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "membership/name_pool.h"
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
  // A table with a private NamePool.
  MemberTable();
  // A table whose names and addresses live in `names` (shared with other
  // tables driven from the same thread). REQUIRES: names != nullptr.
  explicit MemberTable(std::shared_ptr<NamePool> names);
  ~MemberTable();
  MemberTable(const MemberTable&) = delete;
  MemberTable& operator=(const MemberTable&) = delete;

  // The member called `name`, or kNoMember. O(1) expected.
  [[nodiscard]] MemberIndex Find(std::string_view name) const;

  // Makes room for `members` members without further reallocation.
  void Reserve(std::size_t members);

  // Adds a member. REQUIRES: Find(name) == kNoMember.
  MemberIndex Insert(std::string_view name, std::string_view address, std::uint64_t incarnation,
                     MemberState state, Tags tags, TimePoint now);
  // As Insert, unless a member called `name` is in the table already: then
  // nothing changes and the result is kNoMember.
  MemberIndex InsertIfAbsent(std::string_view name, std::string_view address,
                             std::uint64_t incarnation, MemberState state, Tags tags,
                             TimePoint now);
  // Removes a member (its index may be reused by a later Insert).
  void Remove(MemberIndex member);

  // Changes state and incarnation; state_since moves only if the state changed.
  void SetState(MemberIndex member, MemberState state, std::uint64_t incarnation, TimePoint now);
  void SetAddress(MemberIndex member, std::string_view address);
  void SetTags(MemberIndex member, Tags tags);
  // Sets (or, with nullopt, clears) the member's service status.
  void SetService(MemberIndex member, std::optional<ServiceStatus> service);

  [[nodiscard]] bool Contains(MemberIndex member) const {
    return member < states_.size() && states_[member] != kFreeSlot;
  }
  [[nodiscard]] std::string_view Name(MemberIndex member) const;
  [[nodiscard]] std::string_view AddressOf(MemberIndex member) const;
  [[nodiscard]] std::uint64_t Incarnation(MemberIndex member) const {
    return records_[member].incarnation;
  }
  [[nodiscard]] MemberState State(MemberIndex member) const {
    return static_cast<MemberState>(states_[member]);
  }
  [[nodiscard]] TimePoint StateSince(MemberIndex member) const {
    return records_[member].state_since;
  }
  // NameHash of the member's name (kept in the pool).
  [[nodiscard]] std::uint64_t RingHash(MemberIndex member) const {
    return names_->Hash(records_[member].name);
  }
  [[nodiscard]] const Tags& TagsOf(MemberIndex member) const;
  // The member's service status; null when it runs no checks.
  [[nodiscard]] const ServiceStatus* ServiceOf(MemberIndex member) const;

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
  // Digest() split into `count` buckets by name hash (delta sync, see
  // membership.proto): element b sums the members whose SyncBucket is b.
  // REQUIRES: count a power of two, 2..tuning::kMaxSyncBuckets.
  [[nodiscard]] std::vector<std::uint64_t> BucketDigests(std::size_t count) const;
  // The bucket of `count` (as above) of a member whose NameHash is name_hash.
  [[nodiscard]] static std::uint32_t SyncBucket(std::uint64_t name_hash, std::size_t count);

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
    std::uint64_t incarnation = 0;
    TimePoint state_since{};
    NamePool::Id name = NamePool::kNoId;
    NamePool::Id address = NamePool::kNoId;
  };
  // states_ value of an index not in use.
  static constexpr std::uint8_t kFreeSlot = 0xFF;

  [[nodiscard]] MemberIndex FindId(NamePool::Id name) const;
  // Insert with the name's pool reference already taken.
  MemberIndex InsertAcquired(NamePool::Id name, std::string_view address,
                             std::uint64_t incarnation, MemberState state, Tags tags,
                             TimePoint now);

  void SetCount(MemberState state, int delta) {
    counts_[static_cast<std::size_t>(state)] += delta;
  }
  [[nodiscard]] static std::uint64_t Fingerprint(std::uint64_t name_hash,
                                                 std::uint64_t incarnation, MemberState state);
  // Adds (sign +1) or takes away (-1) a fact from the digest and its bucket.
  void AddFingerprint(std::uint64_t name_hash, std::uint64_t incarnation, MemberState state,
                      int sign);

  std::shared_ptr<NamePool> names_;
  // The per-member arrays live in names_->table_memory().
  std::pmr::vector<Record> records_;
  std::vector<MemberIndex> free_;
  // Member by pool id of its name (kNoMember: none), sized to the largest id
  // held. Pool ids are dense (freed ids are reused; a simulation's shared
  // pool holds about 2 ids per member, name and address), so this costs
  // about as much as a hash index, and a lookup is one access with no
  // probing and no record to compare: at scale each probe was a cache miss.
  std::pmr::vector<MemberIndex> by_name_;
  // Per index: the MemberState, or kFreeSlot. Apart from the records: the
  // scans for live members (probe order, random picks) read one byte per
  // member, and the records stay at 24 bytes.
  std::pmr::vector<std::uint8_t> states_;
  // Tags of the members that have any (most have none).
  std::unordered_map<MemberIndex, Tags> tags_;
  // Service status of the members whose agents run checks.
  std::unordered_map<MemberIndex, ServiceStatus> services_;
  int used_ = 0;
  int counts_[4] = {0, 0, 0, 0};
  std::uint64_t digest_ = 0;
  // digest_ per kMaxSyncBuckets bucket (8 KB; BucketDigests adds them up).
  std::vector<std::uint64_t> bucket_digests_;

  std::unordered_map<std::string, Tombstone> tombstones_;
  // (expiry, name) in insertion order; reap_after is one value, so FIFO order
  // is expiry order. Entries whose tombstone was replaced are skipped.
  std::deque<std::pair<TimePoint, std::string>> tombstone_expiry_;
};

}  // namespace picket::membership::detail
