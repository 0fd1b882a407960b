#!/usr/bin/env python3
"""Cluster benchmark: real picket agents on loopback (127.0.4.x), one process each.

Scenarios (a benchmark, not a test: it prints figures, it asserts nothing):
  idle   RSS and CPU per agent, datagrams and bytes sent per agent per second
  crash  SIGKILL one agent, repeated: time to first suspicion anywhere and to
         `failed` at every live agent (p50 / p90 / max), from the agents' own
         JSON logs (UTC, ms resolution)

  tests/bench/cluster_bench.py --nodes 32 --scenario idle,crash --repeat 10 [--json out.json]

Every process is started and killed here by PID; nothing outlives the run.
"""

import argparse
import datetime
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PICKET = os.environ.get("PICKET_BIN", os.path.join(HERE, "../../build/picket"))
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def get(url, timeout=2.0):
    with OPENER.open(url, timeout=timeout) as r:
        return r.read().decode()


class Agent:
    def __init__(self, index, workdir, extra):
        self.index = index
        self.name = f"bench-{index}"
        self.host = f"127.0.4.{10 + index}"
        self.gossip = f"{self.host}:9746"
        self.api = f"http://{self.host}:9747"
        self.log_path = os.path.join(workdir, f"{self.name}.log")
        self.extra = extra
        self.proc = None

    def start(self, seed):
        args = [PICKET, "agent", "--name", self.name, "--bind", self.gossip,
                "--http", f"{self.host}:9747", "--log-format", "json", "--log-level", "info"]
        if seed and seed != self.gossip:
            args += ["--join", seed]
        args += self.extra
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def states(self):
        try:
            body = json.loads(get(self.api + "/v1/members", timeout=1.0))
            return {m["name"]: m["state"] for m in body["members"]}
        except (OSError, ValueError):
            return None

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def pss_kb(self):
        """Proportional set size: shared library pages divided among the processes sharing them."""
        with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        return 0

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def counter(self, metric):
        text = get(self.api + "/metrics")
        m = re.search(r"^%s (\d+(?:\.\d+)?)" % re.escape(metric), text, re.M)
        return float(m.group(1)) if m else 0.0

    def events_about(self, member, since_wall):
        """(type, wall time) of member.suspect/failed log lines about `member` after since."""
        out = []
        with open(self.log_path, errors="replace") as f:
            for line in f:
                if not line.startswith("{"):
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                words = rec.get("msg", "").split()
                if len(words) < 2 or words[1] != member:
                    continue
                if words[0] not in ("member.suspect", "member.failed"):
                    continue
                t = datetime.datetime.strptime(rec["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                if t >= since_wall - 0.001:
                    out.append((words[0], t))
        return out


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def wait_all_alive(agents, timeout):
    names = {a.name for a in agents}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = True
        for a in agents:
            s = a.states()
            if s is None or any(s.get(n) != "alive" for n in names):
                ok = False
                break
        if ok:
            return True
        time.sleep(0.5)
    return False


def idle(agents, seconds):
    time.sleep(2)
    t0 = time.monotonic()
    cpu0 = {a.name: a.cpu_ticks() for a in agents}
    dg0 = {a.name: a.counter("picket_datagrams_sent_total") for a in agents}
    by0 = {a.name: a.counter("picket_sent_bytes_total") for a in agents}
    time.sleep(seconds)
    dt = time.monotonic() - t0
    cpu = [(a.cpu_ticks() - cpu0[a.name]) / CLK_TCK / dt * 100 for a in agents]
    dgs = [(a.counter("picket_datagrams_sent_total") - dg0[a.name]) / dt for a in agents]
    bys = [(a.counter("picket_sent_bytes_total") - by0[a.name]) / dt for a in agents]
    rss = [a.rss_kb() / 1024 for a in agents]
    pss = [a.pss_kb() / 1024 for a in agents]
    return {
        "window_s": round(dt, 1),
        "rss_mb": {"median": round(statistics.median(rss), 2), "max": round(max(rss), 2)},
        "pss_mb": {"median": round(statistics.median(pss), 2), "max": round(max(pss), 2)},
        "cpu_pct_of_core": {"median": round(statistics.median(cpu), 3), "max": round(max(cpu), 3)},
        "datagrams_per_agent_s": round(statistics.mean(dgs), 2),
        "bytes_per_agent_s": round(statistics.mean(bys), 1),
    }


def crash(agents, seed, repeat, rng, detect_timeout=30):
    first, all_failed, undetected = [], [], 0
    for r in range(repeat):
        victim = rng.choice(agents[1:])
        live = [a for a in agents if a is not victim]
        t_kill = time.time()
        victim.kill()
        deadline = time.monotonic() + detect_timeout
        while time.monotonic() < deadline:
            failed_at = [a for a in live if any(k == "member.failed" for k, _ in a.events_about(victim.name, t_kill))]
            if len(failed_at) == len(live):
                break
            time.sleep(0.25)
        events = [e for a in live for e in a.events_about(victim.name, t_kill)]
        suspects = [t for k, t in events if k == "member.suspect"] + [t for k, t in events if k == "member.failed"]
        failed_per_agent = []
        for a in live:
            ts = [t for k, t in a.events_about(victim.name, t_kill) if k == "member.failed"]
            if ts:
                failed_per_agent.append(min(ts))
        if suspects:
            first.append(min(suspects) - t_kill)
        if len(failed_per_agent) == len(live):
            all_failed.append(max(failed_per_agent) - t_kill)
        else:
            undetected += 1
        print(f"  crash {r + 1}/{repeat}: {victim.name} first suspicion "
              f"{first[-1] if suspects else float('nan'):.2f}s, failed everywhere "
              f"{all_failed[-1] if len(failed_per_agent) == len(live) else float('nan'):.2f}s",
              file=sys.stderr)
        victim.start(seed)
        if not wait_all_alive(agents, 60):
            print("  warning: restarted agent did not rejoin within 60 s", file=sys.stderr)
        time.sleep(3)

    def summary(v):
        return {"p50": round(percentile(v, 50), 3) if v else None,
                "p90": round(percentile(v, 90), 3) if v else None,
                "max": round(max(v), 3) if v else None, "n": len(v)}
    return {"first_suspect_s": summary(first), "all_failed_s": summary(all_failed),
            "undetected": undetected}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=32)
    ap.add_argument("--scenario", default="idle,crash")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the result to this file")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()
    if not 2 <= args.nodes <= 240:
        ap.error("--nodes must be 2..240")
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="picket-bench-")
    agents = [Agent(i, workdir, args.agent_args) for i in range(1, args.nodes + 1)]
    seed = agents[0].gossip
    result = {"peer": "picket", "nodes": args.nodes, "agent_args": args.agent_args,
              "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
              "machine": f"{os.cpu_count()} cores", "seed": args.seed}
    try:
        for a in agents:
            a.start(seed)
            time.sleep(0.05)
        if not wait_all_alive(agents, 120):
            sys.exit("cluster did not form within 120 s; logs in " + workdir)
        print(f"{args.nodes} agents formed a cluster", file=sys.stderr)
        for sc in args.scenario.split(","):
            if sc == "idle":
                result["idle"] = idle(agents, args.idle_seconds)
            elif sc == "crash":
                result["crash"] = crash(agents, seed, args.repeat, rng)
            else:
                sys.exit(f"unknown scenario {sc}")
    finally:
        for a in agents:
            a.kill()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
