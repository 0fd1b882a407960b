#include "delivery/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace picket::delivery {
namespace {

using Clock = std::chrono::steady_clock;

// One end of a pipe, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

void SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::string ErrnoText(const char* what, int error) {
  std::string text(what);
  text.append(": ");
  text.append(std::strerror(error));
  return text;
}

// Blocks SIGPIPE on this thread while a child is fed, so that writing to a
// child that closed its stdin fails with EPIPE instead of killing the agent;
// a SIGPIPE raised meanwhile is consumed before the old mask is restored.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    blocked_ = ::pthread_sigmask(SIG_BLOCK, &block, &old_) == 0;
  }
  ~ScopedSigpipeBlock() {
    if (!blocked_) return;
    if (raised_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec zero{0, 0};
      while (::sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

  void NoteRaised() { raised_ = true; }

 private:
  sigset_t old_{};
  bool blocked_ = false;
  bool raised_ = false;
};

// Reads what is available from `fd` into `out` (up to `limit` bytes kept).
// Returns false at end of file or on a read error.
bool Drain(int fd, std::string& out, bool& truncated, std::size_t limit) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      const std::size_t room = limit > out.size() ? limit - out.size() : 0;
      out.append(buffer, std::min(room, got));
      if (got > room) truncated = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// A pidfd becomes readable when the child exits, so poll() wakes at once;
// -1 where the kernel has none (then the loop re-checks every few ms).
int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

void DecodeStatus(int status, ChildProcessResult& result) {
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

}  // namespace

ChildProcessResult RunChildProcess(const ChildProcessOptions& options) {
  ChildProcessResult result;
  Fd stdin_read, stdin_write, stdout_read, stdout_write, stderr_read, stderr_write;
  if (!MakePipe(stdin_read, stdin_write) || !MakePipe(stdout_read, stdout_write) ||
      !MakePipe(stderr_read, stderr_write)) {
    result.error = ErrnoText("pipe", errno);
    return result;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stdout_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_write.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // The agent's sockets and files are not all close-on-exec (Asio does not
  // set it): a hook, or a daemon it starts, must not inherit them.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif

  // Own process group (killed as a whole on timeout), no blocked signals
  // inherited from this thread, and default dispositions for signals the
  // agent may ignore (ignored dispositions survive exec).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::string shell = "/bin/sh", dash_c = "-c", command = options.command;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  std::vector<std::string> env_storage = options.env;
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const Clock::time_point start = Clock::now();
  pid_t pid = -1;
  const int spawn_error = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  stdin_read.Close();
  stdout_write.Close();
  stderr_write.Close();
  if (spawn_error != 0) {
    result.error = ErrnoText("posix_spawn /bin/sh", spawn_error);
    return result;
  }
  result.started = true;

  ScopedSigpipeBlock sigpipe_block;
  SetNonBlocking(stdin_write.get());
  SetNonBlocking(stdout_read.get());
  SetNonBlocking(stderr_read.get());
  Fd pidfd(OpenPidFd(pid));
  std::size_t written = 0;
  if (options.stdin_data.empty()) stdin_write.Close();

  const Clock::time_point deadline = start + options.timeout;
  bool reaped = false;
  int status = 0;
  Clock::time_point exited_at{};
  while (true) {
    if (!reaped) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        reaped = true;
        exited_at = Clock::now();
        pidfd.Close();
      }
    }
    const Clock::time_point now = Clock::now();
    const bool outputs_open = stdout_read.open() || stderr_read.open();
    if (reaped && (!outputs_open || now >= exited_at + options.output_grace)) break;
    if (!reaped && now >= deadline) {
      result.timed_out = true;
      break;
    }
    if (!reaped && options.cancel != nullptr && options.cancel->load()) {
      result.cancelled = true;
      break;
    }

    pollfd fds[4];
    nfds_t count = 0;
    const auto add = [&](const Fd& fd, short events) {
      if (fd.open()) fds[count++] = pollfd{fd.get(), events, 0};
    };
    add(stdin_write, POLLOUT);
    add(stdout_read, POLLIN);
    add(stderr_read, POLLIN);
    add(pidfd, POLLIN);
    // Without a pidfd (or once the pipes are closed) the exit is noticed by
    // re-checking waitpid every few milliseconds; `cancel` every 50 ms.
    Clock::duration slice;
    if (reaped) {
      slice = exited_at + options.output_grace - now;
    } else {
      if (pidfd.open()) {
        slice = options.cancel == nullptr ? deadline - now
                                          : Clock::duration(std::chrono::milliseconds(50));
      } else {
        slice = std::chrono::milliseconds(outputs_open ? 20 : 2);
      }
      slice = std::min(slice, deadline - now);
    }
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(slice).count();
    const int ready = ::poll(fds, count, static_cast<int>(std::max<long long>(wait_ms, 0)));
    if (ready < 0 && errno != EINTR) {
      result.error = ErrnoText("poll", errno);
      break;
    }
    if (ready <= 0) continue;

    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      if (fd == stdin_write.get()) {
        const std::string& data = options.stdin_data;
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n > 0) {
          written += static_cast<std::size_t>(n);
          if (written == data.size()) stdin_write.Close();
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          // EPIPE: the child does not read its stdin; that is its business.
          if (errno == EPIPE) sigpipe_block.NoteRaised();
          stdin_write.Close();
        }
      } else if (fd == stdout_read.get()) {
        if (!Drain(fd, result.stdout_data, result.stdout_truncated, options.max_output_bytes)) {
          stdout_read.Close();
        }
      } else if (fd == stderr_read.get()) {
        if (!Drain(fd, result.stderr_data, result.stderr_truncated, options.max_output_bytes)) {
          stderr_read.Close();
        }
      }
      // The pidfd needs no handling: waitpid at the top of the loop reaps.
    }
  }

  if (!reaped) {
    // Deadline, cancellation or a poll failure: end the whole group. Its
    // leader is not reaped yet, so the group id cannot have been reused.
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.duration = Clock::now() - start;
  DecodeStatus(status, result);
  return result;
}

}  // namespace picket::delivery
