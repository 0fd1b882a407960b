#include "agent/cli/protocol_flags.h"

#include "agent/config_file.h"
#include "agent/duration_flag.h"

namespace picket::cli {

using membership::Config;

namespace {

// Config field names in Validate() messages map back to flags through this
// table, so a bad value is reported under the name the user typed.
struct FlagName {
  const char* flag;
  const char* field;
};

constexpr FlagName kFlagFields[] = {
    {"--cluster", "cluster_name"},
    {"--probe-interval", "probe_interval"},
    {"--probe-timeout", "probe_timeout"},
    {"--indirect-checks", "indirect_checks"},
    {"--heartbeat-interval", "heartbeat_interval"},
    {"--observers", "observers"},
    {"--phi-window", "window_size"},
    {"--phi-min-stddev", "min_std_deviation"},
    {"--phi-acceptable-pause", "acceptable_heartbeat_pause"},
    {"--phi-first-heartbeat", "first_heartbeat_estimate"},
    {"--phi-report-threshold", "phi_report_threshold"},
    {"--phi-threshold", "threshold"},  // after phi_report_threshold: substring match
    {"--suspicion-min-mult", "suspicion_min_multiplier"},
    {"--suspicion-max-mult", "suspicion_max_multiplier"},
    {"--suspicion-confirmations", "suspicion_confirmations"},
    {"--awareness-max", "awareness_max_score"},
    {"--retransmit-mult", "retransmit_multiplier"},
    {"--packet-budget", "packet_budget"},
    {"--gossip-queue-limit", "gossip_queue_limit"},
    {"--push-pull-interval", "push_pull_interval"},
    {"--stream-timeout", "stream_timeout"},
    {"--join-retry-initial", "join_retry_initial"},
    {"--join-retry-max", "join_retry_max"},
    {"--join-timeout", "join_timeout"},
    {"--leave-propagate-timeout", "leave_propagate_timeout"},
    {"--reap-after", "reap_after"},
};

}  // namespace

void ProtocolFlags::Register(CLI::App* cmd, bool with_env) {
  const Config d = Config::Lan();
  const std::string group = "Protocol (defaults of --profile lan)";
  auto env = [&](CLI::Option* opt, const std::string& flag) {
    if (with_env) opt->envname(agent::EnvNameFor(flag));
    opt->group(group);
    return opt;
  };
  auto duration = [&](const std::string& flag, membership::Duration Config::*field, const std::string& help) {
    env(cmd->add_option_function<std::string>(
            flag,
            [this, flag, field](const std::string& text) {
              std::string error;
              const auto value = agent::ParseDuration(text, &error);
              if (!value) throw CLI::ValidationError(flag, error);
              const auto as_duration = std::chrono::duration_cast<membership::Duration>(*value);
              overrides_.push_back([field, as_duration](Config& c) { c.*field = as_duration; });
            },
            help + " [" + agent::FormatDuration(d.*field) + "]"),
        flag);
  };
  auto phi_duration = [&](const std::string& flag, detector::Duration detector::PhiConfig::*field,
                          const std::string& help) {
    env(cmd->add_option_function<std::string>(
            flag,
            [this, flag, field](const std::string& text) {
              std::string error;
              const auto value = agent::ParseDuration(text, &error);
              if (!value) throw CLI::ValidationError(flag, error);
              const auto as_duration = std::chrono::duration_cast<detector::Duration>(*value);
              overrides_.push_back([field, as_duration](Config& c) { c.phi.*field = as_duration; });
            },
            help + " [" + agent::FormatDuration(d.phi.*field) + "]"),
        flag);
  };
  auto number = [&]<typename T>(const std::string& flag, T Config::*field, const std::string& help) {
    env(cmd->add_option_function<T>(
            flag, [this, field](const T& value) { overrides_.push_back([field, value](Config& c) { c.*field = value; }); },
            help)
            ->default_str(std::to_string(d.*field)),
        flag);
  };

  env(cmd->add_option("--profile", profile_, "Preset the protocol settings start from")
          ->check(CLI::IsMember({"lan", "frugal", "wan"}))
          ->capture_default_str(),
      "--profile");
  env(cmd->add_option_function<std::string>(
          "--cluster",
          [this](const std::string& name) {
            overrides_.push_back([name](Config& c) { c.cluster_name = name; });
          },
          "Cluster name; packets of other clusters are dropped")
          ->default_str(d.cluster_name),
      "--cluster");
  duration("--probe-interval", &Config::probe_interval, "SWIM probe period");
  duration("--probe-timeout", &Config::probe_timeout, "Wait for a direct ack before indirect probes");
  number("--indirect-checks", &Config::indirect_checks, "Members asked to probe indirectly (k)");
  env(cmd->add_option_function<bool>(
          "--stream-fallback-probe",
          [this](const bool& on) {
            overrides_.push_back([on](Config& c) { c.stream_fallback_probe = on; });
          },
          "Probe over TCP when UDP probes fail")
          ->default_str(d.stream_fallback_probe ? "true" : "false"),
      "--stream-fallback-probe");
  duration("--heartbeat-interval", &Config::heartbeat_interval,
           "Heartbeat period T to each observer");
  number("--observers", &Config::observers, "Observers per member (K), capped at N-1");
  env(cmd->add_option_function<double>(
          "--phi-threshold",
          [this](const double& v) { overrides_.push_back([v](Config& c) { c.phi.threshold = v; }); },
          "Phi at which an observer starts suspecting")
          ->default_str(std::to_string(d.phi.threshold)),
      "--phi-threshold");
  env(cmd->add_option_function<std::size_t>(
          "--phi-window",
          [this](const std::size_t& v) {
            overrides_.push_back([v](Config& c) { c.phi.window_size = v; });
          },
          "Inter-arrival samples kept per subject")
          ->default_str(std::to_string(d.phi.window_size)),
      "--phi-window");
  phi_duration("--phi-min-stddev", &detector::PhiConfig::min_std_deviation,
               "Floor on the inter-arrival standard deviation");
  phi_duration("--phi-acceptable-pause", &detector::PhiConfig::acceptable_heartbeat_pause,
               "Pause tolerated before phi grows");
  phi_duration("--phi-first-heartbeat", &detector::PhiConfig::first_heartbeat_estimate,
               "Interval assumed before samples exist");
  env(cmd->add_option_function<std::string>(
          "--phi-distribution",
          [this](const std::string& v) {
            const auto dist = v == "logistic"      ? detector::Distribution::kLogistic
                              : v == "exponential" ? detector::Distribution::kExponential
                                                   : detector::Distribution::kNormal;
            overrides_.push_back([dist](Config& c) { c.phi.distribution = dist; });
          },
          "Inter-arrival model: normal, logistic (Akka) or exponential (Cassandra)")
          ->check(CLI::IsMember({"normal", "logistic", "exponential"}))
          ->default_str("normal"),
      "--phi-distribution");
  number("--phi-report-threshold", &Config::phi_report_threshold,
         "Observers gossip phi values at or above this");
  number("--suspicion-min-mult", &Config::suspicion_min_multiplier,
         "Minimum suspicion timeout, in probe intervals scaled by log10(N)");
  number("--suspicion-max-mult", &Config::suspicion_max_multiplier,
         "Unconfirmed suspicion timeout, as a multiple of the minimum");
  number("--suspicion-confirmations", &Config::suspicion_confirmations,
         "Independent confirmations that bring suspicion to its minimum");
  number("--awareness-max", &Config::awareness_max_score, "Highest local health score");
  number("--retransmit-mult", &Config::retransmit_multiplier,
         "Each update is sent retransmit-mult * ceil(log10(N+1)) times");
  number("--packet-budget", &Config::packet_budget, "Datagram size budget in bytes");
  number("--gossip-queue-limit", &Config::gossip_queue_limit, "Updates waiting to be gossiped");
  duration("--push-pull-interval", &Config::push_pull_interval,
           "Full state exchange period (0 disables)");
  duration("--stream-timeout", &Config::stream_timeout, "Timeout of one TCP exchange");
  duration("--join-retry-initial", &Config::join_retry_initial, "First join retry delay");
  duration("--join-retry-max", &Config::join_retry_max, "Longest join retry delay");
  duration("--join-timeout", &Config::join_timeout, "Give up joining after this long (0: never)");
  duration("--leave-propagate-timeout", &Config::leave_propagate_timeout,
           "Longest wait for `left` to spread");
  duration("--reap-after", &Config::reap_after, "Forget failed and left members after this long");
}

Config ProtocolFlags::Build() const {
  Config config = profile_ == "frugal" ? Config::Frugal()
                  : profile_ == "wan"  ? Config::Wan()
                                       : Config::Lan();
  for (const auto& apply : overrides_) apply(config);
  if (const auto error = config.Validate()) {
    std::string flag = "--profile";
    for (const FlagName& f : kFlagFields) {
      if (error->find(f.field) != std::string::npos) {
        flag = f.flag;
        break;
      }
    }
    throw CLI::ValidationError(flag + " (or " + agent::EnvNameFor(flag) + ")", *error);
  }
  return config;
}

}  // namespace picket::cli
