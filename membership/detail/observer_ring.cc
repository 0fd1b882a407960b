#include "membership/detail/observer_ring.h"

#include <algorithm>

#include "membership/detail/precedence.h"

namespace picket::membership::detail {

ObserverRing::Distance ObserverRing::SuccessorDistance(const MemberTable& table,
                                                       MemberIndex member) const {
  std::uint64_t hops = table.RingHash(member) - table.RingHash(self_);
  // Same hash as self: order by name; a smaller name sits just before self,
  // i.e. a full turn away clockwise.
  if (hops == 0 && table.Name(member) < table.Name(self_)) hops = ~std::uint64_t{0};
  return {hops, member};
}

ObserverRing::Distance ObserverRing::PredecessorDistance(const MemberTable& table,
                                                         MemberIndex member) const {
  std::uint64_t hops = table.RingHash(self_) - table.RingHash(member);
  if (hops == 0 && table.Name(member) > table.Name(self_)) hops = ~std::uint64_t{0};
  return {hops, member};
}

bool ObserverRing::Closer(const MemberTable& table, const Distance& a, const Distance& b,
                          bool successor) {
  if (a.hops != b.hops) return a.hops < b.hops;
  // Equal hashes: ascending names follow each other clockwise.
  return successor ? table.Name(a.member) < table.Name(b.member)
                   : table.Name(a.member) > table.Name(b.member);
}

bool ObserverRing::Offer(const MemberTable& table, MemberIndex member,
                         std::vector<MemberIndex>& list, bool successor) const {
  auto distance = [&](MemberIndex m) {
    return successor ? SuccessorDistance(table, m) : PredecessorDistance(table, m);
  };
  const Distance d = distance(member);
  // Most offers (every member at a warm start or a rebuild) are farther than
  // the K-th neighbour: one comparison rejects them.
  if (static_cast<int>(list.size()) >= k_ && !Closer(table, d, distance(list.back()), successor)) {
    return false;
  }
  if (std::find(list.begin(), list.end(), member) != list.end()) return false;
  auto pos = list.begin();
  while (pos != list.end() && Closer(table, distance(*pos), d, successor)) ++pos;
  if (pos == list.end() && static_cast<int>(list.size()) >= k_) return false;
  list.insert(pos, member);
  if (static_cast<int>(list.size()) > k_) list.pop_back();
  return true;
}

bool ObserverRing::Add(const MemberTable& table, MemberIndex member) {
  if (member == self_) return false;
  const bool a = Offer(table, member, observers_, true);
  const bool b = Offer(table, member, subjects_, false);
  return a || b;
}

bool ObserverRing::Remove(const MemberTable& table, MemberIndex member) {
  if (!IsObserver(member) && !IsSubject(member)) return false;
  // The replacement is whoever is next on the ring: one scan of the table.
  observers_.erase(std::remove(observers_.begin(), observers_.end(), member), observers_.end());
  subjects_.erase(std::remove(subjects_.begin(), subjects_.end(), member), subjects_.end());
  for (MemberIndex m = 0; m < table.end(); ++m) {
    if (m == self_ || m == member || !table.Contains(m) || !IsLive(table.State(m))) continue;
    Offer(table, m, observers_, true);
    Offer(table, m, subjects_, false);
  }
  return true;
}

bool ObserverRing::Rebuild(const MemberTable& table) {
  std::vector<MemberIndex> old_observers = std::move(observers_);
  std::vector<MemberIndex> old_subjects = std::move(subjects_);
  observers_.clear();
  subjects_.clear();
  for (MemberIndex m = 0; m < table.end(); ++m) {
    if (m == self_ || !table.Contains(m) || !IsLive(table.State(m))) continue;
    Offer(table, m, observers_, true);
    Offer(table, m, subjects_, false);
  }
  return old_observers != observers_ || old_subjects != subjects_;
}

bool ObserverRing::IsSubject(MemberIndex member) const {
  return std::find(subjects_.begin(), subjects_.end(), member) != subjects_.end();
}

bool ObserverRing::IsObserver(MemberIndex member) const {
  return std::find(observers_.begin(), observers_.end(), member) != observers_.end();
}

}  // namespace picket::membership::detail
