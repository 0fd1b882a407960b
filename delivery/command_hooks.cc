#include "delivery/command_hooks.h"

#include <atomic>
#include <thread>
#include <utility>

#include "api/detail/mutex.h"
#include "api/names.h"
#include "api/render.h"
#include "membership/types.h"

namespace picket::delivery {
namespace {

// Events read from the log per batch; a hook processes them one by one.
constexpr std::size_t kReadBatch = 64;

// How many variables Environment sets.
constexpr std::size_t kEventVariableCount = 10;

// What a hook needs of one event, logged or synthesized (picket.resync).
struct HookEvent {
  std::uint64_t seq = 0;
  std::string_view type;
  std::string_view json;
  const membership::MemberInfo* member = nullptr;  // null: resync without a view
  membership::Quorum quorum;
};

std::vector<std::string> Environment(const HookEvent& event, const std::string& self_name) {
  std::vector<std::string> env;
  env.reserve(kEventVariableCount);
  const auto add = [&env](std::string_view name, std::string_view value) {
    std::string entry(name);
    entry.push_back('=');
    entry.append(value);
    env.push_back(std::move(entry));
  };
  add("PICKET_EVENT", event.type);
  add("PICKET_SEQ", std::to_string(event.seq));
  const membership::MemberInfo empty;
  const membership::MemberInfo& member = event.member != nullptr ? *event.member : empty;
  add("PICKET_MEMBER", member.name);
  add("PICKET_MEMBER_ADDRESS", member.address);
  add("PICKET_MEMBER_STATE", event.member != nullptr ? membership::ToString(member.state) : "");
  add("PICKET_INCARNATION", event.member != nullptr ? std::to_string(member.incarnation) : "");
  add("PICKET_HAS_MAJORITY", event.quorum.has_majority ? "true" : "false");
  add("PICKET_ALIVE", std::to_string(event.quorum.alive));
  add("PICKET_SIZE", std::to_string(event.quorum.members));
  add("PICKET_SELF", self_name);
  return env;
}

HookEvent FromRecord(const api::EventRecord& record) {
  return HookEvent{record.seq, record.type_name(), record.json, &record.event.member,
                   record.event.quorum};
}

}  // namespace

// Follows the log for one hook on its own thread.
class CommandHooks::Worker {
 public:
  Worker(const CommandHooks& owner, const HookSpec& hook) : owner_(owner), hook_(hook) {
    metrics_.hook = hook.name;
  }
  ~Worker() { Stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start(std::uint64_t since) {
    thread_ = std::thread([this, since] { Run(since); });
  }

  // Called by the EventLog listener after every append: must be quick.
  void Wake() PICKET_API_EXCLUDES(mu_) {
    api::detail::MutexLock lock(&mu_);
    pending_ = true;
    cv_.SignalAll();
  }

  void Stop() PICKET_API_EXCLUDES(mu_) {
    stop_.store(true);
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  api::HookMetrics Metrics() const PICKET_API_EXCLUDES(stats_mu_) {
    api::detail::MutexLock lock(&stats_mu_);
    return metrics_;
  }

 private:
  void Run(std::uint64_t since) {
    while (!stop_.load()) {
      {
        api::detail::MutexLock lock(&mu_);
        pending_ = false;
      }
      const api::EventLog::ReadResult read = owner_.log_.Read(since, kReadBatch);
      if (read.events.empty() && !read.resync) {
        api::detail::MutexLock lock(&mu_);
        while (!pending_ && !stop_.load()) {
          cv_.WaitUntil(mu_, std::chrono::steady_clock::now() + std::chrono::hours(1));
        }
        continue;
      }
      if (read.resync) {
        RunResync(read.resync_seq);
        since = read.resync_seq;
      }
      for (const api::EventRecordPtr& record : read.events) {
        if (stop_.load()) return;
        if (hook_.Matches(record->type_name())) RunCommand(FromRecord(*record));
        since = record->seq;
      }
    }
  }

  void RunResync(std::uint64_t seq) {
    if (!hook_.Matches(api::kResyncEventName)) return;
    const api::ClusterViewPtr view = owner_.views_ != nullptr ? owner_.views_->Latest() : nullptr;
    const std::string json = api::RenderResyncEvent(seq, std::chrono::system_clock::now(),
                                                    view.get(), membership::Clock::now());
    HookEvent event;
    event.seq = seq;
    event.type = api::kResyncEventName;
    event.json = json;
    if (view != nullptr) {
      event.member = &view->self;
      event.quorum = view->quorum;
    }
    RunCommand(event);
  }

  void RunCommand(const HookEvent& event) {
    ChildProcessOptions child;
    child.command = hook_.command;
    child.env = owner_.child_env_.Build(Environment(event, owner_.options_.self_name));
    child.stdin_data = std::string(event.json);
    child.stdin_data.push_back('\n');
    child.timeout = owner_.options_.timeout;
    child.max_output_bytes = owner_.options_.max_output_bytes;
    child.cancel = &stop_;

    HookRun run;
    run.hook = &hook_;
    run.seq = event.seq;
    run.event_type = std::string(event.type);
    run.member = event.member != nullptr ? event.member->name : "";
    run.result = RunChildProcess(child);
    if (run.result.cancelled) return;  // shutting down: not an outcome of the hook
    Record(run.result);
    if (owner_.options_.on_run) owner_.options_.on_run(run);
  }

  void Record(const ChildProcessResult& result) PICKET_API_EXCLUDES(stats_mu_) {
    const double seconds = std::chrono::duration<double>(result.duration).count();
    api::detail::MutexLock lock(&stats_mu_);
    if (result.timed_out) {
      ++metrics_.timeout;
    } else if (result.success()) {
      ++metrics_.success;
    } else {
      ++metrics_.failure;
    }
    if (!result.started) return;  // nothing ran: no duration to record
    for (std::size_t i = 0; i < api::kHookDurationBounds.size(); ++i) {
      if (seconds <= api::kHookDurationBounds[i]) {
        ++metrics_.duration_buckets[i];
        break;
      }
    }
    ++metrics_.duration_count;
    metrics_.duration_sum_seconds += seconds;
  }

  const CommandHooks& owner_;
  const HookSpec& hook_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable api::detail::Mutex mu_;
  api::detail::CondVar cv_;
  bool pending_ PICKET_API_GUARDED_BY(mu_) = false;

  mutable api::detail::Mutex stats_mu_;
  api::HookMetrics metrics_ PICKET_API_GUARDED_BY(stats_mu_);
};

CommandHooks::CommandHooks(CommandHooksOptions options, api::EventLog& log,
                           const api::ViewPublisher* views)
    : options_(std::move(options)),
      log_(log),
      views_(views),
      child_env_(options_.pass_through_env) {
  NameHooks(options_.hooks);
  for (const HookSpec& hook : options_.hooks) {
    workers_.push_back(std::make_unique<Worker>(*this, hook));
  }
}

CommandHooks::~CommandHooks() { Stop(); }

void CommandHooks::Start() {
  if (started_ || workers_.empty()) return;
  started_ = true;
  listener_ = log_.AddListener([this] {
    for (const auto& worker : workers_) worker->Wake();
  });
  const std::uint64_t since = log_.LastSeq();
  for (const auto& worker : workers_) worker->Start(since);
}

void CommandHooks::Stop() {
  if (!started_) return;
  started_ = false;
  log_.RemoveListener(listener_);
  for (const auto& worker : workers_) worker->Stop();
}

std::vector<api::HookMetrics> CommandHooks::Metrics() const {
  std::vector<api::HookMetrics> out;
  out.reserve(workers_.size());
  for (const auto& worker : workers_) out.push_back(worker->Metrics());
  return out;
}

const std::vector<HookSpec>& CommandHooks::hooks() const { return options_.hooks; }

std::vector<std::string> CommandHooks::EventEnvironment(const api::EventRecord& record,
                                                        const std::string& self_name) {
  return Environment(FromRecord(record), self_name);
}

}  // namespace picket::delivery
