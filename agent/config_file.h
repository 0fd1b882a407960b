#pragma once

// The optional config file of `picket agent` (TOML subset: `key = value`,
// `key = ["a", "b"]`, `#` comments; keys are the long flag names without the
// dashes, e.g. `probe-interval = "500ms"`, `join = ["10.0.0.1", "10.0.0.2"]`).
//
// Precedence is flags > environment > config file. A key of the file becomes
// command-line arguments ("--key=value", once per value of a list) when
// neither the command line gives that flag nor PICKET_<KEY> is set; the
// parser then reads flags and environment as usual. Nothing is written into
// the process environment, so child processes (hooks, exec checks) never
// inherit the file's settings.

#include <string>
#include <vector>

namespace picket::agent {

// "--probe-interval" -> "PICKET_PROBE_INTERVAL": the environment variable
// every flag also reads.
std::string EnvNameFor(const std::string& flag);

// Finds the config path: the value of --config in argv (either "--config F" or
// "--config=F"), else $PICKET_CONFIG, else "".
std::string FindConfigPath(int argc, const char* const* argv);

struct ConfigFileArguments {
  std::vector<std::string> arguments;  // "--key=value" each, to append to the command line
  std::string error;                   // empty on success, else names the file and the bad key
};

// Reads `path`. `known_flags` are the long flag names the command accepts
// ("--bind", ...); `given` are the command-line arguments already given
// (argv without the program and subcommand names).
[[nodiscard]] ConfigFileArguments ReadConfigFile(const std::string& path,
                                                 const std::vector<std::string>& known_flags,
                                                 const std::vector<std::string>& given);

}  // namespace picket::agent
