#!/usr/bin/env python3
"""Dissemination of a failure against cluster size: is it O(log N)?

For each N, runs `picket sim` from a warm start with crashes (each crash is
one sample: the time from the first `failed` declaration until no member sees
the crashed one up, the report's `dissemination_s`), over several seeds, and
fits the median against log2(N) by least squares. Prints a Markdown table
with the time in seconds and in gossip periods (the profile's gossip
interval), the fit, and a linear-in-N fit for comparison.

Usage: tests/bench/dissemination_fit.py [--picket build/picket]
       [--nodes 1000,2000,5000,10000] [--seeds 1,2,3] [--crashes 3] [--jobs 1]
"""
import argparse
import concurrent.futures
import json
import math
import statistics
import subprocess
import sys

GOSSIP_INTERVAL_S = 0.2  # --profile lan


def run(picket, n, seed, crashes):
    args = [picket, "sim", "--nodes", str(n), "--bootstrap", "warm", "--warmup", "5",
            "--seconds", "20", "--crash", str(crashes), "--crash-at", "3", "--seed", str(seed),
            "--json"]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def fit(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return slope, intercept, 1 - ss_res / ss_tot if ss_tot > 0 else 1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--picket", default="build/picket")
    ap.add_argument("--nodes", default="1000,2000,5000,10000")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--crashes", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()
    sizes = [int(n) for n in a.nodes.split(",")]
    seeds = [int(s) for s in a.seeds.split(",")]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = {(n, s): pool.submit(run, a.picket, n, s, a.crashes) for n in sizes for s in seeds}
        reports = {key: f.result() for key, f in futures.items()}

    print("| N | samples | dissemination p50 (s) | max (s) | p50 in gossip periods | p50 / log2(N) periods | crashes failed everywhere p50 (s) | wall (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    medians = []
    for n in sizes:
        samples, everywhere, wall = [], [], 0.0
        for s in seeds:
            r = reports[(n, s)]
            d = r["dissemination_s"]
            # The report keeps percentiles only; with few crashes per run, p50 and max are samples.
            samples += [d["p50"], d["max"]] if d["count"] >= 2 else ([d["p50"]] if d["count"] else [])
            if r["all_failed_s"]["p50"] is not None:
                everywhere.append(r["all_failed_s"]["p50"])
            wall += r["wall_s"]
        med = statistics.median(samples)
        medians.append(med)
        periods = med / GOSSIP_INTERVAL_S
        print(f"| {n} | {len(samples)} | {med:.2f} | {max(samples):.2f} | {periods:.1f} | "
              f"{periods / math.log2(n):.2f} | {statistics.median(everywhere):.2f} | {wall:.0f} |")
    if len(sizes) < 2:
        return 0
    slope, intercept, r2 = fit([math.log2(n) for n in sizes], medians)
    lslope, lintercept, lr2 = fit([float(n) for n in sizes], medians)
    print()
    print(f"fit p50 = {intercept:.3f} s + {slope:.3f} s x log2(N): R^2 = {r2:.3f} "
          f"({slope / GOSSIP_INTERVAL_S:.2f} gossip periods per doubling of N)")
    print(f"linear fit p50 = {lintercept:.3f} s + {lslope * 1000:.4f} s per 1,000 members: R^2 = {lr2:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
