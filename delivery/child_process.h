#pragma once

// Runs one shell command as a child process (POSIX, posix_spawn): feeds it a
// string on stdin, captures the beginning of its stdout and stderr, and kills
// its whole process group if it outlives a deadline. Used by command hooks
// (delivery/command_hooks.h); nothing here knows about events.
//
// The command runs as `/bin/sh -c COMMAND` in a new process group (its pgid is
// its pid), so a timeout also kills what the script started (pipelines,
// sub-shells) unless it moved them to another group.
// It inherits no file descriptor but its stdin, stdout and stderr (glibc 2.34+).
//
// Thread safety: RunChildProcess may be called from several threads at once;
// each call owns its pipes (close-on-exec, so concurrent children never
// inherit each other's ends). It blocks the calling thread for up to
// `timeout` plus a short grace; never call it on an event loop.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace picket::delivery {

struct ChildProcessOptions {
  std::string command;            // passed to /bin/sh -c
  std::vector<std::string> env;   // the child's whole environment, "NAME=value" each
  std::string stdin_data;         // written to the child's stdin, which is then closed
  // Longest run; on expiry the process group gets SIGKILL. REQUIRES: > 0.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Bytes kept of stdout and of stderr each; the rest is read and discarded.
  std::size_t max_output_bytes = 4096;
  // How long to keep reading after the child exited while something it
  // started in the background still holds its stdout/stderr open.
  std::chrono::milliseconds output_grace{100};
  // When set and it becomes true, the run ends as at a timeout but is reported
  // as `cancelled` (checked at least every 50 ms). May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct ChildProcessResult {
  // False if the child could not be started (see `error`); nothing else is set then.
  bool started = false;
  std::string error;             // why it could not start, or why watching it failed (poll)
  bool timed_out = false;        // killed (SIGKILL to the group) at the deadline
  bool cancelled = false;        // killed (SIGKILL to the group) because `cancel` became true
  bool exited = false;           // ended with exit(): `exit_code` is valid
  int exit_code = -1;            // exit status when `exited`
  int signal = 0;                // the terminating signal when it did not exit normally
  std::chrono::steady_clock::duration duration{};  // spawn to reaped
  std::string stdout_data;       // at most max_output_bytes
  std::string stderr_data;       // at most max_output_bytes
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  // Exited with status 0 before the deadline.
  bool success() const {
    return started && !timed_out && !cancelled && exited && exit_code == 0;
  }
};

// Runs the command to completion (or to the deadline) and reports how it ended.
ChildProcessResult RunChildProcess(const ChildProcessOptions& options);

}  // namespace picket::delivery
