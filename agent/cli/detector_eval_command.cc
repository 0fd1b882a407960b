// `picket detector-eval`: replays heartbeat traces (generated families, a
// custom generated trace, or a recorded file) through Phi Accrual detectors
// and fixed timeouts and prints their QoS (detection time, mistake rate,
// mistake duration, query accuracy) and the matched comparison.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "detector/eval/fleet.h"
#include "detector/eval/qos.h"
#include "detector/eval/recorded_families.h"
#include "detector/eval/report.h"
#include "detector/eval/trace.h"
#include "detector/eval/trace_families.h"
#include "detector/phi_accrual_detector.h"
#include "detector/phi_math.h"
#include "membership/config.h"

namespace picket::cli {
namespace {

namespace det = picket::detector;
namespace ev = picket::detector::eval;

using Millis = std::chrono::duration<double, std::milli>;

// --family none: no generated family (only --trace-dir's recorded ones).
const std::string kNoFamily = "none";
// Recorded families are reported as "recorded/<directory>".
const std::string kRecordedPrefix = "recorded/";

// The detector `picket agent` runs by default (the lan profile): what is
// judged unless flags say otherwise.
const det::PhiConfig& AgentPhi() {
  static const det::PhiConfig phi = membership::Config{}.phi;
  return phi;
}

struct EvalFlags {
  std::vector<std::string> families;
  double hours = 200.0;
  std::uint64_t seed = 1;
  std::size_t trials = 2001;
  double warmup_min = 5.0;
  std::vector<double> thresholds = ev::EvalOptions{}.thresholds;
  std::vector<double> timeouts_ms;
  double headline = AgentPhi().threshold;
  // Detector.
  std::size_t window = AgentPhi().window_size;
  std::size_t recent_window = AgentPhi().recent_window_size;
  double min_stddev_ms = Millis(AgentPhi().min_std_deviation).count();
  double acceptable_pause_ms = Millis(AgentPhi().acceptable_heartbeat_pause).count();
  double first_estimate_ms = Millis(AgentPhi().first_heartbeat_estimate).count();
  std::string distribution{det::DistributionName(AgentPhi().distribution)};
  bool akka_rule = !AgentPhi().learn_suspected_intervals;
  // Empirical model: the swept false-suspicion costs and the headline one.
  std::vector<double> costs_s = {5, 10, 20, 30, 50, 100, 200, 500};
  double headline_cost_s = std::chrono::duration<double>(AgentPhi().false_suspicion_cost).count();
  double min_bandwidth_ms = Millis(AgentPhi().min_bandwidth).count();
  // Custom trace.
  double period_ms = 500.0;
  double base_delay_ms = 0.2;
  double jitter_ms = 0.0;
  std::string tail = "none";
  double tail_scale_ms = 10.0;
  double tail_shape = 2.0;
  double loss = 0.0;
  double burst_rate = 0.0;
  double burst_length = 1.0;
  double stall_every_s = 0.0;
  double stall_ms = 0.0;
  double stall_sigma = 0.6;
  // Recorded trace.
  std::string trace_file;
  std::string trace_dir;
  std::string trace_unit = "s";
  std::string write_trace;
  bool json = false;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "picket detector-eval: " << message << "\n";
  throw CLI::RuntimeError(2);
}

det::Duration FromMs(double ms) { return std::chrono::duration_cast<det::Duration>(Millis(ms)); }

void Require(bool ok, const std::string& flag, const std::string& rule) {
  if (!ok) Fail(flag + " must be " + rule);
}

// The swept value the summary tables show: a threshold, or with the
// empirical model a false-suspicion cost in seconds.
double Headline(const EvalFlags& f) {
  return f.distribution == "empirical" ? f.headline_cost_s : f.headline;
}

ev::EvalOptions MakeOptions(const EvalFlags& f) {
  Require(std::isfinite(f.min_stddev_ms) && f.min_stddev_ms >= 0, "--min-stddev-ms", ">= 0");
  Require(std::isfinite(f.acceptable_pause_ms) && f.acceptable_pause_ms >= 0,
          "--acceptable-pause-ms", ">= 0");
  Require(std::isfinite(f.first_estimate_ms) && f.first_estimate_ms > 0, "--first-estimate-ms",
          "> 0");
  Require(std::isfinite(f.hours) && f.hours > 0 && f.hours <= 100000, "--hours", "in (0, 100000]");
  Require(std::isfinite(f.warmup_min) && f.warmup_min >= 0, "--warmup-min", ">= 0");
  Require(f.trials >= 1 && f.trials <= 1'000'001, "--trials", "in [1, 1000001]");
  ev::EvalOptions options;
  options.phi.window_size = f.window;
  options.phi.recent_window_size = f.recent_window;
  options.phi.min_std_deviation = FromMs(f.min_stddev_ms);
  options.phi.acceptable_heartbeat_pause = FromMs(f.acceptable_pause_ms);
  options.phi.first_heartbeat_estimate = FromMs(f.first_estimate_ms);
  options.phi.distribution = f.distribution == "logistic"      ? det::Distribution::kLogistic
                             : f.distribution == "exponential" ? det::Distribution::kExponential
                             : f.distribution == "empirical"   ? det::Distribution::kEmpirical
                                                               : det::Distribution::kNormal;
  options.phi.learn_suspected_intervals = !f.akka_rule;
  Require(std::isfinite(f.min_bandwidth_ms) && f.min_bandwidth_ms > 0, "--min-bandwidth-ms", "> 0");
  options.phi.min_bandwidth = FromMs(f.min_bandwidth_ms);
  options.thresholds = f.thresholds;
  if (options.phi.distribution == det::Distribution::kEmpirical) {
    // Its threshold only scales phi: the cost is what moves the cutoff.
    options.sweep = ev::EvalOptions::Sweep::kFalseSuspicionCost;
    for (const double cost : f.costs_s) {
      Require(std::isfinite(cost) && cost > 0, "--costs-s", "a list of values > 0");
    }
    Require(std::isfinite(f.headline_cost_s) && f.headline_cost_s > 0, "--headline-cost-s", "> 0");
    options.thresholds = f.costs_s;
  }
  const double headline = Headline(f);
  if (std::find(options.thresholds.begin(), options.thresholds.end(), headline) ==
      options.thresholds.end()) {
    options.thresholds.push_back(headline);
    std::sort(options.thresholds.begin(), options.thresholds.end());
  }
  if (!f.timeouts_ms.empty()) {
    options.timeouts.clear();
    for (const double ms : f.timeouts_ms) {
      Require(std::isfinite(ms) && ms > 0, "--timeouts-ms", "a list of values > 0");
      options.timeouts.push_back(FromMs(ms));
    }
  }
  options.crash_trials = f.trials;
  options.warmup = FromMs(f.warmup_min * 60'000.0);
  options.seed = f.seed;
  if (const Status valid = options.Validate(); !valid) {
    const std::string* error = &valid.error();
    // Name the flag behind the detector setting that is wrong.
    static const std::map<std::string, std::string> kFlagOf = {
        {"phi: threshold", "--thresholds / --headline-threshold"},
        {"phi: window_size", "--window"},
        {"phi: recent_window_size", "--recent-window"},
        {"phi: min_std_deviation", "--min-stddev-ms"},
        {"thresholds", "--thresholds"},
    };
    for (const auto& [prefix, flag] : kFlagOf) {
      if (error->rfind(prefix, 0) == 0) Fail(flag + ": " + *error);
    }
    Fail(*error);
  }
  return options;
}

ev::TraceFamily CustomFamily(const EvalFlags& f, det::Duration duration) {
  Require(std::isfinite(f.period_ms) && f.period_ms > 0, "--period-ms", "> 0");
  Require(std::isfinite(f.base_delay_ms) && f.base_delay_ms >= 0, "--base-delay-ms", ">= 0");
  Require(std::isfinite(f.jitter_ms) && f.jitter_ms >= 0, "--jitter-ms", ">= 0");
  Require(std::isfinite(f.tail_scale_ms) && f.tail_scale_ms >= 0, "--tail-scale-ms", ">= 0");
  Require(std::isfinite(f.tail_shape) && f.tail_shape > 0, "--tail-shape", "> 0");
  Require(f.loss >= 0 && f.loss < 1, "--loss", "in [0, 1)");
  Require(f.burst_rate >= 0 && f.burst_rate < 1, "--burst-rate", "in [0, 1)");
  Require(std::isfinite(f.burst_length) && f.burst_length >= 1, "--burst-length", ">= 1");
  Require(std::isfinite(f.stall_every_s) && f.stall_every_s >= 0, "--stall-every-s", ">= 0");
  Require(std::isfinite(f.stall_ms) && f.stall_ms >= 0, "--stall-ms", ">= 0");
  Require(std::isfinite(f.stall_sigma) && f.stall_sigma >= 0, "--stall-sigma", ">= 0");
  ev::Conditions c;
  c.base_delay = FromMs(f.base_delay_ms);
  c.jitter = FromMs(f.jitter_ms);
  c.tail = f.tail == "pareto"      ? ev::DelayTail::kPareto
           : f.tail == "lognormal" ? ev::DelayTail::kLognormal
                                   : ev::DelayTail::kNone;
  c.tail_scale = FromMs(f.tail_scale_ms);
  c.tail_shape = f.tail_shape;
  c.loss = f.loss;
  c.burst_rate = f.burst_rate;
  c.burst_length = f.burst_length;
  c.stall_every = FromMs(f.stall_every_s * 1000.0);
  c.stall_median = FromMs(f.stall_ms);
  c.stall_sigma = f.stall_sigma;
  ev::TraceFamily family{"custom", "custom trace from the command-line flags", ev::TraceSpec{}};
  family.spec.period = FromMs(f.period_ms);
  family.spec.phases = {ev::Phase{c, det::Duration::zero()}};
  family.spec.duration = duration;
  return family;
}

nlohmann::json QosJson(const ev::QosStats& s) {
  nlohmann::json j = {
      {"kind", s.kind},
      {"detection_ms",
       {{"median", Millis(s.detection_median).count()},
        {"p90", Millis(s.detection_p90).count()},
        {"p99", Millis(s.detection_p99).count()},
        {"max", Millis(s.detection_max).count()}}},
      {"mistakes", s.mistakes},
      {"mistakes_per_hour", s.mistakes_per_hour},
      {"mistake_duration_mean_ms", Millis(s.mistake_duration_mean).count()},
      {"query_accuracy", s.query_accuracy},
  };
  if (s.kind == "phi") {
    j["threshold"] = s.threshold;
  } else {
    j["timeout_ms"] = Millis(s.timeout).count();
  }
  return j;
}

nlohmann::json Optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json FamilyJson(const ev::FamilyEvaluation& family) {
  const ev::TraceEvaluation& e = family.evaluation;
  nlohmann::json j = {{"name", family.name},
                      {"description", family.description},
                      {"hours", e.hours},
                      {"arrivals", e.arrivals},
                      {"heartbeats_sent", family.heartbeats_sent},
                      {"heartbeats_lost", family.heartbeats_lost},
                      {"crash_trials", e.crash_trials},
                      {"phi", nlohmann::json::array()},
                      {"timeouts", nlohmann::json::array()},
                      {"matched", nlohmann::json::array()}};
  for (const auto& s : e.phi) j["phi"].push_back(QosJson(s));
  for (const auto& s : e.timeouts) j["timeouts"].push_back(QosJson(s));
  for (const auto& m : e.matched) {
    j["matched"].push_back({
        {"threshold", m.threshold},
        {"equal_speed_timeout_ms", Millis(m.equal_speed_timeout).count()},
        {"equal_speed_timeout_mistakes", m.equal_speed_timeout_mistakes},
        {"equal_speed_timeout_mistakes_per_hour", m.equal_speed_timeout_mistakes_per_hour},
        {"fewer_mistakes", Optional(m.fewer_mistakes)},
        {"equal_mistakes_timeout_ms", Millis(m.equal_mistakes_timeout).count()},
        {"equal_mistakes_detection_median_ms", Millis(m.equal_mistakes_detection_median).count()},
        {"faster", Optional(m.faster)},
    });
  }
  return j;
}

nlohmann::json FleetJson(const ev::FleetComparison& c,
                         const std::vector<ev::FamilyEvaluation>& results) {
  nlohmann::json j = {
      {"threshold", c.threshold},
      {"hours", c.hours},
      {"phi_mistakes", c.phi_mistakes},
      {"phi_mean_detection_median_ms", Millis(c.phi_mean_detection_median).count()},
      {"equal_speed_timeout_ms", Millis(c.equal_speed_timeout).count()},
      {"equal_speed_mistakes", c.equal_speed_mistakes},
      {"fewer_mistakes", Optional(c.fewer_mistakes)},
      {"equal_mistakes_timeout_ms", Millis(c.equal_mistakes_timeout).count()},
      {"equal_mistakes_mean_detection_median_ms",
       Millis(c.equal_mistakes_mean_detection_median).count()},
      {"faster", Optional(c.faster)},
      {"families", nlohmann::json::array()},
  };
  for (std::size_t i = 0; i < c.families.size() && i < results.size(); ++i) {
    const auto& f = c.families[i];
    j["families"].push_back({
        {"name", results[i].name},
        {"phi_detection_median_ms", Millis(f.phi_detection_median).count()},
        {"phi_mistakes", f.phi_mistakes},
        {"equal_speed_detection_median_ms", Millis(f.equal_speed_detection_median).count()},
        {"equal_speed_mistakes", f.equal_speed_mistakes},
        {"equal_mistakes_detection_median_ms", Millis(f.equal_mistakes_detection_median).count()},
        {"equal_mistakes_mistakes", f.equal_mistakes_mistakes},
    });
  }
  return j;
}

ev::TimeUnit UnitOf(const std::string& unit) {
  if (unit == "ms") return ev::TimeUnit::kMilliseconds;
  if (unit == "us") return ev::TimeUnit::kMicroseconds;
  if (unit == "ns") return ev::TimeUnit::kNanoseconds;
  return ev::TimeUnit::kSeconds;
}

void Run(const EvalFlags& f, bool custom_trace) {
  const ev::EvalOptions options = MakeOptions(f);
  const det::Duration duration = FromMs(f.hours * 3'600'000.0) + options.warmup;

  std::vector<ev::FamilyEvaluation> results;
  if (!f.trace_file.empty()) {
    if (custom_trace || !f.families.empty() || !f.trace_dir.empty()) {
      Fail("--trace-file cannot be combined with --family, --trace-dir or trace generator flags");
    }
    ev::TraceReadResult read = ev::ReadTraceFile(f.trace_file, UnitOf(f.trace_unit));
    if (!read.ok()) Fail("--trace-file: " + read.error);
    ev::FamilyEvaluation family{"file", f.trace_file, 0, 0, {}};
    family.evaluation = ev::EvaluateTrace(read.trace, options);
    if (family.evaluation.hours <= 0) {
      Fail("--trace-file: the trace is not longer than the warmup (--warmup-min)");
    }
    results.push_back(std::move(family));
  } else {
    if (f.trace_dir.empty() && f.families.size() == 1 && f.families.front() == kNoFamily) {
      Fail("--family none leaves nothing to evaluate without --trace-dir");
    }
    std::vector<ev::TraceFamily> families;
    if (custom_trace) {
      if (!f.families.empty()) Fail("--family cannot be combined with trace generator flags");
      families.push_back(CustomFamily(f, duration));
    } else {
      for (ev::TraceFamily& family : ev::StandardFamilies(duration)) {
        if (f.families.empty() ||
            std::find(f.families.begin(), f.families.end(), family.name) != f.families.end()) {
          families.push_back(std::move(family));
        }
      }
    }
    if (!f.write_trace.empty() && families.size() != 1) {
      Fail("--write-trace needs exactly one trace (one --family, or trace generator flags)");
    }
    std::vector<ev::RecordedFamily> recorded;
    if (!f.trace_dir.empty()) {
      auto read = ev::ReadRecordedFamilies(f.trace_dir, UnitOf(f.trace_unit));
      if (!read) Fail("--trace-dir: " + read.error());
      recorded = std::move(*read);
      for (const ev::RecordedFamily& family : recorded) {
        if (family.trace.end <= options.warmup) {
          Fail("--trace-dir: family " + family.name + " (" +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::seconds>(family.trace.end).count()) +
               " s) is not longer than the warmup (--warmup-min)");
        }
      }
    }
    // Families are independent: evaluate them on both cores, generated ones
    // first, then the recorded ones.
    std::vector<std::function<ev::FamilyEvaluation()>> jobs;
    for (std::size_t i = 0; i < families.size(); ++i) {
      jobs.push_back([&, i] {
        const ev::TraceFamily& family = families[i];
        const ev::Trace trace = ev::GenerateTrace(family.spec, f.seed + i);
        if (!f.write_trace.empty()) {
          std::ofstream out(f.write_trace);
          ev::WriteTrace(out, trace);
        }
        return ev::FamilyEvaluation{family.name, family.description, trace.heartbeats_sent,
                                    trace.heartbeats_lost, ev::EvaluateTrace(trace, options)};
      });
    }
    for (const ev::RecordedFamily& family : recorded) {
      jobs.push_back([&] {
        return ev::FamilyEvaluation{kRecordedPrefix + family.name, family.description, 0, 0,
                                    ev::EvaluateTrace(family.trace, options)};
      });
    }
    std::vector<std::future<ev::FamilyEvaluation>> pending;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      pending.push_back(std::async(std::launch::async, jobs[i]));
      // At most two families at a time (two cores, and bounded memory).
      if (pending.size() >= 2 && i + 1 < jobs.size()) {
        results.push_back(pending.front().get());
        pending.erase(pending.begin());
      }
    }
    for (auto& p : pending) results.push_back(p.get());
  }

