#include "agent/duration_flag.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using picket::agent::FormatDuration;
using picket::agent::ParseDuration;

TEST_CASE("ParseDuration reads explicit units") {
  CHECK(*ParseDuration("500ms") == 500ms);
  CHECK(*ParseDuration("1.5s") == 1500ms);
  CHECK(*ParseDuration("2m") == 120s);
  CHECK(*ParseDuration("1h") == 3600s);
  CHECK(*ParseDuration("250us") == 250us);
  CHECK(*ParseDuration("0") == 0ns);
}

TEST_CASE("ParseDuration rejects missing units, junk and negatives") {
  for (const char* bad : {"500", "ms", "-1s", "1.2.3s", "5 s", "5sec", "", "1e3s"}) {
    INFO(bad);
    const auto parsed = ParseDuration(bad);
    REQUIRE_FALSE(parsed);
    CHECK_FALSE(parsed.error().empty());
  }
}

TEST_CASE("FormatDuration prints the shortest exact form") {
  CHECK(FormatDuration(500ms) == "500ms");
  CHECK(FormatDuration(1s) == "1s");
  CHECK(FormatDuration(1500ms) == "1500ms");
  CHECK(FormatDuration(30s) == "30s");
  CHECK(FormatDuration(1h) == "1h");
  CHECK(FormatDuration(0s) == "0");
  CHECK(*ParseDuration(FormatDuration(1500ms)) == 1500ms);
}
