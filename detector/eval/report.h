#pragma once

// Plain-text (Markdown) rendering of QoS evaluations, as `picket
// detector-eval` prints them and docs/detector.md quotes them.

#include <string>
#include <vector>

#include "detector/eval/fleet.h"
#include "detector/eval/qos.h"

namespace picket::detector::eval {

// One evaluated trace family.
struct FamilyEvaluation {
  std::string name;
  std::string description;
  // Generator statistics of the trace (0 for recorded traces).
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t heartbeats_lost = 0;
  TraceEvaluation evaluation;
};

// Every setting of one family (detection time percentiles, mistakes per hour,
// mistake duration, query accuracy), then phi against the matched timeouts.
[[nodiscard]] std::string FormatFamilyReport(const FamilyEvaluation& family);

// The headline: for each family, phi at `threshold` (which must be one of the
// evaluated thresholds) against the fixed timeout with the same median
// detection time, and against the fastest timeout with no more mistakes; plus
// the spread of the first figure over every evaluated threshold.
[[nodiscard]] std::string FormatSummary(const std::vector<FamilyEvaluation>& families,
                                        double threshold);

// One phi threshold against one fixed timeout on every family (see fleet.h);
// `comparison` was computed from `families`, in the same order.
[[nodiscard]] std::string FormatFleet(const std::vector<FamilyEvaluation>& families,
                                      const FleetComparison& comparison);

// One row per threshold: phi against the single fixed timeout with the same
// mean median detection time and against the one with no more mistakes.
[[nodiscard]] std::string FormatFleetSweep(const std::vector<FleetComparison>& comparisons);

// "-" for nullopt, otherwise a signed percentage such as "+73%" / "-12%".
[[nodiscard]] std::string FormatPercent(const std::optional<double>& fraction);

}  // namespace picket::detector::eval
