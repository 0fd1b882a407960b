// `picket sim`: the deterministic cluster simulator (sim/, docs/simulator.md).
// Flags to sim::ScenarioOptions, run, print the report (JSON or a summary).
// The only clock read here is the wall-time measurement (wall_s).

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "agent/cli/commands.h"
#include "agent/cli/protocol_flags.h"
#include "sim/scenario.h"

namespace picket::cli {

namespace {

struct SimFlags {
  sim::ScenarioOptions options;
  std::string bootstrap = "random";
  std::string impair_dir = "both";
  std::string replace_by = "leave";
  bool json = false;
  bool timings = false;
  ProtocolFlags protocol;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "picket sim: " << message << "\n";
  throw CLI::RuntimeError(2);
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Run(SimFlags& f) {
  sim::ScenarioOptions o = f.options;
  o.bootstrap = f.bootstrap == "seed"     ? sim::Bootstrap::kSeed
                : f.bootstrap == "warm"   ? sim::Bootstrap::kWarm
                : f.bootstrap == "staged" ? sim::Bootstrap::kStaged
                                          : sim::Bootstrap::kRandom;
  o.impair_dir = f.impair_dir == "in"    ? sim::ImpairDirection::kIn
                 : f.impair_dir == "out" ? sim::ImpairDirection::kOut
                                         : sim::ImpairDirection::kBoth;
  o.replace_by = f.replace_by == "crash" ? sim::ReplaceBy::kCrash : sim::ReplaceBy::kLeave;
  try {
    o.protocol = f.protocol.Build();
  } catch (const CLI::ValidationError& e) {
    Fail(e.what());
  }
  if (const Status valid = o.Validate(); !valid) Fail(valid.error());

  const auto start = std::chrono::steady_clock::now();
  sim::ScenarioRunner runner(o, [](const std::string& line) { std::cerr << line << "\n"; });
  const double setup_s = Since(start);
  runner.RunWarmup();
  const double warmup_s = Since(start) - setup_s;
  runner.RunMeasured();
  const double measured_s = Since(start) - setup_s - warmup_s;
  sim::Report report = runner.Finish();
  report.wall_s = Since(start);
  if (f.timings) {
    std::fprintf(stderr, "wall: setup %.3f s, warm-up %.3f s, measured %.3f s, total %.3f s\n",
                 setup_s, warmup_s, measured_s, *report.wall_s);
  }
  if (f.json) {
    std::cout << sim::ToJson(report).dump() << "\n";
  } else {
    std::cout << sim::FormatSummary(report);
  }
}

}  // namespace

void AddSimCommand(CLI::App& app) {
  auto flags = std::make_shared<SimFlags>();
  sim::ScenarioOptions& o = flags->options;
  auto* cmd = app.add_subcommand(
      "sim",
      "Simulate a cluster of members running the real membership core on a virtual network "
      "(deterministic: same seed and flags, same result)");
  cmd->add_option("--nodes", o.nodes, "Members at the start")->capture_default_str();
  cmd->add_option("--seconds", o.seconds, "Measured period, simulated seconds")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
  cmd->add_option("--warmup", o.warmup_s,
                  "Simulated seconds before the measured period (members join and settle)")
      ->capture_default_str();
  cmd->add_option("--join-spread", o.join_spread_s,
                  "Members start spread over this many seconds of the warm-up")
      ->capture_default_str();
  cmd->add_option(
         "--bootstrap", flags->bootstrap,
         "Members join through member 0 (seed) or 3 random earlier members (random), "
         "join member 0 twice with gossip frozen (staged), or start with full tables (warm)")
      ->check(CLI::IsMember({"seed", "random", "warm", "staged"}))
      ->capture_default_str();

  const std::string net = "Network";
  cmd->add_option("--latency-ms", o.latency_ms, "One-way delay of every link")
      ->capture_default_str()
      ->group(net);
  cmd->add_option("--jitter-ms", o.jitter_ms, "Extra uniform delay per message, 0..this")
      ->capture_default_str()
      ->group(net);
  cmd->add_option("--loss", o.loss, "Probability a datagram is lost (0..1)")
      ->capture_default_str()
      ->group(net);
  cmd->add_flag("--crash-refuses", o.crash_refuses,
                "A crashed member's host stays up and refuses TCP (a killed process) instead "
                "of vanishing");
  cmd->add_flag("--stream-loss", o.stream_loss,
                "Lose stream (TCP) segments with --loss too (retransmitted after an RTO)")
      ->group(net);
  cmd->add_option("--backlog-limit", o.backlog_limit,
                  "Datagrams a paused member queues; more are dropped")
      ->capture_default_str()
      ->group(net);

  const std::string faults = "Faults (times in seconds from the start of the measured period)";
  cmd->add_option("--crash", o.crash, "Random members that crash")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--crash-at", o.crash_at, "When they crash")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--restart-after", o.restart_after,
                  "Crashed members restart this many seconds later (negative: never)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--pause-node-ms", o.pause_ms,
                  "A member stops (SIGSTOP) this long every --pause-every-ms")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--pause-every-ms", o.pause_every_ms, "Pause period")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--pause-count", o.pause_count, "Members that pause")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--pause-from", o.pause_from, "Pauses start then")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--partition", o.partition,
                  "Fraction of the members cut off from the rest (0.5: 50/50)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--partition-at", o.partition_at, "When the partition starts")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--heal-at", o.heal_at, "When it heals (negative: never)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair", o.impair,
                  "Random members with a gray failure: their own traffic is lossy "
                  "(not crashed, paused or leaving ones)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair-loss", o.impair_loss, "Loss of an impaired member's datagrams (0..1)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair-dir", flags->impair_dir,
                  "Which of its datagrams are lost: incoming (in), outgoing (out) or both; "
                  "at 1.0 its streams fail too")
      ->check(CLI::IsMember({"in", "out", "both"}))
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair-at", o.impair_at, "When gray failures (and one-way faults) start")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair-until", o.impair_until, "When they end (negative: never)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--impair-flip-s", o.impair_flip_s,
                  "The loss is on this many seconds, off as long, repeating (0: steady)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--one-way-pairs", o.one_way_pairs,
                  "Random pairs (a, b) where a stops hearing b (b still hears a), "
                  "from --impair-at to --impair-until")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--join-rate", o.join_rate, "New members joining per second")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--join-for", o.join_for,
                  "Members join during the first this-many seconds (negative: all)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--leave", o.leave, "Random members that leave gracefully")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--leave-at", o.leave_at, "When they leave")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--replace-per-min", o.replace_per_min,
                  "Fraction of --nodes replaced per minute, evenly spaced: an initial member "
                  "goes and a new one joins")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--replace-for", o.replace_for,
                  "Members are replaced during the first this-many seconds (negative: all)")
      ->capture_default_str()
      ->group(faults);
  cmd->add_option("--replace-by", flags->replace_by,
                  "How a replaced member goes: a graceful leave or a crash")
      ->check(CLI::IsMember({"leave", "crash"}))
      ->capture_default_str()
      ->group(faults);

  const std::string judge = "Judging and output";
  cmd->add_option("--grace-ms", o.grace_ms,
                  "After a member's fault ends, declarations about it count as true for this long")
      ->capture_default_str()
      ->group(judge);
  cmd->add_option("--sample-ms", o.sample_ms, "Convergence is sampled this often")
      ->capture_default_str()
      ->group(judge);
  cmd->add_flag("--json", flags->json, "Print one JSON object instead of a summary")->group(judge);
  cmd->add_flag("--timings", flags->timings, "Print wall time per phase on stderr")->group(judge);
  cmd->add_option(
         "--trace", o.trace,
         "Print every event about this member (e.g. n7), every event it raises and its own log "
         "lines, on stderr")
      ->group(judge);

  flags->protocol.Register(cmd, /*with_env=*/false);
  cmd->callback([flags] { Run(*flags); });
}

}  // namespace picket::cli
