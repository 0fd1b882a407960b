#include "agent/config_file.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace picket::agent {

std::string EnvNameFor(const std::string& flag) {
  std::string env = "PICKET_";
  for (const char c : flag.substr(flag.find_first_not_of('-'))) {
    env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return env;
}

std::string FindConfigPath(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.starts_with("--config=")) return std::string(arg.substr(9));
  }
  const char* env = std::getenv("PICKET_CONFIG");
  return env != nullptr ? env : "";
}

namespace {

// Whether `flag` ("--bind") appears among the given arguments, as "--bind"
// or "--bind=...".
bool Given(const std::vector<std::string>& given, const std::string& flag) {
  return std::any_of(given.begin(), given.end(), [&](const std::string& arg) {
    return arg == flag || (arg.size() > flag.size() && arg.starts_with(flag) &&
                           arg[flag.size()] == '=');
  });
}

}  // namespace

ConfigFileArguments ReadConfigFile(const std::string& path,
                                   const std::vector<std::string>& known_flags,
                                   const std::vector<std::string>& given) {
  ConfigFileArguments out;
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    out.error = "--config: cannot read '" + path + "': " + e.what();
    return out;
  }
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!item.parents.empty()) {
      out.error = "--config '" + path + "': sections are not supported (key '" + item.fullname() +
                  "')";
      return out;
    }
    const std::string flag = "--" + item.name;
    if (std::find(known_flags.begin(), known_flags.end(), flag) == known_flags.end() ||
        flag == "--config") {
      out.error = "--config '" + path + "': unknown setting '" + item.name + "'";
      return out;
    }
    if (Given(given, flag)) continue;                           // the command line wins
    if (std::getenv(EnvNameFor(flag).c_str()) != nullptr) continue;  // then the environment
    for (const std::string& input : item.inputs) out.arguments.push_back(flag + "=" + input);
  }
  return out;
}

}  // namespace picket::agent
