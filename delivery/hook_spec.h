#pragma once

// The `--hook 'EVENTS=COMMAND'` setting of command hooks: which event types
// run which shell command. Parsing and matching only; running is
// delivery/command_hooks.h.
//
//   member.failed,member.left=/usr/local/bin/promote.sh
//   *=logger -t picket "$PICKET_EVENT $PICKET_MEMBER"
//
// EVENTS is a comma list of event type names (membership/types.h, plus
// "picket.resync") or "*" for every type; COMMAND is everything after the
// first '=' and runs under /bin/sh -c.
//
// Thread safety: pure functions and plain values.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace picket::delivery {

struct HookSpec {
  // Short identifier for logs and the metrics label `hook`: the base name of
  // the command's first word, reduced to [A-Za-z0-9_.-], made unique among
  // the configured hooks by a "-2", "-3", ... suffix (see NameHooks).
  std::string name;
  bool all_events = false;          // "*"
  std::vector<std::string> events;  // the listed type names when !all_events
  std::string command;

  bool Matches(std::string_view event_type) const;
};

// Parses one `EVENTS=COMMAND` value; on failure returns a message naming
// what is wrong (unknown event type, missing '=', empty command). The name is
// left empty: NameHooks assigns it once all hooks are known.
std::variant<HookSpec, std::string> ParseHookSpec(std::string_view text);

// Gives every hook its unique name (see HookSpec::name), in order.
void NameHooks(std::vector<HookSpec>& hooks);

}  // namespace picket::delivery
