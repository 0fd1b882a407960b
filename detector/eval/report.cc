#include "detector/eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "detector/percentile.h"

namespace picket::detector::eval {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string Ms(Duration d) {
  return Format("%.0f", std::chrono::duration<double, std::milli>(d).count());
}

std::string Rate(double per_hour) { return Format(per_hour < 10 ? "%.2f" : "%.1f", per_hour); }

std::string Setting(const QosStats& s) {
  if (s.kind == "phi") return s.label;
  return "timeout " + Ms(s.timeout) + " ms";
}

std::string Row(const QosStats& s) {
  return "| " + Setting(s) + " | " + Ms(s.detection_median) + " | " + Ms(s.detection_p90) + " | " +
         Ms(s.detection_p99) + " | " + Ms(s.detection_max) + " | " + std::to_string(s.mistakes) +
         " | " + Rate(s.mistakes_per_hour) + " | " + Ms(s.mistake_duration_mean) + " | " +
         Format("%.6f", s.query_accuracy) + " |\n";
}

const MatchedComparison* FindMatch(const TraceEvaluation& e, double threshold, std::size_t* index) {
  for (std::size_t i = 0; i < e.matched.size(); ++i) {
    if (e.matched[i].threshold == threshold) {
      *index = i;
      return &e.matched[i];
    }
  }
  return nullptr;
}

}  // namespace

std::string FormatPercent(const std::optional<double>& fraction) {
  if (!fraction) return "-";
  return Format("%+.0f%%", 100.0 * *fraction);
}

std::string FormatFamilyReport(const FamilyEvaluation& family) {
  const TraceEvaluation& e = family.evaluation;
  std::string out = "### " + family.name + ": " + family.description + "\n\n";
  out += Format("%.1f", e.hours) + " h evaluated, " + std::to_string(e.arrivals) + " arrivals";
  if (family.heartbeats_sent > 0) {
    out += " (" + std::to_string(family.heartbeats_lost) + " of " +
           std::to_string(family.heartbeats_sent) + " heartbeats lost)";
  }
  out += ", " + std::to_string(e.crash_trials) + " crash trials.\n\n";
  out += "| detector | T_D median ms | p90 | p99 | max | mistakes | per hour | T_M ms | P_A |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const QosStats& s : e.phi) out += Row(s);
  for (const QosStats& s : e.timeouts) out += Row(s);
  out +=
      "\nThe detector against the fixed timeout with the same median detection time, and "
      "against the\nshortest fixed timeout with no more mistakes:\n\n";
  out +=
      "| detector | T_D median ms | mistakes/h | same-T_D timeout ms | its mistakes/h | "
      "fewer mistakes | same-mistakes timeout ms | its T_D median ms | detector faster |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < e.matched.size(); ++i) {
    const MatchedComparison& m = e.matched[i];
    const QosStats& p = e.phi[i];
    out += "| " + p.label + " | " + Ms(p.detection_median) + " | " + Rate(p.mistakes_per_hour) +
           " | " + Ms(m.equal_speed_timeout) + " | " +
           Rate(m.equal_speed_timeout_mistakes_per_hour) + " | " + FormatPercent(m.fewer_mistakes) +
           " | " + Ms(m.equal_mistakes_timeout) + " | " + Ms(m.equal_mistakes_detection_median) +
           " | " + FormatPercent(m.faster) + " |\n";
  }
  return out + "\n";
}