  // One setting for every family, at the headline threshold and at each one.
  std::optional<ev::FleetComparison> fleet;
  std::vector<ev::FleetComparison> sweep;
  if (results.size() > 1) {
    std::vector<const ev::TraceEvaluation*> evaluations;
    for (const auto& family : results) evaluations.push_back(&family.evaluation);
    fleet = ev::CompareFleet(evaluations, Headline(f));
    for (const double threshold : options.thresholds) {
      sweep.push_back(ev::CompareFleet(evaluations, threshold));
    }
  }

  if (f.json) {
    nlohmann::json out = {{"seed", f.seed},
                          {"hours_per_family", f.hours},
                          {"headline_threshold", f.headline},
                          {"headline_setting", options.Label(Headline(f))},
                          {"families", nlohmann::json::array()}};
    out["detector"] = {
        {"distribution", f.distribution},           {"window", f.window},
        {"min_stddev_ms", f.min_stddev_ms},         {"acceptable_pause_ms", f.acceptable_pause_ms},
        {"first_estimate_ms", f.first_estimate_ms}, {"learn_suspected_intervals", !f.akka_rule},
        {"min_bandwidth_ms", f.min_bandwidth_ms}};
    for (const auto& family : results) out["families"].push_back(FamilyJson(family));
    if (fleet) out["one_setting_for_all"] = FleetJson(*fleet, results);
    out["one_setting_for_all_by_threshold"] = nlohmann::json::array();
    for (const auto& c : sweep) {
      out["one_setting_for_all_by_threshold"].push_back(FleetJson(c, results));
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  const std::string label = options.Label(Headline(f));
  std::cout << "## Each family against its own best fixed timeout (" << label << ")\n\n"
            << ev::FormatSummary(results, Headline(f)) << "\n";
  if (fleet) {
    std::cout << "## One setting for every family (" << label << ")\n\n"
              << ev::FormatFleet(results, *fleet) << "\n"
              << "Every setting, one for every family:\n\n"
              << ev::FormatFleetSweep(sweep) << "\n";
  }
  for (const auto& family : results) std::cout << ev::FormatFamilyReport(family);
}

}  // namespace

void AddDetectorEvalCommand(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  auto* cmd = app.add_subcommand(
      "detector-eval",
      "Measure detector quality (Chen-Toueg-Aguilera QoS) of Phi Accrual against fixed timeouts "
      "on heartbeat traces");
  auto names = [] {
    std::vector<std::string> out = {kNoFamily};
    for (const auto& family : ev::StandardFamilies(std::chrono::hours(1))) {
      out.push_back(family.name);
    }
    return out;
  }();
  cmd->add_option("--family", flags->families,
                  "Generated trace families to run (default: all; none: only --trace-dir's)")
      ->check(CLI::IsMember(names));
  cmd->add_option("--hours", flags->hours, "Hours of trace per family, after the warmup")
      ->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Seed (traces: seed + family index; crash trials)")
      ->capture_default_str();
  cmd->add_option("--trials", flags->trials, "Crash trials per family")->capture_default_str();
  cmd->add_option("--warmup-min", flags->warmup_min,
                  "Minutes of history before mistakes and crashes count")
      ->capture_default_str();
  cmd->add_option("--thresholds", flags->thresholds, "Phi thresholds to evaluate")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--timeouts-ms", flags->timeouts_ms,
                  "Fixed timeouts to evaluate, ms (default 750,1000,1250,1500,2000,2500,3000,4000)")
      ->delimiter(',');
  cmd->add_option("--headline-threshold", flags->headline, "Phi threshold for the summary table")
      ->capture_default_str();

