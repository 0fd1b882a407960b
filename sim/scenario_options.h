#pragma once

// Everything that defines one simulator run: cluster size, duration, seed,
// network, faults and protocol settings. Every field maps to one `picket sim`
// flag (named in the comment); Validate() names the flag of a bad value.
//
// Timeline: members start during the warm-up [0, warmup_s); the measured
// period is [warmup_s, warmup_s + seconds). Fault times (crash_at,
// partition_at, ...) count from the start of the measured period, and all
// rates and declaration counts in the report cover the measured period only.

#include <cstdint>
#include <optional>
#include <string>

#include "common/expected.h"
#include "membership/config.h"

namespace picket::sim {

enum class Bootstrap : std::uint8_t {
  kSeed,    // every member joins through member 0 ("seed")
  kRandom,  // every member joins through up to 3 random members started before it ("random")
  kWarm,    // every member starts with the full table (Swim::WarmStart), no joins ("warm")
  kStaged,  // all join member 0 twice with gossip frozen, then start ("staged")
};

// How a replaced member goes (--replace-by).
enum class ReplaceBy : std::uint8_t { kLeave, kCrash };

// Which of an impaired member's traffic is lossy (--impair-dir).
enum class ImpairDirection : std::uint8_t { kIn, kOut, kBoth };

struct ScenarioOptions {
  int nodes = 32;            // --nodes: members at the start, 1..100000
  double seconds = 60;       // --seconds: measured period, > 0
  double warmup_s = 10;      // --warmup: members start and settle, >= 0
  double join_spread_s = 2;  // --join-spread: members start spread over [0, this) of the warm-up
  Bootstrap bootstrap = Bootstrap::kRandom;  // --bootstrap seed|random|warm|staged
  std::uint64_t seed = 1;                    // --seed

  // Network (--latency-ms, --jitter-ms, --loss, --stream-loss).
  double latency_ms = 1;
  double jitter_ms = 0;
  double loss = 0;  // 0..1
  bool stream_loss = false;
  // --crash-refuses: a crashed member's host stays up and refuses its TCP
  // connections (a killed process), instead of vanishing with it.
  bool crash_refuses = false;
  int backlog_limit = 10000;  // --backlog-limit: datagrams queued by a paused member

  // Crashes: `crash` random members crash at crash_at; with restart_after >= 0
  // each restarts that long after (--crash, --crash-at, --restart-after).
  int crash = 0;
  double crash_at = 5;
  double restart_after = -1;

  // Pauses: `pause_count` random members (not crashed ones) stop for
  // pause_ms of every pause_every_ms, from pause_from to the end, each with a
  // random phase (--pause-node-ms, --pause-every-ms, --pause-count, --pause-from).
  double pause_ms = 0;
  double pause_every_ms = 0;
  int pause_count = 1;
  double pause_from = 0;

  // Partition: a random `partition` fraction of the members is cut off from
  // the rest at partition_at, until heal_at (< 0: never)
  // (--partition, --partition-at, --heal-at).
  double partition = 0;
  double partition_at = 5;
  double heal_at = -1;

  // Churn: new members join at join_rate per second during the first
  // join_for seconds of the measured period, the i-th at (i + 0.5) / join_rate
  // (through 3 random running members); `leave` random members leave
  // gracefully at leave_at (--join-rate, --join-for, --leave, --leave-at).
  // Gray failures: `impair` random members (not crashed, paused or leaving
  // ones) lose impair_loss of their incoming, outgoing or both datagrams from
  // impair_at until impair_until (< 0: the end); with impair_flip_s > 0 the
  // loss is on for that many seconds, off as long, repeating. `one_way_pairs`
  // random pairs (a, b) lose every message from b to a over the same span:
  // a does not hear b, b hears a (--impair, --impair-loss, --impair-dir,
  // --impair-at, --impair-until, --impair-flip-s, --one-way-pairs).
  int impair = 0;
  double impair_loss = 0.8;
  ImpairDirection impair_dir = ImpairDirection::kBoth;
  double impair_at = 5;
  double impair_until = -1;
  double impair_flip_s = 0;
  int one_way_pairs = 0;
  double join_rate = 0;
  double join_for = -1;  // --join-for: joins happen during the first this-many seconds (< 0: all)
  int leave = 0;
  double leave_at = 5;
  // Replacement churn (a rolling update, or nodes lost and replaced): a
  // `replace_per_min` fraction of --nodes per minute, evenly spaced over the
  // measured period (or its first replace_for seconds), the i-th at
  // (i + 0.5) * interval: a random initial member
  // (not crashed, paused, leaving or impaired) leaves gracefully or crashes
  // (replace_by) and a new member with a new name joins at that moment through
  // 3 random running members (--replace-per-min, --replace-by, --replace-for).
  double replace_per_min = 0;
  double replace_for = -1;  // < 0: the whole measured period
  ReplaceBy replace_by = ReplaceBy::kLeave;

  // Judging (--grace-ms, --sample-ms): see ground_truth.h and cluster.h.
  double grace_ms = 2000;
  double sample_ms = 100;
  // --trace NAME: every event about member NAME goes to ScenarioRunner's trace sink.
  std::string trace;

  // Protocol settings of every member (the ProtocolFlags of `picket agent`).
  membership::Config protocol;

  // Success, or an error naming the first invalid flag.
  [[nodiscard]] Status Validate() const;
  // Members that will exist over the run (nodes + joiners + replacements).
  [[nodiscard]] int TotalHosts() const;
  // Members that join (--join-rate) over the measured period.
  [[nodiscard]] int Joiners() const;
  // Members replaced over the measured period.
  [[nodiscard]] int Replacements() const;
  // Seconds of the measured period during which members are replaced.
  [[nodiscard]] double ReplaceWindow() const { return replace_for < 0 ? seconds : replace_for; }
  // Seconds between replacements. REQUIRES: replace_per_min > 0.
  [[nodiscard]] double ReplaceInterval() const { return 60.0 / (replace_per_min * nodes); }
  // Seconds of the measured period during which members join.
  [[nodiscard]] double JoinWindow() const { return join_for < 0 ? seconds : join_for; }
  // End of the gray failures, in seconds of the measured period.
  [[nodiscard]] double ImpairEnd() const { return impair_until < 0 ? seconds : impair_until; }
  // The `picket sim` flags that reproduce this run, apart from protocol
  // settings, which the caller appends.
  [[nodiscard]] std::string CommandLine() const;
};

}  // namespace picket::sim
