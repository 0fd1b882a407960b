#!/usr/bin/env python3
"""Checks deploy/monitoring: alerting rules, their unit tests, the
PrometheusRule copy and the Grafana dashboard. No agent runs here (that is
tests/integration/test_prometheus.py).

  1. promtool check rules: picket-alerts.yaml and the PrometheusRule's spec
  2. generate.py --check: the PrometheusRule holds the same rules
  3. promtool test rules picket-alerts.test.yaml, and every alert has a case
     where it fires and one where it does not
  4. every picket_* metric the rules and the dashboard use is exported
     (api/metrics.cc), every runbook anchor is a heading of docs/operations.md,
     every dashboard query names the ${datasource} variable

Exits 77 (CTest: skipped) when promtool or PyYAML is missing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
MON = os.path.join(ROOT, "deploy/monitoring")
RULES = os.path.join(MON, "picket-alerts.yaml")
OPERATOR_RULES = os.path.join(MON, "picket-prometheusrule.yaml")
RULE_TESTS = os.path.join(MON, "picket-alerts.test.yaml")
DASHBOARD = os.path.join(MON, "picket-dashboard.json")
METRICS_CC = os.path.join(ROOT, "api/metrics.cc")
OPERATIONS_MD = os.path.join(ROOT, "docs/operations.md")

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    out = (p.stdout + p.stderr).strip()
    print(f"$ {' '.join(cmd)}\n{out}")
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}")
    return p.returncode == 0


def exported_metrics():
    """Every series name api/metrics.cc can export (histograms: with suffixes)."""
    with open(METRICS_CC) as f:
        text = f.read()
    names = set(re.findall(r'"(picket_[a-z_]+)"', text))
    for h in re.findall(r'Histogram\(out,\s*"(picket_[a-z_]+)"', text):
        names |= {h + "_bucket", h + "_sum", h + "_count"}
    # Histograms written by hand (command hooks): "picket_x_bucket{..." literals.
    for h in re.findall(r'"(picket_[a-z_]+)_bucket\{', text):
        names |= {h + "_bucket", h + "_sum", h + "_count"}
    return names


def used_metrics(expr):
    return set(re.findall(r"\b(picket_[a-z_]+)", expr))


def anchors(markdown_path):
    """GitHub-style anchors of the headings."""
    result = set()
    with open(markdown_path) as f:
        for line in f:
            m = re.match(r"#+\s+(.*)", line)
            if m:
                slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
                result.add(slug)
    return result


def main():
    if shutil.which("promtool") is None:
        print("SKIP: promtool not installed (Debian package prometheus)")
        return 77
    try:
        import yaml
    except ImportError:
        print("SKIP: PyYAML not installed (Debian package python3-yaml)")
        return 77

    # 1. Syntax and PromQL of both rule files.
    run(["promtool", "check", "rules", RULES])
    with open(OPERATOR_RULES) as f:
        operator = yaml.safe_load(f)
    with tempfile.TemporaryDirectory(prefix="picket-mon-") as tmp:
        spec_file = os.path.join(tmp, "prometheusrule-spec.yaml")
        with open(spec_file, "w") as f:
            yaml.safe_dump(operator["spec"], f)
        run(["promtool", "check", "rules", spec_file])

    # 2. One source.
    run([sys.executable, os.path.join(MON, "generate.py"), "--check"])

    # 3. Unit tests, and their coverage: each alert fires in one case and is
    # quiet in another.
    run(["promtool", "test", "rules", os.path.basename(RULE_TESTS)], cwd=MON)
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    with open(RULE_TESTS) as f:
        tests = yaml.safe_load(f)
    fires, quiet = set(), set()
    for case in tests["tests"]:
        for t in case.get("alert_rule_test", []):
            (fires if t.get("exp_alerts") else quiet).add(t["alertname"])
    for a in alerts:
        if a["alert"] not in fires:
            fail(f"{a['alert']}: no test case in which it fires")
        if a["alert"] not in quiet:
            fail(f"{a['alert']}: no test case in which it does not fire")
        for key in ("summary", "description", "runbook"):
            if key not in a.get("annotations", {}):
                fail(f"{a['alert']}: no {key} annotation")
        if a.get("labels", {}).get("severity") not in ("warning", "critical"):
            fail(f"{a['alert']}: severity label is not warning or critical")
    print(f"{len(alerts)} alerts, each tested firing and not firing" if not failures else "")

    # 4. Names: metrics, runbook anchors, dashboard queries.
    exported = exported_metrics()
    headings = anchors(OPERATIONS_MD)
    for a in alerts:
        for name in used_metrics(a["expr"]) - exported:
            fail(f"{a['alert']}: {name} is not exported by api/metrics.cc")
        runbook = a.get("annotations", {}).get("runbook", "")
        if runbook.startswith("docs/operations.md#") and runbook.split("#", 1)[1] not in headings:
            fail(f"{a['alert']}: runbook {runbook}: no such heading in docs/operations.md")
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    panels = []
    for p in dashboard["panels"]:
        panels.append(p)
        panels.extend(p.get("panels", []))
    ids = [p["id"] for p in panels]
    if len(ids) != len(set(ids)):
        fail("dashboard: panel ids are not unique")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    if variables.get("datasource", {}).get("type") != "datasource":
        fail("dashboard: no datasource variable")
    queries = 0
    for p in panels:
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            fail(f"dashboard panel {p['title']!r}: datasource is not ${{datasource}}")
        if not p.get("targets"):
            fail(f"dashboard panel {p['title']!r}: no query")
        for t in p.get("targets", []):
            queries += 1
            names = used_metrics(t["expr"])
            if not names and not re.search(r"\bup\{", t["expr"]):  # up: Prometheus' own
                fail(f"dashboard panel {p['title']!r}: query uses no picket metric: {t['expr']}")
            for name in names - exported:
                fail(f"dashboard panel {p['title']!r}: {name} is not exported by api/metrics.cc")
    for v in variables.values():
        for name in used_metrics(str(v.get("query", ""))) - exported:
            fail(f"dashboard variable {v['name']}: {name} is not exported by api/metrics.cc")
    print(f"dashboard: {len(panels)} panels, {queries} queries, metric names checked against api/metrics.cc")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("deploy/monitoring: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
