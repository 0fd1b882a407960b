#include "detector/eval/recorded_families.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/unit/temp_dir.h"

namespace picket::detector::eval {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::TempDir;

Trace Arrivals(std::vector<Duration> arrivals) {
  Trace t;
  t.arrivals = std::move(arrivals);
  t.end = t.arrivals.back();
  return t;
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("splice: each trace starts one of its median gaps after the previous one ends",
          "[eval][recorded]") {
  const Trace a = Arrivals({0ms, 500ms, 1000ms, 1500ms});
  const Trace b = Arrivals({0ms, 100ms, 200ms, 900ms});  // median gap 100 ms
  const Trace spliced = SpliceTraces({a, b});
  CHECK(spliced.arrivals ==
        std::vector<Duration>{0ms, 500ms, 1000ms, 1500ms, 1600ms, 1700ms, 1800ms, 2500ms});
  CHECK(spliced.end == 2500ms);
  CHECK(SpliceTraces({a}).arrivals == a.arrivals);
}

TEST_CASE("recorded families: one per subdirectory, files spliced in name order",
          "[eval][recorded]") {
  TempDir dir;
  // Any origin (steady-clock seconds); '#' lines are comments.
  Write(dir.path / "idle" / "b.trace", "# from b\n100.0\n100.5\n101.0\n");
  Write(dir.path / "idle" / "a.trace", "7.0\n7.5\n8.0\n8.5\n");
  Write(dir.path / "loss" / "a.trace", "1\n2\n3\n");
  Write(dir.path / "loss" / ".hidden", "not a trace\n");
  const auto families = ReadRecordedFamilies(dir.path.string(), TimeUnit::kSeconds);
  REQUIRE(families.has_value());
  REQUIRE(families->size() == 2);
  const RecordedFamily& idle = (*families)[0];
  CHECK(idle.name == "idle");
  CHECK(idle.files == 2);
  CHECK(idle.description == "recorded: 2 trace(s) (a.trace, b.trace)");
  CHECK(idle.trace.arrivals ==
        std::vector<Duration>{0ms, 500ms, 1000ms, 1500ms, 2000ms, 2500ms, 3000ms});
  CHECK((*families)[1].name == "loss");
  CHECK((*families)[1].trace.arrivals.size() == 3);

  // A directory of trace files alone is one family, named after it.
  const auto single = ReadRecordedFamilies((dir.path / "idle").string() + "/", TimeUnit::kSeconds);
  REQUIRE(single.has_value());
  REQUIRE(single->size() == 1);
  CHECK(single->front().name == "idle");
}

TEST_CASE("recorded families: errors name the file or directory", "[eval][recorded]") {
  TempDir dir;
  CHECK(ReadRecordedFamilies((dir.path / "missing").string(), TimeUnit::kSeconds).error() ==
        (dir.path / "missing").string() + ": not a directory");
  fs::create_directories(dir.path / "empty");
  CHECK(ReadRecordedFamilies(dir.path.string(), TimeUnit::kSeconds).error() ==
        (dir.path / "empty").string() + ": no trace files");
  Write(dir.path / "empty" / "x.trace", "1\n2\nthree\n");
  const auto bad = ReadRecordedFamilies(dir.path.string(), TimeUnit::kSeconds);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().find("x.trace: line 3:") != std::string::npos);
}

}  // namespace picket::detector::eval
