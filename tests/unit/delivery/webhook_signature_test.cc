#include "delivery/webhook_signature.h"

#include <catch2/catch.hpp>

namespace picket::delivery {
namespace {

// The reference vector of the Standard Webhooks specification's test suite
// (standard-webhooks/standard-webhooks, "sign function works"), as every
// implementation of the spec checks it.
TEST_CASE("signature matches the Standard Webhooks reference vector", "[delivery][webhook]") {
  const auto key = DecodeWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(key.has_value());
  CHECK(key->size() == 24);
  CHECK(SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Any change of id, timestamp or body changes the signature.
  CHECK(SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJel", 1614265330, R"({"test": 2432232314})") !=
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})") !=
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(SignWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test":2432232314})") !=
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("webhook secrets: whsec_ prefix, base64, 24 to 64 bytes", "[delivery][webhook]") {
  CHECK_FALSE(DecodeWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));        // no prefix
  CHECK_FALSE(DecodeWebhookSecret("whsec_"));                                  // empty
  CHECK_FALSE(DecodeWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!"));  // not base64
  CHECK_FALSE(DecodeWebhookSecret("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="));  // 22 bytes
  CHECK_FALSE(DecodeWebhookSecret("whsec_" + std::string(88, 'A')));           // 66 bytes
  CHECK(DecodeWebhookSecret("whsec_" + std::string(86, 'A') + "==").value_or("").size() == 64);
  CHECK(DecodeWebhookSecret("whsec_" + std::string(32, 'A')).value_or("").size() == 24);

  const std::string secret = GenerateWebhookSecret();
  CHECK(secret.rfind("whsec_", 0) == 0);
  const auto key = DecodeWebhookSecret(secret);
  REQUIRE(key.has_value());
  CHECK(key->size() == 32);
  CHECK(GenerateWebhookSecret() != secret);
}

TEST_CASE("RandomHex gives 2n lower-case hex digits", "[delivery][webhook]") {
  const std::string hex = RandomHex(8);
  CHECK(hex.size() == 16);
  CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(RandomHex(8) != hex);
}

}  // namespace
}  // namespace picket::delivery
