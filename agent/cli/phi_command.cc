// `picket phi`: the phi a detector would report for a given heartbeat history,
// so users can reason about thresholds before they deploy and compare with
// other systems' published numbers.

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/cli/commands.h"
#include "detector/phi_accrual_detector.h"
#include "detector/phi_math.h"

namespace picket::cli {
namespace {

namespace det = picket::detector;

struct PhiFlags {
  double mean_ms = 0.0;
  double stddev_ms = 0.0;
  double elapsed_ms = 0.0;
  std::string distribution = "normal";
  double min_stddev_ms =
      std::chrono::duration<double, std::milli>(det::PhiConfig{}.min_std_deviation).count();
  double pause_ms = 0.0;
  double threshold = det::PhiConfig{}.threshold;
  bool json = false;
};

const std::map<std::string, det::Distribution>& Distributions() {
  static const std::map<std::string, det::Distribution> kByName = {
      {"normal", det::Distribution::kNormal},
      {"logistic", det::Distribution::kLogistic},
      {"exponential", det::Distribution::kExponential}};
  return kByName;
}

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "picket phi: " << message << "\n";
  throw CLI::RuntimeError(2);
}

std::string Number(double value, int precision = 6) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
  return buffer;
}

void Run(const PhiFlags& f) {
  auto require = [](bool ok, const std::string& flag, const std::string& rule, double value) {
    if (!ok) Fail(flag + " must be " + rule + " (got " + Number(value) + ")");
  };
  require(std::isfinite(f.mean_ms) && f.mean_ms > 0, "--mean-ms", "> 0", f.mean_ms);
  require(std::isfinite(f.stddev_ms) && f.stddev_ms >= 0, "--stddev-ms", ">= 0", f.stddev_ms);
  require(std::isfinite(f.elapsed_ms) && f.elapsed_ms >= 0, "--elapsed-ms", ">= 0", f.elapsed_ms);
  require(std::isfinite(f.min_stddev_ms) && f.min_stddev_ms >= 0, "--min-stddev-ms", ">= 0",
          f.min_stddev_ms);
  require(std::isfinite(f.pause_ms) && f.pause_ms >= 0, "--pause-ms", ">= 0", f.pause_ms);
  require(std::isfinite(f.threshold) && f.threshold > 0, "--threshold", "> 0", f.threshold);
  const det::Distribution distribution = Distributions().at(f.distribution);
  const bool exponential = distribution == det::Distribution::kExponential;
  const double stddev = std::max(f.stddev_ms, f.min_stddev_ms);
  if (!exponential && !(stddev > 0)) {
    Fail("--stddev-ms must be > 0 for the " + f.distribution +
         " distribution (or give --min-stddev-ms > 0)");
  }

  const double phi = det::PhiOf(distribution, f.elapsed_ms, f.mean_ms, stddev, f.pause_ms);
  const double z = exponential ? NAN : (f.elapsed_ms - (f.mean_ms + f.pause_ms)) / stddev;
  const double inverse = det::PhiInverse(distribution, f.threshold);
  const double suspect_after_ms = exponential
                                      ? f.pause_ms + inverse * f.mean_ms
                                      : std::max(0.0, f.mean_ms + f.pause_ms + inverse * stddev);
  const bool suspected = phi >= f.threshold;

  if (f.json) {
    nlohmann::json out = {
        {"phi", phi},
        {"distribution", f.distribution},
        {"mean_ms", f.mean_ms},
        {"stddev_ms", f.stddev_ms},
        {"min_stddev_ms", f.min_stddev_ms},
        {"effective_stddev_ms", exponential ? nlohmann::json(nullptr) : nlohmann::json(stddev)},
        {"pause_ms", f.pause_ms},
        {"elapsed_ms", f.elapsed_ms},
        {"z", exponential ? nlohmann::json(nullptr) : nlohmann::json(z)},
        {"log10_probability_late", -phi},
        {"threshold", f.threshold},
        {"suspected", suspected},
        {"suspect_after_ms", suspect_after_ms},
    };
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "phi = " << Number(phi, 8) << " (" << f.distribution << ")\n";
  if (exponential) {
    std::cout << "  history: mean " << Number(f.mean_ms) << " ms, acceptable pause "
              << Number(f.pause_ms) << " ms (the deviation is not used)\n";
  } else {
    std::cout << "  history: mean " << Number(f.mean_ms) << " ms, stddev " << Number(f.stddev_ms)
              << " ms (floor " << Number(f.min_stddev_ms) << " ms, used " << Number(stddev)
              << " ms), acceptable pause " << Number(f.pause_ms) << " ms\n";
  }
  std::cout << "  elapsed " << Number(f.elapsed_ms) << " ms since the last heartbeat";
  if (!exponential) std::cout << ": z = " << Number(z);
  std::cout << "\n  P(the heartbeat is merely late) = 10^-" << Number(phi, 6) << "\n";
  std::cout << "  threshold " << Number(f.threshold) << ": suspected from "
            << Number(suspect_after_ms) << " ms on; "
            << (suspected ? "SUSPECTED now" : "not suspected now") << "\n";
}

}  // namespace

void AddPhiCommand(CLI::App& app) {
  auto flags = std::make_shared<PhiFlags>();
  auto* cmd = app.add_subcommand(
      "phi",
      "Print the phi a detector reports for a heartbeat history (mean, stddev) and the "
      "time since the last heartbeat");
  cmd->add_option("--mean-ms", flags->mean_ms, "Mean heartbeat inter-arrival time, ms (> 0)")
      ->required();
  cmd->add_option("--stddev-ms", flags->stddev_ms,
                  "Standard deviation of the inter-arrival times, ms (>= 0)")
      ->required();
  cmd->add_option("--elapsed-ms", flags->elapsed_ms, "Time since the last heartbeat, ms (>= 0)")
      ->required();
  cmd->add_option("--distribution", flags->distribution,
                  "normal (exact tail), logistic (Akka) or exponential (Cassandra)")
      ->check(CLI::IsMember({"normal", "logistic", "exponential"}))
      ->capture_default_str();
  cmd->add_option("--min-stddev-ms", flags->min_stddev_ms,
                  "Floor on the standard deviation, ms, as the detector applies it (0: none)")
      ->capture_default_str();
  cmd->add_option("--pause-ms", flags->pause_ms, "Acceptable heartbeat pause added to the mean, ms")
      ->capture_default_str();
  cmd->add_option("--threshold", flags->threshold, "Suspicion threshold to compare with")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print JSON");
  cmd->callback([flags] { Run(*flags); });
}

}  // namespace picket::cli
