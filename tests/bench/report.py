#!/usr/bin/env python3
"""Turns cluster_bench.py JSON results into a Markdown table (picket | Serf |
picket/Serf) and a PNG plot (gnuplot) of detection time and false failures
against loss rate.

  tests/bench/report.py result.json [more.json ...] [--md out.md] [--plot out.png]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# (scenario key, path inside the per-peer dict, label); lower is better for all of them
ROWS = [
    ("crash", "first_suspect_s.p50", "crash: kill to first suspicion, p50 (s)"),
    ("crash", "first_suspect_s.max", "crash: kill to first suspicion, max (s)"),
    ("crash", "all_failed_s.p50", "crash: kill to failed at every live agent, p50 (s)"),
    ("crash", "all_failed_s.p90", "crash: ... p90 (s)"),
    ("crash", "all_failed_s.max", "crash: ... max (s)"),
    ("crash", "handler_all_failed_s.p50", "crash: ... Serf event-handler time, p50 (s)"),
    ("crash", "undetected", "crash: repetitions not detected everywhere in 40 s"),
    ("coldstart", "converged_s", "cold start: last start to converged (s)"),
    ("coldstart", "distinct_sizes", "cold start: distinct cluster sizes on the way"),
    ("coldstart", "bytes_per_agent_s.mean", "cold start: IP bytes per agent per s until converged"),
    ("idle", "rss_mb.median", "idle: RSS per agent, median (MB)"),
    ("idle", "pss_mb.median", "idle: PSS per agent, median (MB)"),
    ("idle", "cpu_pct_of_core.median", "idle: CPU per agent, median (% of a core)"),
    ("idle", "packets_per_agent_s.mean", "idle: packets sent per agent per s"),
    ("idle", "bytes_per_agent_s.mean", "idle: IP bytes sent per agent per s"),
]
FAULT_FIGS = [("false_failed", "false failed declarations"), ("false_failed_members", "members falsely failed"),
              ("suspicions", "suspicion episodes"), ("flaps", "flaps"),
              ("crash_all_failed_s", "crash under loss: failed everywhere (s)"),
              ("converge_s", "converged after fault (s)")]


def dig(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def ratio(p, s):
    if not isinstance(p, (int, float)) or not isinstance(s, (int, float)):
        return "–"
    if s == 0:
        return "=" if p == 0 else "∞"
    return f"{p / s:.2f}"


def rows_of(res, a="picket", b="serf"):
    """(label, figure of a, figure of b) rows."""
    sc = res["scenarios"]
    out = []
    for key, path, label in ROWS:
        if key in sc:
            p, s = dig(sc[key].get(a, {}), path), dig(sc[key].get(b, {}), path)
            if p is not None or s is not None:
                out.append((label, p, s))
    for key in sc:
        if key.startswith(("loss", "pause")):
            for fig, label in FAULT_FIGS:
                p, s = dig(sc[key].get(a, {}), fig), dig(sc[key].get(b, {}), fig)
                if p is not None or s is not None:
                    out.append((f"{key}: {label}", p, s))
            if key.startswith("pause"):
                out.append((f"{key}: failed declarations of the paused member",
                            dig(sc[key].get(a, {}), "slow_member_failed"),
                            dig(sc[key].get(b, {}), "slow_member_failed")))
    if "partition" in sc:
        for fig in ("first_suspect_s", "detect_side_a_s", "detect_side_b_s", "converge_after_heal_s",
                    "false_failed_same_side"):
            out.append((f"partition: {fig}", dig(sc["partition"].get(a, {}), fig),
                        dig(sc["partition"].get(b, {}), fig)))
    if "isolate" in sc:
        for fig in ("false_failed", "false_failed_members", "failed_declared_by_isolated",
                    "isolated_failed_everywhere_s.p50", "converge_after_heal_s.max"):
            out.append((f"isolate (1 against N-1): {fig}", dig(sc["isolate"].get(a, {}), fig),
                        dig(sc["isolate"].get(b, {}), fig)))
    for key in sc:
        if key.startswith("gray_"):
            for fig in ("healthy.false_failed", "healthy.suspicions", "agreement", "converge_s"):
                out.append((f"{key}: {fig}", dig(sc[key].get(a, {}), fig),
                            dig(sc[key].get(b, {}), fig)))
            for fig in ("failed_by", "failed_everywhere_s", "readmissions", "suspicions"):
                vals = [[x.get(fig) for x in sc[key].get(peer, {}).get("impaired", [])]
                        for peer in (a, b)]
                out.append((f"{key}: impaired {fig}", ", ".join(map(str, vals[0])) or None,
                            ", ".join(map(str, vals[1])) or None))
    if "churn" in sc:
        for fig in ("cycles", "leave_converge_s.p50", "leave_converge_s.max", "join_converge_s.p50",
                    "join_converge_s.max", "false_failed", "converge_s"):
            out.append((f"churn: {fig}", dig(sc["churn"].get(a, {}), fig),
                        dig(sc["churn"].get(b, {}), fig)))
    return out


def markdown(results):
    lines = []
    for res in results:
        lines.append(f"### N = {res['nodes']}, settings: {res['variant']}")
        lines.append("")
        # Against the second picket cluster when there is one, else against Serf.
        b, b_title = ("picket-base", "picket-base") if "picket-base" in res["settings"] else ("serf", "Serf")
        lines.append(f"picket: `{' '.join(res['settings']['picket']) or '(defaults)'}`; "
                     f"{b_title}: `{' '.join(res['settings'][b]) or '(defaults)'}`; "
                     f"{res['date']}, {res['machine']}, load average at start {res.get('loadavg', '?')}")
        lines.append("")
        lines.append(f"| figure | picket | {b_title} | picket/{b_title} |")
        lines.append("| --- | --: | --: | --: |")
        for label, p, s in rows_of(res, "picket", b):
            lines.append(f"| {label} | {fmt(p)} | {fmt(s)} | {ratio(p, s)} |")
        for note in res.get("notes", []):
            lines.append("")
            lines.append(f"- {note}")
        lines.append("")
    return "\n".join(lines)


def plot(results, path):
    """Detection time (crash under loss; 0% from the crash scenario) and false
    failures against loss rate, one line per peer and loss kind."""
    if not shutil.which("gnuplot"):
        print("gnuplot not installed (apt-get install gnuplot-nox): no plot", file=sys.stderr)
        return False
    series = {}
    for res in results:
        sc = res["scenarios"]
        for peer in ("picket", "serf"):
            for kind in ("udp", "all"):
                key = (peer, kind, res["nodes"])
                pts = series.setdefault(key, {})
                if "crash" in sc and peer in sc["crash"]:
                    pts[0] = (dig(sc["crash"][peer], "all_failed_s.p50"), 0, 0)
                for name, v in sc.items():
                    if name.startswith("loss") and name.endswith(kind) and peer in v:
                        pct = int(name.split("_")[1])
                        pts[pct] = (v[peer].get("crash_all_failed_s"), v[peer].get("false_failed"),
                                    v[peer].get("suspicions"))
    series = {k: v for k, v in series.items() if len(v) > 1}
    if not series:
        print("no loss results to plot", file=sys.stderr)
        return False
    tmp = tempfile.mkdtemp(prefix="bench-plot-")
    det_plots, ff_plots, su_plots = [], [], []
    for (peer, kind, n), pts in sorted(series.items()):
        f = os.path.join(tmp, f"{peer}-{kind}-{n}.dat")
        with open(f, "w") as out:
            for pct in sorted(pts):
                vals = ["NaN" if x is None else x for x in pts[pct]]
                out.write(f"{pct} {vals[0]} {vals[1]} {vals[2]}\n")
        title = f"{peer} N={n} loss of {'UDP only' if kind == 'udp' else 'all IP'}"
        style = "lw 2 dt 1" if kind == "udp" else "lw 2 dt 2"
        color = "#1f77b4" if peer == "picket" else "#d62728"
        det_plots.append(f"'{f}' using 1:2 with linespoints {style} lc rgb '{color}' title '{title}'")
        ff_plots.append(f"'{f}' using 1:3 with linespoints {style} lc rgb '{color}' title '{title}'")
        su_plots.append(f"'{f}' using 1:4 with linespoints {style} lc rgb '{color}' title '{title}'")
    script = f"""
set terminal pngcairo size 1500,520 noenhanced
set output '{path}'
set multiplot layout 1,3
set grid
set key top left
set xlabel 'random loss (%)'
set xrange [-1:21]
set ylabel 'SIGKILL to failed at every live agent (s)'
set title 'Detection time vs loss (0%: crash p50; loss: one crash)'
set yrange [0:*]
set key bottom right
plot {', '.join(det_plots)}
set key top left
set ylabel 'false failed declarations (healthy members)'
set title 'False failures vs loss'
set yrange [0:*]
plot {', '.join(ff_plots)}
set ylabel 'suspicion episodes of healthy members'
set title 'Suspicions vs loss'
plot {', '.join(su_plots)}
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0 and "pngcairo" in r.stderr:
        r = subprocess.run(["gnuplot"], input=script.replace("pngcairo", "png"), text=True, capture_output=True)
    if r.returncode != 0:
        print("gnuplot failed: " + r.stderr, file=sys.stderr)
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+")
    ap.add_argument("--md")
    ap.add_argument("--plot")
    args = ap.parse_args()
    results = []
    for p in args.results:
        with open(p) as f:
            d = json.load(f)
        results.extend(d if isinstance(d, list) else [d])
    text = markdown(results)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
