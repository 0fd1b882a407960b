#include "membership/detail/member_table.h"

#include <cassert>
#include <utility>

#include "membership/detail/hash.h"

namespace picket::membership::detail {
namespace {

const Tags& EmptyTags() {
  static const Tags kEmpty;
  return kEmpty;
}

// Compaction is worth its O(N) cost once half the arena is garbage.
constexpr std::size_t kMinArenaToCompact = 4096;

}  // namespace

MemberTable::MemberTable() : index_(16, kNoMember) {}

std::uint64_t MemberTable::Fingerprint(std::uint64_t name_hash, const Record& r) {
  // splitmix64 of the fields: sums of these are a good multiset hash.
  std::uint64_t z = name_hash ^ (r.incarnation * 0x9e3779b97f4a7c15ULL) ^
                    (static_cast<std::uint64_t>(r.state) << 61);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void MemberTable::Reserve(std::size_t members, std::size_t text_bytes) {
  records_.reserve(members);
  arena_.reserve(arena_.size() + text_bytes);
  std::size_t size = index_.size();
  while (members * 4 > size * 3) size *= 2;
  if (size != index_.size()) {
    index_.assign(size, kNoMember);
    for (MemberIndex m = 0; m < records_.size(); ++m) {
      if (records_[m].in_use) IndexInsert(m);
    }
  }
}

MemberIndex MemberTable::Find(std::string_view name) const {
  const std::uint64_t hash = NameHash(name);
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const MemberIndex m = index_[slot];
    if (m == kNoMember) return kNoMember;
    const Record& r = records_[m];
    if (r.name_hash == hash && r.name_size == name.size() &&
        std::string_view(arena_).substr(r.name_offset, r.name_size) == name) {
      return m;
    }
  }
}

MemberIndex MemberTable::Insert(std::string_view name, std::string_view address,
                                std::uint64_t incarnation, MemberState state, Tags tags,
                                TimePoint now) {
  assert(Find(name) == kNoMember);
  assert(name.size() <= 0xFF && address.size() <= 0xFF);
  MemberIndex m;
  if (!free_.empty()) {
    m = free_.back();
    free_.pop_back();
  } else {
    m = static_cast<MemberIndex>(records_.size());
    records_.emplace_back();
  }
  Record& r = records_[m];
  r = Record{};
  r.name_hash = NameHash(name);
  r.incarnation = incarnation;
  r.state_since = now;
  r.state = state;
  r.in_use = true;
  r.name_offset = AppendToArena(name);
  r.name_size = static_cast<std::uint8_t>(name.size());
  r.address_offset = AppendToArena(address);
  r.address_size = static_cast<std::uint8_t>(address.size());
  ++used_;
  SetCount(state, +1);
  digest_ += Fingerprint(r.name_hash, r);
  SetTags(m, std::move(tags));
  if (static_cast<std::size_t>(used_) * 4 > index_.size() * 3) IndexGrow();
  IndexInsert(m);
  return m;
}

void MemberTable::Remove(MemberIndex member) {
  assert(Contains(member));
  IndexErase(member);
  SetTags(member, Tags{});
  Record& r = records_[member];
  arena_garbage_ += r.name_size + r.address_size;
  SetCount(r.state, -1);
  digest_ -= Fingerprint(RingHash(member), r);
  r.in_use = false;
  --used_;
  free_.push_back(member);
  MaybeCompactArena();
}

void MemberTable::SetState(MemberIndex member, MemberState state, std::uint64_t incarnation,
                           TimePoint now) {
  Record& r = records_[member];
  const std::uint64_t name_hash = RingHash(member);
  digest_ -= Fingerprint(name_hash, r);
  if (r.state != state) {
    SetCount(r.state, -1);
    SetCount(state, +1);
    r.state = state;
    r.state_since = now;
  }
  r.incarnation = incarnation;
  digest_ += Fingerprint(name_hash, r);
}

void MemberTable::SetAddress(MemberIndex member, std::string_view address) {
  assert(address.size() <= 0xFF);
  Record& r = records_[member];
  if (AddressOf(member) == address) return;
  arena_garbage_ += r.address_size;
  const std::uint32_t offset = AppendToArena(address);
  Record& again = records_[member];
  again.address_offset = offset;
  again.address_size = static_cast<std::uint8_t>(address.size());
  MaybeCompactArena();
}

void MemberTable::SetTags(MemberIndex member, Tags tags) {
  Record& r = records_[member];
  if (tags.empty()) {
    if (r.tags_slot != 0) {
      tags_[r.tags_slot - 1].clear();
      free_tags_.push_back(r.tags_slot);
      r.tags_slot = 0;
    }
    return;
  }
  if (r.tags_slot == 0) {
    if (!free_tags_.empty()) {
      r.tags_slot = free_tags_.back();
      free_tags_.pop_back();
    } else {
      tags_.emplace_back();
      r.tags_slot = static_cast<std::uint32_t>(tags_.size());
    }
  }
  tags_[r.tags_slot - 1] = std::move(tags);
}

std::string_view MemberTable::Name(MemberIndex member) const {
  const Record& r = records_[member];
  return std::string_view(arena_).substr(r.name_offset, r.name_size);
}

std::string_view MemberTable::AddressOf(MemberIndex member) const {
  const Record& r = records_[member];
  return std::string_view(arena_).substr(r.address_offset, r.address_size);
}

const Tags& MemberTable::TagsOf(MemberIndex member) const {
  const Record& r = records_[member];
  return r.tags_slot == 0 ? EmptyTags() : tags_[r.tags_slot - 1];
}

std::uint32_t MemberTable::AppendToArena(std::string_view text) {
  const auto offset = static_cast<std::uint32_t>(arena_.size());
  arena_.append(text);
  return offset;
}

void MemberTable::MaybeCompactArena() {
  if (arena_.size() < kMinArenaToCompact || arena_garbage_ * 2 < arena_.size()) return;
  std::string fresh;
  fresh.reserve(arena_.size() - arena_garbage_);
  for (Record& r : records_) {
    if (!r.in_use) continue;
    const auto name_offset = static_cast<std::uint32_t>(fresh.size());
    fresh.append(arena_, r.name_offset, r.name_size);
    const auto address_offset = static_cast<std::uint32_t>(fresh.size());
    fresh.append(arena_, r.address_offset, r.address_size);
    r.name_offset = name_offset;
    r.address_offset = address_offset;
  }
  arena_ = std::move(fresh);
  arena_garbage_ = 0;
}

void MemberTable::IndexInsert(MemberIndex member) {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = Home(member);
  while (index_[slot] != kNoMember) slot = (slot + 1) & mask;
  index_[slot] = member;
}

void MemberTable::IndexErase(MemberIndex member) {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = Home(member);
  while (index_[slot] != member) slot = (slot + 1) & mask;
  // Backward-shift deletion keeps probe chains intact without tombstone slots.
  std::size_t hole = slot;
  for (std::size_t next = (hole + 1) & mask; index_[next] != kNoMember; next = (next + 1) & mask) {
    const std::size_t home = Home(index_[next]);
    // Move `next` into the hole unless its home lies cyclically in (hole, next].
    const bool home_after_hole = ((next - home) & mask) < ((next - hole) & mask);
    if (!home_after_hole) {
      index_[hole] = index_[next];
      hole = next;
    }
  }
  index_[hole] = kNoMember;
}

void MemberTable::IndexGrow() {
  index_.assign(index_.size() * 2, kNoMember);
  for (MemberIndex m = 0; m < records_.size(); ++m) {
    if (records_[m].in_use) IndexInsert(m);
  }
}

void MemberTable::AddTombstone(std::string_view name, std::uint64_t incarnation, MemberState state,
                               TimePoint expires) {
  std::string key(name);
  Tombstone& t = tombstones_[key];
  if (t.incarnation > incarnation && t.expires >= expires) return;
  t.incarnation = std::max(t.incarnation, incarnation);
  t.state = state;
  t.expires = expires;
  tombstone_expiry_.emplace_back(expires, std::move(key));
}

const Tombstone* MemberTable::FindTombstone(std::string_view name) const {
  if (tombstones_.empty()) return nullptr;
  auto it = tombstones_.find(std::string(name));
  return it == tombstones_.end() ? nullptr : &it->second;
}

void MemberTable::EraseTombstone(std::string_view name) {
  if (!tombstones_.empty()) tombstones_.erase(std::string(name));
}

void MemberTable::ExpireTombstones(TimePoint now) {
  while (!tombstone_expiry_.empty() && tombstone_expiry_.front().first <= now) {
    auto it = tombstones_.find(tombstone_expiry_.front().second);
    if (it != tombstones_.end() && it->second.expires <= now) tombstones_.erase(it);
    tombstone_expiry_.pop_front();
  }
}

}  // namespace picket::membership::detail
