#pragma once

// Fixed, platform-independent hashing: ring positions must be identical at
// every agent, so std::hash (which may differ between builds) is never used.

#include <cstdint>
#include <string_view>

namespace picket::membership::detail {

// 64-bit FNV-1a followed by the splitmix64 finalizer: FNV alone leaves names
// that differ in their last character next to each other in the high bits,
// which would place "node-1" and "node-2" side by side on the ring.
constexpr std::uint64_t NameHash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace picket::membership::detail
