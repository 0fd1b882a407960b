#include "sim/scenario_options.h"

#include <cmath>
#include <sstream>

#include "membership/config_fields.h"

namespace picket::sim {

namespace {

std::string Bad(const std::string& flag, const std::string& why) { return flag + ": " + why; }

}  // namespace

int ScenarioOptions::TotalHosts() const { return nodes + Joiners() + Replacements(); }

int ScenarioOptions::Joiners() const {
  return static_cast<int>(std::floor(join_rate * JoinWindow()));
}

int ScenarioOptions::Replacements() const {
  if (!(replace_per_min > 0)) return 0;
  // (i + 0.5) * interval < the window.
  return static_cast<int>(std::ceil(ReplaceWindow() / ReplaceInterval() - 0.5));
}

Status ScenarioOptions::Validate() const {
  if (nodes < 1 || nodes > 100000) return Fail(Bad("--nodes", "must be in 1..100000"));
  if (!(seconds > 0) || seconds > 1e6) return Fail(Bad("--seconds", "must be > 0 (and <= 1e6)"));
  if (!(warmup_s >= 0) || warmup_s > 1e6) return Fail(Bad("--warmup", "must be >= 0"));
  if (!(join_spread_s >= 0) || join_spread_s > warmup_s + 1e-9) {
    return Fail(Bad("--join-spread", "must be in 0..--warmup"));
  }
  if (bootstrap == Bootstrap::kStaged && warmup_s < 0.1) {
    return Fail(Bad("--warmup", "must be at least 0.1 with --bootstrap staged"));
  }
  if (!(latency_ms >= 0) || latency_ms > 1e6) return Fail(Bad("--latency-ms", "must be >= 0"));
  if (!(jitter_ms >= 0) || jitter_ms > 1e6) return Fail(Bad("--jitter-ms", "must be >= 0"));
  if (!(loss >= 0 && loss <= 1)) return Fail(Bad("--loss", "must be in 0..1"));
  if (backlog_limit < 0) return Fail(Bad("--backlog-limit", "must be >= 0"));
  if (crash < 0 || crash >= nodes) return Fail(Bad("--crash", "must be in 0..nodes-1"));
  if (crash > 0 && (!(crash_at >= 0) || crash_at > seconds)) {
    return Fail(Bad("--crash-at", "must be in 0..--seconds"));
  }
  if (!(restart_after < 0 || restart_after >= 0.001)) {
    return Fail(Bad("--restart-after", "must be >= 0.001 (or negative: never)"));
  }
  if (!(pause_ms >= 0)) return Fail(Bad("--pause-node-ms", "must be >= 0"));
  if (pause_ms > 0) {
    if (!(pause_every_ms > pause_ms)) {
      return Fail(Bad("--pause-every-ms", "must be greater than --pause-node-ms"));
    }
    if (pause_count < 1 || pause_count + crash > nodes) {
      return Fail(Bad("--pause-count", "must be in 1..nodes - --crash"));
    }
    if (!(pause_from >= 0) || pause_from > seconds) {
      return Fail(Bad("--pause-from", "must be in 0..--seconds"));
    }
  } else if (pause_every_ms != 0) {
    return Fail(Bad("--pause-node-ms", "must be > 0 when --pause-every-ms is given"));
  }
  if (!(partition >= 0 && partition < 1)) return Fail(Bad("--partition", "must be in [0, 1)"));
  if (partition > 0) {
    if (!(partition_at >= 0) || partition_at > seconds) {
      return Fail(Bad("--partition-at", "must be in 0..--seconds"));
    }
    if (heal_at >= 0 && !(heal_at > partition_at)) {
      return Fail(Bad("--heal-at", "must be after --partition-at"));
    }
  }
  if (join_for > seconds) return Fail(Bad("--join-for", "must be at most --seconds"));
  if (!(join_rate >= 0) || join_rate * JoinWindow() > 100000) {
    return Fail(Bad("--join-rate", "must be >= 0 (at most 100000 joiners)"));
  }
  if (leave < 0 || leave + crash + (pause_ms > 0 ? pause_count : 0) > nodes - 1) {
    return Fail(
        Bad("--leave", "must leave at least one member that neither crashes, pauses nor leaves"));
  }
  if (leave > 0 && (!(leave_at >= 0) || leave_at > seconds)) {
    return Fail(Bad("--leave-at", "must be in 0..--seconds"));
  }
  const int others = crash + (pause_ms > 0 ? pause_count : 0) + leave;
  if (impair < 0 || impair + others > nodes - 1) {
    return Fail(Bad("--impair",
                    "must leave at least one member that is not crashed, paused, "
                    "leaving or impaired"));
  }
  if (replace_for > seconds) return Fail(Bad("--replace-for", "must be at most --seconds"));
  if (!(replace_per_min >= 0) || replace_per_min * nodes * seconds / 60 > 100000) {
    return Fail(Bad("--replace-per-min", "must be >= 0 (at most 100000 replacements)"));
  }
  if (Replacements() + impair + others > nodes - 1) {
    return Fail(Bad("--replace-per-min",
                    "replaces " + std::to_string(Replacements()) +
                        " initial members over --seconds; with the crashed, paused, leaving "
                        "and impaired ones at least one must stay"));
  }
  if (!(impair_loss >= 0 && impair_loss <= 1)) return Fail(Bad("--impair-loss", "must be in 0..1"));
  if (one_way_pairs < 0 || (one_way_pairs > 0 && nodes < 2) ||
      static_cast<double>(one_way_pairs) > static_cast<double>(nodes) * (nodes - 1) / 2) {
    return Fail(Bad("--one-way-pairs", "must be in 0..nodes*(nodes-1)/2"));
  }
  if (impair > 0 || one_way_pairs > 0) {
    if (!(impair_at >= 0) || impair_at > seconds) {
      return Fail(Bad("--impair-at", "must be in 0..--seconds"));
    }
    if (impair_until >= 0 && !(impair_until > impair_at)) {
      return Fail(Bad("--impair-until", "must be after --impair-at (or negative: the end)"));
    }
    if (!(impair_flip_s >= 0)) return Fail(Bad("--impair-flip-s", "must be >= 0"));
    if (impair_flip_s > 0 && impair_flip_s < 0.01) {
      return Fail(Bad("--impair-flip-s", "must be 0 (steady) or at least 0.01"));
    }
  }
  if (!(grace_ms >= 0)) return Fail(Bad("--grace-ms", "must be >= 0"));
  if (!(sample_ms >= 1)) return Fail(Bad("--sample-ms", "must be >= 1"));
  if (auto error = protocol.Validate()) {
    return Fail("protocol setting: " + Bad(std::string(error->field->flag), error->Message()));
  }
  return {};
}

std::string ScenarioOptions::CommandLine() const {
  std::ostringstream out;
  out << "picket sim --nodes " << nodes << " --seconds " << seconds << " --seed " << seed
      << " --warmup " << warmup_s << " --join-spread " << join_spread_s << " --bootstrap "
      << (bootstrap == Bootstrap::kSeed     ? "seed"
          : bootstrap == Bootstrap::kRandom ? "random"
          : bootstrap == Bootstrap::kWarm   ? "warm"
                                            : "staged");
  if (latency_ms != 1) out << " --latency-ms " << latency_ms;
  if (jitter_ms != 0) out << " --jitter-ms " << jitter_ms;
  if (loss != 0) out << " --loss " << loss;
  if (stream_loss) out << " --stream-loss";
  if (crash_refuses) out << " --crash-refuses";
  if (backlog_limit != 10000) out << " --backlog-limit " << backlog_limit;
  if (crash > 0) {
    out << " --crash " << crash << " --crash-at " << crash_at;
    if (restart_after >= 0) out << " --restart-after " << restart_after;
  }
  if (pause_ms > 0) {
    out << " --pause-node-ms " << pause_ms << " --pause-every-ms " << pause_every_ms
        << " --pause-count " << pause_count << " --pause-from " << pause_from;
  }
  if (partition > 0) {
    out << " --partition " << partition << " --partition-at " << partition_at;
    if (heal_at >= 0) out << " --heal-at " << heal_at;
  }
  if (impair > 0 || one_way_pairs > 0) {
    if (impair > 0) {
      out << " --impair " << impair << " --impair-loss " << impair_loss << " --impair-dir "
          << (impair_dir == ImpairDirection::kIn    ? "in"
              : impair_dir == ImpairDirection::kOut ? "out"
                                                    : "both");
    }
    if (one_way_pairs > 0) out << " --one-way-pairs " << one_way_pairs;
    out << " --impair-at " << impair_at;
    if (impair_until >= 0) out << " --impair-until " << impair_until;
    if (impair_flip_s > 0) out << " --impair-flip-s " << impair_flip_s;
  }
  if (join_rate > 0) out << " --join-rate " << join_rate;
  if (join_rate > 0 && join_for >= 0) out << " --join-for " << join_for;
  if (leave > 0) out << " --leave " << leave << " --leave-at " << leave_at;
  if (replace_per_min > 0) {
    out << " --replace-per-min " << replace_per_min << " --replace-by "
        << (replace_by == ReplaceBy::kCrash ? "crash" : "leave");
    if (replace_for >= 0) out << " --replace-for " << replace_for;
  }
  if (grace_ms != 2000) out << " --grace-ms " << grace_ms;
  if (sample_ms != 100) out << " --sample-ms " << sample_ms;
  return out.str();
}

}  // namespace picket::sim
