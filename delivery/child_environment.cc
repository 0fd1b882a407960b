#include "delivery/child_environment.h"

#include <cstdlib>

namespace picket::delivery {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// The name of a "NAME=value" entry (all of it without '=').
std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Replaces the entry named like `entry` in `env`, or appends it.
void Set(std::vector<std::string>& env, std::string entry) {
  const std::string_view name = NameOf(entry);
  for (std::string& existing : env) {
    if (NameOf(existing) == name) {
      existing = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

}  // namespace

Status ValidatePassThroughName(std::string_view name) {
  if (name.empty()) return Fail("empty variable name");
  if (!IsNameStart(name.front())) {
    return Fail("not a variable name (must start with a letter or '_')");
  }
  for (const char c : name) {
    if (!IsNameChar(c)) return Fail("not a variable name (letters, digits and '_' only)");
  }
  if (name.starts_with("PICKET_")) {
    return Fail("PICKET_* variables are the agent's own settings and are never passed on");
  }
  return {};
}

ChildEnvironment::ChildEnvironment(const std::vector<std::string>& pass_through) {
  const char* path = std::getenv("PATH");
  base_.push_back("PATH=" +
                  std::string(path != nullptr ? std::string_view(path) : kDefaultChildPath));
  for (const std::string& name : pass_through) {
    if (!ValidatePassThroughName(name) || name == "PATH") continue;
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) continue;
    Set(base_, name + "=" + value);
  }
}

std::vector<std::string> ChildEnvironment::Build(const std::vector<std::string>& extra) const {
  std::vector<std::string> env = base_;
  env.reserve(base_.size() + extra.size());
  for (const std::string& entry : extra) Set(env, entry);
  return env;
}

}  // namespace picket::delivery
