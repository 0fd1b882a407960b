#!/usr/bin/env python3
"""The alerting rules and the dashboard against a real Prometheus.

4 real agents on 127.29.0.11-14 (Cluster(net=29)), each sending its events
to a webhook receiver on 127.29.0.1, and a real Prometheus server
(/usr/bin/prometheus) on 127.29.0.1 scraping every agent's /metrics each
second and evaluating a copy of deploy/monitoring/picket-alerts.yaml each
second (same expressions, every `for:` shortened to FOR). One agent is
SIGKILLed; then, through Prometheus' HTTP API:

  (a) every query of deploy/monitoring/picket-dashboard.json, with its
      template variables and $__rate_interval filled in, returns data (with
      instance = All and with one live agent), and the variables' own
      label_values() queries find the job and the agents;
  (b) every rule evaluates without error, PicketMemberFailed fires for the
      killed member, PicketQuorumLost and PicketNotJoined do not;
  (c) every target is up except the killed agent's.

The agents are scraped on their read-only operations listener (--ops-listen
HOST:9748), as Prometheus scrapes them on Kubernetes. Whole test well under 90 s;
every process is killed by PID in `finally`. Exits 77 (skipped) when the
prometheus binary is missing.
"""

import base64
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

from picket_cluster import Cluster, http_json, http_text, states, wait_until
from webhook_receiver import Receiver

NET = 29
HOST = f"127.{NET}.0.1"  # Prometheus and the webhook receiver
N = 4
KILLED = N - 1  # index of the agent that is SIGKILLed
FOR = "2s"  # every `for:` of the rules, for this test
JOB = "picket"
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
DEADLINE_S = 85  # the whole test, from setUp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
RULES = os.path.join(ROOT, "deploy/monitoring/picket-alerts.yaml")
DASHBOARD = os.path.join(ROOT, "deploy/monitoring/picket-dashboard.json")
PROMETHEUS = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "/usr/bin/prometheus"

# Grafana's built-in variables, as concrete values. $__rate_interval is at
# least 4 scrape intervals; 30 s covers the kill and the events it caused.
BUILTINS = {"__rate_interval": "30s", "__interval": "2s", "__range": "60s"}


def fill(expr, variables):
    """Substitutes $name and ${name} (longest names first); fails on leftovers."""
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", variables[name]).replace("$" + name, variables[name])
    if "$" in expr:
        raise AssertionError(f"unsubstituted variable in {expr!r}")
    return expr


def short_for_rules(text):
    """The rules file with every non-zero `for:` set to FOR; the expressions untouched."""
    def shorten(m):
        return m.group(0) if re.fullmatch(r"0[smh]?", m.group(2)) else f"{m.group(1)} {FOR}"
    shortened, count = re.subn(r"^(\s+for:)\s*(\S+).*$", shorten, text, flags=re.M)
    if count == 0:
        raise AssertionError("no `for:` in the rules file")
    return shortened


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def dashboard_queries(dashboard):
    """(panel title, expr) of every query of every panel, rows' panels included."""
    panels = []
    for p in dashboard["panels"]:
        panels.append(p)
        panels.extend(p.get("panels", []))
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", []) if t.get("expr")]


