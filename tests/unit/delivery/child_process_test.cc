#include "delivery/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace picket::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ChildProcessOptions Command(std::string command) {
  ChildProcessOptions options;
  options.command = std::move(command);
  options.env = {"PATH=/usr/bin:/bin", "GREETING=hello"};
  options.timeout = seconds(20);
  return options;
}

// True while `pid` exists and is not a zombie.
bool ProcessRunning(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() &&
         text[close_paren + 2] != 'Z';
}

std::string TempDir() {
  char pattern[] = "/tmp/picket-child-test.XXXXXX";
  const char* dir = ::mkdtemp(pattern);
  REQUIRE(dir != nullptr);
  return dir;
}

TEST_CASE("a child gets stdin and its environment, and its output is captured",
          "[delivery][child_process]") {
  auto options = Command("cat; echo \"$GREETING\" >&2; exit 0");
  options.stdin_data = "{\"seq\":1}\n";
  const ChildProcessResult result = RunChildProcess(options);
  REQUIRE(result.started);
  CHECK(result.success());
  CHECK(result.exited);
  CHECK(result.exit_code == 0);
  CHECK(result.stdout_data == "{\"seq\":1}\n");
  CHECK(result.stderr_data == "hello\n");
  CHECK_FALSE(result.timed_out);
  CHECK(result.duration < seconds(10));
}

TEST_CASE("a child inherits no descriptor but stdin, stdout and stderr",
          "[delivery][child_process]") {
  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately not close-on-exec
  REQUIRE(fd > 2);
  const std::string path = "/proc/$$/fd/" + std::to_string(fd);
  const ChildProcessResult result =
      RunChildProcess(Command("if [ -e " + path + " ]; then echo leaked; else echo closed; fi"));
  ::close(fd);
  CHECK(result.stdout_data == "closed\n");
}

TEST_CASE("exit status and death by signal are reported", "[delivery][child_process]") {
  const ChildProcessResult failed = RunChildProcess(Command("exit 3"));
  CHECK(failed.started);
  CHECK(failed.exited);
  CHECK(failed.exit_code == 3);
  CHECK_FALSE(failed.success());

  const ChildProcessResult killed = RunChildProcess(Command("kill -TERM $$"));
  CHECK(killed.started);
  CHECK_FALSE(killed.exited);
  CHECK(killed.signal == SIGTERM);
  CHECK_FALSE(killed.success());
}

TEST_CASE("output beyond the limit is discarded and flagged", "[delivery][child_process]") {
  auto options = Command("head -c 100000 /dev/zero | tr '\\0' x; echo short >&2");
  options.max_output_bytes = 100;
  const ChildProcessResult result = RunChildProcess(options);
  CHECK(result.success());
  CHECK(result.stdout_data == std::string(100, 'x'));
  CHECK(result.stdout_truncated);
  CHECK(result.stderr_data == "short\n");
  CHECK_FALSE(result.stderr_truncated);
}

TEST_CASE("a child that ignores a large stdin neither blocks nor kills the caller",
          "[delivery][child_process]") {
  auto options = Command("exit 0");
  options.stdin_data = std::string(4 * 1024 * 1024, 'j');  // far beyond a pipe's buffer
  const ChildProcessResult result = RunChildProcess(options);
  CHECK(result.success());
  CHECK(result.duration < seconds(10));
}

TEST_CASE("at the timeout the whole process group is killed", "[delivery][child_process]") {
  const std::string dir = TempDir();
  auto options = Command("sleep 60 & echo $! > " + dir + "/bg.pid; sleep 60");
  options.timeout = milliseconds(300);
  const ChildProcessResult result = RunChildProcess(options);
  CHECK(result.started);
  CHECK(result.timed_out);
  CHECK_FALSE(result.success());
  CHECK(result.signal == SIGKILL);
  CHECK(result.duration >= milliseconds(300));
  CHECK(result.duration < seconds(10));
  std::ifstream pid_file(dir + "/bg.pid");
  pid_t background = 0;
  REQUIRE(pid_file >> background);
  // SIGKILL to the group is delivered at once; give the kernel a moment to
  // tear the process down (bounded).
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (ProcessRunning(background) && std::chrono::steady_clock::now() < deadline) {
    ::usleep(10'000);
  }
  CHECK_FALSE(ProcessRunning(background));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a background process holding stdout open does not hold up the result",
          "[delivery][child_process]") {
  const std::string dir = TempDir();
  auto options = Command("sleep 30 & echo $! > " + dir + "/bg.pid; echo done");
  const ChildProcessResult result = RunChildProcess(options);
  CHECK(result.success());
  CHECK(result.stdout_data == "done\n");
  CHECK(result.duration < seconds(5));
  std::ifstream pid_file(dir + "/bg.pid");
  pid_t background = 0;
  if (pid_file >> background && background > 0) ::kill(background, SIGKILL);
  std::filesystem::remove_all(dir);
}

TEST_CASE("cancellation kills a running child", "[delivery][child_process]") {
  std::atomic<bool> cancel{true};
  auto options = Command("sleep 60");
  options.cancel = &cancel;
  const ChildProcessResult result = RunChildProcess(options);
  CHECK(result.started);
  CHECK(result.cancelled);
  CHECK_FALSE(result.timed_out);
  CHECK_FALSE(result.success());
  CHECK(result.duration < seconds(10));
}

}  // namespace
}  // namespace picket::delivery
