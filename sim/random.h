#pragma once

// Deterministic random numbers for the simulator. The standard distributions
// (std::uniform_real_distribution, ...) are implementation-defined, so the
// simulator draws everything from this generator to keep a seed's results
// identical across standard libraries.
//
// Thread safety: none; each Rng has one owner.

#include <cstdint>

namespace picket::sim {

// One step of SplitMix64 (Steele et al.): advances `state`, returns a
// well-mixed 64-bit value. Used to expand one seed into many.
constexpr std::uint64_t SplitMix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

// An independent seed for sub-stream `stream` of `seed` (e.g. one per member).
constexpr std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ULL);
  SplitMix64(state);
  return SplitMix64(state);
}

// xoshiro256** (Blackman and Vigna): fast, small, good statistical quality.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) {
    std::uint64_t state = seed;
    for (auto& word : s_) word = SplitMix64(state);
  }

  // Uniform over all 64-bit values.
  constexpr std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17U;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 bits of precision.
  constexpr double Uniform() { return static_cast<double>(Next() >> 11U) * 0x1.0p-53; }

  // Uniform in [0, n). REQUIRES: n > 0. (Lemire's multiply-shift; the tiny
  // bias for huge n does not matter here.)
  constexpr std::uint64_t Below(std::uint64_t n) {
    __extension__ using Wide = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<Wide>(Next()) * n) >> 64U);
  }

  // True with probability p (p <= 0: never, p >= 1: always).
  constexpr bool Bernoulli(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return Uniform() < p;
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) {
    return (x << static_cast<unsigned>(k)) | (x >> static_cast<unsigned>(64 - k));
  }

  std::uint64_t s_[4] = {};
};

}  // namespace picket::sim
