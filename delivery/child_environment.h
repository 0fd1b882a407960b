#pragma once

// The whole environment of a process the agent starts (command hooks,
// delivery/command_hooks.h; exec health checks): never the agent's own, which
// holds its secrets (PICKET_WEBHOOK_SECRET, PICKET_KEYRING_KEYS, the
// `--config` file's settings, which the agent applies with setenv, ...).
// A child gets exactly
//
//   1. PATH: the agent's PATH, or kDefaultChildPath when the agent has none;
//   2. each variable the operator listed (`picket agent --exec-env NAME`),
//      with its value in the agent's environment when the ChildEnvironment
//      was constructed, in the order listed; a listed name that is unset is
//      skipped;
//   3. the caller's extra fields ("NAME=value", e.g. a hook's PICKET_EVENT,
//      PICKET_MEMBER, ...), which replace a same-named entry of 1 or 2.
//
//   delivery::ChildEnvironment env(services.exec_env);   // reads the environment once
//   ChildProcessOptions child;
//   child.env = env.Build({"PICKET_EVENT=member.failed", ...});
//
// Names are validated by the agent with ValidatePassThroughName before start-up;
// the constructor skips a name it refuses (a PICKET_* name is the agent's own
// setting and never passed through, whoever built the list).
//
// Thread safety: the constructor reads the process environment (getenv):
// construct it at start-up, before threads that may call setenv. Build is
// const and may be called from any number of threads at once.

#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace picket::delivery {

// The PATH a child gets when the agent has none.
inline constexpr std::string_view kDefaultChildPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Whether `name` can be a pass-through variable, and why not: it must match
// [A-Za-z_][A-Za-z0-9_]* and must not start with "PICKET_" (the agent's own
// settings and the fields it sets itself).
[[nodiscard]] Status ValidatePassThroughName(std::string_view name);

class ChildEnvironment {
 public:
  // Reads PATH and each of `pass_through` (variable names) from the process
  // environment, once, here. Names refused by ValidatePassThroughName, and
  // repeats, are skipped.
  explicit ChildEnvironment(const std::vector<std::string>& pass_through = {});

  // A child's whole environment, "NAME=value" each, no name twice: PATH, the
  // pass-through variables, then `extra` ("NAME=value" each); an extra entry
  // replaces an earlier entry of the same name (a later extra one too).
  std::vector<std::string> Build(const std::vector<std::string>& extra = {}) const;

 private:
  std::vector<std::string> base_;  // PATH and the pass-through variables that are set
};

}  // namespace picket::delivery
