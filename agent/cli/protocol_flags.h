#pragma once

// Every membership::Config setting as a command-line flag, shared by
// `picket agent` and `picket sim` so both accept the same names:
// --profile lan|frugal|wan|local picks the preset, then each given flag
// overrides one field. The flags, their help, defaults and valid ranges come
// from the descriptor table (membership/config_fields.h); this is only the
// CLI11 glue. Durations take units ("500ms", "2s").

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "membership/config.h"
#include "membership/config_fields.h"

namespace picket::cli {

class ProtocolFlags {
 public:
  // Adds the flags to `cmd`, in an option group "Protocol". With `with_env`,
  // each flag also reads PICKET_<FLAG> from the environment.
  // REQUIRES: this object outlives the parse of `cmd`.
  void Register(CLI::App* cmd, bool with_env);

  // The preset chosen by --profile with every given flag applied, validated.
  // Throws CLI::ValidationError naming the flag of the invalid field (or of
  // the given flag its range depends on) when the result is invalid.
  [[nodiscard]] membership::Config Build() const;

 private:
  std::string profile_ = "lan";
  bool with_env_ = false;
  // The given flags and their values.
  std::vector<membership::GivenValue> overrides_;
};

}  // namespace picket::cli
