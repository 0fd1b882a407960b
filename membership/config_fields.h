#pragma once

// The descriptor table of membership::Config: one row per setting with its
// name, flag, unit, default in each profile, valid range and meaning
// (config_fields.cc). Everything else that knows a setting reads it here:
//   - Config::ForProfile() (and Config(), Lan(), ...): the defaults;
//   - Config::Validate(): the ranges; its ConfigError points at the row;
//   - agent/cli/protocol_flags.cc: the flags of `picket agent` and
//     `picket sim`, and so PICKET_<FLAG> and the config-file keys, which
//     follow from the flag name;
//   - CommandLineFlags(): the flags that rebuild a Config, which the
//     simulator's report prints in its `command` line.
// Sans I/O: values are formatted here, but parsing text is the CLI's job.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "membership/config.h"

namespace picket::membership {

// A setting's value; the alternative follows the field's kind.
using FieldValue = std::variant<bool, std::int64_t, double, Duration, std::string>;

enum class FieldKind {
  kText,      // std::string; the range bounds its length in bytes
  kBool,      // bool
  kInt,       // std::int64_t, of an int field
  kCount,     // std::int64_t, of a std::size_t field
  kReal,      // double
  kDuration,  // Duration; numeric bounds are nanoseconds
  kChoice,    // std::string, one of the field's choices
};

// One end of a valid range: a number, or the value of another field.
struct Bound {
  double value = 0;
  bool inclusive = true;
  // Non-empty: the bound is this field's value (of the same kind), not `value`.
  std::string_view field{};
};

struct FieldDescriptor {
  // The Config member: "probe_timeout"; detector settings "phi.threshold".
  std::string_view name{};
  // The long flag of `picket agent` and `picket sim`: "--probe-timeout".
  std::string_view flag{};
  FieldKind kind = FieldKind::kInt;
  // What a number counts ("members", "bytes", ...); empty for durations
  // (their values carry a unit), text, switches and choices.
  std::string_view unit{};
  // Meaning or formula, one line: the flag's --help.
  std::string_view doc{};
  // The default in each profile, indexed by Profile. Unused if default_from is set.
  std::array<FieldValue, kProfileCount> defaults{};
  // Non-empty: in every profile the default is that field's default (the
  // one place where such a relation is written).
  std::string_view default_from{};
  std::optional<Bound> low{};
  std::optional<Bound> high{};
  // kChoice: the accepted values.
  std::span<const std::string_view> choices{};
  // A rule bounds cannot state: the reason `config` breaks it, or nullptr.
  const char* (*rule)(const Config& config) = nullptr;
  FieldValue (*get)(const Config& config) = nullptr;
  void (*set)(Config& config, const FieldValue& value) = nullptr;

  [[nodiscard]] FieldValue Get(const Config& config) const { return get(config); }
  // REQUIRES: `value` holds the alternative of this field's kind.
  void Set(Config& config, const FieldValue& value) const { set(config, value); }
  // Whether the field is valid in `config`; the error names this row.
  [[nodiscard]] std::optional<ConfigError> Check(const Config& config) const;
  // "must be > 0 and < probe_interval", "must be 0..16": the valid range in words.
  [[nodiscard]] std::string RangeText() const;
};

struct ProfileInfo {
  Profile profile;
  std::string_view name{};  // as --profile takes it: "lan"
  std::string_view doc{};
};

// Every profile, in Profile order (lan first: the default).
[[nodiscard]] std::span<const ProfileInfo> Profiles();
[[nodiscard]] const ProfileInfo& InfoOf(Profile profile);
// nullptr if no profile has this name.
[[nodiscard]] const ProfileInfo* FindProfile(std::string_view name);

// Every Config field, in the order Validate() checks them and --help lists them.
[[nodiscard]] std::span<const FieldDescriptor> ConfigFields();
// By name ("probe_timeout") or by flag ("--probe-timeout"); nullptr if none.
[[nodiscard]] const FieldDescriptor* FindField(std::string_view name);
[[nodiscard]] const FieldDescriptor* FindFlag(std::string_view flag);

// A value as its flag takes it: "500ms", "2s", "8", "0.1", "true", "normal".
[[nodiscard]] std::string FormatValue(const FieldValue& value);

// One setting given by the user (a flag, an environment variable, a config
// file key), in the order given.
struct GivenValue {
  const FieldDescriptor* field = nullptr;
  FieldValue value;
};
// `profile`'s defaults with `given` applied. A field whose default follows
// another (default_from) follows the value given for that other field,
// unless it was given itself: --heartbeat-interval 1s moves the detector's
// first estimate to 1s too. Not validated (see Config::Validate).
[[nodiscard]] Config BuildConfig(Profile profile, const std::vector<GivenValue>& given);

// The protocol flags that rebuild `config` from its closest profile: the
// profile (" --profile wan"; none for lan) and then every field that differs
// from that profile's default, e.g. " --profile wan --observers 3". Values
// that a shell would split are single-quoted.
[[nodiscard]] std::string CommandLineFlags(const Config& config);

}  // namespace picket::membership
