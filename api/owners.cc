#include "api/owners.h"

#include <algorithm>

namespace picket::api {

std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t hash) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t RendezvousWeight(std::string_view member_name, std::string_view key) {
  std::uint64_t hash = Fnv1a64(member_name);
  hash = Fnv1a64(std::string_view("\0", 1), hash);
  hash = Fnv1a64(key, hash);
  return Mix64(hash);
}

bool EligibleOwner(const membership::MemberInfo& member, bool include_unhealthy) {
  if (member.state != membership::MemberState::kAlive &&
      member.state != membership::MemberState::kSuspect) {
    return false;
  }
  if (include_unhealthy || !member.service) return true;
  return member.service->status != membership::ServiceHealth::kCritical &&
         member.service->status != membership::ServiceHealth::kMaintenance;
}

std::vector<std::size_t> RendezvousOwners(const std::vector<membership::MemberInfo>& members,
                                          std::string_view key, std::size_t n,
                                          bool include_unhealthy) {
  struct Candidate {
    std::uint64_t weight;
    std::size_t index;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (EligibleOwner(members[i], include_unhealthy)) {
      candidates.push_back({RendezvousWeight(members[i].name, key), i});
    }
  }
  auto better = [&](const Candidate& a, const Candidate& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return members[a.index].name < members[b.index].name;
  };
  const std::size_t count = std::min(n, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count),
                    candidates.end(), better);
  std::vector<std::size_t> owners;
  owners.reserve(count);
  for (std::size_t i = 0; i < count; ++i) owners.push_back(candidates[i].index);
  return owners;
}

}  // namespace picket::api
