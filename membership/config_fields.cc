#include "membership/config_fields.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <type_traits>
#include <vector>

#include "detector/phi_math.h"
#include "membership/tuning.h"

namespace picket::membership {
namespace {

// --- Building rows ---

constexpr detector::Distribution kDistributions[] = {
    detector::Distribution::kNormal, detector::Distribution::kLogistic,
    detector::Distribution::kExponential, detector::Distribution::kEmpirical};

template <typename T>
FieldValue ToValue(const T& v) {
  if constexpr (std::is_same_v<T, detector::Distribution>) {
    return std::string(detector::DistributionName(v));
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double> ||
                       std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_convertible_v<T, Duration>) {
    return Duration(v);
  } else {
    return std::string(v);  // a string literal
  }
}

template <typename T>
void FromValue(const FieldValue& v, T& out) {
  if constexpr (std::is_same_v<T, detector::Distribution>) {
    // An unknown name leaves a value no name has, which Validate() rejects.
    out = static_cast<detector::Distribution>(-1);
    for (const detector::Distribution d : kDistributions) {
      if (detector::DistributionName(d) == std::get<std::string>(v)) out = d;
    }
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double> ||
                       std::is_same_v<T, Duration> || std::is_same_v<T, std::string>) {
    out = std::get<T>(v);
  } else {
    out = static_cast<T>(std::get<std::int64_t>(v));
  }
}

// Accessors of a Config member and of a member of Config::phi.
template <auto kMember>
FieldValue GetTop(const Config& c) {
  return ToValue(c.*kMember);
}
template <auto kMember>
void SetTop(Config& c, const FieldValue& v) {
  FromValue(v, c.*kMember);
}
template <auto kMember>
FieldValue GetPhi(const Config& c) {
  return ToValue(c.phi.*kMember);
}
template <auto kMember>
void SetPhi(Config& c, const FieldValue& v) {
  FromValue(v, c.phi.*kMember);
}

// Defaults in Profile order: lan, frugal, wan, local.
template <typename Lan, typename Frugal, typename Wan, typename Local>
std::array<FieldValue, kProfileCount> Per(Lan lan, Frugal frugal, Wan wan, Local local) {
  return {ToValue(lan), ToValue(frugal), ToValue(wan), ToValue(local)};
}
template <typename T>
std::array<FieldValue, kProfileCount> All(T v) {
  return Per(v, v, v, v);
}

constexpr Bound Above(double v) { return {v, false, {}}; }
constexpr Bound AtLeast(double v) { return {v, true, {}}; }
constexpr Bound AtMost(double v) { return {v, true, {}}; }
constexpr Bound Finite() { return {std::numeric_limits<double>::infinity(), false, {}}; }
constexpr Bound Below(std::string_view field) { return {0, false, field}; }
constexpr Bound AtMostField(std::string_view field) { return {0, true, field}; }
constexpr Bound AtLeastField(std::string_view field) { return {0, true, field}; }

const char* MinStdDeviationRule(const Config& c) {
  if (c.phi.distribution != detector::Distribution::kExponential &&
      c.phi.min_std_deviation <= Duration::zero()) {
    return "must be > 0 unless phi.distribution is exponential";
  }
  return nullptr;
}

// What each profile is for; its values are the table's columns.
constexpr ProfileInfo kProfiles[] = {
    {Profile::kLan, "lan", "LAN timing (the default)"},
    {Profile::kFrugal, "frugal",
     "about Serf's bandwidth, with slower heartbeats to fewer observers"},
    {Profile::kWan, "wan",
     "high-latency links, with slower probes and heartbeats and longer suspicion"},
    {Profile::kLocal, "local", "fast timers for agents on one machine, for tests and demos"},
};

// The table. Each row: the field, its flag, unit and meaning, its default in
// lan, frugal, wan and local (Per) or in all of them (All), its valid range.
// Config's field comments (config.h) say why each setting exists.
const std::vector<FieldDescriptor>& Table() {
  using detector::PhiConfig;
  static const auto kDistributionNames = [] {
    std::array<std::string_view, std::size(kDistributions)> names;
    for (std::size_t i = 0; i < names.size(); ++i) {
      names[i] = detector::DistributionName(kDistributions[i]);
    }
    return names;
  }();
  static const std::vector<FieldDescriptor> kTable = {
      {.name = "cluster_name",
       .flag = "--cluster",
       .kind = FieldKind::kText,
       .doc = "Cluster name; packets of other clusters are dropped",
       .defaults = All("default"),
       .low = AtLeast(1),
       .high = AtMost(static_cast<double>(tuning::kMaxClusterNameBytes)),
       .get = GetTop<&Config::cluster_name>,
       .set = SetTop<&Config::cluster_name>},
      // --- SWIM probing ---
      {.name = "probe_interval",
       .flag = "--probe-interval",
       .kind = FieldKind::kDuration,
       .doc = "SWIM probe period",
       .defaults = Per(1s, 2s, 5s, 200ms),
       .low = Above(0),
       .get = GetTop<&Config::probe_interval>,
       .set = SetTop<&Config::probe_interval>},
      {.name = "probe_timeout",
       .flag = "--probe-timeout",
       .kind = FieldKind::kDuration,
       .doc = "Wait for a direct ack before indirect probes",
       .defaults = Per(500ms, 500ms, 3s, 100ms),
       .low = Above(0),
       .high = Below("probe_interval"),
       .get = GetTop<&Config::probe_timeout>,
       .set = SetTop<&Config::probe_timeout>},
      {.name = "indirect_checks",
       .flag = "--indirect-checks",
       .kind = FieldKind::kInt,
       .unit = "members",
       .doc = "Members asked to probe indirectly (k)",
       .defaults = Per(3, 2, 3, 3),
       .low = AtLeast(0),
       .high = AtMost(16),
       .get = GetTop<&Config::indirect_checks>,
       .set = SetTop<&Config::indirect_checks>},
      {.name = "stream_fallback_probe",
       .flag = "--stream-fallback-probe",
       .kind = FieldKind::kBool,
       .doc = "Probe over TCP when UDP probes fail",
       .defaults = All(true),
       .get = GetTop<&Config::stream_fallback_probe>,
       .set = SetTop<&Config::stream_fallback_probe>},
      // --- Phi Accrual heartbeats ---
      {.name = "heartbeat_interval",
       .flag = "--heartbeat-interval",
       .kind = FieldKind::kDuration,
       .doc = "Heartbeat period T to each observer",
       .defaults = Per(500ms, 1s, 2s, 100ms),
       .low = Above(0),
       .get = GetTop<&Config::heartbeat_interval>,
       .set = SetTop<&Config::heartbeat_interval>},
      {.name = "observers",
       .flag = "--observers",
       .kind = FieldKind::kInt,
       .unit = "members",
       .doc = "Observers per member (K), capped at N-1",
       .defaults = Per(4, 3, 4, 4),
       .low = AtLeast(1),
       .high = AtMost(16),
       .get = GetTop<&Config::observers>,
       .set = SetTop<&Config::observers>},
      {.name = "phi.threshold",
       .flag = "--phi-threshold",
       .kind = FieldKind::kReal,
       .unit = "phi",
       .doc = "Phi at which an observer starts suspecting",
       .defaults = Per(8.0, 8.0, 10.0, 8.0),
       .low = Above(0),
       .high = Finite(),
       .get = GetPhi<&PhiConfig::threshold>,
       .set = SetPhi<&PhiConfig::threshold>},
      {.name = "phi.window_size",
       .flag = "--phi-window",
       .kind = FieldKind::kCount,
       .unit = "samples",
       .doc = "Inter-arrival samples kept per subject",
       .defaults = Per(1000, 100, 100, 1000),  // the empirical model prices rare gaps
       .low = AtLeast(1),
       .high = AtMost(static_cast<double>(PhiConfig::kMaxWindowSize)),
       .get = GetPhi<&PhiConfig::window_size>,
       .set = SetPhi<&PhiConfig::window_size>},
      {.name = "phi.recent_window_size",
       .flag = "--phi-recent-window",
       .kind = FieldKind::kCount,
       .unit = "samples",
       .doc = "Empirical model: a short window of the latest intervals; the cutoff is the "
              "later of the two windows' (0: the long window alone)",
       .defaults = Per(20, 0, 0, 20),
       .low = AtLeast(0),
       .high = AtMostField("phi.window_size"),
       .get = GetPhi<&PhiConfig::recent_window_size>,
       .set = SetPhi<&PhiConfig::recent_window_size>},
      {.name = "phi.min_std_deviation",
       .flag = "--phi-min-stddev",
       .kind = FieldKind::kDuration,
       .doc = "Floor on the inter-arrival standard deviation",
       .defaults = Per(100ms, 200ms, 500ms, 20ms),
       .low = AtLeast(0),
       .rule = MinStdDeviationRule,
       .get = GetPhi<&PhiConfig::min_std_deviation>,
       .set = SetPhi<&PhiConfig::min_std_deviation>},
      {.name = "phi.acceptable_heartbeat_pause",
       .flag = "--phi-acceptable-pause",
       .kind = FieldKind::kDuration,
       .doc = "Pause tolerated before phi grows",
       .defaults = All(0ms),
       .low = AtLeast(0),
       .get = GetPhi<&PhiConfig::acceptable_heartbeat_pause>,
       .set = SetPhi<&PhiConfig::acceptable_heartbeat_pause>},
      {.name = "phi.first_heartbeat_estimate",
       .flag = "--phi-first-heartbeat",
       .kind = FieldKind::kDuration,
       .doc = "Interval assumed before samples exist (the first heartbeat seeds the window "
              "with it, deviation a quarter of it)",
       .default_from = "heartbeat_interval",
       .low = Above(0),
       .get = GetPhi<&PhiConfig::first_heartbeat_estimate>,
       .set = SetPhi<&PhiConfig::first_heartbeat_estimate>},
      {.name = "phi.distribution",
       .flag = "--phi-distribution",
       .kind = FieldKind::kChoice,
       .doc = "Inter-arrival model: normal, logistic (Akka), exponential (Cassandra) or "
              "empirical (the window as it is, with the cutoff that minimizes detection time "
              "plus the false-suspicion cost times its probability)",
       .defaults = Per("empirical", "normal", "normal", "empirical"),
       .choices = kDistributionNames,
       .get = GetPhi<&PhiConfig::distribution>,
       .set = SetPhi<&PhiConfig::distribution>},
      {.name = "phi.false_suspicion_cost",
       .flag = "--phi-false-suspicion-cost",
       .kind = FieldKind::kDuration,
       .doc = "Empirical model: the detection time one false suspicion is worth (the cutoff "
              "rises by t only to remove t / this of the probability of a false suspicion)",
       .defaults = Per(50s, 100s, 200s, 10s),  // 100 heartbeat intervals
       .low = Above(0),
       .get = GetPhi<&PhiConfig::false_suspicion_cost>,
       .set = SetPhi<&PhiConfig::false_suspicion_cost>},
      {.name = "phi.min_bandwidth",
       .flag = "--phi-min-bandwidth",
       .kind = FieldKind::kDuration,
       .doc = "Empirical model: floor on the kernel bandwidth (the margin above the largest "
              "intervals is a few bandwidths)",
       .defaults = All(1ms),
       .low = Above(0),
       .get = GetPhi<&PhiConfig::min_bandwidth>,
       .set = SetPhi<&PhiConfig::min_bandwidth>},
      {.name = "phi.learn_suspected_intervals",
       .flag = "--phi-learn-suspected",
       .kind = FieldKind::kBool,
       .doc = "Learn the intervals of heartbeats that came after phi crossed the threshold "
              "(false: Akka's rule)",
       .defaults = All(true),
       .get = GetPhi<&PhiConfig::learn_suspected_intervals>,
       .set = SetPhi<&PhiConfig::learn_suspected_intervals>},
      {.name = "phi_probe_timeout",
       .flag = "--phi-probe-timeout",
       .kind = FieldKind::kDuration,
       .doc = "Once phi crosses the threshold, suspect if no verification probe is answered "
              "within this (x 1 + health score)",
       .defaults = Per(600ms, 300ms, 2s, 50ms),
       .low = Above(0),
       .high = AtMostField("probe_interval"),
       .get = GetTop<&Config::phi_probe_timeout>,
       .set = SetTop<&Config::phi_probe_timeout>},
      {.name = "phi_report_threshold",
       .flag = "--phi-report-threshold",
       .kind = FieldKind::kReal,
       .unit = "phi",
       .doc = "Observers gossip phi values at or above this",
       .defaults = All(8.0),
       .low = AtLeast(0),
       .get = GetTop<&Config::phi_report_threshold>,
       .set = SetTop<&Config::phi_report_threshold>},
      // --- Suspicion (Lifeguard) ---
      {.name = "suspicion_min_multiplier",
       .flag = "--suspicion-min-mult",
       .kind = FieldKind::kReal,
       .unit = "probe intervals",
       .doc = "Minimum suspicion timeout: this * probe interval * max(1, log10(N))",
       .defaults = Per(1.0, 1.0, 2.0, 1.0),
       .low = AtLeast(0.1),
       .high = AtMost(1000),
       .get = GetTop<&Config::suspicion_min_multiplier>,
       .set = SetTop<&Config::suspicion_min_multiplier>},
      {.name = "suspicion_max_multiplier",
       .flag = "--suspicion-max-mult",
       .kind = FieldKind::kReal,
       .unit = "minimum timeouts",
       .doc = "Unconfirmed suspicion timeout, as a multiple of the minimum",
       .defaults = All(6.0),
       .low = AtLeast(1),
       .high = AtMost(1000),
       .get = GetTop<&Config::suspicion_max_multiplier>,
       .set = SetTop<&Config::suspicion_max_multiplier>},
      {.name = "suspicion_confirmations",
       .flag = "--suspicion-confirmations",
       .kind = FieldKind::kInt,
       .unit = "members",
       .doc = "Independent confirmations that bring suspicion to its minimum",
       .defaults = All(3),
       .low = AtLeast(0),
       .high = AtMost(16),
       .get = GetTop<&Config::suspicion_confirmations>,
       .set = SetTop<&Config::suspicion_confirmations>},
      {.name = "awareness_max_score",
       .flag = "--awareness-max",
       .kind = FieldKind::kInt,
       .unit = "health score",
       .doc = "Highest local health score; probe interval and timeout scale by 1 + score",
       .defaults = All(8),
       .low = AtLeast(0),
       .high = AtMost(16),
       .get = GetTop<&Config::awareness_max_score>,
       .set = SetTop<&Config::awareness_max_score>},
      // --- Dissemination ---
      {.name = "gossip_interval",
       .flag = "--gossip-interval",
       .kind = FieldKind::kDuration,
       .doc = "Gossip queued updates to --gossip-fanout members this often (0 disables)",
       .defaults = Per(200ms, 200ms, 500ms, 50ms),
       .low = AtLeast(0),
       .get = GetTop<&Config::gossip_interval>,
       .set = SetTop<&Config::gossip_interval>},
      {.name = "gossip_fanout",
       .flag = "--gossip-fanout",
       .kind = FieldKind::kInt,
       .unit = "members",
       .doc = "Members per gossip round",
       .defaults = Per(3, 3, 4, 3),
       .low = AtLeast(0),
       .high = AtMost(16),
       .get = GetTop<&Config::gossip_fanout>,
       .set = SetTop<&Config::gossip_fanout>},
      {.name = "retransmit_multiplier",
       .flag = "--retransmit-mult",
       .kind = FieldKind::kInt,
       .unit = "x ceil(log10(N+1))",
       .doc = "Each update is sent retransmit-mult * ceil(log10(N+1)) times",
       .defaults = All(4),
       .low = AtLeast(1),
       .high = AtMost(16),
       .get = GetTop<&Config::retransmit_multiplier>,
       .set = SetTop<&Config::retransmit_multiplier>},
      {.name = "packet_budget",
       .flag = "--packet-budget",
       .kind = FieldKind::kCount,
       .unit = "bytes",
       .doc = "Datagram size budget, envelope included",
       .defaults = All(1400),
       .low = AtLeast(512),
       .high = AtMost(65000),
       .get = GetTop<&Config::packet_budget>,
       .set = SetTop<&Config::packet_budget>},
      {.name = "gossip_queue_limit",
       .flag = "--gossip-queue-limit",
       .kind = FieldKind::kCount,
       .unit = "updates",
       .doc = "Updates waiting to be gossiped",
       .defaults = All(4096),
       .low = AtLeast(16),
       .get = GetTop<&Config::gossip_queue_limit>,
       .set = SetTop<&Config::gossip_queue_limit>},
      // --- Anti-entropy, join, leave, reaping ---
      {.name = "push_pull_interval",
       .flag = "--push-pull-interval",
       .kind = FieldKind::kDuration,
       .doc = "Full state exchange period, x (ceil(log2(N) - 5) + 1) above 32 members "
              "(0 disables)",
       .defaults = Per(30s, 30s, 60s, 5s),
       .low = AtLeast(0),
       .get = GetTop<&Config::push_pull_interval>,
       .set = SetTop<&Config::push_pull_interval>},
      {.name = "reconnect_interval",
       .flag = "--reconnect-interval",
       .kind = FieldKind::kDuration,
       .doc = "Partition healing: the cluster tries a push-pull with a failed member about "
              "once per interval (0 disables)",
       .defaults = Per(10s, 10s, 30s, 2s),
       .low = AtLeast(0),
       .get = GetTop<&Config::reconnect_interval>,
       .set = SetTop<&Config::reconnect_interval>},
      {.name = "stream_timeout",
       .flag = "--stream-timeout",
       .kind = FieldKind::kDuration,
       .doc = "Timeout of one TCP exchange",
       .defaults = Per(5s, 5s, 10s, 1s),
       .low = Above(0),
       .get = GetTop<&Config::stream_timeout>,
       .set = SetTop<&Config::stream_timeout>},
      {.name = "join_retry_initial",
       .flag = "--join-retry-initial",
       .kind = FieldKind::kDuration,
       .doc = "First join retry delay (doubles up to --join-retry-max)",
       .defaults = Per(1s, 1s, 1s, 100ms),
       .low = Above(0),
       .get = GetTop<&Config::join_retry_initial>,
       .set = SetTop<&Config::join_retry_initial>},
      {.name = "join_retry_max",
       .flag = "--join-retry-max",
       .kind = FieldKind::kDuration,
       .doc = "Longest join retry delay",
       .defaults = Per(30s, 30s, 30s, 2s),
       .low = AtLeastField("join_retry_initial"),
       .get = GetTop<&Config::join_retry_max>,
       .set = SetTop<&Config::join_retry_max>},
      {.name = "join_timeout",
       .flag = "--join-timeout",
       .kind = FieldKind::kDuration,
       .doc = "Give up joining after this long (0: never)",
       .defaults = All(0s),
       .low = AtLeast(0),
       .get = GetTop<&Config::join_timeout>,
       .set = SetTop<&Config::join_timeout>},
      {.name = "leave_propagate_timeout",
       .flag = "--leave-propagate-timeout",
       .kind = FieldKind::kDuration,
       .doc = "Longest wait for `left` to spread",
       .defaults = Per(3s, 3s, 10s, 1s),
       .low = AtLeast(0),
       .get = GetTop<&Config::leave_propagate_timeout>,
       .set = SetTop<&Config::leave_propagate_timeout>},
      {.name = "reap_after",
       .flag = "--reap-after",
       .kind = FieldKind::kDuration,
       .doc = "Forget failed and left members after this long (their tombstones as long again)",
       .defaults = Per(1h, 1h, 1h, 60s),
       .low = Above(0),
       .get = GetTop<&Config::reap_after>,
       .set = SetTop<&Config::reap_after>},
  };
  return kTable;
}

// --- Ranges ---

// A value as a number for range checks: exact for int64, durations (ns) and
// doubles (long double has at least 64 mantissa bits on the targets we
// build for); the length of a text. NaN stays NaN and fails every bound.
long double Magnitude(const FieldValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<long double>(*i);
  if (const auto* d = std::get_if<Duration>(&v)) return static_cast<long double>(d->count());
  if (const auto* r = std::get_if<double>(&v)) return static_cast<long double>(*r);
  if (const auto* s = std::get_if<std::string>(&v)) return static_cast<long double>(s->size());
  return std::get<bool>(v) ? 1 : 0;
}

std::string NumberText(double v) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

std::string BoundText(const FieldDescriptor& f, const Bound& b) {
  if (!b.field.empty()) return std::string(b.field);
  if (f.kind == FieldKind::kDuration)
    return FormatValue(Duration(static_cast<std::int64_t>(b.value)));
  return NumberText(b.value);
}

bool Inside(long double x, const Bound& b, long double bound, bool is_low) {
  if (is_low) return b.inclusive ? x >= bound : x > bound;
  return b.inclusive ? x <= bound : x < bound;
}

// `text` as one shell word.
std::string ShellWord(const std::string& text) {
  bool plain = !text.empty();
  for (const char ch : text) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') ||
                      std::string_view("-_.,:/+=@%").find(ch) != std::string_view::npos;
    plain = plain && safe;
  }
  if (plain) return text;
  std::string quoted = "'";
  for (const char ch : text) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

}  // namespace

std::string FieldDescriptor::RangeText() const {
  const std::string_view unit_text = kind == FieldKind::kText ? " bytes long" : "";
  if (low && high && low->inclusive && high->inclusive && low->field.empty() &&
      high->field.empty()) {
    return "must be " + BoundText(*this, *low) + ".." + BoundText(*this, *high) +
           std::string(unit_text);
  }
  std::string text;
  if (low) text = (low->inclusive ? ">= " : "> ") + BoundText(*this, *low);
  if (high) {
    if (!text.empty()) text += " and ";
    text += high->value == std::numeric_limits<double>::infinity()
                ? std::string("finite")
                : (high->inclusive ? "<= " : "< ") + BoundText(*this, *high);
  }
  return "must be " + text + std::string(unit_text);
}

std::optional<ConfigError> FieldDescriptor::Check(const Config& config) const {
  const FieldValue value = Get(config);
  auto error = [&](std::string why, const FieldDescriptor* bound_by) {
    const std::string shown =
        kind == FieldKind::kText ? ShellWord(FormatValue(value)) : FormatValue(value);
    return ConfigError{this, bound_by, std::move(why) + " (got " + shown + ")"};
  };
  if (kind == FieldKind::kChoice) {
    bool known = false;
    for (const std::string_view c : choices) known = known || std::get<std::string>(value) == c;
    if (!known) {
      std::string names;
      for (const std::string_view c : choices)
        names += (names.empty() ? "" : ", ") + std::string(c);
      return error("must be one of " + names, nullptr);
    }
  }
  const long double x = Magnitude(value);
  for (const bool is_low : {true, false}) {
    const std::optional<Bound>& b = is_low ? low : high;
    if (!b) continue;
    const FieldDescriptor* other = b->field.empty() ? nullptr : FindField(b->field);
    const long double bound =
        other != nullptr ? Magnitude(other->Get(config)) : static_cast<long double>(b->value);
    if (!Inside(x, *b, bound, is_low)) return error(RangeText(), other);
  }
  if (rule != nullptr) {
    if (const char* why = rule(config)) return error(why, nullptr);
  }
  return std::nullopt;
}

std::span<const ProfileInfo> Profiles() { return kProfiles; }

const ProfileInfo& InfoOf(Profile profile) { return kProfiles[static_cast<std::size_t>(profile)]; }

const ProfileInfo* FindProfile(std::string_view name) {
  for (const ProfileInfo& p : kProfiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::span<const FieldDescriptor> ConfigFields() { return Table(); }

const FieldDescriptor* FindField(std::string_view name) {
  for (const FieldDescriptor& f : Table()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FieldDescriptor* FindFlag(std::string_view flag) {
  for (const FieldDescriptor& f : Table()) {
    if (f.flag == flag) return &f;
  }
  return nullptr;
}

std::string FormatValue(const FieldValue& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* r = std::get_if<double>(&value)) return NumberText(*r);
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::get<Duration>(value)).count();
  if (ns == 0) return "0";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

Config BuildConfig(Profile profile, const std::vector<GivenValue>& given) {
  Config config = Config::ForProfile(profile);
  for (const GivenValue& g : given) g.field->Set(config, g.value);
  for (const FieldDescriptor& f : Table()) {
    if (f.default_from.empty()) continue;
    const bool set = std::any_of(given.begin(), given.end(),
                                 [&f](const GivenValue& g) { return g.field == &f; });
    if (!set) f.Set(config, FindField(f.default_from)->Get(config));
  }
  return config;
}

std::string CommandLineFlags(const Config& config) {
  std::optional<Config> closest;
  Profile closest_profile = Profile::kLan;
  std::size_t fewest = 0;
  for (const ProfileInfo& p : kProfiles) {
    Config d = Config::ForProfile(p.profile);
    std::size_t differ = 0;
    for (const FieldDescriptor& f : Table()) differ += f.Get(config) != f.Get(d) ? 1u : 0u;
    if (!closest || differ < fewest) {
      closest = std::move(d);
      closest_profile = p.profile;
      fewest = differ;
    }
  }
  std::string out;
  if (closest_profile != Profile::kLan)
    out = " --profile " + std::string(InfoOf(closest_profile).name);
  for (const FieldDescriptor& f : Table()) {
    const FieldValue value = f.Get(config);
    // A derived default is rebuilt from its source (see BuildConfig).
    const FieldValue implied =
        f.default_from.empty() ? f.Get(*closest) : FindField(f.default_from)->Get(config);
    if (value != implied) out += " " + std::string(f.flag) + " " + ShellWord(FormatValue(value));
  }
  return out;
}

}  // namespace picket::membership
