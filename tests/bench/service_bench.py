#!/usr/bin/env python3
"""Service-health benchmark: real agents, each beside its own real application.

  PICKET_BIN=build/picket tests/bench/service_bench.py --nodes 32 --kills 20 --seed 7 --json out.json

N agents on 127.17.0.(10+i), each with its own tests/integration/service_app.py
on the same address (HTTP :8080, TCP :8081). Three modes in one invocation:

  a  http-kill   agents with the default HTTP check (--check-http .../health);
                 SIGKILL of a random app, restart it
  b  tcp-kill    --check-tcp (the held-connection fast path) plus the HTTP check;
                 SIGKILL of a random app, restart it
  c  http-stop   the default HTTP check; SIGSTOP of a random app, SIGCONT

For every kill: time from the signal to `service.critical` about the victim
in the event log of EVERY agent (its own included; each agent's SSE stream
/v1/events/stream is followed from seq 0, the time is the event's `time`
field, the agent's clock = this machine's clock), and from the restart (or
SIGCONT) to `service.passing` everywhere; p50/p90/p99/max over the kills.

Beside it, a Kubernetes-default readiness probe, simulated honestly: one
poller thread per app GETs its /health every 10 s (periodSeconds) with a 1 s
timeout (timeoutSeconds), from a random phase drawn when the run starts (so
the phase relative to each kill is random); failureThreshold 3 consecutive
failures mark the pod unready, at the end of the third failing probe; the
next success marks it ready again. An app stays down until its probe has
marked it unready, then it is restarted. Kills are --spacing s apart, so
several victims (never the same one twice at once) can be down at the same
time; the JSON says how many at most.

Idle footprint, checks off vs on: a cluster with no checks, one with the HTTP
check and one with TCP + HTTP, each idle for --idle-seconds after every
service is passing: payload bytes and datagrams sent per agent per second
from each agent's /metrics (picket_sent_bytes_total,
picket_datagrams_sent_total: gossip datagrams and streams; the checks' own
loopback HTTP/TCP to the app are not in them), and CPU per agent (/proc).

A benchmark: it prints a table and writes JSON, it asserts nothing. Every
process (agents, apps) is started and killed here by PID, also on Ctrl-C.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PICKET = os.environ.get("PICKET_BIN", os.path.join(HERE, "../../build/picket"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import peers  # noqa: E402
from service_app_process import AppProcess  # noqa: E402
from scenarios import percentile  # noqa: E402
NET = 17
GOSSIP_PORT, API_PORT, APP_PORT, APP_TCP_PORT = 9746, 9747, 8080, 8081
K8S_PERIOD, K8S_TIMEOUT, K8S_FAILURES = 10.0, 1.0, 3
# The agent's log line when the held TCP connection closed and the reconnect was refused.
FAST_PATH_LOG = "held connection closed, reconnect refused"
CLK_TCK = os.sysconf("SC_CLK_TCK")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

MODES = {
    "a": ("http-kill", "http", signal.SIGKILL),
    "b": ("tcp-kill", "tcp", signal.SIGKILL),
    "c": ("http-stop", "http", signal.SIGSTOP),
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def summary(values):
    values = [v for v in values if v is not None]
    r = lambda x: None if x is None else round(x, 3)
    return {"n": len(values), "p50": r(percentile(values, 50)), "p90": r(percentile(values, 90)),
            "p99": r(percentile(values, 99)), "max": r(max(values)) if values else None}


def get_json(url, timeout=2.0):
    try:
        with OPENER.open(url, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except (OSError, ValueError):
        return None


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return 0


# ------------------------------------------------------------------ processes
class App(AppProcess):
    def __init__(self, index, host, workdir):
        super().__init__(host, APP_PORT, os.path.join(workdir, f"app-{index}.out"),
                         tcp_port=APP_TCP_PORT)
        self.index = index
        self.lock = threading.Lock()


class Agent:
    def __init__(self, index, host, workdir, tag):
        self.index = index
        self.name = f"svc-{index}"
        self.host = host
        self.api = f"http://{host}:{API_PORT}"
        self.log_path = os.path.join(workdir, f"{tag}-{self.name}.log")
        self.proc = None

    def start(self, extra, join):
        args = [PICKET, "agent", "--name", self.name, "--bind", f"{self.host}:{GOSSIP_PORT}",
                "--http", f"{self.host}:{API_PORT}", "--log-level", "info"]
        if join:
            args += ["--join", join]
        log_f = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args + extra, stdout=log_f, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log_f.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_count(self, text):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read().count(text)
        except OSError:
            return 0

    def kill(self):
        if self.running():
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def members(self):
        body = get_json(self.api + "/v1/members", timeout=2.0)
        return None if body is None else {m["name"]: m for m in body["members"]}

    def counters(self, names):
        return peers.metrics_counters(self.api, names, timeout=2.0)


class Stream:
    """Follows one agent's SSE stream (/v1/events/stream) from seq 0 in a thread,
    reconnecting with Last-Event-ID. Keeps the event times by (type, member)."""

    def __init__(self, agent):
        self.agent = agent
        self.lock = threading.Lock()
        self.index = {}     # (type, member) -> [event time, ...] in seq order
        self.count_events = 0
        self.last_id = 0
        self.stopped = False
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped = True

    def _run(self):
        while not self.stopped:
            try:
                self._follow()
            except (OSError, ValueError, http.client.HTTPException):
                pass
            if not self.stopped:
                self.reconnects += 1
                time.sleep(0.1)

    def _follow(self):
        conn = http.client.HTTPConnection(self.agent.host, API_PORT, timeout=40)
        try:
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = str(self.last_id)
            conn.request("GET", "/v1/events/stream?since=0", headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                return
            data = []
            while not self.stopped:
                line = resp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                elif line == "" and data:
                    e = json.loads("\n".join(data))
                    data = []
                    if e.get("seq", 0) <= self.last_id:
                        continue
                    self.last_id = e["seq"]
                    m = e.get("member") or {}
                    with self.lock:
                        self.index.setdefault((e["type"], m.get("name")), []).append(
                            parse_time(e["time"]))
                        self.count_events += 1
        finally:
            conn.close()

    def first(self, etype, member, after):
        """Time of the first `etype` event about `member` at or after `after`, or None."""
        with self.lock:
            for t in self.index.get((etype, member), ()):
                if t >= after - 0.002:
                    return t
        return None

    def count(self, etype, member, after=0.0):
        with self.lock:
            return sum(1 for t in self.index.get((etype, member), ()) if t >= after)


class Probe:
    """A kubelet readiness probe of one app: GET /health every K8S_PERIOD s
    (a ticker: a slow probe does not shift the schedule), K8S_TIMEOUT s timeout."""

    def __init__(self, app, phase):
        self.app = app
        self.phase = phase
        self.lock = threading.Lock()
        self.results = []   # (tick time, done time, ok)
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped = True

    def _run(self):
        start = time.time() + self.phase
        k = 0
        while not self.stopped:
            tick = start + k * K8S_PERIOD
            k += 1
            delay = tick - time.time()
            if delay < 0:
                continue   # a missed tick (never expected: a probe takes at most 1 s)
            time.sleep(delay)
            ok = False
            try:
                with OPENER.open(self.app.health_url, timeout=K8S_TIMEOUT) as r:
                    r.read()
                    ok = 200 <= r.status < 400
            except Exception:  # refused, timed out, 5xx: a failed probe
                ok = False
            with self.lock:
                self.results.append((tick, time.time(), ok))

    def unready_after(self, t_signal):
        """(time the pod is marked unready, first probe tick after the signal) or (None, tick)."""
        with self.lock:
            rs = [r for r in self.results if r[0] >= t_signal]
        first_tick = rs[0][0] if rs else None
        fails = 0
        for tick, done, ok in rs:
            fails = 0 if ok else fails + 1
            if fails >= K8S_FAILURES:
                return done, first_tick
        return None, first_tick

    def ready_after(self, t_restart):
        with self.lock:
            for tick, done, ok in self.results:
                if tick >= t_restart and ok:
                    return done
        return None


# ------------------------------------------------------------------ the run
class Bench:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = tempfile.mkdtemp(prefix="picket-service-bench-")
        self.hosts = [f"127.{NET}.0.{10 + i}" for i in range(1, args.nodes + 1)]
        self.apps = [App(i, h, self.workdir) for i, h in enumerate(self.hosts, 1)]
        self.agents = []
        self.streams = []
        self.probes = []
        self.busy = set()
        self.busy_lock = threading.Lock()
        self.max_down = 0
        self.errors = []

    # -- cluster -----------------------------------------------------------
    def flags(self, kind, app):
        if kind == "off":
            return []
        if kind == "http":
            return ["--check-http", app.health_url]
        if kind == "tcp":
            return ["--check-tcp", f"{app.host}:{APP_TCP_PORT}", "--check-http", app.health_url]
        raise ValueError(kind)

    def start_cluster(self, kind):
        self.agents = [Agent(i, h, self.workdir, kind) for i, h in enumerate(self.hosts, 1)]
        seed = f"{self.hosts[0]}:{GOSSIP_PORT}"
        t0 = time.monotonic()
        for agent, app in zip(self.agents, self.apps):
            agent.start(self.flags(kind, app) + self.args.agent_args,
                        None if agent.index == 1 else seed)
            time.sleep(0.05)
        names = {a.name for a in self.agents}
        checked = kind != "off"

        def formed():
            for a in self.agents:
                if not a.running():
                    raise RuntimeError(f"{a.name} exited; log {a.log_path}")
                m = a.members()
                if m is None or set(m) != names or any(v["state"] != "alive" for v in m.values()):
                    return False
                if checked and any((v.get("service") or {}).get("status") != "passing"
                                   for v in m.values()):
                    return False
                if not checked and any(v.get("service") is not None for v in m.values()):
                    raise RuntimeError(f"{a.name}: a member without checks has a service: {m}")
            return True
        deadline = time.monotonic() + 180
        while not formed():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} cluster did not form (all passing) in 180 s; logs in "
                                   f"{self.workdir}")
            time.sleep(0.5)
        log(f"{kind}: {len(self.agents)} agents alive" + (", every service passing" if checked else "")
            + f" after {time.monotonic() - t0:.1f} s")
        self.streams = [Stream(a) for a in self.agents]

    def stop_cluster(self):
        for s in self.streams:
            s.stop()
        for a in self.agents:
            a.kill()
        self.streams = []
        self.agents = []

    # -- idle ------------------------------------------------------------
    def idle(self, kind):
        # Let the start settle: every member's joins and its first service
        # status are gossiped (retransmitted about mult*log(N+1) times) first.
        time.sleep(self.args.settle_seconds)
        names = ("picket_sent_bytes_total", "picket_datagrams_sent_total")
        c0 = [a.counters(names) for a in self.agents]
        cpu0 = [cpu_ticks(a.proc.pid) for a in self.agents]
        t0 = time.monotonic()
        time.sleep(self.args.idle_seconds)
        c1 = [a.counters(names) for a in self.agents]
        cpu1 = [cpu_ticks(a.proc.pid) for a in self.agents]
        dt = time.monotonic() - t0
        by, dg = [], []
        for x, y in zip(c0, c1):
            if x is None or y is None or set(x) != set(names) or set(y) != set(names):
                continue
            by.append((y[names[0]] - x[names[0]]) / dt)
            dg.append((y[names[1]] - x[names[1]]) / dt)
        cpu = [(b - a) / CLK_TCK / dt * 100 for a, b in zip(cpu0, cpu1)]
        res = {"window_s": round(dt, 1), "agents_read": len(by),
               "bytes_per_agent_s": {"mean": round(statistics.mean(by), 1), "max": round(max(by), 1)},
               "datagrams_per_agent_s": {"mean": round(statistics.mean(dg), 2),
                                         "max": round(max(dg), 2)},
               "cpu_pct_of_core": {"median": round(statistics.median(cpu), 3),
                                   "max": round(max(cpu), 3)}}
        log(f"  idle {kind}: {res['bytes_per_agent_s']['mean']} B/s/agent, "
            f"{res['datagrams_per_agent_s']['mean']} datagrams/s/agent, "
            f"CPU {res['cpu_pct_of_core']['median']} % median")
        return res

    # -- kills -----------------------------------------------------------
    def wait_everywhere(self, etype, member, after, timeout):
        """{agent name: event time - after} once every agent has the event; None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            got = {s.agent.name: s.first(etype, member, after) for s in self.streams}
            if all(v is not None for v in got.values()):
                return {k: v - after for k, v in got.items()}
            if time.monotonic() > deadline:
                missing = [k for k, v in got.items() if v is None]
                self.errors.append(f"{etype} for {member} missing at {len(missing)} agents after "
                                   f"{timeout} s: {missing[:5]}")
                return None
            time.sleep(0.05)

    def cycle(self, mode, idx, record):
        name, kind, sig = MODES[mode]
        app, agent, probe = self.apps[idx], self.agents[idx], self.probes[idx]
        victim = agent.name
        try:
            record.update({"victim": victim})
            fast0 = agent.log_count(FAST_PATH_LOG) if kind == "tcp" else 0
            t_sig = time.time()
            app.signal(sig)
            record["t_signal"] = round(t_sig, 3)
            crit = self.wait_everywhere("service.critical", victim, t_sig, self.args.timeout)
            if crit is not None:
                record["critical_own_s"] = round(crit[victim], 3)
                record["critical_all_s"] = round(max(crit.values()), 3)
                record["critical_first_s"] = round(min(crit.values()), 3)
            if kind == "tcp":
                # Did the held connection's close give it (the agent logs this line),
                # or the next regular run of a check?
                time.sleep(0.2)
                record["tcp_fast_path"] = agent.log_count(FAST_PATH_LOG) > fast0
            # Down until the kubelet would have said unready (or give up).
            deadline = time.monotonic() + K8S_PERIOD * (K8S_FAILURES + 1) + 10
            unready, first_tick = probe.unready_after(t_sig)
            while unready is None and time.monotonic() < deadline:
                time.sleep(0.1)
                unready, first_tick = probe.unready_after(t_sig)
            record["probe_first_tick_s"] = None if first_tick is None else round(first_tick - t_sig, 3)
            record["probe_unready_s"] = None if unready is None else round(unready - t_sig, 3)
            # Restart (SIGCONT).
            if sig == signal.SIGKILL:
                app.proc.wait(timeout=10)
                t_up = time.time()
                app.start(wait=False)
                record["app_ready_s"] = round(app.wait_ready() - t_up, 3)
            else:
                t_up = time.time()
                app.signal(signal.SIGCONT)
            passing = self.wait_everywhere("service.passing", victim, t_up, self.args.timeout)
            if passing is not None:
                record["passing_own_s"] = round(passing[victim], 3)
                record["passing_all_s"] = round(max(passing.values()), 3)
            deadline = time.monotonic() + K8S_PERIOD + 5
            ready = probe.ready_after(t_up)
            while ready is None and time.monotonic() < deadline:
                time.sleep(0.1)
                ready = probe.ready_after(t_up)
            record["probe_ready_s"] = None if ready is None else round(ready - t_up, 3)
            record["members_alive"] = all(
                (s.first("member.failed", victim, t_sig) is None) for s in self.streams)
        except Exception as e:  # noqa: BLE001 (a benchmark keeps going and says so)
            self.errors.append(f"{mode} kill of {victim}: {e!r}")
            record["error"] = repr(e)
            app.signal(signal.SIGCONT)
            if not app.running():
                app.start()
        finally:
            with self.busy_lock:
                self.busy.discard(idx)

    def run_mode(self, mode):
        name, kind, sig = MODES[mode]
        log(f"== mode {mode} ({name}): {self.args.kills} x {signal.Signals(sig).name} of a random app, "
            f"one every {self.args.spacing} s")
        records, threads = [], []
        t_last = 0.0
        for k in range(self.args.kills):
            while True:
                with self.busy_lock:
                    idle = [i for i in range(len(self.apps)) if i not in self.busy]
                if idle and time.monotonic() - t_last >= self.args.spacing:
                    break
                time.sleep(0.05)
            idx = self.rng.choice(idle)
            with self.busy_lock:
                self.busy.add(idx)
                down = len(self.busy)
                self.max_down = max(self.max_down, down)
            t_last = time.monotonic()
            record = {"n": k + 1, "down_at_once": down}
            records.append(record)
            th = threading.Thread(target=self.cycle, args=(mode, idx, record), daemon=True)
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        res = {"name": name, "checks": kind, "signal": signal.Signals(sig).name, "kills": records,
               "max_down_at_once": max((r["down_at_once"] for r in records), default=0)}
        for key in ("critical_own_s", "critical_all_s", "passing_own_s", "passing_all_s",
                    "probe_unready_s", "probe_ready_s", "app_ready_s"):
            res[key] = summary([r.get(key) for r in records])
        res["critical_missing"] = sum(1 for r in records if r.get("critical_all_s") is None)
        if kind == "tcp":
            hit = [r for r in records if r.get("tcp_fast_path")]
            miss = [r for r in records if r.get("tcp_fast_path") is False]
            res["tcp_fast_path_kills"] = len(hit)
            res["critical_all_s_fast_path"] = summary([r.get("critical_all_s") for r in hit])
            res["critical_all_s_without_fast_path"] = summary([r.get("critical_all_s") for r in miss])
        res["member_failed_during_kill"] = sum(1 for r in records if r.get("members_alive") is False)
        c, p = res["critical_all_s"], res["probe_unready_s"]
        log(f"  {name}: critical everywhere p50 {c['p50']} p90 {c['p90']} p99 {c['p99']} max {c['max']} s; "
            f"k8s probe unready p50 {p['p50']} max {p['max']} s")
        return res

    # -- all -----------------------------------------------------------
    def run(self):
        a = self.args
        result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "machine": f"{os.cpu_count()} cores, {os.uname().release}",
                  "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
                  "binary": os.path.abspath(PICKET), "nodes": a.nodes, "kills": a.kills,
                  "seed": a.seed, "spacing_s": a.spacing, "agent_args": a.agent_args,
                  "workdir": self.workdir,
                  "k8s_probe": {"periodSeconds": K8S_PERIOD, "timeoutSeconds": K8S_TIMEOUT,
                                "failureThreshold": K8S_FAILURES},
                  "definitions": {
                      "critical_own_s": "signal -> service.critical about the victim in its own agent's log",
                      "critical_all_s": "signal -> service.critical about the victim in EVERY agent's log "
                                        "(max over agents; event `time` field)",
                      "passing_all_s": "restart command (Popen) or SIGCONT -> service.passing everywhere",
                      "app_ready_s": "restart command -> the app printed ready (Python start-up)",
                      "probe_unready_s": "signal -> end of the 3rd consecutive failed readiness probe",
                      "probe_ready_s": "restart/SIGCONT -> end of the next successful readiness probe",
                      "tcp_fast_path": "mode b: the victim's agent logged '" + FAST_PATH_LOG + "' after the "
                                       "kill (else a regular check run found the app down)",
                      "idle bytes": "picket_sent_bytes_total per agent per s (gossip payload, datagrams "
                                    "and streams; no IP/UDP headers)"},
                  "idle": {}, "modes": {}, "notes": []}
        modes = [m for m in "abc" if m in a.modes]
        plan = []   # (cluster kind, [modes])
        if "off" in a.idle_kinds:
            plan.append(("off", []))
        if "http" in a.idle_kinds or "a" in modes or "c" in modes:
            plan.append(("http", [m for m in modes if MODES[m][1] == "http"]))
        if "tcp" in a.idle_kinds or "b" in modes:
            plan.append(("tcp", [m for m in modes if MODES[m][1] == "tcp"]))
        log(f"seed {a.seed}; workdir {self.workdir}; starting {a.nodes} apps")
        for app in self.apps:
            app.start()
        rng_phase = random.Random(a.seed * 7919 + 1)
        self.probes = [Probe(app, rng_phase.uniform(0, K8S_PERIOD)) for app in self.apps]
        for kind, kind_modes in plan:
            self.start_cluster(kind)
            try:
                if kind in a.idle_kinds:
                    result["idle"][kind] = self.idle(kind)
                for m in kind_modes:
                    result["modes"][m] = self.run_mode(m)
                    if a.json:
                        self.write(result)
            finally:
                result.setdefault("streams", {})[kind] = {
                    "reconnects": sum(s.reconnects for s in self.streams)}
                self.stop_cluster()
        result["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        result["errors"] = self.errors
        if "off" in result["idle"]:
            off = result["idle"]["off"]["bytes_per_agent_s"]["mean"]
            for kind in ("http", "tcp"):
                if kind in result["idle"] and off:
                    result["idle"][kind]["bytes_vs_off"] = round(
                        result["idle"][kind]["bytes_per_agent_s"]["mean"] / off, 3)
        return result

    def write(self, result):
        with open(self.args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")

    def cleanup(self):
        for p in self.probes:
            p.stop()
        self.stop_cluster()
        for app in self.apps:
            app.kill()


def table(result):
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    lines = [f"N = {result['nodes']}, {result['kills']} kills per mode, seed {result['seed']}, "
             f"{result['date']}", "",
             "| mode | figure (s) | p50 | p90 | p99 | max | n |", "| --- | --- | --: | --: | --: | --: | --: |"]
    labels = [("critical_own_s", "signal -> critical, own agent"),
              ("critical_all_s", "signal -> critical at every agent"),
              ("probe_unready_s", "signal -> k8s readiness probe unready"),
              ("passing_all_s", "restart/SIGCONT -> passing at every agent"),
              ("probe_ready_s", "restart/SIGCONT -> k8s probe ready")]
    for m, res in sorted(result["modes"].items()):
        for key, label in labels:
            s = res[key]
            lines.append(f"| {m} {res['name']} | {label} | {fmt(s['p50'])} | {fmt(s['p90'])} | "
                         f"{fmt(s['p99'])} | {fmt(s['max'])} | {s['n']} |")
    for m, res in sorted(result["modes"].items()):
        if "tcp_fast_path_kills" in res:
            a, b = res["critical_all_s_fast_path"], res["critical_all_s_without_fast_path"]
            lines.append(f"\n{m} {res['name']}: the held connection's close gave critical in "
                         f"{res['tcp_fast_path_kills']} of {len(res['kills'])} kills (critical at every "
                         f"agent p50 {fmt(a['p50'])} s, max {fmt(a['max'])} s); the others waited for a "
                         f"regular check run (p50 {fmt(b['p50'])} s, max {fmt(b['max'])} s)")
    if result["idle"]:
        lines += ["", "| idle, per agent | bytes/s | datagrams/s | CPU % (median) | vs off |",
                  "| --- | --: | --: | --: | --: |"]
        for kind in ("off", "http", "tcp"):
            if kind in result["idle"]:
                r = result["idle"][kind]
                lines.append(f"| checks {kind} | {r['bytes_per_agent_s']['mean']} | "
                             f"{r['datagrams_per_agent_s']['mean']} | {r['cpu_pct_of_core']['median']} | "
                             f"{r.get('bytes_vs_off', '-')} |")
    if result.get("errors"):
        lines += ["", "errors:"] + [f"- {e}" for e in result["errors"]]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=32)
    ap.add_argument("--kills", type=int, default=20, help="kills per mode")
    ap.add_argument("--modes", default="abc", help="a http-kill, b tcp-kill, c http-stop (default abc)")
    ap.add_argument("--idle", dest="idle_kinds", default="off,http,tcp",
                    help="clusters whose idle footprint is measured (off,http,tcp; '' for none)")
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--settle-seconds", type=float, default=15,
                    help="wait after the cluster is up before an idle measurement")
    ap.add_argument("--spacing", type=float, default=10, help="seconds between kill starts")
    ap.add_argument("--timeout", type=float, default=60, help="bound of each wait for an event")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()
    if not 2 <= args.nodes <= 200:
        ap.error("--nodes must be 2..200")
    args.seed = args.seed if args.seed is not None else int(time.time()) % 100000
    args.idle_kinds = [k for k in args.idle_kinds.split(",") if k]
    peers.interrupt_on_signals()
    bench = Bench(args)
    try:
        result = bench.run()
    finally:
        bench.cleanup()
    text = table(result)
    print(text)
    if args.json:
        bench.write(result)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    peers.run_main(main, "agents and apps killed")
