#!/usr/bin/env python3
"""`picket agent --record-heartbeats DIR`: real heartbeat traces, and what the
detector believes of each observed member.

Three real agents on 127.35.0.x (Cluster(net=35)), `--profile local`
(heartbeats every 100 ms), each recording into its own directory. With N = 3
every agent observes the other two, so each directory must fill with exactly
two trace files, named after the members, which `picket detector-eval`
replays, one file (--trace-file) and every directory as a family
(--trace-dir). The same agents show the detector's estimate in /v1/members/{name}
(expected_interval_s, suspect_after_s, suspect_at) and in /metrics
(picket_detector_*_seconds{member=...}) for the members they observe, and
null for themselves. The agents keep recording while the test replays: it
replays a copy of whole lines and checks detector-eval counts every arrival
of it but the last (which ends the evaluated span). About 20 s; every agent
is killed by PID at the end.
"""

import json
import os
import re
import subprocess
import sys
import unittest

from picket_cluster import PICKET, Cluster, http_json, states, wait_until

NET = 35
N = 3
MIN_ARRIVALS = 60  # 6 s of 100 ms heartbeats


def arrivals(path):
    with open(path) as f:
        return [line for line in f if line.strip() and not line.startswith("#")]


def snapshot(root, copy):
    """Copies every trace under `root` to `copy`, whole lines only (an agent may
    be writing the last one); returns {copied path: arrival lines}."""
    lines = {}
    for agent in sorted(os.listdir(root)):
        os.makedirs(os.path.join(copy, agent))
        for name in sorted(os.listdir(os.path.join(root, agent))):
            with open(os.path.join(root, agent, name)) as f:
                text = f.read()
            text = text[:text.rfind("\n") + 1]
            path = os.path.join(copy, agent, name)
            with open(path, "w") as f:
                f.write(text)
            lines[path] = len(arrivals(path))
    return lines


class RecordHeartbeats(unittest.TestCase):
    def test_traces_recorded_and_replayed_estimates_exposed(self):
        with Cluster(net=NET) as c:
            root = os.path.join(c.dir, "traces")
            agents = [c.add(i, ["--profile", "local",
                                "--record-heartbeats", os.path.join(root, f"node-{i}"),
                                "--record-heartbeats-max-bytes", "200KB"])
                      for i in range(N)]
            agents[0].start()
            for a in agents[1:]:
                a.start(join=[agents[0].gossip])
            try:
                self.run_scenario(c, agents, root)
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise

    def run_scenario(self, c, agents, root):
        names = {a.name for a in agents}
        for a in agents:
            wait_until(lambda a=a: states(a) == {n: "alive" for n in names}, 30,
                       what=f"{a.name} sees everyone alive")

        def traces_full():
            for a in agents:
                d = os.path.join(root, a.name)
                expected = {f"{n}.trace" for n in names - {a.name}}
                if not os.path.isdir(d) or set(os.listdir(d)) != expected:
                    return False
                if any(len(arrivals(os.path.join(d, f))) < MIN_ARRIVALS for f in expected):
                    return False
            return True
        wait_until(traces_full, 40, interval=0.5, what="two trace files per agent")

        # The agents keep recording: replay a copy of whole lines, so that the
        # counts below are of the same files detector-eval reads.
        copy = os.path.join(c.dir, "traces-copy")
        lines = snapshot(root, copy)

        # Times increase, about 100 ms apart (no burst is recorded: < 25 ms apart).
        path = os.path.join(copy, "node-0", "node-1.trace")
        with open(path) as f:
            header = f.readline()
        self.assertIn("'node-1' at 'node-0'", header)
        times = [float(x) for x in arrivals(path)]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(all(g >= 0.025 for g in gaps), gaps)
        gaps.sort()
        self.assertAlmostEqual(gaps[len(gaps) // 2], 0.1, delta=0.02)

        # detector-eval reads a recorded file.
        p = subprocess.run([PICKET, "detector-eval", "--trace-file", path, "--warmup-min", "0.05",
                            "--trials", "101", "--json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        family = json.loads(p.stdout)["families"][0]
        # The last arrival ends the evaluated span; every other one is counted.
        self.assertGreaterEqual(lines[path], MIN_ARRIVALS)
        self.assertEqual(family["arrivals"], lines[path] - 1)
        self.assertGreater(family["hours"], 0)

        # ... and every agent's directory as one recorded family (two traces spliced).
        p = subprocess.run([PICKET, "detector-eval", "--trace-dir", copy, "--family", "none",
                            "--warmup-min", "0.05", "--trials", "101", "--json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        families = json.loads(p.stdout)["families"]
        self.assertEqual([f["name"] for f in families], [f"recorded/{a.name}" for a in agents])
        for f, a in zip(families, agents):
            spliced = sum(n for q, n in lines.items()
                          if os.path.basename(os.path.dirname(q)) == a.name)
            self.assertGreaterEqual(spliced, 2 * MIN_ARRIVALS, f["name"])
            self.assertEqual(f["arrivals"], spliced - 1, f["name"])

        # What the detector believes, in the API and the metrics.
        a = agents[0]
        status, other = http_json(f"{a.api}/v1/members/node-1")
        self.assertEqual(status, 200)
        self.assertAlmostEqual(other["expected_interval_s"], 0.1, delta=0.03)
        self.assertGreater(other["suspect_after_s"], other["expected_interval_s"])
        self.assertLess(other["suspect_after_s"], 2.0)
        self.assertRegex(other["suspect_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        status, own = http_json(f"{a.api}/v1/members/node-0")
        self.assertEqual(status, 200)
        for field in ("expected_interval_s", "suspect_after_s", "suspect_at"):
            self.assertIsNone(own[field], field)
        metrics = a.metrics()
        for family in ("picket_detector_expected_interval_seconds",
                       "picket_detector_suspect_after_seconds"):
            series = set(re.findall(rf'^{family}{{member="([^"]+)"}} [0-9.e+-]+$', metrics,
                                    re.MULTILINE))
            self.assertEqual(series, {"node-1", "node-2"}, family)


if __name__ == "__main__":
    unittest.main()
