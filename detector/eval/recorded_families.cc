#include "detector/eval/recorded_families.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace picket::detector::eval {
namespace {

namespace fs = std::filesystem;

Duration MedianGap(const Trace& trace) {
  std::vector<Duration> gaps;
  gaps.reserve(trace.arrivals.size());
  for (std::size_t i = 1; i < trace.arrivals.size(); ++i) {
    gaps.push_back(trace.arrivals[i] - trace.arrivals[i - 1]);
  }
  if (gaps.empty()) return Duration::zero();
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return gaps[gaps.size() / 2];
}

// Sorted names of the entries of `dir` that pass `keep`, not starting with '.'.
template <typename Keep>
Expected<std::vector<fs::path>> Entries(const fs::path& dir, Keep keep) {
  std::error_code ec;
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind('.', 0) == 0) continue;
    if (keep(*it)) out.push_back(it->path());
  }
  if (ec) return Fail(dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Expected<RecordedFamily> ReadFamily(const fs::path& dir, TimeUnit unit) {
  const auto files = Entries(dir, [](const fs::directory_entry& e) { return e.is_regular_file(); });
  if (!files) return Fail(files.error());
  if (files->empty()) return Fail(dir.string() + ": no trace files");
  std::vector<Trace> traces;
  std::string names;
  for (const fs::path& file : *files) {
    TraceReadResult read = ReadTraceFile(file.string(), unit);
    if (!read.ok()) return Fail(file.string() + ": " + read.error);
    traces.push_back(std::move(read.trace));
    names += (names.empty() ? "" : ", ") + file.filename().string();
  }
  RecordedFamily family;
  family.name = dir.filename().string();
  family.files = traces.size();
  family.description = "recorded: " + std::to_string(traces.size()) + " trace(s) (" + names + ")";
  family.trace = SpliceTraces(traces);
  return family;
}

}  // namespace

Trace SpliceTraces(const std::vector<Trace>& traces) {
  Trace out;
  Duration offset = Duration::zero();
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const Trace& t = traces[i];
    if (t.arrivals.empty()) continue;
    if (!out.arrivals.empty()) offset = out.end + MedianGap(t) - t.arrivals.front();
    for (const Duration arrival : t.arrivals) out.arrivals.push_back(arrival + offset);
    out.end = out.arrivals.back();
  }
  return out;
}

Expected<std::vector<RecordedFamily>> ReadRecordedFamilies(const std::string& dir, TimeUnit unit) {
  fs::path root = fs::path(dir).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();  // "traces/" names "traces"
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Fail(dir + ": not a directory");
  const auto subdirs = Entries(root, [](const fs::directory_entry& e) { return e.is_directory(); });
  if (!subdirs) return Fail(subdirs.error());
  std::vector<RecordedFamily> families;
  for (const fs::path& family_dir : subdirs->empty() ? std::vector<fs::path>{root} : *subdirs) {
    auto family = ReadFamily(family_dir, unit);
    if (!family) return Fail(family.error());
    families.push_back(std::move(*family));
  }
  return families;
}

}  // namespace picket::detector::eval
