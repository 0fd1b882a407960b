#include "membership/config_fields.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <string>

namespace picket::membership {
namespace {

// The alternative of FieldValue that a field of `kind` holds.
bool HoldsKind(FieldKind kind, const FieldValue& v) {
  switch (kind) {
    case FieldKind::kText:
    case FieldKind::kChoice:
      return std::holds_alternative<std::string>(v);
    case FieldKind::kBool:
      return std::holds_alternative<bool>(v);
    case FieldKind::kInt:
    case FieldKind::kCount:
      return std::holds_alternative<std::int64_t>(v);
    case FieldKind::kReal:
      return std::holds_alternative<double>(v);
    case FieldKind::kDuration:
      return std::holds_alternative<Duration>(v);
  }
  return false;
}

// A value of `field`'s kind whose magnitude (length of a text) is `x`.
FieldValue ValueOf(const FieldDescriptor& field, double x) {
  switch (field.kind) {
    case FieldKind::kText:
      return std::string(static_cast<std::size_t>(std::max(0.0, x)), 'x');
    case FieldKind::kInt:
    case FieldKind::kCount:
      return static_cast<std::int64_t>(x);
    case FieldKind::kDuration:
      return Duration(static_cast<Duration::rep>(x));
    default:
      return x;
  }
}

double Magnitude(const FieldValue& v) {
  if (const auto* d = std::get_if<Duration>(&v)) return static_cast<double>(d->count());
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

// Values just outside each end of `field`'s range, in a lan Config.
std::vector<FieldValue> OutOfRange(const FieldDescriptor& field, const Config& c) {
  std::vector<FieldValue> out;
  const double step = field.kind == FieldKind::kReal ? 0.01 : 1;
  if (field.low) {
    const double low = field.low->field.empty() ? field.low->value
                                                : Magnitude(FindField(field.low->field)->Get(c));
    out.push_back(ValueOf(field, field.low->inclusive ? low - step : low));
  }
  if (field.high) {
    const double high = field.high->field.empty() ? field.high->value
                                                  : Magnitude(FindField(field.high->field)->Get(c));
    out.push_back(ValueOf(field, field.high->inclusive ? high + step : high));
  }
  return out;
}

}  // namespace

TEST_CASE("config fields: one row per Config field, names and flags unique", "[config]") {
  // 36 fields: as many as config_defaults_test.cc pins. A new Config field
  // needs a row here and a line there.
  CHECK(ConfigFields().size() == 36);
  std::set<std::string_view> names;
  std::set<std::string_view> flags;
  for (const FieldDescriptor& f : ConfigFields()) {
    INFO(f.name);
    CHECK(names.insert(f.name).second);
    CHECK(flags.insert(f.flag).second);
    CHECK(f.flag != "--profile");
    // A long flag, lower case and dashes: PICKET_<FLAG> and the config-file
    // key follow from it.
    REQUIRE(f.flag.size() > 2);
    CHECK(f.flag.substr(0, 2) == "--");
    for (const char ch : f.flag.substr(2)) CHECK(((ch >= 'a' && ch <= 'z') || ch == '-'));
    CHECK_FALSE(f.doc.empty());
    CHECK(f.get != nullptr);
    CHECK(f.set != nullptr);
    CHECK(FindField(f.name) == &f);
    CHECK(FindFlag(f.flag) == &f);
    CHECK((f.kind == FieldKind::kChoice) == !f.choices.empty());
    if (!f.default_from.empty()) {
      const FieldDescriptor* from = FindField(f.default_from);
      REQUIRE(from != nullptr);
      CHECK(from->kind == f.kind);
      CHECK(from->default_from.empty());
    }
    for (const auto& bound : {f.low, f.high}) {
      if (bound && !bound->field.empty()) {
        const FieldDescriptor* other = FindField(bound->field);
        REQUIRE(other != nullptr);
        CHECK(other->kind == f.kind);
        // Checked before this field, so an error names the field whose value is out of range.
        CHECK(other < &f);
      }
    }
  }
  CHECK(FindField("no_such_field") == nullptr);
  CHECK(FindFlag("--no-such-flag") == nullptr);
}

TEST_CASE("config fields: values and defaults have the kind of their field", "[config]") {
  for (const FieldDescriptor& f : ConfigFields()) {
    INFO(f.name);
    if (f.default_from.empty()) {
      for (const FieldValue& d : f.defaults) CHECK(HoldsKind(f.kind, d));
    }
    for (const ProfileInfo& p : Profiles()) {
      Config c = Config::ForProfile(p.profile);
      const FieldValue v = f.Get(c);
      CHECK(HoldsKind(f.kind, v));
      f.Set(c, v);
      CHECK(f.Get(c) == v);
    }
  }
}

TEST_CASE("config fields: every profile's defaults are in range", "[config]") {
  REQUIRE(Profiles().size() == kProfileCount);
  for (const ProfileInfo& p : Profiles()) {
    INFO(p.name);
    CHECK(&InfoOf(p.profile) == &p);
    CHECK(FindProfile(p.name) == &p);
    const Config c = Config::ForProfile(p.profile);
    for (const FieldDescriptor& f : ConfigFields()) {
      INFO(f.name);
      const auto error = f.Check(c);
      CHECK_FALSE(error.has_value());
    }
    CHECK_FALSE(c.Validate().has_value());
    CHECK(c.phi.Validate().has_value());
  }
  CHECK(FindProfile("lan")->profile == Profile::kLan);
  CHECK(FindProfile("LAN") == nullptr);
}

TEST_CASE("config fields: the first heartbeat estimate follows the heartbeat interval",
          "[config]") {
  for (const ProfileInfo& p : Profiles()) {
    const Config c = Config::ForProfile(p.profile);
    CHECK(c.phi.first_heartbeat_estimate == c.heartbeat_interval);
  }
}

TEST_CASE("config fields: Validate names the field out of range, at either end", "[config]") {
  int checked = 0;
  for (const FieldDescriptor& f : ConfigFields()) {
    const Config lan;
    for (const FieldValue& bad : OutOfRange(f, lan)) {
      Config c = lan;
      f.Set(c, bad);
      INFO(f.name << " = " << FormatValue(bad));
      const auto error = c.Validate();
      REQUIRE(error.has_value());
      CHECK(error->field == &f);
      CHECK(error->Message().rfind(std::string(f.name) + " must be ", 0) == 0);
      if (f.kind != FieldKind::kText) {  // a text is quoted: (got '')
        CHECK(error->reason.find("(got " + FormatValue(bad) + ")") != std::string::npos);
      }
      const bool by_field = (f.low && !f.low->field.empty()) || (f.high && !f.high->field.empty());
      if (!by_field) CHECK(error->bound_by == nullptr);
      ++checked;
      // The detector itself agrees about its own settings.
      if (f.name.substr(0, 4) == "phi.") CHECK_FALSE(c.phi.Validate().has_value());
    }
  }
  CHECK(checked > 40);
}

TEST_CASE("config fields: errors say which range and which other field", "[config]") {
  Config c;
  c.probe_timeout = 2s;
  auto error = c.Validate();
  REQUIRE(error.has_value());
  CHECK(error->field == FindField("probe_timeout"));
  CHECK(error->bound_by == FindField("probe_interval"));
  CHECK(error->Message() == "probe_timeout must be > 0 and < probe_interval (got 2s)");

  c = Config{};
  c.phi_probe_timeout = 1500ms;
  error = c.Validate();
  REQUIRE(error.has_value());
  CHECK(error->Message() == "phi_probe_timeout must be > 0 and <= probe_interval (got 1500ms)");

  c = Config{};
  c.observers = 17;
  CHECK(c.Validate()->Message() == "observers must be 1..16 (got 17)");
  c = Config{};
  c.cluster_name = "";
  CHECK(c.Validate()->Message() == "cluster_name must be 1..64 bytes long (got '')");
  c = Config{};
  c.phi.threshold = std::numeric_limits<double>::infinity();
  CHECK(c.Validate()->Message() == "phi.threshold must be > 0 and finite (got inf)");
  c.phi.threshold = std::nan("");
  CHECK(c.Validate()->field == FindField("phi.threshold"));
  c = Config{};
  c.join_retry_max = 10ms;
  CHECK(c.Validate()->Message() == "join_retry_max must be >= join_retry_initial (got 10ms)");
}

TEST_CASE("config fields: min std deviation may be 0 only with the exponential model", "[config]") {
  Config c;
  c.phi.min_std_deviation = 0s;
  auto error = c.Validate();
  REQUIRE(error.has_value());
  CHECK(error->field == FindField("phi.min_std_deviation"));
  CHECK_FALSE(c.phi.Validate().has_value());
  FindField("phi.distribution")->Set(c, std::string("exponential"));
  CHECK(c.phi.distribution == detector::Distribution::kExponential);
  CHECK_FALSE(c.Validate().has_value());
  CHECK(c.phi.Validate().has_value());
}

TEST_CASE("config fields: an unknown distribution is invalid", "[config]") {
  Config c;
  FindField("phi.distribution")->Set(c, std::string("cauchy"));
  const auto error = c.Validate();
  REQUIRE(error.has_value());
  CHECK(error->field == FindField("phi.distribution"));
  CHECK(error->reason.rfind("must be one of normal, logistic, exponential", 0) == 0);
}

TEST_CASE("config fields: values are formatted as their flags take them", "[config]") {
  CHECK(FormatValue(Duration(500ms)) == "500ms");
  CHECK(FormatValue(Duration(2s)) == "2s");
  CHECK(FormatValue(Duration(1h)) == "3600s");
  CHECK(FormatValue(Duration(0s)) == "0");
  CHECK(FormatValue(Duration(1500us)) == "1500us");
  CHECK(FormatValue(10.0) == "10");
  CHECK(FormatValue(0.1) == "0.1");
  CHECK(FormatValue(std::int64_t{4096}) == "4096");
  CHECK(FormatValue(true) == "true");
  CHECK(FormatValue(std::string("normal")) == "normal");
}

TEST_CASE("config fields: the command line names the closest profile and the differences",
          "[config]") {
  CHECK(CommandLineFlags(Config::Lan()).empty());
  CHECK(CommandLineFlags(Config::Frugal()) == " --profile frugal");
  CHECK(CommandLineFlags(Config::Wan()) == " --profile wan");
  CHECK(CommandLineFlags(Config::Local()) == " --profile local");

  Config c = Config::Wan();
  c.observers = 3;
  c.phi.learn_suspected_intervals = false;
  c.cluster_name = "it's mine";
  CHECK(CommandLineFlags(c) ==
        " --profile wan --cluster 'it'\\''s mine' --observers 3 --phi-learn-suspected false");

  c = Config::Lan();
  c.probe_interval = 2s;  // one step towards frugal, still closest to lan
  CHECK(CommandLineFlags(c) == " --probe-interval 2s");
}

TEST_CASE("config fields: every field appears on the command line when it differs", "[config]") {
  for (const FieldDescriptor& f : ConfigFields()) {
    INFO(f.name);
    Config c;
    FieldValue other;
    switch (f.kind) {
      case FieldKind::kText:
        other = std::string("other");
        break;
      case FieldKind::kBool:
        other = !std::get<bool>(f.Get(c));
        break;
      case FieldKind::kChoice:
        other =
            std::string(f.choices.front() == std::get<std::string>(f.Get(c)) ? f.choices.back()
                                                                             : f.choices.front());
        break;
      default:
        other = ValueOf(f, Magnitude(f.Get(c)) + 1);
    }
    f.Set(c, other);
    const std::string flags = CommandLineFlags(c);
    const std::string own = " " + std::string(f.flag) + " " + FormatValue(other);
    if (f.name == "heartbeat_interval") {
      // The first estimate kept its value, no longer the interval's: named too.
      CHECK(flags == own + " --phi-first-heartbeat 500ms");
    } else {
      CHECK(flags == own);
    }
  }
}

TEST_CASE("config fields: a derived default follows the value given for its source", "[config]") {
  const FieldDescriptor* interval = FindFlag("--heartbeat-interval");
  const FieldDescriptor* estimate = FindFlag("--phi-first-heartbeat");
  REQUIRE(estimate->default_from == interval->name);

  Config c = BuildConfig(Profile::kLan, {{interval, Duration(1s)}});
  CHECK(c.heartbeat_interval == 1s);
  CHECK(c.phi.first_heartbeat_estimate == 1s);
  CHECK(CommandLineFlags(c) == " --heartbeat-interval 1s");

  // Given itself, it keeps its own value, in either order.
  c = BuildConfig(Profile::kWan, {{estimate, Duration(300ms)}, {interval, Duration(1s)}});
  CHECK(c.heartbeat_interval == 1s);
  CHECK(c.phi.first_heartbeat_estimate == 300ms);
  CHECK(CommandLineFlags(c) ==
        " --profile wan --heartbeat-interval 1s --phi-first-heartbeat 300ms");

  // Nothing given: the profile as it is.
  CHECK(CommandLineFlags(BuildConfig(Profile::kFrugal, {})) == " --profile frugal");
}

}  // namespace picket::membership
