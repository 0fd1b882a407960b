#pragma once

// The service-health flags of `picket agent` (--check-http, --check-tcp,
// --check-exec, --check-ttl and the policy flags) parsed into health/ specs.
// A bad value throws std::invalid_argument whose message names the flag and
// the value, as every agent flag does.

#include <string>
#include <vector>

#include "health/check_spec.h"

namespace picket::agent {

struct CheckFlags {
  std::vector<std::string> http;  // URLs
  std::vector<std::string> tcp;   // HOST:PORT
  std::vector<std::string> exec;  // shell commands
  std::vector<std::string> ttl;   // durations ("30s")
  std::string interval = "1s";
  std::string timeout = "500ms";
  int failures = 2;
  int successes = 1;
};

// Every configured check, in flag order per kind (http, tcp, exec, ttl),
// named "http-1", "tcp-1", ...
std::vector<health::CheckSpec> ParseChecks(const CheckFlags& flags);
health::CheckPolicy ParseCheckPolicy(const CheckFlags& flags);

}  // namespace picket::agent
