#include "delivery/command_hooks.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/unit/api/api_test_util.h"

namespace picket::delivery {
namespace {

using api::testing::MakeEvent;
using api::testing::MakeMember;
using membership::EventType;
using std::chrono::milliseconds;
using std::chrono::seconds;

HookSpec Hook(std::string_view text) {
  auto parsed = ParseHookSpec(text);
  REQUIRE(std::holds_alternative<HookSpec>(parsed));
  return std::get<HookSpec>(std::move(parsed));
}

// A scratch directory, removed at the end of the test.
struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/picket-hooks-test.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path = made;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The NAME=value lines of `env` output.
std::map<std::string, std::string> ParseEnv(const std::string& text) {
  std::map<std::string, std::string> env;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// Collects the runs reported through on_run (hook threads) for the test thread.
class RunRecorder {
 public:
  std::function<void(const HookRun&)> Callback() {
    return [this](const HookRun& run) {
      std::lock_guard lock(mu_);
      runs_.push_back(Entry{run.hook->name, run.seq, run.event_type, run.member, run.result});
      cv_.notify_all();
    };
  }

  struct Entry {
    std::string hook;
    std::uint64_t seq;
    std::string event_type;
    std::string member;
    ChildProcessResult result;
  };

  // Waits (bounded) until `count` runs of `hook` were reported; returns them.
  std::vector<Entry> WaitFor(const std::string& hook, std::size_t count,
                             std::chrono::seconds timeout = seconds(20)) {
    std::unique_lock lock(mu_);
    std::vector<Entry> of_hook;
    cv_.wait_for(lock, timeout, [&] {
      of_hook.clear();
      for (const Entry& e : runs_) {
        if (e.hook == hook) of_hook.push_back(e);
      }
      return of_hook.size() >= count;
    });
    return of_hook;
  }

  std::size_t Count(const std::string& hook) {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const Entry& e : runs_) {
      if (e.hook == hook) ++n;
    }
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> runs_;
};

membership::MemberEvent Failed(const std::string& name) {
  auto member = MakeMember(name, membership::MemberState::kFailed, membership::Clock::now());
  member.incarnation = 7;
  member.tags = {{"role", "primary"}};
  auto event = MakeEvent(EventType::kFailed, member);
  event.quorum = {2, 3, true};
  return event;
}

TEST_CASE("a hook gets the event JSON on stdin and its fields in PICKET_* variables",
          "[delivery][command_hooks]") {
  TempDir dir;
  ::setenv("HOOKS_TEST_PASSTHROUGH", "kept", 1);
  ::setenv("HOOKS_TEST_NOT_LISTED", "dropped", 1);
  ::setenv("PICKET_EVENT", "stale-value-of-the-agent", 1);
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  options.hooks = {Hook("member.failed=cat > " + dir.path + "/$PICKET_SEQ.json; env > " +
                        dir.path + "/$PICKET_SEQ.env")};
  options.self_name = "node-a";
  options.pass_through_env = {"HOOKS_TEST_PASSTHROUGH"};
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, nullptr);
  ::unsetenv("HOOKS_TEST_PASSTHROUGH");
  ::unsetenv("HOOKS_TEST_NOT_LISTED");
  ::unsetenv("PICKET_EVENT");
  hooks.Start();

  log.Append(MakeEvent(EventType::kJoined, MakeMember("db-1", membership::MemberState::kAlive,
                                                     membership::Clock::now())));
  const std::uint64_t seq = log.Append(Failed("db-0"));
  const auto runs = recorder.WaitFor("cat", 1);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].seq == seq);
  CHECK(runs[0].event_type == "member.failed");
  CHECK(runs[0].member == "db-0");
  CHECK(runs[0].result.success());

  const api::EventLog::ReadResult read = log.Read(seq - 1, 1);
  REQUIRE(read.events.size() == 1);
  CHECK(ReadFile(dir.File(std::to_string(seq) + ".json")) == read.events[0]->json + "\n");
  const auto json = nlohmann::json::parse(ReadFile(dir.File(std::to_string(seq) + ".json")));
  CHECK(json["member"]["tags"]["role"] == "primary");

