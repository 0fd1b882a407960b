#include "delivery/webhook_signature.h"

#include <sodium.h>

#include <stdexcept>
#include <string>

namespace picket::delivery {
namespace {

void EnsureSodium() {
  // sodium_init is thread-safe and idempotent (returns 1 when already done).
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialized");
}

std::string ToBase64(const unsigned char* data, std::size_t size) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(size, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kVariant);
  out.resize(out.size() - 1);  // the encoded length counts the terminating NUL
  return out;
}

}  // namespace

std::optional<std::string> DecodeWebhookSecret(std::string_view secret) {
  if (!secret.starts_with(kWebhookSecretPrefix)) return std::nullopt;
  const std::string_view encoded = secret.substr(kWebhookSecretPrefix.size());
  EnsureSodium();
  std::string key(kWebhookMaxKeyBytes + 1, '\0');
  std::size_t key_size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), encoded.data(),
                        encoded.size(), nullptr, &key_size, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != encoded.data() + encoded.size() || key_size < kWebhookMinKeyBytes ||
      key_size > kWebhookMaxKeyBytes) {
    return std::nullopt;
  }
  key.resize(key_size);
  return key;
}

std::string GenerateWebhookSecret() {
  EnsureSodium();
  unsigned char key[32];
  randombytes_buf(key, sizeof(key));
  std::string secret(kWebhookSecretPrefix);
  secret += ToBase64(key, sizeof(key));
  sodium_memzero(key, sizeof(key));
  return secret;
}

std::string SignWebhook(std::string_view key, std::string_view id, std::int64_t timestamp,
                        std::string_view body) {
  EnsureSodium();
  const std::string stamp = std::to_string(timestamp);
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  const auto update = [&state](std::string_view part) {
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                                  part.size());
  };
  update(id);
  update(".");
  update(stamp);
  update(".");
  update(body);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  return "v1," + ToBase64(mac, sizeof(mac));
}

std::string RandomHex(std::size_t n) {
  EnsureSodium();
  std::string bytes(n, '\0');
  randombytes_buf(bytes.data(), n);
  std::string hex(2 * n + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), n);
  hex.pop_back();
  return hex;
}

}  // namespace picket::delivery
