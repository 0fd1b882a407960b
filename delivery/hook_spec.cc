#include "delivery/hook_spec.h"

#include <algorithm>
#include <set>

#include "api/names.h"
#include "membership/types.h"

namespace picket::delivery {
namespace {

bool IsKnownEventType(std::string_view type) {
  if (type == api::kResyncEventName) return true;
  for (int i = 0; i < membership::kEventTypeCount; ++i) {
    if (membership::ToString(static_cast<membership::EventType>(i)) == type) return true;
  }
  return false;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// The base name of the command's first word, in label-safe characters.
std::string BaseName(std::string_view command) {
  command = Trim(command);
  const auto end = command.find_first_of(" \t");
  std::string_view word = command.substr(0, end);
  if (const auto slash = word.find_last_of('/'); slash != std::string_view::npos) {
    word.remove_prefix(slash + 1);
  }
  std::string name;
  for (const char c : word) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
    name.push_back(safe ? c : '_');
  }
  if (name.size() > 64) name.resize(64);
  return name.empty() ? std::string("hook") : name;
}

}  // namespace

bool HookSpec::Matches(std::string_view event_type) const {
  return all_events || std::find(events.begin(), events.end(), event_type) != events.end();
}

std::variant<HookSpec, std::string> ParseHookSpec(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return std::string("expected EVENTS=COMMAND, e.g. 'member.failed,member.left=/path/to/script'");
  }
  HookSpec spec;
  spec.command = std::string(Trim(text.substr(eq + 1)));
  if (spec.command.empty()) return std::string("the command after '=' is empty");
  std::string_view events = text.substr(0, eq);
  while (true) {
    const auto comma = events.find(',');
    const std::string_view type = Trim(events.substr(0, comma));
    if (type == "*") {
      spec.all_events = true;
    } else if (type.empty()) {
      return std::string("empty event type in the list before '='");
    } else if (!IsKnownEventType(type)) {
      return "unknown event type '" + std::string(type) +
             "' (member.joined, member.suspect, member.alive, member.failed, member.left, "
             "member.updated, cluster.quorum_lost, cluster.quorum_regained, picket.resync or *)";
    } else if (std::find(spec.events.begin(), spec.events.end(), type) == spec.events.end()) {
      spec.events.emplace_back(type);
    }
    if (comma == std::string_view::npos) break;
    events.remove_prefix(comma + 1);
  }
  if (spec.all_events) spec.events.clear();
  return spec;
}

void NameHooks(std::vector<HookSpec>& hooks) {
  std::set<std::string> taken;
  for (HookSpec& hook : hooks) {
    const std::string base = BaseName(hook.command);
    std::string name = base;
    for (int n = 2; taken.count(name) != 0; ++n) name = base + "-" + std::to_string(n);
    taken.insert(name);
    hook.name = std::move(name);
  }
}

}  // namespace picket::delivery
