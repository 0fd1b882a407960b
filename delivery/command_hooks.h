#pragma once

// Command hooks, as Serf users know them from event handlers: for each
// configured hook (delivery/hook_spec.h), every logged event of a chosen type runs
// the hook's shell command with
//
//   - stdin: the event as JSON, byte for byte what GET /v1/events returns
//     for it (EventRecord::json; a synthesized picket.resync when the hook
//     fell more than the log's capacity behind);
//   - environment (delivery/child_environment.h): PATH, the agent's variables
//     listed in `pass_through_env` (`picket agent --exec-env NAME`), and
//       PICKET_EVENT           event type, e.g. member.failed
//       PICKET_SEQ             event sequence number
//       PICKET_MEMBER          member name ("" for picket.resync)
//       PICKET_MEMBER_ADDRESS  member address host:port
//       PICKET_MEMBER_STATE    alive | suspect | failed | left
//       PICKET_INCARNATION     member incarnation
//       PICKET_HAS_MAJORITY    true | false (this agent's quorum view)
//       PICKET_ALIVE           members this agent sees alive or suspect
//       PICKET_SIZE            size of the agreed membership (quorum.members)
//       PICKET_SELF            this agent's own member name
//     and nothing else: never the agent's own environment, which holds its
//     secrets (PICKET_WEBHOOK_SECRET, PICKET_KEYRING_KEYS, ...).
//
// Each hook has its own thread that follows the EventLog by sequence number,
// so one hook runs one command at a time, in event order, and a slow hook
// never delays another hook or the agent's event loop. A run that outlives
// the timeout is killed with its process group (SIGKILL) and the hook moves
// on to the next event. Every run is reported (exit status, duration, the
// start of stdout/stderr) to `on_run` and counted for /metrics.
//
// Events logged before Start() are not run (the hooks follow the log from
// its last seq at Start). Events still queued at Stop() are dropped and a
// running command is killed.
//
// Thread safety: Start, Stop and the destructor from one owning thread;
// Metrics from any thread. `on_run` is called on the hooks' threads, possibly
// concurrently for different hooks.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/event_log.h"
#include "api/metrics.h"
#include "api/view_publisher.h"
#include "delivery/child_environment.h"
#include "delivery/child_process.h"
#include "delivery/hook_spec.h"

namespace picket::delivery {

// One finished (or failed to start, or killed) run of a hook's command.
struct HookRun {
  const HookSpec* hook = nullptr;  // the hook that ran; valid while the CommandHooks lives
  std::uint64_t seq = 0;           // the event's seq
  std::string event_type;          // e.g. "member.failed"
  std::string member;              // the event's member name ("" for picket.resync)
  ChildProcessResult result;       // outcome, duration, truncated stdout/stderr
};

struct CommandHooksOptions {
  // Hooks in configuration order; NameHooks is applied to them by the constructor.
  std::vector<HookSpec> hooks;
  // Longest run of one command; then its process group gets SIGKILL. > 0.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Bytes of stdout and of stderr kept per run for on_run (the rest is discarded).
  std::size_t max_output_bytes = 2048;
  // This agent's member name (PICKET_SELF).
  std::string self_name;
  // Names of the agent's environment variables passed on to the commands
  // (values as at construction; see delivery/child_environment.h: PICKET_* names
  // and invalid names are never passed). Besides them: PATH and the event's
  // PICKET_* fields only.
  std::vector<std::string> pass_through_env;
  // Called after every run, on the hook's thread. May be empty.
  std::function<void(const HookRun&)> on_run;
};

class CommandHooks {
 public:
  // `log` must outlive this object; `views` (may be null) provides the member
  // and quorum of synthesized picket.resync events. PATH and the
  // pass-through variables are read from the environment once, here.
  CommandHooks(CommandHooksOptions options, api::EventLog& log, const api::ViewPublisher* views);
  // Stops (see Stop).
  ~CommandHooks();
  CommandHooks(const CommandHooks&) = delete;
  CommandHooks& operator=(const CommandHooks&) = delete;

  // Starts one thread per hook, following the log from its current last seq.
  // Call at most once.
  void Start();

  // Kills running commands, drops queued events and joins the threads.
  // Idempotent.
  void Stop();

  // Per-hook counters for /metrics, in configuration order. Thread-safe.
  std::vector<api::HookMetrics> Metrics() const;

  // The hooks as configured (with their names).
  const std::vector<HookSpec>& hooks() const;

  // The PICKET_* variables for `record` ("NAME=value" each), as set for a
  // hook's command. Exposed for tests.
  static std::vector<std::string> EventEnvironment(const api::EventRecord& record,
                                                   const std::string& self_name);

 private:
  class Worker;
  CommandHooksOptions options_;
  api::EventLog& log_;
  const api::ViewPublisher* const views_;
  const ChildEnvironment child_env_;  // PATH and options_.pass_through_env
  std::vector<std::unique_ptr<Worker>> workers_;
  api::EventLog::ListenerId listener_ = 0;
  bool started_ = false;
};

}  // namespace picket::delivery
