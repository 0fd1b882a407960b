#include "membership/detail/suspicion.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace picket::membership::detail {

Duration SuspicionTimeout(int confirmations, int expected, Duration min, Duration max) {
  if (expected < 1 || max <= min) return min;
  const double c = std::max(0, confirmations);
  const double frac = std::log(c + 1.0) / std::log(static_cast<double>(expected) + 1.0);
  const double max_s = std::chrono::duration<double>(max).count();
  const double min_s = std::chrono::duration<double>(min).count();
  const double raw = max_s - frac * (max_s - min_s);
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(raw * 1000.0)));
  return std::max<Duration>(min, timeout);
}

Duration SuspicionMinTimeout(double multiplier, Duration probe_interval, int n) {
  const double scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  const double ns = multiplier * scale * static_cast<double>(probe_interval.count());
  return Duration(static_cast<Duration::rep>(ns));
}

const Suspicions::Entry& Suspicions::Start(MemberIndex member, std::uint64_t incarnation,
                                           std::uint64_t originator, TimePoint now, Duration min,
                                           Duration max, int expected) {
  Entry& e = entries_[member];
  e.incarnation = incarnation;
  e.start = now;
  e.min = min;
  e.max = std::max(min, max);
  e.expected = expected;
  e.confirmers.assign(1, originator);
  e.checking = false;
  e.failed_checks = 0;
  e.generation = next_generation_++;
  e.deadline = now + SuspicionTimeout(0, expected, e.min, e.max);
  return e;
}

bool Suspicions::WouldCount(MemberIndex member, std::uint64_t from) const {
  const auto it = entries_.find(member);
  if (it == entries_.end()) return false;
  const Entry& e = it->second;
  // Confirmations beyond `expected` change nothing; stop counting (bounds memory).
  if (static_cast<int>(e.confirmers.size()) > e.expected) return false;
  return std::find(e.confirmers.begin(), e.confirmers.end(), from) == e.confirmers.end();
}

const Suspicions::Entry* Suspicions::Confirm(MemberIndex member, std::uint64_t from) {
  if (!WouldCount(member, from)) return nullptr;
  Entry& e = entries_.at(member);
  e.confirmers.push_back(from);
  const int confirmations = static_cast<int>(e.confirmers.size()) - 1;
  const TimePoint deadline = e.start + SuspicionTimeout(confirmations, e.expected, e.min, e.max);
  if (deadline < e.deadline) {
    e.deadline = deadline;
    e.generation = next_generation_++;
  }
  return &e;
}

const Suspicions::Entry* Suspicions::Extend(MemberIndex member, TimePoint deadline) {
  auto it = entries_.find(member);
  if (it == entries_.end()) return nullptr;
  it->second.deadline = deadline;
  it->second.generation = next_generation_++;
  return &it->second;
}

void Suspicions::StartFinalCheck(MemberIndex member) {
  if (auto it = entries_.find(member); it != entries_.end()) it->second.checking = true;
}

void Suspicions::EndFinalCheck(MemberIndex member, bool answered) {
  auto it = entries_.find(member);
  if (it == entries_.end()) return;
  it->second.checking = false;
  it->second.failed_checks = answered ? 0 : it->second.failed_checks + 1;
}

void Suspicions::Clear(MemberIndex member) { entries_.erase(member); }

const Suspicions::Entry* Suspicions::Find(MemberIndex member) const {
  auto it = entries_.find(member);
  return it == entries_.end() ? nullptr : &it->second;
}

bool Suspicions::IsCurrent(MemberIndex member, std::uint64_t generation) const {
  const Entry* e = Find(member);
  return e != nullptr && e->generation == generation;
}

std::vector<std::pair<MemberIndex, const Suspicions::Entry*>> Suspicions::Postpone(
    TimePoint not_before) {
  std::vector<std::pair<MemberIndex, const Entry*>> moved;
  for (auto& [member, e] : entries_) {
    if (e.deadline < not_before) {
      e.deadline = not_before;
      e.generation = next_generation_++;
      moved.emplace_back(member, &e);
    }
  }
  // unordered_map order is not deterministic across builds; callers schedule
  // timers from this list, so sort it.
  std::sort(moved.begin(), moved.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return moved;
}

}  // namespace picket::membership::detail
