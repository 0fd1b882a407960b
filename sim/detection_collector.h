#pragma once

// Judges every suspect and failed declaration a member makes, and times the
// detection of every crash.
//
// A declaration is a member.suspect or member.failed event that observer o
// emits about subject s at time t. It is
//  - false if s was Healthy as seen from o at t (see ground_truth.h),
//  - about a crash if s's process was down at t (it then feeds the detection
//    times of that crash),
//  - otherwise "impaired": s was paused, leaving, partitioned from o, or had
//    such a fault within the grace period (a true positive, not a crash).
// Declarations made before the measured period starts (warm-up) are counted
// apart and never mixed with the measured ones.
//
// Thread safety: none; the simulation loop owns it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "membership/types.h"
#include "sim/ground_truth.h"
#include "sim/link_model.h"

namespace picket::sim {

// Detection of one crash (of one process: a restart ends it).
struct CrashRecord {
  HostId host = 0;
  TimePoint crashed_at{};
  std::optional<TimePoint> first_suspect;  // first suspect or failed declaration anywhere
  std::optional<TimePoint> first_failed;   // first failed declaration anywhere
  std::optional<TimePoint> all_down;       // since then no running member sees it up
  std::optional<TimePoint> restarted_at;
};

// One declaration, kept as an example for the report.
struct DeclarationSample {
  TimePoint time{};
  HostId observer = 0;
  HostId subject = 0;
  membership::EventType type = membership::EventType::kSuspect;
};

struct DeclarationCounts {
  std::uint64_t suspicions = 0;  // all suspect declarations
  std::uint64_t failures = 0;    // all failed declarations
  std::uint64_t false_suspicions = 0;
  std::uint64_t false_failures = 0;
  // ... of which declared by members that have had a gray failure
  std::uint64_t false_suspicions_by_gray = 0;
  std::uint64_t false_failures_by_gray = 0;
  std::uint64_t impaired_suspicions = 0;
  std::uint64_t impaired_failures = 0;
};

class DetectionCollector {
 public:
  // REQUIRES: `truth` outlives the collector.
  DetectionCollector(const GroundTruth& truth, TimePoint measure_start, std::size_t max_examples);

  // The process on h crashed at t (call before or after the truth update; the
  // record starts either way).
  void OnCrash(HostId h, TimePoint t);
  // h runs again: its crash is no longer tracked.
  void OnRestart(HostId h, TimePoint t);
  // A suspect or failed event (others are ignored).
  void OnDeclaration(HostId observer, HostId subject, membership::EventType type, TimePoint t);
  // No running member sees `subject` up any more / some member sees it up
  // again (from the ViewCollector). all_down is the start of the last period
  // in which nobody saw the crashed member up.
  void OnNobodySeesUp(HostId subject, TimePoint t);
  void OnSomeoneSeesUp(HostId subject);

  [[nodiscard]] const std::vector<CrashRecord>& crashes() const { return crashes_; }
  [[nodiscard]] const DeclarationCounts& measured() const { return measured_; }
  [[nodiscard]] const DeclarationCounts& warmup() const { return warmup_; }
  // The first false declarations of the measured period, in time order.
  [[nodiscard]] const std::vector<DeclarationSample>& false_examples() const {
    return false_examples_;
  }

 private:
  const GroundTruth& truth_;
  TimePoint measure_start_;
  std::size_t max_examples_;
  std::vector<CrashRecord> crashes_;
  std::unordered_map<HostId, std::size_t> open_crash_;  // host -> index in crashes_
  DeclarationCounts measured_;
  DeclarationCounts warmup_;
  std::vector<DeclarationSample> false_examples_;
};

}  // namespace picket::sim
