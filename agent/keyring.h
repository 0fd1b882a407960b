#pragma once

// Gossip encryption keys: one primary key that seals every outgoing packet and
// stream message, and any number of accepted keys that are tried when opening,
// so keys rotate without downtime (add the new key as accepted everywhere,
// make it primary everywhere, then drop the old one).
//
// Sealing is libsodium's XChaCha20-Poly1305 (IETF) AEAD with a random 192-bit
// nonce: [version 0x01][nonce 24][ciphertext + tag 16].
//
// Thread safety: const methods may be called concurrently; Load* build a new
// Keyring (the agent swaps whole keyrings on SIGHUP).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace picket::agent {

inline constexpr std::size_t kKeyBytes = 32;
// Bytes a sealed message adds: version + nonce + tag.
inline constexpr std::size_t kSealOverhead = 1 + 24 + 16;

using Key = std::array<std::uint8_t, kKeyBytes>;

class Keyring {
 public:
  // An empty keyring: gossip is sent and accepted in clear text.
  Keyring() = default;

  // Parses keys, one per line (standard base64 of 32 bytes), or separated by
  // commas; blank lines and lines starting with '#' are ignored. The first key
  // is the primary. Returns the keyring or an error message saying which key is
  // bad and why.
  [[nodiscard]] static Expected<Keyring> Parse(std::string_view text);
  // Parse() of a file's contents; the error names the file.
  [[nodiscard]] static Expected<Keyring> LoadFile(const std::string& path);

  // A new random key, base64-encoded (what `picket keygen` prints).
  static std::string GenerateKeyBase64();

  [[nodiscard]] bool enabled() const { return !keys_.empty(); }
  [[nodiscard]] std::size_t size() const { return keys_.size(); }

  // Seals `plain` with the primary key. REQUIRES: enabled().
  [[nodiscard]] std::vector<std::uint8_t> Seal(std::span<const std::uint8_t> plain) const;
  // Opens `sealed` with the first key that authenticates it; nullopt if none
  // does or the framing is wrong.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> Open(
      std::span<const std::uint8_t> sealed) const;

 private:
  std::vector<Key> keys_;  // keys_[0] is the primary
};

// Calls sodium_init() once; returns false if libsodium cannot be used.
bool InitSodium();

}  // namespace picket::agent
