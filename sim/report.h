#pragma once

// The result of one simulator run, and its two renderings: one JSON object
// (the `picket sim --json` contract, see docs/simulator.md) and a short
// human-readable summary. Times are simulated seconds.
//
// Thread safety: none (a value type).

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace picket::sim {

// Nearest-rank percentiles of a sample; all empty when the sample is.
struct Percentiles {
  std::size_t count = 0;
  std::optional<double> p50, p99, max;
};
Percentiles ComputePercentiles(std::vector<double> values);

struct FalseDeclaration {
  double t_s = 0;  // since the start of the measured period
  std::string observer, subject, type;
};

struct Report {
  // Run.
  int nodes = 0;
  std::uint64_t seed = 0;
  double simulated_s = 0;  // measured period
  double warmup_s = 0;
  std::optional<double> wall_s;  // filled by the CLI, which owns a clock
  std::string command;           // the `picket sim` command line reproducing it

  // Crashes.
  int crashed = 0;
  int undetected =
      0;  // crashed, and some running member still saw it up at the end (or at its restart)
  Percentiles first_suspect_s, first_failed_s, all_failed_s, dissemination_s;

  // Declarations in the measured period (see detection_collector.h).
  std::uint64_t suspicions = 0, failures = 0;
  std::uint64_t false_suspicions = 0, false_failures = 0;
  std::uint64_t impaired_suspicions = 0, impaired_failures = 0;
  std::uint64_t warmup_false_suspicions = 0, warmup_false_failures = 0;
  std::vector<FalseDeclaration> false_examples;

  // Views.
  bool converged = false;
  std::optional<double> convergence_s;  // last fault (or measure start) to convergence
  bool warmup_converged = false;        // converged when the measured period began
  std::optional<double> warmup_converged_s;
  std::size_t missing_at_end = 0;  // running members not seen up by every running member
  // Different cluster sizes running members held at the samples, over the
  // whole run (Rapid's measure of view inconsistency on the way).
  std::size_t distinct_view_sizes = 0;
  int running_at_end = 0;
  int majority_at_end = 0;  // running members whose quorum view has a majority
  // When not converged: the first (observer, subject) pairs whose view is wrong,
  // "n3 sees n7 down" / "n3 sees n7 up".
  std::vector<std::string> view_mismatch_examples;

  // Traffic in the measured period, per running member per second. Bytes are
  // payload bytes (no UDP/IP/TCP headers).
  double msgs_per_member_s = 0;   // datagrams + stream messages
  double bytes_per_member_s = 0;  // datagram + stream bytes
  double datagrams_per_member_s = 0, datagram_bytes_per_member_s = 0;
  double stream_bytes_per_member_s = 0;
  // The same during the warm-up (the start: joins and their dissemination),
  // per running member per second of it.
  double warmup_bytes_per_member_s = 0;
  double warmup_stream_bytes_per_member_s = 0;

  // Partition (when one was configured).
  // Gray failures (--impair, --one-way-pairs): per impaired member, what the
  // healthy members concluded (see GrayCollector).
  struct GrayMember {
    std::string name;
    std::uint64_t suspicions = 0, failures = 0, readmissions = 0;
    int failed_by = 0;                              // healthy members that declared it failed
    std::optional<double> failed_everywhere_s;      // from --impair-at
    std::uint64_t readmissions_while_impaired = 0;  // before --impair-until
    std::optional<double> up_everywhere_after_s;    // from --impair-until
  };
  bool gray = false;
  std::vector<GrayMember> gray_members;
  // Agreement samples (every --sample-ms, from 10 s after --impair-at to the end) and
  // those at which at least 99% of the healthy members held one up set.
  double agreement_from_s = 0, agreement_quorum = 0;
  // The part of false_suspicions / false_failures that impaired members
  // declared (of healthy members, from their own vantage point).
  std::uint64_t false_suspicions_by_impaired = 0, false_failures_by_impaired = 0;
  std::uint64_t agreement_samples = 0, agreeing_samples = 0;
  std::vector<std::pair<std::string, std::string>> one_way_pairs;  // first does not hear second
  bool partition = false;
  int partition_sides[2] = {0, 0};                 // initial members per side
  std::uint64_t partition_undetected[2] = {0, 0};  // (observer on side i, subject across) still up
  int partition_majority[2] = {0, 0};  // members per side with has_majority, before heal
  bool partition_checked = false;      // the check ran (before heal or at the end)
  // Bytes sent per running member per second in the kHealWindowS seconds
  // after the heal (or up to the end, if sooner); nullopt without a heal.
  std::optional<double> heal_bytes_per_member_s;

  // Restarts, joins, leaves.
  int restarted = 0, rejoined = 0;
  Percentiles rejoin_s;
  int joined = 0, left = 0;
  // Replacement churn (--replace-per-min): replacements made, how many
  // settled (every live member sees the new one up and the old one gone) and
  // how long that took.
  int replaced = 0, replacements_settled = 0;
  bool replaced_by_crash = false;
  Percentiles replacement_settle_s;

  // Totals.
  std::uint64_t refutations = 0, stand_downs = 0, probes = 0, indirect_probes = 0,
                stream_probes = 0;
  std::uint64_t claim_checks = 0, claim_checks_waited = 0;
  std::uint64_t phi_checks = 0, phi_checks_answered = 0;
  std::uint64_t heartbeats = 0, core_dropped = 0;
  std::uint64_t net_dropped_loss = 0, net_dropped_partition = 0, net_dropped_down = 0;
  std::uint64_t net_dropped_backlog = 0, net_dropped_oversized = 0, net_unknown_address = 0;
  std::uint64_t streams = 0, streams_failed = 0, max_backlog = 0;
  std::uint64_t largest_datagram = 0, events = 0, tick_spins = 0;
  std::uint64_t quorum_lost_events = 0, quorum_regained_events = 0;
  std::uint64_t core_errors = 0, core_warnings = 0;
  std::uint64_t invariant_violations = 0;
  std::vector<std::string> violation_examples, core_error_examples;
};

// The JSON object (deterministic: same report, same text).
nlohmann::json ToJson(const Report& report);
// A few lines for people.
std::string FormatSummary(const Report& report);

}  // namespace picket::sim
