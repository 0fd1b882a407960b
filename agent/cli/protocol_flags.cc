#include "agent/cli/protocol_flags.h"

#include <algorithm>

#include "agent/config_file.h"
#include "agent/duration_flag.h"

namespace picket::cli {

using membership::Config;
using membership::FieldDescriptor;
using membership::FieldKind;
using membership::FieldValue;

namespace {

// A default as --help shows it: durations in their shortest form ("1h").
std::string DefaultText(const FieldValue& value) {
  if (const auto* d = std::get_if<membership::Duration>(&value)) return agent::FormatDuration(*d);
  return membership::FormatValue(value);
}

// The field's meaning, unit, and where its defaults differ from lan's.
std::string HelpOf(const FieldDescriptor& field) {
  std::string help(field.doc);
  if (!field.unit.empty()) help += " [" + std::string(field.unit) + "]";
  if (!field.default_from.empty()) {
    return help + "; default: the value of " +
           std::string(membership::FindField(field.default_from)->flag);
  }
  std::string others;
  for (const membership::ProfileInfo& p : membership::Profiles()) {
    const FieldValue& value = field.defaults[static_cast<std::size_t>(p.profile)];
    if (value == field.defaults[static_cast<std::size_t>(membership::Profile::kLan)]) continue;
    others += (others.empty() ? "" : ", ") + std::string(p.name) + " " + DefaultText(value);
  }
  return others.empty() ? help : help + "; " + others;
}

}  // namespace

void ProtocolFlags::Register(CLI::App* cmd, bool with_env) {
  with_env_ = with_env;
  const Config lan = Config::Lan();
  const std::string group = "Protocol (defaults of --profile lan)";
  auto finish = [&](CLI::Option* opt, std::string_view flag) {
    if (with_env) opt->envname(agent::EnvNameFor(std::string(flag)));
    opt->group(group);
  };

  std::vector<std::string> profile_names;
  std::string profile_help = "Preset the protocol settings start from.";
  for (const membership::ProfileInfo& p : membership::Profiles()) {
    profile_names.emplace_back(p.name);
    profile_help +=
        (profile_names.size() == 1 ? " " : "; ") + std::string(p.name) + ": " + std::string(p.doc);
  }
  finish(cmd->add_option("--profile", profile_, profile_help)
             ->check(CLI::IsMember(profile_names))
             ->capture_default_str(),
         "--profile");

  for (const FieldDescriptor& field : membership::ConfigFields()) {
    const FieldDescriptor* f = &field;
    const std::string flag(field.flag);
    // How an error names the flag: the variable too, since the value may come from it.
    const std::string named = with_env ? flag + " (or " + agent::EnvNameFor(flag) + ")" : flag;
    auto keep = [this, f](FieldValue value) {
      overrides_.push_back(membership::GivenValue{f, std::move(value)});
    };
    CLI::Option* opt = nullptr;
    switch (field.kind) {
      case FieldKind::kDuration:
        opt = cmd->add_option_function<std::string>(
            flag,
            [keep, named](const std::string& text) {
              const auto value = agent::ParseDuration(text);
              if (!value) throw CLI::ValidationError(named, value.error());
              keep(std::chrono::duration_cast<membership::Duration>(*value));
            },
            HelpOf(field));
        break;
      case FieldKind::kInt:
        opt = cmd->add_option_function<int>(
            flag, [keep](const int& v) { keep(std::int64_t{v}); }, HelpOf(field));
        break;
      case FieldKind::kCount:
        opt = cmd->add_option_function<std::size_t>(
            flag, [keep](const std::size_t& v) { keep(static_cast<std::int64_t>(v)); },
            HelpOf(field));
        break;
      case FieldKind::kReal:
        opt = cmd->add_option_function<double>(
            flag, [keep](const double& v) { keep(v); }, HelpOf(field));
        break;
      case FieldKind::kBool:
        opt = cmd->add_option_function<bool>(
            flag, [keep](const bool& v) { keep(v); }, HelpOf(field));
        break;
      case FieldKind::kText:
      case FieldKind::kChoice:
        opt = cmd->add_option_function<std::string>(
            flag, [keep](const std::string& v) { keep(v); }, HelpOf(field));
        if (field.kind == FieldKind::kChoice) {
          opt->check(
              CLI::IsMember(std::vector<std::string>(field.choices.begin(), field.choices.end())));
        }
        break;
    }
    opt->default_str(DefaultText(field.Get(lan)));
    finish(opt, field.flag);
  }
}

Config ProtocolFlags::Build() const {
  const membership::ProfileInfo* profile = membership::FindProfile(profile_);
  const Config config = membership::BuildConfig(
      profile != nullptr ? profile->profile : membership::Profile::kLan, overrides_);
  if (const auto error = config.Validate()) {
    // A field the user left alone is invalid because of one they gave (a
    // --probe-interval below the default --probe-timeout): name the given one.
    const FieldDescriptor* culprit = error->field;
    auto given = [this](const FieldDescriptor* f) {
      return std::any_of(overrides_.begin(), overrides_.end(),
                         [f](const membership::GivenValue& g) { return g.field == f; });
    };
    if (!given(culprit) && error->bound_by != nullptr && given(error->bound_by))
      culprit = error->bound_by;
    const std::string flag(culprit->flag);
    throw CLI::ValidationError(with_env_ ? flag + " (or " + agent::EnvNameFor(flag) + ")" : flag,
                               error->Message());
  }
  return config;
}

}  // namespace picket::cli
