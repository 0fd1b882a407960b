#include "membership/detail/member_table.h"

#include <bit>
#include <cassert>
#include <utility>

#include "membership/tuning.h"

namespace picket::membership::detail {
namespace {

const Tags& EmptyTags() {
  static const Tags kEmpty;
  return kEmpty;
}

}  // namespace

MemberTable::MemberTable() : MemberTable(std::make_shared<NamePool>()) {}

MemberTable::MemberTable(std::shared_ptr<NamePool> names)
    : names_(std::move(names)),
      records_(names_->table_memory()),
      by_name_(names_->table_memory()),
      states_(names_->table_memory()),
      bucket_digests_(tuning::kMaxSyncBuckets, 0) {}

MemberTable::~MemberTable() {
  if (names_ == nullptr || names_->keeps_texts()) return;
  for (MemberIndex m = 0; m < end(); ++m) {
    if (!Contains(m)) continue;
    names_->Release(records_[m].name);
    names_->Release(records_[m].address);
  }
}

std::uint64_t MemberTable::Fingerprint(std::uint64_t name_hash, std::uint64_t incarnation,
                                       MemberState state) {
  // splitmix64 of the fields: sums of these are a good multiset hash.
  std::uint64_t z = name_hash ^ (incarnation * 0x9e3779b97f4a7c15ULL) ^
                    (static_cast<std::uint64_t>(state) << 61);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void MemberTable::AddFingerprint(std::uint64_t name_hash, std::uint64_t incarnation,
                                 MemberState state, int sign) {
  // Unsigned wrap-around: the sums are order-independent either way.
  const std::uint64_t f = Fingerprint(name_hash, incarnation, state);
  std::uint64_t& bucket = bucket_digests_[SyncBucket(name_hash, tuning::kMaxSyncBuckets)];
  if (sign > 0) {
    digest_ += f;
    bucket += f;
  } else {
    digest_ -= f;
    bucket -= f;
  }
}

std::uint32_t MemberTable::SyncBucket(std::uint64_t name_hash, std::size_t count) {
  assert(count >= 2 && count <= tuning::kMaxSyncBuckets && (count & (count - 1)) == 0);
  return static_cast<std::uint32_t>(name_hash >> (64 - std::countr_zero(count)));
}

std::vector<std::uint64_t> MemberTable::BucketDigests(std::size_t count) const {
  // The fine buckets are kMaxSyncBuckets of the same name-hash prefix order:
  // bucket b of `count` is the sum of the fine buckets that share its prefix.
  std::vector<std::uint64_t> out(count, 0);
  const std::size_t per = tuning::kMaxSyncBuckets / count;
  for (std::size_t fine = 0; fine < tuning::kMaxSyncBuckets; ++fine) {
    out[fine / per] += bucket_digests_[fine];
  }
  return out;
}

void MemberTable::Reserve(std::size_t members) {
  records_.reserve(members);
  states_.reserve(members);
  // Pool ids are dense: `members` names most likely have ids below about
  // that many (a simulator interns every name before any address). Sized
  // once here instead of growing (and copying) as the inserts arrive.
  if (by_name_.size() < members) by_name_.resize(members, kNoMember);
}

MemberIndex MemberTable::Find(std::string_view name) const {
  // A name no table holds is in none; otherwise compare ids, not text.
  const NamePool::Id id = names_->Find(name);
  return id == NamePool::kNoId ? kNoMember : FindId(id);
}

MemberIndex MemberTable::FindId(NamePool::Id name) const {
  return name < by_name_.size() ? by_name_[name] : kNoMember;
}

MemberIndex MemberTable::Insert(std::string_view name, std::string_view address,
                                std::uint64_t incarnation, MemberState state, Tags tags,
                                TimePoint now) {
  assert(Find(name) == kNoMember);
  return InsertAcquired(names_->Acquire(name), address, incarnation, state, std::move(tags), now);
}

MemberIndex MemberTable::InsertIfAbsent(std::string_view name, std::string_view address,
                                        std::uint64_t incarnation, MemberState state, Tags tags,
                                        TimePoint now) {
  // One pool lookup for both the check and the insert.
  const NamePool::Id id = names_->Acquire(name);
  if (FindId(id) != kNoMember) {
    names_->Release(id);
    return kNoMember;
  }
  return InsertAcquired(id, address, incarnation, state, std::move(tags), now);
}

MemberIndex MemberTable::InsertAcquired(NamePool::Id name, std::string_view address,
                                        std::uint64_t incarnation, MemberState state, Tags tags,
                                        TimePoint now) {
  MemberIndex m;
  if (!free_.empty()) {
    m = free_.back();
    free_.pop_back();
  } else {
    m = static_cast<MemberIndex>(records_.size());
    records_.emplace_back();
    states_.push_back(kFreeSlot);
  }
  Record& r = records_[m];
  r.incarnation = incarnation;
  r.state_since = now;
  r.name = name;
  r.address = names_->Acquire(address);
  states_[m] = static_cast<std::uint8_t>(state);
  ++used_;
  SetCount(state, +1);
  AddFingerprint(names_->Hash(name), incarnation, state, +1);
  SetTags(m, std::move(tags));
  if (name >= by_name_.size()) by_name_.resize(name + std::size_t{1}, kNoMember);
  by_name_[name] = m;
  return m;
}

void MemberTable::Remove(MemberIndex member) {
  assert(Contains(member));
  SetTags(member, Tags{});
  SetService(member, std::nullopt);
  Record& r = records_[member];
  const MemberState state = State(member);
  SetCount(state, -1);
  AddFingerprint(RingHash(member), r.incarnation, state, -1);
  by_name_[r.name] = kNoMember;
  names_->Release(r.name);
  names_->Release(r.address);
  states_[member] = kFreeSlot;
  --used_;
  free_.push_back(member);
}

void MemberTable::SetState(MemberIndex member, MemberState state, std::uint64_t incarnation,
                           TimePoint now) {
  Record& r = records_[member];
  const std::uint64_t name_hash = RingHash(member);
  const MemberState old = State(member);
  AddFingerprint(name_hash, r.incarnation, old, -1);
  if (old != state) {
    SetCount(old, -1);
    SetCount(state, +1);
    states_[member] = static_cast<std::uint8_t>(state);
    r.state_since = now;
  }
  r.incarnation = incarnation;
  AddFingerprint(name_hash, incarnation, state, +1);
}

void MemberTable::SetAddress(MemberIndex member, std::string_view address) {
  Record& r = records_[member];
  if (AddressOf(member) == address) return;
  const NamePool::Id old = r.address;
  r.address = names_->Acquire(address);
  names_->Release(old);
}

void MemberTable::SetTags(MemberIndex member, Tags tags) {
  if (tags.empty()) {
    if (!tags_.empty()) tags_.erase(member);
    return;
  }
  tags_[member] = std::move(tags);
}

void MemberTable::SetService(MemberIndex member, std::optional<ServiceStatus> service) {
  if (!service) {
    if (!services_.empty()) services_.erase(member);
    return;
  }
  services_[member] = std::move(*service);
}

const ServiceStatus* MemberTable::ServiceOf(MemberIndex member) const {
  if (services_.empty()) return nullptr;
  const auto it = services_.find(member);
  return it == services_.end() ? nullptr : &it->second;
}

std::string_view MemberTable::Name(MemberIndex member) const {
  return names_->Text(records_[member].name);
}

std::string_view MemberTable::AddressOf(MemberIndex member) const {
  return names_->Text(records_[member].address);
}

const Tags& MemberTable::TagsOf(MemberIndex member) const {
  if (tags_.empty()) return EmptyTags();
  const auto it = tags_.find(member);
  return it == tags_.end() ? EmptyTags() : it->second;
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