  std::map<std::string, std::string> env =
      ParseEnv(ReadFile(dir.File(std::to_string(seq) + ".env")));
  CHECK(env["PICKET_EVENT"] == "member.failed");
  CHECK(env["PICKET_SEQ"] == std::to_string(seq));
  CHECK(env["PICKET_MEMBER"] == "db-0");
  CHECK(env["PICKET_MEMBER_ADDRESS"] == "127.0.0.1:9004");
  CHECK(env["PICKET_MEMBER_STATE"] == "failed");
  CHECK(env["PICKET_INCARNATION"] == "7");
  CHECK(env["PICKET_HAS_MAJORITY"] == "true");
  CHECK(env["PICKET_ALIVE"] == "2");
  CHECK(env["PICKET_SIZE"] == "3");
  CHECK(env["PICKET_SELF"] == "node-a");
  CHECK(env["HOOKS_TEST_PASSTHROUGH"] == "kept");  // listed: passed on, as at construction
  CHECK(env.count("HOOKS_TEST_NOT_LISTED") == 0);  // not listed: the agent's own
  // The joined event did not match the filter: only one file pair.
  CHECK_FALSE(std::filesystem::exists(dir.File(std::to_string(seq - 1) + ".json")));

  const std::vector<api::HookMetrics> metrics = hooks.Metrics();
  REQUIRE(metrics.size() == 1);
  CHECK(metrics[0].hook == "cat");
  CHECK(metrics[0].success == 1);
  CHECK(metrics[0].failure == 0);
  CHECK(metrics[0].duration_count == 1);
}

TEST_CASE("a hook never sees the agent's secrets: PATH and its PICKET_* fields only",
          "[delivery][command_hooks]") {
  TempDir dir;
  // The agent's secrets, as the agent's environment holds them (--config is
  // applied with setenv).
  constexpr std::pair<const char*, const char*> kSecrets[] = {
      {"PICKET_WEBHOOK_SECRET", "whsec_command_hooks_test_secret"},
      {"PICKET_KEYRING_KEYS", "Y29tbWFuZC1ob29rcy10ZXN0LWtleXJpbmcta2V5IQ=="},
      {"PICKET_API_TOKEN_FILE", "/etc/picket/api-token/token"}};
  for (const auto& [name, value] : kSecrets) ::setenv(name, value, 1);
  const std::string agent_path = ::getenv("PATH") != nullptr ? ::getenv("PATH") : "";
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  // `env` prints the whole environment, whatever the hook's PICKET_* names are.
  options.hooks = {Hook("member.failed=env > " + dir.File("env"))};
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, nullptr);
  hooks.Start();
  log.Append(Failed("db-0"));
  const auto runs = recorder.WaitFor("env", 1);
  for (const auto& [name, value] : kSecrets) ::unsetenv(name);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].result.success());

  const std::string text = ReadFile(dir.File("env"));
  for (const auto& [name, value] : kSecrets) {
    CHECK_THAT(text, !Catch::Contains(name));
    CHECK_THAT(text, !Catch::Contains(value));
  }
  CHECK_THAT(text, !Catch::Contains("whsec_"));
  std::map<std::string, std::string> env = ParseEnv(text);
  CHECK(env["PICKET_EVENT"] == "member.failed");
  CHECK(env["PICKET_MEMBER"] == "db-0");
  if (!agent_path.empty()) CHECK(env["PATH"] == agent_path);
  CHECK_FALSE(env["PATH"].empty());
  // Nothing but PATH, the ten event fields and what /bin/sh itself adds
  // (PWD, SHLVL, `_`).
  for (const auto& [name, value] : env) {
    INFO(name << "=" << value);
    CHECK((name == "PATH" || name.starts_with("PICKET_") || name == "PWD" || name == "SHLVL" ||
           name == "_" || name == "OLDPWD"));
  }
}

TEST_CASE("a hook runs one command at a time, in event order", "[delivery][command_hooks]") {
  TempDir dir;
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  // Every run notes when it starts and ends; overlapping runs would interleave.
  const std::string out = dir.File("order");
  options.hooks = {Hook("*=echo start $PICKET_SEQ >> " + out + "; sleep 0.0$((PICKET_SEQ % 3)); " +
                        "echo end $PICKET_SEQ >> " + out)};
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, nullptr);
  hooks.Start();
  constexpr int kEvents = 12;
  for (int i = 0; i < kEvents; ++i) {
    log.Append(MakeEvent(i % 2 == 0 ? EventType::kSuspect : EventType::kAlive,
                         MakeMember("m" + std::to_string(i), membership::MemberState::kAlive,
                                    membership::Clock::now())));
  }
  const auto runs = recorder.WaitFor("echo", kEvents);
  REQUIRE(runs.size() == kEvents);
  std::string expected;
  for (int i = 1; i <= kEvents; ++i) {
    CHECK(runs[static_cast<std::size_t>(i - 1)].seq == static_cast<std::uint64_t>(i));
    expected += "start " + std::to_string(i) + "\nend " + std::to_string(i) + "\n";
  }
  CHECK(ReadFile(out) == expected);
}

