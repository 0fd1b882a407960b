#include "sim/view_collector.h"

#include <algorithm>

namespace picket::sim {

namespace {

// splitmix64 of the subject id: XOR over a set of these is a set hash with
// collisions only by 2^-64 chance.
std::uint64_t SubjectHash(HostId s) {
  std::uint64_t z = static_cast<std::uint64_t>(s) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

ViewCollector::ViewCollector(std::size_t capacity)
    : capacity_(capacity),
      bits_((capacity * capacity + 63) / 64, 0),
      up_count_(capacity, 0),
      sees_count_(capacity, 0),
      view_hash_(capacity, 0),
      size_seen_(capacity + 1, false),
      ever_ran_(capacity, false) {}

bool ViewCollector::Sees(HostId observer, HostId subject) const {
  const std::size_t bit = Bit(observer, subject);
  return ((bits_[bit / 64] >> (bit % 64)) & 1U) != 0;
}

ViewCollector::Change ViewCollector::Set(HostId observer, HostId subject, bool up) {
  const std::size_t bit = Bit(observer, subject);
  std::uint64_t& word = bits_[bit / 64];
  const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
  const bool was_up = (word & mask) != 0;
  if (was_up == up) return Change::kNone;
  view_hash_[observer] ^= SubjectHash(subject);
  if (up) {
    word |= mask;
    ++sees_count_[observer];
    return ++up_count_[subject] == 1 ? Change::kFirstUp : Change::kNone;
  }
  word &= ~mask;
  --sees_count_[observer];
  return --up_count_[subject] == 0 ? Change::kLastDown : Change::kNone;
}

std::optional<bool> ViewCollector::UpAfter(const membership::MemberEvent& event) {
  using membership::EventType;
  using membership::MemberState;
  if (event.type == EventType::kQuorumLost || event.type == EventType::kQuorumRegained) {
    return std::nullopt;
  }
  return event.member.state == MemberState::kAlive || event.member.state == MemberState::kSuspect;
}

void ViewCollector::OnStart(HostId h) {
  ever_ran_[h] = true;
  Set(h, h, true);
}

std::vector<HostId> ViewCollector::OnStop(HostId h) {
  std::vector<HostId> now_unseen;
  for (HostId s = 0; s < capacity_; ++s) {
    if (Sees(h, s) && Set(h, s, false) == Change::kLastDown) now_unseen.push_back(s);
  }
  return now_unseen;
}

void ViewCollector::SampleViewSizes(const GroundTruth& truth) {
  const std::size_t hosts = std::min(capacity_, truth.host_count());
  for (HostId o = 0; o < hosts; ++o) {
    if (!truth.Running(o) || size_seen_[sees_count_[o]]) continue;
    size_seen_[sees_count_[o]] = true;
    ++distinct_sizes_;
  }
}

bool ViewCollector::Converged(const GroundTruth& truth) const {
  const std::size_t running = truth.running_count();
  const std::size_t hosts = std::min(capacity_, truth.host_count());
  for (HostId s = 0; s < hosts; ++s) {
    if (!ever_ran_[s]) continue;
    const std::size_t want = truth.ExpectedUp(s) ? running : 0;
    if (up_count_[s] != want) return false;
  }
  return true;
}

std::size_t ViewCollector::CrossGroupUpPairs(const GroundTruth& truth) const {
  std::size_t pairs = 0;
  const std::size_t hosts = std::min(capacity_, truth.host_count());
  for (HostId o = 0; o < hosts; ++o) {
    if (!truth.Running(o)) continue;
    for (HostId s = 0; s < hosts; ++s) {
      if (truth.Running(s) && truth.CurrentGroup(o) != truth.CurrentGroup(s) && Sees(o, s)) {
        ++pairs;
      }
    }
  }
  return pairs;
}

std::size_t ViewCollector::MissingCount(const GroundTruth& truth) const {
  std::size_t missing = 0;
  const std::size_t running = truth.running_count();
  const std::size_t hosts = std::min(capacity_, truth.host_count());
  for (HostId s = 0; s < hosts; ++s) {
    if (truth.ExpectedUp(s) && up_count_[s] != running) ++missing;
  }
  return missing;
}

}  // namespace picket::sim

namespace picket::sim {

std::vector<ViewCollector::Mismatch> ViewCollector::Mismatches(const GroundTruth& truth,
                                                               std::size_t max) const {
  std::vector<Mismatch> out;
  const std::size_t hosts = std::min(capacity_, truth.host_count());
  for (HostId o = 0; o < hosts && out.size() < max; ++o) {
    if (!truth.Running(o)) continue;
    for (HostId s = 0; s < hosts && out.size() < max; ++s) {
      if (!ever_ran_[s]) continue;
      const bool up = Sees(o, s);
      if (up != truth.ExpectedUp(s)) out.push_back(Mismatch{o, s, up});
    }
  }
  return out;
}

}  // namespace picket::sim
