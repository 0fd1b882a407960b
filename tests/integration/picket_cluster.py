"""Real picket agents on loopback for integration tests.

Each agent gets its own address 127.<net>.<host> (gossip :9746, HTTP API
:9747 on the same address), so tests that use different `net` values can run
in parallel. Every process started here is killed by PID when the cluster is
closed, also when a test fails.
"""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

PICKET = os.environ.get("PICKET_BIN", os.path.join(os.path.dirname(__file__), "../../build/picket"))

# Urllib must never go through a proxy for loopback calls.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(url, method="GET", body=None, timeout=2.0):
    """Returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None


def http_text(url, timeout=2.0):
    with _OPENER.open(url, timeout=timeout) as resp:
        return resp.read().decode()


class Agent:
    def __init__(self, cluster, name, host, extra_args, env):
        self.cluster = cluster
        self.name = name
        self.host = host
        self.gossip = f"{host}:9746"
        self.api = f"http://{host}:9747"
        self.extra_args = list(extra_args)
        self.env = dict(env)
        self.proc = None
        self.log_path = os.path.join(cluster.dir, f"{name}.log")

    def start(self, join=None):
        args = [PICKET, "agent", "--name", self.name, "--bind", self.gossip,
                "--http", f"{self.host}:9747", "--log-level", "debug"]
        for seed in join or []:
            args += ["--join", seed]
        args += self.extra_args
        env = dict(os.environ)
        env.update(self.env)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def wait_exit(self, timeout):
        return self.proc.wait(timeout=timeout)

    def members(self):
        """{name: member JSON} as this agent sees it, or None if it does not answer."""
        try:
            status, body = http_json(self.api + "/v1/members", timeout=1.0)
        except OSError:
            return None
        if status != 200 or body is None:
            return None
        return {m["name"]: m for m in body["members"]}

    def metrics(self):
        return http_text(self.api + "/metrics")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


class Cluster:
    def __init__(self, net):
        self.net = net
        self.agents = []
        self.dir = tempfile.mkdtemp(prefix=f"picket-it-{net}-")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def add(self, index, extra_args=(), env=None, name=None):
        agent = Agent(self, name or f"node-{index}", f"127.{self.net}.0.{10 + index}",
                      extra_args, env or {})
        self.agents.append(agent)
        return agent

    def close(self):
        for a in self.agents:
            if a.running():
                a.proc.kill()
                a.proc.wait(timeout=10)

    def dump_logs(self, tail=60):
        out = []
        for a in self.agents:
            lines = a.log().splitlines()[-tail:]
            out.append(f"--- {a.name} ({a.gossip}) ---\n" + "\n".join(lines))
        return "\n".join(out)


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    """Polls `predicate` until it returns a truthy value; raises after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def states(agent):
    m = agent.members()
    return None if m is None else {name: v["state"] for name, v in m.items()}
