#!/usr/bin/env python3
"""Every metric family api/metrics.cc can export has a row in the /metrics
table of api/README.md, and every picket_* name in that table is exported:
the metrics and their reference cannot drift apart.

  check_metrics.py [METRICS_CC README_MD]
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def exported(metrics_cc):
    """Family names written by api/metrics.cc (string literals picket_...)."""
    with open(metrics_cc) as f:
        text = f.read()
    names = set(re.findall(r'"(picket_[a-z_]+)"', text))
    # Histograms written by hand: "picket_x_bucket{..." literals name family x.
    names |= set(re.findall(r'"(picket_[a-z_]+)_bucket\{', text))
    return {n for n in names if not n.endswith(("_bucket", "_sum", "_count"))}


def documented(readme):
    """picket_* names in the first column of the table under '### GET /metrics'."""
    with open(readme) as f:
        text = f.read()
    section = text.split("### GET /metrics", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `picket_"):
            names |= set(re.findall(r"`(picket_[a-z_]+)`", line.split("|")[1]))
    return names


def main():
    metrics_cc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "api/metrics.cc")
    readme = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "api/README.md")
    code, docs = exported(metrics_cc), documented(readme)
    failures = [f"{n}: exported by {metrics_cc} but not in the /metrics table of {readme}"
                for n in sorted(code - docs)]
    failures += [f"{n}: in the /metrics table of {readme} but not exported" for n in sorted(docs - code)]
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"{len(code)} metric families, each documented")


if __name__ == "__main__":
    main()
