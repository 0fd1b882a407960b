#!/usr/bin/env python3
"""Partition and heal in the simulator: a table over splits and seeds.

Runs `picket sim` with a partition (a crash on each side during it) for every
split and seed, two runs at a time, plus one run without faults per seed as
the steady-state reference for the bytes, and prints one Markdown row per run:
convergence after the heal, false declarations, undetected crashes, members
still missing at the end and the bytes per member per second in the 10 s
after the heal against the steady state.

Usage: tests/bench/heal_bench.py [--picket build/picket] [--nodes 1000]
       [--splits 0.5,0.1] [--seeds 21,22,23,24,25] [--jobs 2] [--sim-args '--gossip-queue-limit 256']
"""
import argparse
import concurrent.futures
import json
import shlex
import statistics
import subprocess
import sys


def run(picket, args):
    out = subprocess.run([picket, "sim", *args, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--picket", default="build/picket")
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--splits", default="0.5,0.1")
    ap.add_argument("--seeds", default="21,22,23,24,25")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json-out", help="write every report here")
    ap.add_argument("--sim-args", default="", help="more `picket sim` flags for every run (one string)")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    splits = [float(s) for s in a.splits.split(",")]
    common = ["--nodes", str(a.nodes), "--seconds", "40", "--warmup", "15", *shlex.split(a.sim_args)]
    runs = {}
    for seed in seeds:
        runs[("steady", seed)] = common + ["--seed", str(seed)]
        for split in splits:
            runs[(split, seed)] = common + [
                "--seed", str(seed), "--partition", str(split), "--partition-at", "5",
                "--heal-at", "25", "--crash", "2", "--crash-at", "10"]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = {key: pool.submit(run, a.picket, args) for key, args in runs.items()}
        reports = {key: f.result() for key, f in futures.items()}
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({f"{k[0]}/{k[1]}": v for k, v in reports.items()}, f, indent=1)

    print("| split | seed | converged after heal (s) | false failures / suspicions | crashes failed everywhere (s) "
          "| undetected | missing at end | heal bytes/member/s | steady | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    failed = False
    for split in splits:
        ratios = []
        for seed in seeds:
            r = reports[(split, seed)]
            steady = reports[("steady", seed)]["bytes_per_member_s"]
            heal = r["partition"]["heal_bytes_per_member_s"]
            ratio = heal / steady if heal is not None and steady else None
            ratios.append(ratio)
            conv = r["convergence_s"]
            print(f"| {split:g} | {seed} | {conv if conv is not None else 'NO'} | "
                  f"{r['false_failures']} / {r['false_suspicions']} | {r['all_failed_s']['max']} | "
                  f"{r['undetected']} | {r['missing_at_end']} | {heal:.0f} | {steady:.0f} | {ratio:.1f}x |")
            failed |= conv is None
        print(f"<!-- split {split:g}: median heal/steady {statistics.median(ratios):.1f}x -->")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
