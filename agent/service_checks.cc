#include "agent/service_checks.h"

#include <http_parser.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <thread>

#include "delivery/child_process.h"

namespace picket::agent {

namespace {

using asio::ip::tcp;
using health::CheckKind;
using health::CheckResult;
using membership::ServiceHealth;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kExecOutputBytes = 1024;
// Immediate reconnects in a row after held connections closed (see HoldTcp).
constexpr int kMaxQuickReconnects = 4;

CheckResult Critical(std::string output, bool gone = false) {
  return CheckResult{ServiceHealth::kCritical, gone, false, false, std::move(output)};
}

CheckResult FromHttpStatus(unsigned status) {
  std::string output = "HTTP " + std::to_string(status);
  if (const char* reason = http_status_str(static_cast<http_status>(status));
      reason != nullptr && std::string_view(reason) != "<unknown>") {
    output.append(" ").append(reason);
  }
  if (status >= 200 && status < 400) return {ServiceHealth::kPassing, false, false, false, output};
  if (status == 429) return {ServiceHealth::kWarning, false, false, false, output};
  return Critical(std::move(output));
}

// A connect or read failure: a refusal means nobody listens (the process is gone).
CheckResult FromSocketError(std::string_view what, const std::error_code& ec) {
  if (ec == asio::error::connection_refused) return Critical("connection refused", true);
  return Critical(std::string(what) + ": " + ec.message());
}

std::string TrimOutput(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

CheckResult FromExec(const delivery::ChildProcessResult& r, std::chrono::milliseconds timeout) {
  std::string output = TrimOutput(r.stdout_data.empty() ? r.stderr_data : r.stdout_data);
  if (!r.started) return Critical("could not start: " + r.error);
  if (r.timed_out) return Critical("timed out after " + std::to_string(timeout.count()) + "ms");
  if (!r.exited) return Critical("killed by signal " + std::to_string(r.signal));
  if (output.empty()) output = "exit status " + std::to_string(r.exit_code);
  if (r.exit_code == 0) return {ServiceHealth::kPassing, false, false, false, output};
  if (r.exit_code == 1) return {ServiceHealth::kWarning, false, false, false, output};
  return Critical(std::move(output));
}

// The status line of an HTTP response, fed with http_parser; the headers are
// all a check needs (the body is not read).
class StatusLineParser {
 public:
  StatusLineParser() {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_headers_complete = [](http_parser* p) {
      auto& self = *static_cast<StatusLineParser*>(p->data);
      // Interim 1xx answers are followed by the real one.
      if (p->status_code >= 200 || p->status_code < 100) {
        self.status_ = p->status_code;
        http_parser_pause(p, 1);
      }
      return 0;
    };
  }
  // False on a malformed response.
  bool Feed(const char* data, std::size_t size) {
    http_parser_execute(&parser_, &settings_, data, size);
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    return err == HPE_OK || err == HPE_PAUSED;
  }
  [[nodiscard]] unsigned status() const { return status_; }

 private:
  http_parser parser_{};
  http_parser_settings settings_{};
  unsigned status_ = 0;
};

}  // namespace

struct ServiceChecks::Runner {
  explicit Runner(asio::io_context& io) : timer(io), deadline(io), resolver(io) {}
  asio::steady_timer timer;     // the next run, or the TTL's expiry
  asio::steady_timer deadline;  // the running probe's timeout
  tcp::resolver resolver;
  bool busy = false;
  std::uint64_t generation = 0;  // completions of older runs are ignored
  SteadyClock::time_point due{};
  SteadyClock::time_point started{};
  bool deadline_late = false;
  double duration_ms = 0.0;
  std::uint64_t runs = 0;
  // http and tcp: the connection of the running probe; tcp: the held one.
  std::unique_ptr<tcp::socket> socket;
  bool held = false;
  SteadyClock::time_point held_since{};
  // Reconnects in a row made at once because the held connection closed.
  int quick_reconnects = 0;
  std::string request;
  std::array<char, 1024> buffer{};
  std::unique_ptr<StatusLineParser> parser;
  // exec
  std::thread thread;
  std::shared_ptr<std::atomic<bool>> cancel;
};

ServiceChecks::ServiceChecks(asio::io_context& io, ServiceCheckOptions options,
                             std::function<void()> on_change)
    : io_(io),
      policy_(options.policy),
      exec_env_(options.exec_env),
      on_change_(std::move(on_change)) {
  const auto now = SteadyClock::now();
  std::vector<health::CheckState> checks;
  for (auto& spec : options.checks) checks.emplace_back(std::move(spec), policy_, now);
  service_ = health::LocalService(std::move(checks));
  for (std::size_t i = 0; i < service_.checks().size(); ++i) {
    runners_.push_back(std::make_unique<Runner>(io_));
  }
}

ServiceChecks::~ServiceChecks() {
  Stop();
  for (auto& runner : runners_) {
    if (runner->thread.joinable()) runner->thread.join();
  }
}

void ServiceChecks::Start() {
  for (std::size_t i = 0; i < runners_.size(); ++i) {
    const health::CheckSpec& spec = service_.checks()[i].spec();
    if (spec.kind == CheckKind::kTtl) {
      ScheduleTtl(i);
    } else {
      Schedule(i);
    }
    spdlog::info("service check {}: {} {} every {} ms (timeout {} ms)", spec.name,
                 health::ToString(spec.kind), spec.target,
                 std::chrono::duration_cast<std::chrono::milliseconds>(policy_.interval).count(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(policy_.timeout).count());
  }
}

void ServiceChecks::Stop() {
  stopped_ = true;
  for (auto& runner : runners_) {
    std::error_code ignored;
    runner->timer.cancel();
    runner->deadline.cancel();
    runner->resolver.cancel();
    if (runner->socket) runner->socket->close(ignored);
    if (runner->cancel) runner->cancel->store(true);
  }
}

void ServiceChecks::Schedule(std::size_t index) {
  Runner& runner = *runners_[index];
  runner.timer.expires_at(service_.checks()[index].next_due());
  runner.timer.async_wait([this, index](std::error_code ec) {
    if (!ec && !stopped_) Run(index, false);
  });
}

bool ServiceChecks::Current(std::size_t index, std::uint64_t generation) const {
  const Runner& r = *runners_[index];
  return !stopped_ && r.busy && r.generation == generation;
}

bool ServiceChecks::Late(const Runner& runner) const {
  return runner.started - runner.due > kLateAfter || runner.deadline_late;
}

void ServiceChecks::Run(std::size_t index, bool after_close) {
  Runner& runner = *runners_[index];
  if (runner.busy || stopped_) return;
  runner.busy = true;
  const std::uint64_t generation = ++runner.generation;
  runner.started = SteadyClock::now();
  runner.due = after_close ? runner.started : service_.checks()[index].next_due();
  runner.deadline_late = false;
  const health::CheckSpec& spec = service_.checks()[index].spec();
  if (spec.kind != CheckKind::kExec) {
    runner.deadline.expires_at(runner.started + policy_.timeout);
    runner.deadline.async_wait([this, index, generation](std::error_code ec) {
      if (ec || !Current(index, generation)) return;
      Runner& r = *runners_[index];
      r.deadline_late = SteadyClock::now() - r.deadline.expiry() > kLateAfter;
      std::error_code ignored;
      r.resolver.cancel();
      if (r.socket) r.socket->close(ignored);
      r.socket.reset();
      CheckResult result = Critical(
          "timed out after " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(policy_.timeout).count()) +
          "ms");
      result.late = Late(r);
      Finish(index, std::move(result));
    });
  }
  switch (spec.kind) {
    case CheckKind::kHttp:
      RunHttp(index);
      break;
    case CheckKind::kTcp:
      RunTcp(index, after_close);
      break;
    case CheckKind::kExec:
      RunExec(index);
      break;
    case CheckKind::kTtl:
      break;
  }
}

void ServiceChecks::Finish(std::size_t index, CheckResult result) {
  Runner& runner = *runners_[index];
  if (!runner.busy || stopped_) return;
  runner.busy = false;
  runner.deadline.cancel();
  const auto now = SteadyClock::now();
  runner.duration_ms = std::chrono::duration<double, std::milli>(now - runner.started).count();
  ++runner.runs;
  health::CheckState& check = service_.checks()[index];
  const auto before = check.status();
  check.Record(std::move(result), runner.started, now);
  if (check.status() != before) {
    spdlog::log(check.status() == ServiceHealth::kCritical ? spdlog::level::warn
                                                           : spdlog::level::info,
                "service check {}: {} ({})", check.spec().name,
                membership::ToString(*check.status()), check.status_output());
  }
  on_change_();
  Schedule(index);
}

void ServiceChecks::RunHttp(std::size_t index) {
  Runner& runner = *runners_[index];
  const std::uint64_t generation = runner.generation;
  const health::CheckSpec& spec = service_.checks()[index].spec();
  const auto current = [this, index, generation] { return Current(index, generation); };
  runner.request = "GET " + spec.path + " HTTP/1.1\r\nHost: " +
                   (spec.host.find(':') != std::string::npos ? "[" + spec.host + "]" : spec.host) +
                   ":" + std::to_string(spec.port) +
                   "\r\nUser-Agent: picket-check/1\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  runner.parser = std::make_unique<StatusLineParser>();
  auto on_read = std::make_shared<std::function<void(std::error_code, std::size_t)>>();
  *on_read = [this, index, current, on_read](std::error_code ec, std::size_t n) {
    if (!current()) return;
    Runner& r = *runners_[index];
    if (n > 0 && !r.parser->Feed(r.buffer.data(), n)) {
      Finish(index, Critical("malformed HTTP response"));
      return;
    }
    if (r.parser->status() != 0) {
      std::error_code ignored;
      r.socket->close(ignored);
      Finish(index, FromHttpStatus(r.parser->status()));
      return;
    }
    if (ec) {
      Finish(index, ec == asio::error::eof ? Critical("connection closed before a response")
                                           : FromSocketError("read", ec));
      return;
    }
    r.socket->async_read_some(asio::buffer(r.buffer), *on_read);
  };
  auto on_connect = [this, index, current, on_read](std::error_code ec, const tcp::endpoint&) {
    if (!current()) return;
    Runner& r = *runners_[index];
    if (ec) {
      Finish(index, FromSocketError("connect", ec));
      return;
    }
    asio::async_write(*r.socket, asio::buffer(r.request),
                      [this, index, current, on_read](std::error_code wec, std::size_t) {
                        if (!current()) return;
                        if (wec) {
                          Finish(index, FromSocketError("write", wec));
                          return;
                        }
                        Runner& rr = *runners_[index];
                        rr.socket->async_read_some(asio::buffer(rr.buffer), *on_read);
                      });
  };
  Connect(index, std::move(on_connect));
}

void ServiceChecks::Connect(std::size_t index,
                            std::function<void(std::error_code, const tcp::endpoint&)> on_connect) {
  Runner& runner = *runners_[index];
  const health::CheckSpec& spec = service_.checks()[index].spec();
  runner.socket = std::make_unique<tcp::socket>(io_);
  std::error_code ec;
  const auto address = asio::ip::make_address(spec.host, ec);
  if (!ec) {
    const std::array<tcp::endpoint, 1> endpoints{tcp::endpoint(address, spec.port)};
    asio::async_connect(*runner.socket, endpoints, std::move(on_connect));
    return;
  }
  runner.resolver.async_resolve(
      spec.host, std::to_string(spec.port),
      [this, index, generation = runner.generation, on_connect = std::move(on_connect)](
          std::error_code rec, tcp::resolver::results_type results) {
        if (!Current(index, generation)) return;
        if (rec) {
          Finish(index, Critical("resolve: " + rec.message()));
          return;
        }
        asio::async_connect(*runners_[index]->socket, results, on_connect);
      });
}

void ServiceChecks::RunTcp(std::size_t index, bool after_close) {
  Runner& runner = *runners_[index];
  if (runner.held) {
    Finish(index, CheckResult{ServiceHealth::kPassing, false, false, false, "connection held open"});
    return;
  }
  auto on_connect = [this, index, generation = runner.generation, after_close](
                        std::error_code ec, const tcp::endpoint&) {
    if (!Current(index, generation)) return;
    Runner& r = *runners_[index];
    if (ec) {
      CheckResult result = FromSocketError("connect", ec);
      // The held connection just closed and nobody listens any more.
      result.decisive = after_close && result.gone;
      if (result.decisive) result.output = "held connection closed, reconnect refused";
      Finish(index, std::move(result));
      return;
    }
    r.held = true;
    r.held_since = SteadyClock::now();
    if (!after_close) r.quick_reconnects = 0;
    HoldTcp(index);
    Finish(index, CheckResult{ServiceHealth::kPassing, false, false, false, "connected"});
  };
  Connect(index, std::move(on_connect));
}

void ServiceChecks::HoldTcp(std::size_t index) {
  Runner& runner = *runners_[index];
  runner.socket->async_read_some(asio::buffer(runner.buffer), [this, index](std::error_code ec,
                                                                           std::size_t) {
    Runner& r = *runners_[index];
    if (stopped_ || !r.held) return;
    if (!ec) {
      HoldTcp(index);  // the application wrote something: not ours to read
      return;
    }
    if (ec == asio::error::operation_aborted) return;
    std::error_code ignored;
    r.socket->close(ignored);
    r.socket.reset();
    r.held = false;
    // A connection held for a while that closes is how a crash looks: check
    // at once. A dying process may still accept that reconnect (its listener
    // closes after its connections) and then reset it: a few quick reconnects
    // in a row follow the crash to the refusal. A connection the application
    // closes right away on a regular run (it keeps no idle connections)
    // waits for the next regular run, so as not to spin.
    const bool long_held = SteadyClock::now() - r.held_since >= policy_.interval;
    if (long_held) r.quick_reconnects = 0;
    const bool follow = long_held || (r.quick_reconnects > 0 &&
                                      r.quick_reconnects < kMaxQuickReconnects);
    if (follow && !r.busy) {
      ++r.quick_reconnects;
      r.timer.cancel();
      Run(index, true);
    }
  });
}

void ServiceChecks::RunExec(std::size_t index) {
  Runner& runner = *runners_[index];
  if (runner.thread.joinable()) runner.thread.join();  // the previous run posted its result
  runner.cancel = std::make_shared<std::atomic<bool>>(false);
  delivery::ChildProcessOptions child;
  child.command = service_.checks()[index].spec().target;
  child.env = exec_env_.Build({"PICKET_CHECK=" + service_.checks()[index].spec().name});
  child.timeout = std::chrono::ceil<std::chrono::milliseconds>(policy_.timeout);
  child.max_output_bytes = kExecOutputBytes;
  child.cancel = runner.cancel.get();
  const std::uint64_t generation = runner.generation;
  runner.thread = std::thread([this, index, generation, child = std::move(child),
                               cancel = runner.cancel] {
    delivery::ChildProcessResult result = delivery::RunChildProcess(child);
    if (cancel->load()) return;
    asio::post(io_, [this, index, generation, result = std::move(result), timeout = child.timeout] {
      if (!Current(index, generation)) return;
      Runner& r = *runners_[index];
      CheckResult check = FromExec(result, timeout);
      // A run that overran its timeout by far saw the agent stall, not the command.
      check.late = Late(r) || (result.timed_out && result.duration > timeout + kLateAfter * 2);
      Finish(index, std::move(check));
    });
  });
}

void ServiceChecks::ScheduleTtl(std::size_t index) {
  Runner& runner = *runners_[index];
  const health::CheckState& check = service_.checks()[index];
  if (check.spec().ttl <= health::Duration::zero()) return;
  const auto due = check.next_due();
  runner.timer.expires_at(due);
  runner.timer.async_wait([this, index, due](std::error_code ec) {
    if (ec || stopped_) return;
    const auto now = SteadyClock::now();
    const auto stalled = now - due > kLateAfter ? now - due : health::Duration::zero();
    health::CheckState& c = service_.checks()[index];
    if (c.Expire(now, stalled)) {
      spdlog::warn("service check {}: critical ({})", c.spec().name, c.status_output());
      on_change_();
    }
    if (c.status() != ServiceHealth::kCritical) ScheduleTtl(index);
  });
}

void ServiceChecks::Push(ServiceHealth status, std::string output) {
  const auto now = SteadyClock::now();
  health::CheckState& check = service_.PushCheck(policy_, now);
  while (runners_.size() < service_.checks().size()) {
    runners_.push_back(std::make_unique<Runner>(io_));
  }
  const auto index = static_cast<std::size_t>(&check - service_.checks().data());
  check.Push(status, std::move(output), now);
  ++runners_[index]->runs;
  ScheduleTtl(index);
  on_change_();
}

void ServiceChecks::SetMaintenance(bool enabled, std::string reason) {
  if (enabled != service_.maintenance()) {
    spdlog::info("maintenance {}{}", enabled ? "on" : "off",
                 reason.empty() ? std::string() : ": " + reason);
  }
  service_.SetMaintenance(enabled, std::move(reason));
  on_change_();
}

std::optional<membership::ServiceStatus> ServiceChecks::Aggregate() {
  const auto now = std::chrono::system_clock::now();
  return service_.Aggregate(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

std::vector<api::LocalCheckInfo> ServiceChecks::Describe() const {
  std::vector<api::LocalCheckInfo> out;
  for (std::size_t i = 0; i < service_.checks().size(); ++i) {
    const health::CheckState& check = service_.checks()[i];
    api::LocalCheckInfo info;
    info.name = check.spec().name;
    info.kind = std::string(health::ToString(check.spec().kind));
    info.target = check.spec().target;
    info.status = check.status();
    if (check.last_result()) info.output = check.last_result()->output;
    info.last_run = check.last_run();
    info.consecutive_failures = check.consecutive_failures();
    info.consecutive_successes = check.consecutive_successes();
    info.discarded_late = check.discarded_late();
    if (i < runners_.size()) {
      info.duration_ms = runners_[i]->duration_ms;
      info.runs = runners_[i]->runs;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace picket::agent
