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

std::string ApplyConfigFileAsEnvironment(const std::string& path,
                                         const std::vector<std::string>& known_flags) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    return "--config: cannot read '" + path + "': " + e.what();
  }
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!item.parents.empty()) {
      return "--config '" + path + "': sections are not supported (key '" + item.fullname() + "')";
    }
    const std::string flag = "--" + item.name;
    if (std::find(known_flags.begin(), known_flags.end(), flag) == known_flags.end() ||
        flag == "--config") {
      return "--config '" + path + "': unknown setting '" + item.name + "'";
    }
    const std::string env = EnvNameFor(flag);
    if (std::getenv(env.c_str()) != nullptr) continue;  // the environment wins
    std::string value;
    for (const std::string& input : item.inputs) {
      if (!value.empty()) value += ',';
      value += input;
    }
    setenv(env.c_str(), value.c_str(), 0);
  }
  return "";
}

}  // namespace picket::agent