  const std::string detector = "Detector";
  cmd->add_option("--window", flags->window, "Phi window size")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--recent-window", flags->recent_window,
                  "Empirical model: the short window of latest intervals (0: none)")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--min-stddev-ms", flags->min_stddev_ms, "Phi minimum standard deviation, ms")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--acceptable-pause-ms", flags->acceptable_pause_ms,
                  "Phi acceptable heartbeat pause, ms")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--first-estimate-ms", flags->first_estimate_ms,
                  "Phi first-heartbeat estimate, ms")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--distribution", flags->distribution,
                  "normal, logistic, exponential or empirical")
      ->check(CLI::IsMember({"normal", "logistic", "exponential", "empirical"}))
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--costs-s", flags->costs_s,
                  "Empirical model: false-suspicion costs to evaluate, seconds (swept instead of "
                  "the thresholds)")
      ->delimiter(',')
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--headline-cost-s", flags->headline_cost_s,
                  "Empirical model: false-suspicion cost for the summary tables, seconds")
      ->group(detector)
      ->capture_default_str();
  cmd->add_option("--min-bandwidth-ms", flags->min_bandwidth_ms,
                  "Empirical model: kernel bandwidth floor, ms")
      ->group(detector)
      ->capture_default_str();
  cmd->add_flag("--akka-rule", flags->akka_rule,
                "Do not learn intervals that end while suspected (Akka's rule)")
      ->group(detector);

  // Any of these flags switches from the standard families to one custom trace.
  const std::string generator = "Custom trace (replaces the standard families)";
  std::vector<CLI::Option*> trace_options = {
      cmd->add_option("--period-ms", flags->period_ms, "Heartbeat period, ms"),
      cmd->add_option("--base-delay-ms", flags->base_delay_ms, "Fixed one-way delay, ms"),
      cmd->add_option("--jitter-ms", flags->jitter_ms, "Delay jitter sigma (half-normal), ms"),
      cmd->add_option("--tail", flags->tail, "Heavy-tailed extra delay: none, pareto, lognormal")
          ->check(CLI::IsMember({"none", "pareto", "lognormal"})),
      cmd->add_option("--tail-scale-ms", flags->tail_scale_ms,
                      "Tail scale, ms (Pareto scale / lognormal median)"),
      cmd->add_option("--tail-shape", flags->tail_shape,
                      "Tail shape (Pareto alpha / lognormal sigma)"),
      cmd->add_option("--loss", flags->loss, "Independent loss probability"),
      cmd->add_option("--burst-rate", flags->burst_rate,
                      "Probability per heartbeat that a loss burst starts"),
      cmd->add_option("--burst-length", flags->burst_length, "Mean heartbeats lost per burst"),
      cmd->add_option("--stall-every-s", flags->stall_every_s,
                      "Mean seconds between sender stalls (0: none)"),
      cmd->add_option("--stall-ms", flags->stall_ms, "Median stall length, ms"),
      cmd->add_option("--stall-sigma", flags->stall_sigma, "Stall length log-deviation"),
  };
  for (CLI::Option* option : trace_options) option->group(generator)->capture_default_str();

  const std::string recorded = "Recorded trace";
  cmd->add_option("--trace-file", flags->trace_file,
                  "Replay this file: one arrival time per line (see --trace-unit)")
      ->group(recorded);
  cmd->add_option("--trace-dir", flags->trace_dir,
                  "Also replay the recorded families in this directory: one subdirectory per "
                  "family, its files (one arrival time per line) spliced into one trace; e.g. "
                  "tests/bench/traces")
      ->group(recorded);
  cmd->add_option("--trace-unit", flags->trace_unit,
                  "Unit of --trace-file and --trace-dir times: s, ms, us, ns")
      ->check(CLI::IsMember({"s", "ms", "us", "ns"}))
      ->group(recorded)
      ->capture_default_str();
  cmd->add_option("--write-trace", flags->write_trace,
                  "Also write the generated trace to this file (one family only)")
      ->group(recorded);
  cmd->add_flag("--json", flags->json, "Print JSON");

  cmd->callback([flags, trace_options] {
    const bool custom = std::any_of(trace_options.begin(), trace_options.end(),
                                    [](CLI::Option* o) { return o->count() > 0; });
    Run(*flags, custom);
  });
}

}  // namespace picket::cli
