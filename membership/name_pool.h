#pragma once

// Interned strings (member names and addresses): each distinct text is stored
// once and referred to by a 4-byte id, with its NameHash kept beside it.
//
// A member table keeps ids, not text. Every Swim owns a private pool by
// default; a simulator running thousands of Swims in one thread passes them
// one shared pool, so that the N^2 (table, member) pairs hold ids only and
// each name is stored (and hashed) once instead of N times.
//
// Texts are reference-counted: an id lives while some table holds it, then
// is reused. A text's view stays valid while its id is held.
//
// Thread safety: none. A shared pool must only be used by Swims that are all
// driven from one thread.

#include <cstdint>
#include <deque>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

namespace picket::membership {

class NamePool {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNoId = 0xFFFFFFFFu;

  // keep_texts: never free a text (Release only counts down), for a
  // simulation, whose set of names is bounded. Tables then skip releasing
  // their N ids each when destroyed.
  //
  // table_memory: where the tables using this pool allocate their per-member
  // arrays (nullptr: the default allocator). A simulator passes one backed by
  // huge pages for its N^2 entries.
  explicit NamePool(bool keep_texts = false,
                    std::shared_ptr<std::pmr::memory_resource> table_memory = nullptr);
  NamePool(const NamePool&) = delete;
  NamePool& operator=(const NamePool&) = delete;

  // The id of `text`, or kNoId if no table holds it. O(1) expected.
  [[nodiscard]] Id Find(std::string_view text) const;
  // The id of `text` with one more reference (added if new).
  Id Acquire(std::string_view text);
  // Drops one reference; the id may be reused once none is left.
  // REQUIRES: `id` was acquired and not released as often.
  void Release(Id id);

  [[nodiscard]] std::string_view Text(Id id) const { return texts_[id]; }
  // NameHash(Text(id)).
  [[nodiscard]] std::uint64_t Hash(Id id) const { return hashes_[id]; }
  // Distinct texts held.
  [[nodiscard]] std::size_t size() const { return used_; }
  [[nodiscard]] bool keeps_texts() const { return keep_texts_; }
  // Never nullptr; lives as long as this pool.
  [[nodiscard]] std::pmr::memory_resource* table_memory() const {
    return table_memory_ ? table_memory_.get() : std::pmr::new_delete_resource();
  }

 private:
  // The id of `text` if it is the id after one of the last two acquired
  // (and held), else kNoId. Callers often acquire in id order: a simulator
  // warm-starting N tables with one member list acquires name, address,
  // name, ... and its pool holds the names, then the addresses, in that
  // order. This skips the hash and the index probe (both cache misses at
  // scale) for a comparison with a text that is next in memory.
  [[nodiscard]] Id Predicted(std::string_view text) const;
  // Records `id` as the newest of recent_ and returns it.
  Id Remember(Id id);
  // The index slot holding `text` (hash `hash`), or the empty slot where it
  // would go.
  [[nodiscard]] std::size_t Slot(std::string_view text, std::uint64_t hash) const;
  void IndexErase(Id id);
  void IndexGrow();

  // A deque never moves its elements: views of the texts stay valid while
  // the pool grows.
  bool keep_texts_;
  std::shared_ptr<std::pmr::memory_resource> table_memory_;
  std::deque<std::string> texts_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> refs_;
  std::vector<Id> free_;
  std::size_t used_ = 0;
  // The last two ids Acquire returned (newest first); hints for Predicted.
  Id recent_[2] = {kNoId, kNoId};
  // Open addressing of ids by hash, linear probing, power-of-two size, load
  // <= 1/2: a lookup compares hashes from one array before any text (the
  // simulator looks up N^2 names while it warm-starts its tables).
  std::vector<Id> index_;
};

}  // namespace picket::membership
