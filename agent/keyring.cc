#include "agent/keyring.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

namespace picket::agent {

namespace {

constexpr std::uint8_t kSealVersion = 0x01;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kSealOverhead == 1 + kNonceBytes + kTagBytes);
static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

bool InitSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

Expected<Keyring> Keyring::Parse(std::string_view text) {
  InitSodium();
  Keyring ring;
  int index = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of("\n,", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = Trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty() || item.front() == '#') continue;
    ++index;
    Key key{};
    std::size_t decoded = 0;
    const std::string item_copy(item);
    if (sodium_base642bin(key.data(), key.size(), item_copy.data(), item_copy.size(), nullptr,
                          &decoded, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        decoded != kKeyBytes) {
      return Fail("key " + std::to_string(index) +
                  " is not the base64 of 32 bytes (make one with `picket keygen`)");
    }
    ring.keys_.push_back(key);
  }
  return ring;
}

Expected<Keyring> Keyring::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail("cannot read keyring file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto ring = Parse(buffer.str());
  if (!ring) return Fail("keyring file '" + path + "': " + ring.error());
  if (!ring->enabled()) {
    return Fail("keyring file '" + path + "' holds no key");
  }
  return ring;
}

std::string Keyring::GenerateKeyBase64() {
  InitSodium();
  Key key{};
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  std::string out(sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), key.data(), key.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  sodium_memzero(key.data(), key.size());
  return out;
}

std::vector<std::uint8_t> Keyring::Seal(std::span<const std::uint8_t> plain) const {
  std::vector<std::uint8_t> out(kSealOverhead + plain.size());
  out[0] = kSealVersion;
  std::uint8_t* nonce = out.data() + 1;
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + 1 + kNonceBytes, &written, plain.data(),
                                             plain.size(), out.data(), 1, nullptr, nonce,
                                             keys_.front().data());
  out.resize(1 + kNonceBytes + static_cast<std::size_t>(written));
  return out;
}

std::optional<std::vector<std::uint8_t>> Keyring::Open(
    std::span<const std::uint8_t> sealed) const {
  if (sealed.size() < kSealOverhead || sealed[0] != kSealVersion) return std::nullopt;
  const std::uint8_t* nonce = sealed.data() + 1;
  const std::uint8_t* cipher = nonce + kNonceBytes;
  const std::size_t cipher_len = sealed.size() - 1 - kNonceBytes;
  std::vector<std::uint8_t> plain(cipher_len - kTagBytes);
  for (const Key& key : keys_) {
    unsigned long long plain_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_len, nullptr, cipher,
                                                   cipher_len, sealed.data(), 1, nonce,
                                                   key.data()) == 0) {
      plain.resize(static_cast<std::size_t>(plain_len));
      return plain;
    }
  }
  return std::nullopt;
}

}  // namespace picket::agent
