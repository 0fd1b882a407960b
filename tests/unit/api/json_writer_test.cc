#include "api/json_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/uri.h"

namespace picket::api {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Num(double v) {
  std::string out;
  AppendJsonNumber(out, v);
  return out;
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[api][json]") {
  CHECK(Str("plain") == R"("plain")");
  CHECK(Str("a\"b\\c") == R"("a\"b\\c")");
  CHECK(Str("line\nnext\ttab\r") == R"("line\nnext\ttab\r")");
  CHECK(Str(std::string_view("\x01\x1f", 2)) == R"("\u0001\u001f")");
  CHECK(Str(std::string_view("nul\0byte", 8)) == R"("nul\u0000byte")");
}

TEST_CASE("JSON strings keep valid UTF-8 and replace invalid bytes", "[api][json]") {
  CHECK(Str("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/' and a surrogate.
  for (std::string_view bad : {std::string_view("\x80"), std::string_view("\xE2\x82"),
                               std::string_view("\xC0\xAF"), std::string_view("\xED\xA0\x80")}) {
    const std::string out = Str(bad);
    INFO(out);
    CHECK(out.find("\xEF\xBF\xBD") != std::string::npos);
    CHECK_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
  }
  // Whatever the bytes, the output parses as JSON.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK_FALSE(nlohmann::json::parse(Str(all), nullptr, false).is_discarded());
}

TEST_CASE("JSON numbers are shortest round-trip, never NaN or infinity", "[api][json]") {
  CHECK(Num(8.5) == "8.5");
  CHECK(Num(0) == "0");
  CHECK(Num(0.1) == "0.1");
  CHECK(Num(std::nan("")) == "null");
  CHECK(Num(std::numeric_limits<double>::infinity()) == "1.7976931348623157e+308");
  CHECK(nlohmann::json::parse(Num(-std::numeric_limits<double>::infinity())).get<double>() ==
        -std::numeric_limits<double>::max());
  std::string fixed;
  AppendFixed3(fixed, 12.3456);
  CHECK(fixed == "12.346");
  std::string ints;
  AppendUint(ints, 18446744073709551615ULL);
  ints.push_back(' ');
  AppendInt(ints, -42);
  CHECK(ints == "18446744073709551615 -42");
}

TEST_CASE("RFC 3339 times are UTC with milliseconds", "[api][json]") {
  using namespace std::chrono;
  std::string out;
  AppendRfc3339(out, system_clock::time_point{});
  CHECK(out == "1970-01-01T00:00:00.000Z");
  out.clear();
  // 2024-02-29T23:59:58.123Z
  const auto t = sys_days{year{2024} / February / 29} + hours{23} + minutes{59} + seconds{58} +
                 milliseconds{123} + microseconds{999};
  AppendRfc3339(out, time_point_cast<system_clock::duration>(t));
  CHECK(out == "2024-02-29T23:59:58.123Z");
  out.clear();
  AppendRfc3339(out, system_clock::time_point{} - hours{1});  // before 1970: clamped
  CHECK(out == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("percent-decoding and query parsing", "[api][uri]") {
  CHECK(PercentDecode("a%20b%2Fc", false) == "a b/c");
  CHECK(PercentDecode("a+b", false) == "a+b");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK_FALSE(PercentDecode("bad%2", false).has_value());
  CHECK_FALSE(PercentDecode("bad%zz", false).has_value());
  const auto params = ParseQuery("key=x%3Dy&n=2&&flag");
  REQUIRE(params.has_value());
  REQUIRE(params->size() == 3);
  CHECK((*params)[0] == std::pair<std::string, std::string>{"key", "x=y"});
  CHECK((*params)[1] == std::pair<std::string, std::string>{"n", "2"});
  CHECK((*params)[2] == std::pair<std::string, std::string>{"flag", ""});
  CHECK_FALSE(ParseQuery("key=%G0").has_value());
}

}  // namespace
}  // namespace picket::api