TEST_CASE("a failing hook is counted as failure and the next event still runs",
          "[delivery][command_hooks]") {
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  options.hooks = {Hook("member.failed=echo oops >&2; exit $((PICKET_SEQ == 1 ? 4 : 0))")};
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, nullptr);
  hooks.Start();
  log.Append(Failed("a"));
  log.Append(Failed("b"));
  const auto runs = recorder.WaitFor("echo", 2);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].result.exit_code == 4);
  CHECK(runs[0].result.stderr_data == "oops\n");
  CHECK_FALSE(runs[0].result.success());
  CHECK(runs[1].result.success());
  const api::HookMetrics m = hooks.Metrics().at(0);
  CHECK(m.failure == 1);
  CHECK(m.success == 1);
  CHECK(m.timeout == 0);
}

TEST_CASE("a hook that outlives the timeout is killed and counted", "[delivery][command_hooks]") {
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  options.hooks = {Hook("*=test $PICKET_SEQ = 1 && sleep 60; exit 0")};
  options.timeout = milliseconds(300);
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, nullptr);
  hooks.Start();
  log.Append(Failed("a"));
  log.Append(Failed("b"));
  const auto runs = recorder.WaitFor("test", 2);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].result.timed_out);
  CHECK(runs[0].result.duration >= milliseconds(300));
  CHECK(runs[0].result.duration < seconds(10));
  CHECK(runs[1].result.success());
  const api::HookMetrics m = hooks.Metrics().at(0);
  CHECK(m.timeout == 1);
  CHECK(m.success == 1);
  CHECK(m.failure == 0);
  CHECK(m.duration_count == 2);
  CHECK(m.duration_sum_seconds >= 0.3);
}

TEST_CASE("a slow hook does not hold up the other hooks", "[delivery][command_hooks]") {
  api::EventLog log;
  RunRecorder recorder;
  CommandHooksOptions options;
  options.hooks = {Hook("*=sleep 60"), Hook("*=true")};
  options.timeout = seconds(120);
  options.on_run = recorder.Callback();
  const auto stop_started = [&] {
    CommandHooks hooks(options, log, nullptr);
    hooks.Start();
    for (int i = 0; i < 3; ++i) log.Append(Failed("m" + std::to_string(i)));
    // All three runs of the fast hook finish while the slow one is still on
    // its first event.
    CHECK(recorder.WaitFor("true", 3).size() == 3);
    CHECK(recorder.Count("sleep") == 0);
    const auto before = std::chrono::steady_clock::now();
    hooks.Stop();  // kills the sleeping command: returns promptly
    return std::chrono::steady_clock::now() - before;
  };
  CHECK(stop_started() < seconds(10));
  CHECK(recorder.Count("sleep") == 0);  // a run cancelled by Stop is not reported
}

TEST_CASE("events logged before Start are not run, a resync reaches hooks that want it",
          "[delivery][command_hooks]") {
  api::EventLog log(4);
  log.Append(Failed("before"));
  api::ViewPublisher views;
  views.Publish(api::testing::MakeView({"self-node", "b", "c"}));
  RunRecorder recorder;
  CommandHooksOptions options;
  // The first run blocks until the test lets it go, so the log overtakes the hook.
  TempDir dir;
  const std::string gate = dir.File("gate");
  const std::string started = dir.File("started");
  options.hooks = {Hook("member.failed,picket.resync=touch " + started + "; while [ ! -e " + gate +
                        " ]; do sleep 0.01; done; echo \"$PICKET_EVENT $PICKET_MEMBER\"")};
  options.on_run = recorder.Callback();
  CommandHooks hooks(options, log, &views);
  hooks.Start();
  log.Append(Failed("first"));  // seq 2
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (!std::filesystem::exists(started) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  REQUIRE(std::filesystem::exists(started));
  for (int i = 0; i < 8; ++i) log.Append(Failed("x" + std::to_string(i)));  // seq 3..10
  std::ofstream(gate).put('\n');
  // Run 1: seq 2. Then seqs 3..6 are gone from the ring of 4: a resync at 6,
  // then seqs 7..10.
  const auto runs = recorder.WaitFor("touch", 6);
  REQUIRE(runs.size() == 6);
  CHECK(runs[0].seq == 2);
  CHECK(runs[0].result.stdout_data == "member.failed first\n");
  CHECK(runs[1].event_type == "picket.resync");
  CHECK(runs[1].seq == 6);
  CHECK(runs[1].result.stdout_data == "picket.resync self-node\n");
  for (std::size_t i = 2; i < 6; ++i) CHECK(runs[i].seq == i + 5);
}

}  // namespace
}  // namespace picket::delivery
