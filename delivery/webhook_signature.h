#pragma once

// Webhook signatures as the Standard Webhooks specification defines them
// (https://www.standardwebhooks.com, "Signature scheme"):
//
//   webhook-signature: v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>
//
// where `key` is the secret's bytes: a secret is written "whsec_" followed by
// the standard base64 (with padding) of 24 to 64 random bytes. HMAC and base64
// come from libsodium.
//
// Thread safety: free functions without shared state; safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace picket::delivery {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";
inline constexpr std::size_t kWebhookMinKeyBytes = 24;
inline constexpr std::size_t kWebhookMaxKeyBytes = 64;

// The key bytes of "whsec_<base64>", or nullopt when the prefix is missing,
// the base64 is malformed, or the key is not 24 to 64 bytes long.
std::optional<std::string> DecodeWebhookSecret(std::string_view secret);

// A new secret: "whsec_" + base64 of 32 bytes from libsodium's CSPRNG.
std::string GenerateWebhookSecret();

// The webhook-signature header value "v1,<base64 HMAC-SHA256>" of one
// message. `key` is the decoded secret (DecodeWebhookSecret); `timestamp` is
// the webhook-timestamp value (Unix seconds).
std::string SignWebhook(std::string_view key, std::string_view id, std::int64_t timestamp,
                        std::string_view body);

// `n` random bytes as lower-case hex (2n characters), from libsodium.
std::string RandomHex(std::size_t n);

}  // namespace picket::delivery
