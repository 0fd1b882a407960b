#pragma once

// Recorded heartbeat traces grouped into families, as `picket agent
// --record-heartbeats` writes them and tests/bench/record_traces.py collects
// them: a directory per family (tests/bench/traces/<family>/), each file one
// observer's arrivals from one subject. The files of a family are spliced
// into one trace so that each family is evaluated like a generated one.
//
// Thread safety: pure functions (reading files).

#include <string>
#include <vector>

#include "detector/eval/trace.h"

#include "common/expected.h"

namespace picket::detector::eval {

struct RecordedFamily {
  std::string name;         // the directory's name
  std::string description;  // "recorded: N traces (files...)"
  Trace trace;              // the files spliced, in file-name order
  std::size_t files = 0;
};

// Concatenates traces: each one after the first starts one of its own median
// inter-arrival gaps after the end of the one before, so no gap is invented
// longer than a typical one (a detector's history carries over the seam).
// REQUIRES: each trace has at least 2 arrivals, starting at 0 (ReadTrace).
[[nodiscard]] Trace SpliceTraces(const std::vector<Trace>& traces);

// The families under `dir`: one per subdirectory (sorted by name), made of
// its regular files not starting with '.'; if `dir` has no subdirectory, `dir`
// itself is the one family. Fails naming the file or directory that cannot
// be read (a file that is not a trace, a family without files).
[[nodiscard]] Expected<std::vector<RecordedFamily>> ReadRecordedFamilies(const std::string& dir,
                                                                         TimeUnit unit);

}  // namespace picket::detector::eval
