#pragma once

// Every membership::Config setting as a command-line flag, shared by
// `picket agent` and `picket sim` so both accept the same names:
// --profile lan|frugal|wan picks the preset, then each given flag overrides
// one field. Durations take units ("500ms", "2s").

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "membership/config.h"

namespace picket::cli {

class ProtocolFlags {
 public:
  // Adds the flags to `cmd`, in an option group "Protocol". With `with_env`,
  // each flag also reads PICKET_<FLAG> from the environment.
  // REQUIRES: this object outlives the parse of `cmd`.
  void Register(CLI::App* cmd, bool with_env);

  // The preset chosen by --profile with every given flag applied, validated.
  // Throws CLI::ValidationError naming the flag when the result is invalid.
  [[nodiscard]] membership::Config Build() const;

 private:
  std::string profile_ = "lan";
  std::vector<std::function<void(membership::Config&)>> overrides_;
};

}  // namespace picket::cli
