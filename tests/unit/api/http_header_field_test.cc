#include "api/http_header_field.h"

#include <catch2/catch.hpp>

namespace picket::api {
namespace {

TEST_CASE("header field: names compare without regard to ASCII case", "[api][http]") {
  CHECK(EqualsIgnoreCase("Retry-After", "retry-after"));
  CHECK(EqualsIgnoreCase("RETRY-AFTER", "retry-after"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK_FALSE(EqualsIgnoreCase("Retry-After", "retry-after "));
  CHECK_FALSE(EqualsIgnoreCase("Retry-After", "Retry_After"));
  CHECK_FALSE(EqualsIgnoreCase("http", "https"));
}

TEST_CASE("header field: optional whitespace is spaces and tabs only", "[api][http]") {
  CHECK(TrimHeaderWhitespace("  120\t ") == "120");
  CHECK(TrimHeaderWhitespace("a b") == "a b");
  CHECK(TrimHeaderWhitespace(" \t ").empty());
  CHECK(TrimHeaderWhitespace("").empty());
  CHECK(TrimHeaderWhitespace("120\r") == "120\r");
}

TEST_CASE("header field: a raw line splits at its first colon, line ending dropped",
          "[api][http]") {
  const auto field = SplitHeaderLine("Retry-After:  Wed, 21 Oct 2015 07:28:00 GMT \r\n");
  REQUIRE(field.has_value());
  CHECK(field->name == "Retry-After");
  CHECK(field->value == "Wed, 21 Oct 2015 07:28:00 GMT");

  const auto bare = SplitHeaderLine("retry-after:7");
  REQUIRE(bare.has_value());
  CHECK(bare->name == "retry-after");
  CHECK(bare->value == "7");

  const auto empty = SplitHeaderLine("X-Empty:\r\n");
  REQUIRE(empty.has_value());
  CHECK(empty->name == "X-Empty");
  CHECK(empty->value.empty());

  // The name is kept as received: a space before the colon stays in it.
  const auto spaced = SplitHeaderLine("Retry-After : 1\r\n");
  REQUIRE(spaced.has_value());
  CHECK(spaced->name == "Retry-After ");
  CHECK_FALSE(EqualsIgnoreCase(spaced->name, "retry-after"));
}

TEST_CASE("header field: status and blank lines are not fields", "[api][http]") {
  CHECK_FALSE(SplitHeaderLine("HTTP/1.1 200 OK\r\n").has_value());
  CHECK_FALSE(SplitHeaderLine("\r\n").has_value());
  CHECK_FALSE(SplitHeaderLine("").has_value());
}

}  // namespace
}  // namespace picket::api
