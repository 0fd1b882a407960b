#!/usr/bin/env python3
"""Generates picket-prometheusrule.yaml from picket-alerts.yaml.

picket-alerts.yaml (a plain Prometheus rules file) is the one source of the
alerting rules; the PrometheusRule object (monitoring.coreos.com/v1, for the
Prometheus Operator) carries the same `groups:` under `spec:`, copied as text so
that comments and layout stay readable.

    deploy/monitoring/generate.py            rewrite picket-prometheusrule.yaml
    deploy/monitoring/generate.py --check    exit 1 if it is out of date (CI)

--check also parses both files (PyYAML, when installed) and compares the rule
groups as data.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "picket-alerts.yaml")
TARGET = os.path.join(HERE, "picket-prometheusrule.yaml")

HEADER = """\
# GENERATED from picket-alerts.yaml by deploy/monitoring/generate.py: do not edit.
# The picket alerting rules as a Prometheus Operator PrometheusRule. The
# Prometheus object's ruleSelector must match its labels (kube-prometheus-stack
# selects `release: <its release name>` by default: add that label with
# kustomize `commonLabels` or `kubectl label`); see deploy/monitoring/README.md.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: picket
  labels:
    app.kubernetes.io/name: picket
    app.kubernetes.io/component: alerting-rules
spec:
"""


def render(source_text):
    lines = source_text.splitlines()
    try:
        start = lines.index("groups:")
    except ValueError:
        raise SystemExit(f"{SOURCE}: no top-level 'groups:' line")
    body = ["  " + line if line.strip() else "" for line in lines[start:]]
    return HEADER + "\n".join(body) + "\n"


def same_rules(source_text, target_text):
    """None if the parsed groups agree (or PyYAML is missing), else a message."""
    try:
        import yaml
    except ImportError:
        return None
    source = yaml.safe_load(source_text)
    target = yaml.safe_load(target_text)
    if target.get("kind") != "PrometheusRule" or target.get("apiVersion") != "monitoring.coreos.com/v1":
        return "not a monitoring.coreos.com/v1 PrometheusRule"
    if target["spec"]["groups"] != source["groups"]:
        return "spec.groups differs from the groups of picket-alerts.yaml"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the generated file is out of date")
    args = ap.parse_args()
    with open(SOURCE) as f:
        source_text = f.read()
    wanted = render(source_text)
    if not args.check:
        with open(TARGET, "w") as f:
            f.write(wanted)
        return 0
    try:
        with open(TARGET) as f:
            current = f.read()
    except FileNotFoundError:
        current = ""
    if current != wanted:
        print(f"{TARGET} is out of date: run deploy/monitoring/generate.py", file=sys.stderr)
        return 1
    problem = same_rules(source_text, current)
    if problem:
        print(f"{TARGET}: {problem}", file=sys.stderr)
        return 1
    print(f"{os.path.basename(TARGET)} matches {os.path.basename(SOURCE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
