#pragma once

// `picket agent --record-heartbeats DIR`: writes the arrival time of every
// heartbeat this agent feeds to a Phi Accrual detector, one file per observed
// subject, in the format `picket detector-eval --trace-dir` and
// detector/eval/trace.h ReadTrace read (one time per line, seconds, '#'
// comments). Times are steady-clock seconds (CLOCK_MONOTONIC), so they never
// go back, also across a restart of this agent on the same machine.
//
// Bounded: the files in DIR (those already there included) never exceed
// max_bytes together; at the bound recording stops and says so once.
//
// Thread safety: none; the agent's loop thread owns it. Writes are small and
// flushed line by line (a killed agent loses nothing), on the loop thread:
// for local disks, not network file systems.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace picket::agent {

struct HeartbeatRecordingOptions {
  std::filesystem::path dir;  // created if missing
  std::uint64_t max_bytes = 4 * 1024 * 1024;
  std::string observer;  // this agent's name, for the files' header line
};

class HeartbeatRecorder {
 public:
  // Creates `dir`. Throws std::runtime_error saying why if it cannot.
  explicit HeartbeatRecorder(HeartbeatRecordingOptions options);

  // One heartbeat from `subject` fed to its detector at `at`. After the
  // bound, does nothing.
  void Record(std::string_view subject, std::chrono::steady_clock::time_point at);

  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
  [[nodiscard]] bool stopped() const { return stopped_; }

  // The file name for a subject: the name itself where it is made only of
  // [A-Za-z0-9._-] and does not start with '.', otherwise those characters
  // with '_' for the rest and a hash of the name (so two names never share a
  // file); then ".trace".
  [[nodiscard]] static std::string FileNameFor(std::string_view subject);

 private:
  // Writes `text` to the subject's file unless that would pass the bound.
  bool Append(std::string_view subject, const std::string& text, bool new_file);
  void Stop(const std::string& why);

  HeartbeatRecordingOptions options_;
  std::uint64_t bytes_ = 0;
  bool stopped_ = false;
  std::map<std::string, std::ofstream, std::less<>> files_;  // by subject
};

}  // namespace picket::agent
