#pragma once

// What to check: one local check of the application beside the agent, as
// given on the command line (`--check-http URL`, `--check-tcp HOST:PORT`,
// `--check-exec COMMAND`, `--check-ttl DURATION`; agent/check_flags.h parses
// them), and how often and how strictly (`--check-interval`,
// `--check-timeout`, `--check-failures`, `--check-successes`).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace picket::health {

using Duration = std::chrono::steady_clock::duration;

enum class CheckKind : std::uint8_t {
  kHttp,  // GET: 2xx/3xx passing, 429 warning, anything else or a timeout critical
  kTcp,   // connect, and hold the connection: its close is seen at once
  kExec,  // exit 0 passing, 1 warning, anything else (or a timeout) critical
  kTtl,   // pushed by the application (PUT /v1/self/service); silence past the TTL is critical
};

// "http", "tcp", "exec", "ttl".
std::string_view ToString(CheckKind kind);

// One check, as the agent parsed it from its flag.
struct CheckSpec {
  CheckKind kind = CheckKind::kHttp;
  std::string target;  // URL, HOST:PORT, command, or the TTL as given
  std::string name;    // unique among the agent's checks: "http-1", "tcp-1", ...
  std::string host;    // kHttp, kTcp: a name or an IP literal (IPv6 without brackets)
  std::uint16_t port = 0;  // kHttp, kTcp
  std::string path;        // kHttp: the request target, "/" at least
  Duration ttl{};          // kTtl: > 0
};

// Timing and thresholds, the same for every check of an agent.
struct CheckPolicy {
  Duration interval = std::chrono::seconds(1);          // between runs of a passing check
  Duration timeout = std::chrono::milliseconds(500);    // longest run
  int failures = 2;   // consecutive failures before critical (>= 1)
  int successes = 1;  // consecutive successes before a critical check passes again (>= 1)

  // A failing check is re-run this soon (interval / kRetryDivisor), so that a
  // failure is confirmed or dismissed within about one interval.
  static constexpr int kRetryDivisor = 10;
  [[nodiscard]] Duration retry_interval() const { return interval / kRetryDivisor; }
  // Empty if valid, else which setting is wrong and why.
  [[nodiscard]] Status Validate() const;
};

// The flag that configures checks of `kind`: "--check-http", ...
std::string_view FlagOf(CheckKind kind);

}  // namespace picket::health
