"""Joining through seeds, on real agents: seeds that include the agent itself,
a name that resolves only to the agent (the first pod of a StatefulSet behind
a headless Service), seeds nobody answers, and two agents with one name.

Agents here live on 127.0.8.x (see _add), apart from the other integration
tests' 127.<net>.0.x. Bounds are generous on purpose (a busy CI machine).
"""

import re
import signal
import socket
import sys
import time
import unittest

from picket_cluster import Agent, Cluster, http_json, states, wait_until

FORM_TIMEOUT = 30


def _add(c, index, extra_args=(), name=None):
    """An agent at 127.0.8.<10+index>, gossip :9746, HTTP API :9747."""
    agent = Agent(c, name or f"node-{index}", f"127.0.8.{10 + index}", extra_args, {})
    c.agents.append(agent)
    return agent


def _free_port():
    """A port free for TCP and UDP on every address (the kernel's pick)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("0.0.0.0", 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port")


def _ready(agent):
    try:
        status, _ = http_json(agent.api + "/readyz", timeout=1.0)
    except OSError:
        return False
    return status == 200


def _all_alive(agents):
    names = {a.name for a in agents}
    for a in agents:
        s = states(a)
        if s is None or any(s.get(n) != "alive" for n in names):
            return False
    return True


def _metric(agent, name):
    try:
        text = agent.metrics()
    except OSError:
        return None
    m = re.search(rf"^{name} (\d+)$", text, re.MULTILINE)
    return int(m.group(1)) if m else None


class Join(unittest.TestCase):
    def _in_cluster(self, body):
        with Cluster(net=8) as c:
            try:
                body(c)
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise

    def test_seed_list_with_own_address_joins_the_others(self):
        def body(c):
            first = _add(c, 1).start()
            wait_until(lambda: _ready(first), FORM_TIMEOUT, what="the first agent ready")
            # Each newcomer's seed list names itself first, then the first agent.
            others = [_add(c, i) for i in (2, 3)]
            for a in others:
                a.start(join=[a.gossip, first.gossip])
            agents = [first] + others
            wait_until(lambda: _all_alive(agents), FORM_TIMEOUT, what="3 agents alive everywhere")
            for a in others:
                self.assertTrue(_ready(a))
                self.assertIn(f"joined the cluster through seed {first.gossip}", a.log())
        self._in_cluster(body)

    def test_name_resolving_only_to_self_bootstraps_a_cluster_of_one(self):
        def body(c):
            port = _free_port()
            # Like a pod: wildcard bind, the pod IP advertised, and a DNS name
            # ("localhost", 127.0.0.1 only in /etc/hosts) that so far lists
            # only this agent.
            # Its operations listener would default to 0.0.0.0:9748 and take
            # the port from every other agent on this host: give it its own.
            first = _add(c, 20, extra_args=["--advertise", f"127.0.8.30:{port}",
                                            "--ops-listen", "127.0.8.30:9748"])
            first.gossip = f"0.0.0.0:{port}"
            first.start(join=[f"localhost:{port}"])
            wait_until(lambda: _ready(first), FORM_TIMEOUT, what="/readyz 200 on the first agent")
            self.assertIn("every seed resolves to this agent", first.log())
            self.assertNotIn("join attempt", first.log())
            # It is a real cluster: a second agent joins it through its advertised address.
            second = _add(c, 21).start(join=[f"127.0.8.30:{port}"])
            wait_until(lambda: _all_alive([first, second]), FORM_TIMEOUT,
                       what="both agents alive at both")
        self._in_cluster(body)

    def test_unreachable_seeds_warn_retry_then_exit_non_zero(self):
        def body(c):
            seeds = ["127.0.8.41:9746", "127.0.8.42:9746"]  # nobody listens there
            a = _add(c, 40, extra_args=["--join-timeout", "4s", "--join-retry-initial", "200ms",
                                        "--join-retry-max", "1s"])
            started = time.monotonic()
            a.start(join=seeds)
            code = a.wait_exit(timeout=30)
            elapsed = time.monotonic() - started
            log = a.log()
            self.assertNotEqual(code, 0)
            self.assertGreaterEqual(elapsed, 3.5, "gave up before --join-timeout")
            warns = [line for line in log.splitlines()
                     if " warning " in line and "join attempt" in line]
            self.assertGreaterEqual(len(warns), 2, "expected a warn line per failed attempt")
            for line in warns:
                for seed in seeds:
                    self.assertIn(seed, line)
                self.assertIn("connection refused", line.lower())
            self.assertIn("could not join the cluster", log)
            self.assertFalse(_ready(a))
        self._in_cluster(body)

    def test_own_leave_reports_no_quorum_change(self):
        def body(c):
            alone = _add(c, 50).start()
            wait_until(lambda: _ready(alone), FORM_TIMEOUT, what="the agent ready")
            alone.signal(signal.SIGTERM)
            self.assertEqual(alone.wait_exit(timeout=15), 0)
            self.assertIn("left the cluster", alone.log())
            reported = [line for line in alone.log().splitlines()
                        if "cluster.quorum_lost" in line and "not reported" not in line]
            self.assertEqual(reported, [])
        self._in_cluster(body)

    def test_name_conflict_is_counted_and_shown(self):
        def body(c):
            seed = _add(c, 60).start()
            wait_until(lambda: _ready(seed), FORM_TIMEOUT, what="the seed ready")
            one = _add(c, 61, name="twin").start(join=[seed.gossip])
            wait_until(lambda: _all_alive([seed, one]), FORM_TIMEOUT, what="the first twin alive")
            two = _add(c, 62, name="twin").start(join=[seed.gossip])
            agents = [seed, one, two]

            def conflicts():
                counts = [_metric(a, "picket_name_conflicts_total") for a in agents]
                return counts if any(n for n in counts if n) else None

            counts = wait_until(conflicts, FORM_TIMEOUT, what="picket_name_conflicts_total > 0")
            self.assertIn("name conflict: twin", "".join(a.log() for a in agents))
            # The seed keeps the first twin's address: nothing merged silently.
            self.assertEqual(seed.members()["twin"]["address"], one.gossip)
            shown = []
            for a, n in zip(agents, counts):
                status, body_ = http_json(a.api + "/v1/self")
                self.assertEqual(status, 200)
                self.assertIn("name_conflicts", body_)
                if n:
                    shown.append(body_["name_conflicts"])
            self.assertTrue(all(n > 0 for n in shown))
        self._in_cluster(body)


if __name__ == "__main__":
    unittest.main()