class Prometheus:
    def __init__(self, workdir, targets, rules_text):
        self.dir = workdir
        self.port = free_port(HOST)
        self.url = f"http://{HOST}:{self.port}"
        rules_path = os.path.join(workdir, "picket-alerts.yaml")
        with open(rules_path, "w") as f:
            f.write(rules_text)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"},
            "rule_files": [rules_path],
            "scrape_configs": [{
                "job_name": JOB,
                "static_configs": [{"targets": targets, "labels": {"namespace": "it"}}],
            }],
        }
        self.config_path = os.path.join(workdir, "prometheus.yml")
        with open(self.config_path, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.config_path}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address={HOST}:{self.port}",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def api(self, path, **params):
        """The `data` of a successful API answer; raises otherwise."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        status, body = http_json(url, timeout=5.0)
        if status != 200 or body is None or body.get("status") != "success":
            raise AssertionError(f"GET {url}: {status} {body}")
        return body["data"]

    def ready(self):
        try:
            return "Ready" in http_text(f"{self.url}/-/ready", timeout=1.0)
        except OSError:  # refused while starting, 503 while loading
            return False

    def targets(self):
        """{scrape url's host:port: health} of the active targets."""
        data = self.api("targets", state="active")
        return {t["labels"]["instance"]: t["health"] for t in data["activeTargets"]}

    def alerts(self, name, state="firing"):
        return [a for a in self.api("alerts")["alerts"]
                if a["labels"].get("alertname") == name and a["state"] == state]


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), f"no prometheus binary at {PROMETHEUS}")
class AlertsAndDashboardOnRealPrometheus(unittest.TestCase):
    def test_rules_and_dashboard(self):
        self.started = time.monotonic()
        workdir = tempfile.mkdtemp(prefix="picket-prom-")
        receiver = Receiver(HOST, 0, SECRET).start()
        prometheus = None
        cluster = Cluster(net=NET)
        try:
            agents = []
            for i in range(1, N + 1):  # 127.29.0.11-14
                agents.append(cluster.add(i, extra_args=[
                    "--webhook-url", receiver.url, "--webhook-secret", SECRET,
                    "--ops-listen", f"127.{NET}.0.{10 + i}:9748"]))
            scrape = [f"{a.host}:9748" for a in agents]
            with open(RULES) as f:
                rules_text = short_for_rules(f.read())
            prometheus = Prometheus(workdir, scrape, rules_text)
            try:
                self._run(cluster, agents, prometheus, scrape)
            except AssertionError:
                print(cluster.dump_logs(tail=30), file=sys.stderr)
                print("--- prometheus ---\n" + prometheus.log(), file=sys.stderr)
                raise
        finally:
            if prometheus is not None:
                prometheus.stop()
            cluster.close()
            receiver.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(cluster.dir, ignore_errors=True)
        print(f"test_prometheus: {time.monotonic() - self.started:.1f} s", file=sys.stderr)

    def left(self, want):
        """`want` seconds, or what is left of the test's deadline if less."""
        remaining = DEADLINE_S - (time.monotonic() - self.started)
        if remaining <= 1:
            raise AssertionError(f"the test ran out of its {DEADLINE_S} s")
        return min(want, remaining)

    def _run(self, cluster, agents, prometheus, scrape):
        agents[0].start()
        for a in agents[1:]:
            a.start(join=[agents[0].gossip])
        prometheus.start()
        names = {a.name for a in agents}
        wait_until(lambda: all((states(a) or {}) == {n: "alive" for n in names} for a in agents),
                   self.left(20), what="all agents alive in every view")
        wait_until(prometheus.ready, self.left(20), what="prometheus ready")
        wait_until(lambda: set(prometheus.targets().values()) == {"up"} and len(prometheus.targets()) == N,
                   self.left(15), what="every target up")
        # A few scrapes so that rate() has points before and after the kill.
        time.sleep(3)

        victim = agents[KILLED]
        victim.kill()
        killed_at = time.monotonic()
        live = [a for a in agents if a is not victim]
        wait_until(lambda: all((states(a) or {}).get(victim.name) == "failed" for a in live),
                   self.left(20), what=f"{victim.name} failed in every live view")
        detected = time.monotonic() - killed_at

        # (b) PicketMemberFailed fires: one failed member, for job and namespace.
        firing = wait_until(lambda: prometheus.alerts("PicketMemberFailed"), self.left(20),
                            interval=0.5, what="PicketMemberFailed firing")
        fired = time.monotonic() - killed_at
        self.assertEqual(len(firing), 1, firing)
        self.assertEqual(firing[0]["labels"].get("job"), JOB)
        self.assertEqual(firing[0]["labels"].get("namespace"), "it")
        self.assertEqual(firing[0]["labels"].get("severity"), "warning")
        self.assertEqual(float(firing[0]["value"]), 1.0)
        self.assertIn("1 member(s) failed", firing[0]["annotations"]["summary"])

        # (c) every target up but the killed one.
        killed_target = scrape[KILLED]
        wait_until(lambda: prometheus.targets().get(killed_target) == "down", self.left(10),
                   what=f"target {killed_target} down")
        health = prometheus.targets()
        self.assertEqual(health, {t: ("down" if t == killed_target else "up") for t in scrape})

        # (b) every rule evaluated, without error; 3 of 4 alive is a majority
        # and everyone joined.
        groups = prometheus.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        with open(RULES) as f:
            expected = re.findall(r"^\s+- alert: (\w+)", f.read(), flags=re.M)
        self.assertEqual(sorted(r["name"] for r in rules), sorted(expected))
        for r in rules:
            self.assertEqual(r["health"], "ok", f"{r['name']}: {r.get('lastError')}")
            self.assertFalse(r.get("lastError"), r["name"])
            self.assertNotEqual(r.get("lastEvaluation", "0001").split("-")[0], "0001",
                                f"{r['name']} never evaluated")
            prometheus.api("query", query=r["query"])  # valid PromQL on its own too
        self.assertEqual(prometheus.alerts("PicketQuorumLost", "pending") +
                         prometheus.alerts("PicketQuorumLost"), [])
        self.assertEqual(prometheus.alerts("PicketNotJoined", "pending") +
                         prometheus.alerts("PicketNotJoined"), [])

        # (a) every dashboard query returns data: all agents, then one live agent.
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        queries = dashboard_queries(dashboard)
        self.assertGreater(len(queries), 10)
        empty = []
        for instance in (".*", scrape[0]):
            variables = dict(BUILTINS, job=JOB, instance=instance, datasource="prometheus")
            for title, expr in queries:
                query = fill(expr, variables)
                data = prometheus.api("query", query=query)
                # Data: at least one series with a number (a quantile of a
                # histogram that did not move is NaN, which draws nothing).
                if not any(math.isfinite(float(r["value"][1])) for r in data["result"]):
                    empty.append(f"{title}: {query} -> {data['result']}")
        self.assertEqual(empty, [], "dashboard queries without data")
        # The variables' label_values(METRIC, LABEL) queries.
        for var in dashboard["templating"]["list"]:
            m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", str(var.get("query", "")))
            if not m:
                continue
            selector = fill(m.group(1), {"job": JOB})
            series = prometheus.api("series", **{"match[]": selector})
            values = {s.get(m.group(2)) for s in series} - {None}
            want = {JOB} if m.group(2) == "job" else set(scrape)
            self.assertEqual(values, want, f"variable {var['name']}")

        print(f"scraped {', '.join(scrape)}; "
              f"{len(queries)} dashboard queries x 2 with data, {len(rules)} rules ok; "
              f"{victim.name} failed everywhere {detected:.1f} s after SIGKILL, "
              f"PicketMemberFailed firing after {fired:.1f} s (for: {FOR})", file=sys.stderr)


if __name__ == "__main__":
    if not os.access(PROMETHEUS, os.X_OK):
        print(f"SKIP: no prometheus binary ({PROMETHEUS}); Debian package prometheus")
        sys.exit(77)
    unittest.main()
