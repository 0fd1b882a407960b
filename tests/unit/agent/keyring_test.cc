#include "agent/keyring.h"

#include <catch2/catch.hpp>
#include <vector>

using picket::agent::Keyring;
using picket::agent::kSealOverhead;

namespace {

Keyring Ring(const std::string& text) {
  auto ring = Keyring::Parse(text);
  INFO((ring ? std::string() : ring.error()));
  REQUIRE(ring);
  return *ring;
}

const std::vector<std::uint8_t> kMessage{'p', 'i', 'n', 'g', 0, 1, 2, 255};

}  // namespace

TEST_CASE("Seal and Open round-trip and add a fixed overhead") {
  const Keyring ring = Ring(Keyring::GenerateKeyBase64());
  const auto sealed = ring.Seal(kMessage);
  CHECK(sealed.size() == kMessage.size() + kSealOverhead);
  const auto opened = ring.Open(sealed);
  REQUIRE(opened);
  CHECK(*opened == kMessage);
}

TEST_CASE("Open rejects tampering, truncation, a foreign key and garbage") {
  const Keyring ring = Ring(Keyring::GenerateKeyBase64());
  auto sealed = ring.Seal(kMessage);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x01;
    INFO("byte " << i);
    CHECK_FALSE(ring.Open(tampered));
  }
  CHECK_FALSE(ring.Open(std::span(sealed.data(), sealed.size() - 1)));
  CHECK_FALSE(ring.Open(std::span(sealed.data(), kSealOverhead - 1)));
  CHECK_FALSE(ring.Open({}));
  const Keyring other = Ring(Keyring::GenerateKeyBase64());
  CHECK_FALSE(other.Open(sealed));
}

TEST_CASE("Rotation: a secondary key opens, the primary seals") {
  const std::string old_key = Keyring::GenerateKeyBase64();
  const std::string new_key = Keyring::GenerateKeyBase64();
  const Keyring old_only = Ring(old_key);
  const Keyring old_primary = Ring(old_key + "\n" + new_key);
  const Keyring new_primary = Ring("# rotated\n" + new_key + "\n\n" + old_key + "\n");
  const Keyring new_only = Ring(new_key);
  // Step 1 (new key accepted) and step 2 (new key primary) both talk to everyone in between.
  CHECK(old_primary.Open(old_only.Seal(kMessage)));
  CHECK(old_only.Open(old_primary.Seal(kMessage)));
  CHECK(new_primary.Open(old_primary.Seal(kMessage)));
  CHECK(old_primary.Open(new_primary.Seal(kMessage)));
  CHECK(new_only.Open(new_primary.Seal(kMessage)));
  // Step 3 (old key dropped): the new-only ring cannot read the old key.
  CHECK_FALSE(new_only.Open(old_only.Seal(kMessage)));
}

TEST_CASE("Parse names the bad key") {
  const auto second_bad = Keyring::Parse(Keyring::GenerateKeyBase64() + ",notbase64");
  REQUIRE_FALSE(second_bad);
  CHECK(second_bad.error().find("key 2") != std::string::npos);
  const auto short_key = Keyring::Parse("c2hvcnQ=");  // base64 of "short"
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().find("key 1") != std::string::npos);
  const auto empty = Keyring::Parse("# nothing here\n");
  REQUIRE(empty);
  CHECK_FALSE(empty->enabled());
  const auto missing = Keyring::LoadFile("/nonexistent/keyring");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("/nonexistent/keyring") != std::string::npos);
}