std::string FormatSummary(const std::vector<FamilyEvaluation>& families, double threshold) {
  std::string phi = "phi " + Format("%g", threshold);
  for (const FamilyEvaluation& family : families) {
    for (const QosStats& s : family.evaluation.phi) {
      if (s.threshold == threshold) phi = s.label;
    }
  }
  std::string out = "| family | " + phi + " T_D median ms | " + phi +
                    " mistakes/h | timeout with the same T_D median, ms | its mistakes/h | " + phi +
                    ": fewer false suspicions | shortest timeout with no more mistakes, ms | "
                    "its T_D median ms | " +
                    phi +
                    ": faster detection | fewer false suspicions, every setting: min / median "
                    "/ max |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const FamilyEvaluation& family : families) {
    std::size_t i = 0;
    const MatchedComparison* m = FindMatch(family.evaluation, threshold, &i);
    if (m == nullptr) continue;
    const QosStats& p = family.evaluation.phi[i];
    std::vector<double> spread;
    for (const MatchedComparison& other : family.evaluation.matched) {
      if (other.fewer_mistakes) spread.push_back(*other.fewer_mistakes);
    }
    std::sort(spread.begin(), spread.end());
    std::string range = "-";
    if (!spread.empty()) {
      range = FormatPercent(spread.front()) + " / " +
              FormatPercent(detector::NearestRank(spread, 0.5)) + " / " +
              FormatPercent(spread.back());
    }
    out += "| " + family.name + " | " + Ms(p.detection_median) + " | " + Rate(p.mistakes_per_hour) +
           " | " + Ms(m->equal_speed_timeout) + " | " +
           Rate(m->equal_speed_timeout_mistakes_per_hour) + " | " +
           FormatPercent(m->fewer_mistakes) + " | " + Ms(m->equal_mistakes_timeout) + " | " +
           Ms(m->equal_mistakes_detection_median) + " | " + FormatPercent(m->faster) + " | " +
           range + " |\n";
  }
  return out;
}

std::string FormatFleet(const std::vector<FamilyEvaluation>& families, const FleetComparison& c) {
  const std::string& phi = c.label;
  const std::string same_speed = "timeout " + Ms(c.equal_speed_timeout) + " ms";
  const std::string same_mistakes = "timeout " + Ms(c.equal_mistakes_timeout) + " ms";
  std::string out = "| family | " + phi + ": T_D median ms | mistakes/h | " + same_speed +
                    " (same mean T_D): T_D median ms | mistakes/h | " + same_mistakes +
                    " (same total mistakes): T_D median ms | mistakes/h |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < families.size() && i < c.families.size(); ++i) {
    const FleetComparison::Family& f = c.families[i];
    const double hours = families[i].evaluation.hours;
    auto rate = [&](std::uint64_t n) { return Rate(static_cast<double>(n) / hours); };
    out += "| " + families[i].name + " | " + Ms(f.phi_detection_median) + " | " +
           rate(f.phi_mistakes) + " | " + Ms(f.equal_speed_detection_median) + " | " +
           rate(f.equal_speed_mistakes) + " | " + Ms(f.equal_mistakes_detection_median) + " | " +
           rate(f.equal_mistakes_mistakes) + " |\n";
  }
  auto total_rate = [&](std::uint64_t n) { return Rate(static_cast<double>(n) / c.hours); };
  std::uint64_t equal_mistakes_total = 0;
  for (const FleetComparison::Family& f : c.families)
    equal_mistakes_total += f.equal_mistakes_mistakes;
  out += "| all (mean of medians; mistakes per hour of all traces) | " +
         Ms(c.phi_mean_detection_median) + " | " + total_rate(c.phi_mistakes) + " | " +
         Ms(c.phi_mean_detection_median) + " | " + total_rate(c.equal_speed_mistakes) + " | " +
         Ms(c.equal_mistakes_mean_detection_median) + " | " + total_rate(equal_mistakes_total) +
         " |\n\n";
  out += phi + " against one fixed timeout for every family: " + FormatPercent(c.fewer_mistakes) +
         " fewer false suspicions at the same mean median detection time; " +
         FormatPercent(c.faster) + " faster median detection at no more false suspicions.\n";
  return out;
}

std::string FormatFleetSweep(const std::vector<FleetComparison>& comparisons) {
  std::string out =
      "| setting | detector: mean T_D median ms | detector: mistakes/h | same-T_D timeout ms | "
      "its mistakes/h | detector: fewer false suspicions | same-mistakes timeout ms | its mean "
      "T_D median ms | detector: faster detection |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const FleetComparison& c : comparisons) {
    auto rate = [&](std::uint64_t n) { return Rate(static_cast<double>(n) / c.hours); };
    out += "| " + c.label + " | " + Ms(c.phi_mean_detection_median) + " | " + rate(c.phi_mistakes) +
           " | " + Ms(c.equal_speed_timeout) + " | " + rate(c.equal_speed_mistakes) + " | " +
           FormatPercent(c.fewer_mistakes) + " | " + Ms(c.equal_mistakes_timeout) + " | " +
           Ms(c.equal_mistakes_mean_detection_median) + " | " + FormatPercent(c.faster) + " |\n";
  }
  return out;
}

}  // namespace picket::detector::eval
