#pragma once

// The optional config file of `picket agent` (TOML subset: `key = value`,
// `key = ["a", "b"]`, `#` comments; keys are the long flag names without the
// dashes, e.g. `probe-interval = "500ms"`, `join = ["10.0.0.1", "10.0.0.2"]`).
//
// Precedence is flags > environment > config file. The file is applied as a
// fallback environment: each key becomes PICKET_<KEY> unless that variable is
// already set, and the command line parser then reads the environment as usual.

#include <string>
#include <vector>

namespace picket::agent {

// "--probe-interval" -> "PICKET_PROBE_INTERVAL": the environment variable
// every flag also reads.
std::string EnvNameFor(const std::string& flag);

// Finds the config path: the value of --config in argv (either "--config F" or
// "--config=F"), else $PICKET_CONFIG, else "".
std::string FindConfigPath(int argc, const char* const* argv);

// Reads `path` and sets PICKET_<KEY> for every key not already in the
// environment. `known_flags` are the long flag names the command accepts
// ("--bind", ...). Returns an empty string on success, else an error naming
// the file and the bad key or line.
[[nodiscard]] std::string ApplyConfigFileAsEnvironment(const std::string& path,
                                                       const std::vector<std::string>& known_flags);

}  // namespace picket::agent
