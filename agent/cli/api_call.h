#pragma once

// Shared by the subcommands that talk to a local agent's HTTP API
// (members, leave, tags, watch).

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "agent/cli/http_client.h"

namespace picket::cli {

inline constexpr const char* kDefaultHttpAddress = "127.0.0.1:9747";

// --http HOST:PORT (PICKET_HTTP): where the agent's API listens.
inline void AddHttpFlag(CLI::App* cmd, std::string& http) {
  cmd->add_option("--http", http, "HTTP API address of the agent (HOST:PORT)")
      ->envname("PICKET_HTTP")
      ->capture_default_str();
}

// --api-token / --api-token-file (PICKET_API_TOKEN[_FILE]), for mutating calls;
// see ResolveApiToken.
inline void AddApiTokenFlags(CLI::App* cmd, std::string& token, std::string& token_file) {
  cmd->add_option("--api-token", token,
                  "Bearer token, if the agent requires one for mutating calls")
      ->envname("PICKET_API_TOKEN");
  cmd->add_option("--api-token-file", token_file, "File holding the bearer token")
      ->envname("PICKET_API_TOKEN_FILE");
}

// Prints why a call to the agent failed (unreachable, or an error answer) and
// throws CLI::RuntimeError(1).
[[noreturn]] inline void FailApiCall(std::string_view command, const std::string& http,
                                     const HttpResult& result) {
  if (!result.ok()) {
    std::cerr << "picket " << command << ": cannot reach the agent's HTTP API at " << http << ": "
              << result.error << " (is `picket agent` running? see --http / PICKET_HTTP)\n";
  } else {
    std::cerr << "picket " << command << ": the agent answered HTTP " << result.status << ": "
              << result.body << "\n";
  }
  throw CLI::RuntimeError(1);
}

// The bearer token for mutating calls: --api-token, else the first line of
// --api-token-file, else "" (no token).
inline std::string ResolveApiToken(std::string_view command, const std::string& token,
                                   const std::string& token_file) {
  if (!token.empty() || token_file.empty()) return token;
  std::ifstream in(token_file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    std::cerr << "picket " << command << ": --api-token-file: cannot read '" << token_file << "'\n";
    throw CLI::RuntimeError(2);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace picket::cli
