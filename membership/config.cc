#include "membership/config.h"

#include <string>

#include "membership/config_fields.h"

// Every default and range comes from the descriptor table (config_fields.cc).

namespace picket::membership {
namespace {

// Sets every field of `c` to its default in `profile`: the values of the
// table first, then the defaults that follow another field.
void ApplyDefaults(Profile profile, Config& c) {
  const auto index = static_cast<std::size_t>(profile);
  for (const FieldDescriptor& f : ConfigFields()) {
    if (f.default_from.empty()) f.Set(c, f.defaults[index]);
  }
  for (const FieldDescriptor& f : ConfigFields()) {
    if (!f.default_from.empty()) f.Set(c, FindField(f.default_from)->Get(c));
  }
}

}  // namespace

std::string ConfigError::Message() const { return std::string(field->name) + " " + reason; }

Config::Config() { ApplyDefaults(Profile::kLan, *this); }

Config Config::ForProfile(Profile profile) {
  Config c;
  if (profile != Profile::kLan) ApplyDefaults(profile, c);
  return c;
}

std::optional<ConfigError> Config::Validate() const {
  for (const FieldDescriptor& f : ConfigFields()) {
    if (auto error = f.Check(*this)) return error;
  }
  return std::nullopt;
}

}  // namespace picket::membership
