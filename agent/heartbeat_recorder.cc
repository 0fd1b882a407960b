#include "agent/heartbeat_recorder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <system_error>

namespace picket::agent {

namespace {

// Open files kept at once; beyond it all are closed and reopened on demand
// (the observed subjects change only when the ring does).
constexpr std::size_t kMaxOpenFiles = 64;

bool IsPlain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

// FNV-1a, 32 bits: stable across runs and builds, unlike std::hash.
std::uint32_t Fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

std::uint64_t SizeOfFilesIn(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace

HeartbeatRecorder::HeartbeatRecorder(HeartbeatRecordingOptions options)
    : options_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec || !std::filesystem::is_directory(options_.dir)) {
    throw std::runtime_error("cannot create directory '" + options_.dir.string() +
                             "': " + (ec ? ec.message() : "not a directory"));
  }
  bytes_ = SizeOfFilesIn(options_.dir);
  spdlog::info("recording heartbeat arrivals in {} ({} of {} bytes used)", options_.dir.string(),
               bytes_, options_.max_bytes);
  if (bytes_ >= options_.max_bytes) Stop("the directory already holds that much");
}

std::string HeartbeatRecorder::FileNameFor(std::string_view subject) {
  std::string name;
  bool plain = !subject.empty() && subject.front() != '.';
  for (const char c : subject) {
    plain = plain && IsPlain(c);
    name.push_back(IsPlain(c) ? c : '_');
  }
  if (!plain) name = fmt::format("{}-{:08x}", name, Fnv1a(subject));
  return name + ".trace";
}

void HeartbeatRecorder::Record(std::string_view subject, std::chrono::steady_clock::time_point at) {
  if (stopped_) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  const std::string line = fmt::format("{}.{:09}\n", ns / 1'000'000'000, ns % 1'000'000'000);
  auto it = files_.find(subject);
  if (it != files_.end()) {
    Append(subject, line, false);
    return;
  }
  if (files_.size() >= kMaxOpenFiles) files_.clear();
  const auto path = options_.dir / FileNameFor(subject);
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  std::ofstream out(path, std::ios::app);
  if (!out) {
    Stop("cannot open " + path.string());
    return;
  }
  files_.emplace(std::string(subject), std::move(out));
  if (exists) {
    Append(subject, line, false);
    return;
  }
  Append(subject,
         fmt::format("# heartbeat arrivals from '{}' at '{}', steady-clock seconds "
                     "(picket agent --record-heartbeats)\n{}",
                     subject, options_.observer, line),
         true);
}

bool HeartbeatRecorder::Append(std::string_view subject, const std::string& text, bool new_file) {
  if (bytes_ + text.size() > options_.max_bytes) {
    if (new_file) {
      // Leave no empty file behind.
      files_.erase(files_.find(subject));
      std::error_code ec;
      std::filesystem::remove(options_.dir / FileNameFor(subject), ec);
    }
    Stop(fmt::format("the bound of {} bytes is reached", options_.max_bytes));
    return false;
  }
  std::ofstream& out = files_.find(subject)->second;
  out << text;
  out.flush();
  if (!out) {
    Stop("cannot write to " + (options_.dir / FileNameFor(subject)).string());
    return false;
  }
  bytes_ += text.size();
  return true;
}

void HeartbeatRecorder::Stop(const std::string& why) {
  stopped_ = true;
  files_.clear();
  spdlog::warn("heartbeat recording stopped: {} ({} bytes in {})", why, bytes_,
               options_.dir.string());
}

}  // namespace picket::agent
