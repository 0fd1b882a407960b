#!/usr/bin/env python3
"""Prints the tuning tables of docs/operations.md, measured with `picket sim`.

    PICKET_BIN=build/picket python3 tests/deploy/sim_tables.py [--large]

Every row is one or more deterministic simulator runs (same seed and flags,
same result); the exact command of each run is printed under its table, so a
figure can be reproduced or re-measured for another cluster size or loss rate.
--large adds N=1,000 rows (minutes). Not a test: prints Markdown.
"""

import json
import os
import statistics
import subprocess
import sys
import time

PICKET = os.environ.get("PICKET_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "picket"))


def sim(*args):
    argv = [PICKET, "sim", "--json", *map(str, args)]
    start = time.monotonic()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    result["wall_s"] = time.monotonic() - start
    return result


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def detection(runs, key):
    p50s = [r[key]["p50"] for r in runs if r[key]["count"]]
    maxes = [r[key]["max"] for r in runs if r[key]["count"]]
    n = sum(r[key]["count"] for r in runs)
    return (statistics.median(p50s) if p50s else None, max(maxes) if maxes else None, n)


def seed_loop(command, seeds):
    return f"for seed in {seeds}; do {command.replace('--seed 1 ', '--seed $seed ')}; done"


def table(title, header, rows, commands):
    print(f"\n#### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nCommands (one per run; `--json` for machine-readable output):\n")
    print("```")
    for c in commands:
        print(c)
    print("```")


def profiles():
    rows, commands = [], []
    for profile in ("lan", "frugal", "wan"):
        runs = [sim("--nodes", 32, "--seconds", 60, "--crash", 2, "--seed", seed, "--profile", profile)
                for seed in (1, 2, 3, 4, 5)]
        commands += [r["command"] for r in runs[:1]]
        s50, _, _ = detection(runs, "first_suspect_s")
        f50, fmax, n = detection(runs, "all_failed_s")
        rows.append([profile, fmt(s50), fmt(f50), fmt(fmax), str(n),
                     fmt(statistics.mean(r["msgs_per_member_s"] for r in runs), 1),
                     fmt(statistics.mean(r["bytes_per_member_s"] for r in runs), 0),
                     str(sum(r["false_suspicions"] for r in runs)), str(sum(r["false_failures"] for r in runs))])
    table("Profiles, N=32, 2 members crash (5 seeds: 10 crashes)",
          ["profile", "first suspicion p50 s", "failed everywhere p50 s", "max s", "crashes",
           "msgs/s per member", "bytes/s per member", "false suspicions", "false failures"],
          rows, [seed_loop(c, "1 2 3 4 5") for c in commands])


def loss_and_pauses():
    rows, commands = [], []
    cases = [("10% loss, UDP only", ["--loss", 0.1]),
             ("20% loss, UDP only", ["--loss", 0.2]),
             ("10% loss, UDP and TCP", ["--loss", 0.1, "--stream-loss"]),
             ("20% loss, UDP and TCP", ["--loss", 0.2, "--stream-loss"]),
             ("one member paused 400 ms of every 1 s", ["--pause-node-ms", 400, "--pause-every-ms", 1000])]
    for profile in ("lan", "frugal"):
        for label, extra in cases:
            r = sim("--nodes", 32, "--seconds", 120, "--seed", 1, "--profile", profile, *extra)
            commands.append(r["command"])
            rows.append([profile, label, str(r["false_suspicions"]), str(r["false_failures"]),
                         str(r["impaired_suspicions"]), str(r["impaired_failures"]),
                         fmt(r["bytes_per_member_s"], 0)])
    table("False alarms, N=32, 120 s, nobody crashes",
          ["profile", "fault", "false suspicions", "false failures", "suspicions of the paused member",
           "failures of the paused member", "bytes/s per member"], rows, commands)


def phi_threshold():
    rows, commands = [], []
    for threshold in (4, 8, 12, 16):
        runs = [sim("--nodes", 32, "--seconds", 120, "--crash", 2, "--seed", seed, "--loss", 0.2, "--stream-loss",
                    "--jitter-ms", 20, "--phi-threshold", threshold) for seed in (1, 2, 3)]
        commands.append(runs[0]["command"])
        s50, _, _ = detection(runs, "first_suspect_s")
        f50, fmax, n = detection(runs, "all_failed_s")
        rows.append([str(threshold), fmt(s50), fmt(f50), fmt(fmax), str(n),
                     str(sum(r["false_suspicions"] for r in runs)), str(sum(r["false_failures"] for r in runs))])
    table("Phi threshold, N=32, 20% loss of UDP and TCP, 20 ms jitter, 2 crashes (3 seeds)",
          ["--phi-threshold", "first suspicion p50 s", "failed everywhere p50 s", "max s", "crashes",
           "false suspicions", "false failures"], rows, [seed_loop(c, "1 2 3") for c in commands])


def sizes(large):
    rows, commands = [], []
    ns = [10, 50, 200] + ([1000] if large else [])
    for n in ns:
        for profile in ("lan", "frugal"):
            r = sim("--nodes", n, "--seconds", 30, "--crash", 2, "--seed", 1, "--profile", profile)
            idle = sim("--nodes", n, "--seconds", 30, "--seed", 1, "--profile", profile)
            commands += [r["command"], idle["command"]]
            f50, fmax, _ = detection([r], "all_failed_s")
            d50, _, _ = detection([r], "dissemination_s")
            rows.append([str(n), profile, fmt(f50), fmt(fmax), fmt(d50), "yes" if r["converged"] else "no",
                         fmt(r["msgs_per_member_s"], 1), fmt(r["bytes_per_member_s"], 0),
                         fmt(idle["bytes_per_member_s"], 0), str(r["false_failures"]), fmt(r["wall_s"], 1)])
    table("Cluster size, 2 members crash (and the same cluster idle)",
          ["N", "profile", "failed everywhere p50 s", "max s", "dissemination p50 s", "converged",
           "msgs/s per member", "bytes/s per member", "bytes/s per member, idle", "false failures",
           "sim wall time s"], rows, commands)


def main():
    if not os.access(PICKET, os.X_OK):
        sys.exit(f"no picket binary at {PICKET} (set PICKET_BIN)")
    version = subprocess.run([PICKET, "version"], capture_output=True, text=True).stdout.strip()
    print(f"Measured with `{version}` ({PICKET}), {time.strftime('%Y-%m-%d')}.")
    profiles()
    loss_and_pauses()
    phi_threshold()
    sizes("--large" in sys.argv)


if __name__ == "__main__":
    main()
