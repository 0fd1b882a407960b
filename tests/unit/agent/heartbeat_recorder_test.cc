#include "agent/heartbeat_recorder.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "detector/eval/trace.h"
#include "tests/unit/temp_dir.h"

namespace picket::agent {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;
namespace fs = std::filesystem;
using testing::TempDir;

std::uint64_t DirBytes(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) total += entry.file_size();
  return total;
}

}  // namespace

TEST_CASE("heartbeat recorder: one trace file per subject that detector-eval reads back",
          "[recorder]") {
  TempDir dir;
  HeartbeatRecorder recorder({dir.path / "traces", 1'000'000, "observer-1"});
  const TimePoint t0 = TimePoint{} + 12345s + 678ns;
  const std::vector<std::chrono::nanoseconds> offsets = {0ns, 500'000'001ns, 1'000'100'000ns,
                                                         2'250'000'000ns};
  for (const auto offset : offsets) {
    recorder.Record("picket-2", t0 + offset);
    recorder.Record("db/3 \"x\"", t0 + offset + 7ms);
  }
  CHECK_FALSE(recorder.stopped());
  CHECK(recorder.bytes() == DirBytes(dir.path / "traces"));

  const auto plain = detector::eval::ReadTraceFile(
      (dir.path / "traces" / "picket-2.trace").string(), detector::eval::TimeUnit::kSeconds);
  REQUIRE(plain.ok());
  REQUIRE(plain.trace.arrivals.size() == offsets.size());
  for (std::size_t i = 0; i < offsets.size(); ++i) CHECK(plain.trace.arrivals[i] == offsets[i]);

  const std::string odd = HeartbeatRecorder::FileNameFor("db/3 \"x\"");
  CHECK(odd.rfind("db_3__x_-", 0) == 0);
  const auto escaped = detector::eval::ReadTraceFile((dir.path / "traces" / odd).string(),
                                                     detector::eval::TimeUnit::kSeconds);
  REQUIRE(escaped.ok());
  CHECK(escaped.trace.arrivals.size() == offsets.size());
  // The first line says whose heartbeats these are.
  std::ifstream in(dir.path / "traces" / "picket-2.trace");
  std::string header;
  std::getline(in, header);
  CHECK(header.find("'picket-2' at 'observer-1'") != std::string::npos);
}

TEST_CASE("heartbeat recorder: file names", "[recorder]") {
  CHECK(HeartbeatRecorder::FileNameFor("picket-1") == "picket-1.trace");
  CHECK(HeartbeatRecorder::FileNameFor("a.b_C-9") == "a.b_C-9.trace");
  // Never a path, never hidden, never shared by two names.
  CHECK(HeartbeatRecorder::FileNameFor("../x").find('/') == std::string::npos);
  CHECK(HeartbeatRecorder::FileNameFor("..").front() == '.');
  CHECK(HeartbeatRecorder::FileNameFor("..") != "...trace");
  CHECK(HeartbeatRecorder::FileNameFor("a/b") != HeartbeatRecorder::FileNameFor("a_b"));
  CHECK(HeartbeatRecorder::FileNameFor("a/b") != HeartbeatRecorder::FileNameFor("a:b"));
}

TEST_CASE("heartbeat recorder: the files never pass the bound, and it stops there",
          "[recorder]") {
  TempDir dir;
  const std::uint64_t bound = 1000;
  HeartbeatRecorder recorder({dir.path, bound, "self"});
  const TimePoint t0 = TimePoint{} + 100s;
  int recorded = 0;
  for (int i = 0; i < 200 && !recorder.stopped(); ++i, ++recorded) {
    recorder.Record(i % 2 == 0 ? "a" : "b", t0 + i * 250ms);
  }
  CHECK(recorder.stopped());
  CHECK(recorded > 20);  // 14 bytes a line after two headers: most of the bound is used
  CHECK(DirBytes(dir.path) <= bound);
  CHECK(DirBytes(dir.path) > bound - 100);
  const std::uint64_t at_stop = DirBytes(dir.path);
  recorder.Record("a", t0 + 1000s);
  recorder.Record("c", t0 + 1000s);  // a new subject after the stop: no file either
  CHECK(DirBytes(dir.path) == at_stop);
  CHECK_FALSE(fs::exists(dir.path / "c.trace"));

  // A new recorder on the same directory counts what is already there.
  HeartbeatRecorder again({dir.path, bound, "self"});
  CHECK(again.bytes() == at_stop);
  again.Record("d", t0 + 2000s);
  CHECK(again.stopped());
  CHECK_FALSE(fs::exists(dir.path / "d.trace"));  // its header and line did not fit
  CHECK(DirBytes(dir.path) == at_stop);
}

TEST_CASE("heartbeat recorder: a directory it cannot create is an error that says why",
          "[recorder]") {
  TempDir dir;
  std::ofstream(dir.path / "file") << "x";
  CHECK_THROWS_WITH(HeartbeatRecorder({dir.path / "file" / "sub", 10'000, "self"}),
                    Catch::Contains("cannot create directory"));
}

}  // namespace picket::agent
