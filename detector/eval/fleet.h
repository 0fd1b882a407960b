#pragma once

// One setting for every trace family: phi at one threshold on all of them,
// against one fixed timeout on all of them. This is the operator's question
// (one configuration for links that differ, or that change over time), as
// opposed to MatchedComparison, which tunes the timeout per trace with
// hindsight.
//
// Thread safety: pure function.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detector/eval/qos.h"

namespace picket::detector::eval {

struct FleetComparison {
  double threshold = 0.0;
  // The setting's name in reports (EvalOptions::Label).
  std::string label;
  double hours = 0.0;
  // Phi, summed / averaged over the families.
  std::uint64_t phi_mistakes = 0;
  Duration phi_mean_detection_median = Duration::zero();  // mean of the per-family medians

  // The single timeout with the same mean (over families) median detection
  // time, its total mistakes, and 1 - phi / timeout (nullopt if it makes none).
  Duration equal_speed_timeout = Duration::zero();
  std::uint64_t equal_speed_mistakes = 0;
  std::optional<double> fewer_mistakes;

  // The shortest single timeout with no more total mistakes than phi, its
  // mean median detection time, and 1 - phi / timeout.
  Duration equal_mistakes_timeout = Duration::zero();
  Duration equal_mistakes_mean_detection_median = Duration::zero();
  std::optional<double> faster;

  // Per family, in input order: phi's median detection time and mistakes, and
  // the two single timeouts' (same speed, same mistakes).
  struct Family {
    Duration phi_detection_median = Duration::zero();
    std::uint64_t phi_mistakes = 0;
    Duration equal_speed_detection_median = Duration::zero();
    std::uint64_t equal_speed_mistakes = 0;
    Duration equal_mistakes_detection_median = Duration::zero();
    std::uint64_t equal_mistakes_mistakes = 0;
  };
  std::vector<Family> families;
};

// REQUIRES: every evaluation evaluated `threshold` (the swept value) and has
// crash trials.
[[nodiscard]] FleetComparison CompareFleet(const std::vector<const TraceEvaluation*>& evaluations,
                                           double threshold);

}  // namespace picket::detector::eval
