#!/usr/bin/env python3
"""Idle bytes per agent of a cluster without service checks, before and after
every member sets one tag (its incarnation goes from 0 to 1): the cost of a
nonzero incarnation in every heartbeat. A benchmark: it prints figures, it
asserts nothing. Agents (peers.Cluster, 127.0.4.x) are killed by PID on every
exit path.

    PICKET_BIN=build/picket tests/bench/incarnation_idle_bytes.py --nodes 32
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

COUNTERS = ["picket_sent_bytes_total", "picket_datagrams_sent_total"]


def rates(cluster, seconds):
    """(payload bytes, datagrams) sent per agent per second over `seconds`."""
    before, t0 = cluster.counter_sums(COUNTERS), time.monotonic()
    time.sleep(seconds)
    after, elapsed = cluster.counter_sums(COUNTERS), time.monotonic() - t0
    n = len(cluster.agents)
    return tuple((after[c] - before[c]) / elapsed / n for c in COUNTERS)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=45.0, help="seconds each measurement lasts")
    args = ap.parse_args()
    if not 2 <= args.nodes <= peers.MAX_AGENTS:
        ap.error(f"--nodes must be between 2 and {peers.MAX_AGENTS}")
    peers.interrupt_on_signals()
    workdir = tempfile.mkdtemp(prefix="picket-incarnation-")
    cluster = peers.Cluster("picket", args.nodes, workdir, [])
    try:
        cluster.start()
        if cluster.wait_converged(180) is None:
            sys.exit(f"the cluster of {args.nodes} did not form within 180 s; logs in {workdir}")
        time.sleep(10)
        zero = rates(cluster, args.seconds)
        print("incarnation 0: %.1f B/s %.2f datagrams/s per agent" % zero, flush=True)
        for agent in cluster.agents:
            subprocess.run([peers.PICKET, "tags", "set", "k=v", "--http",
                            f"{agent.host}:{agent.api_port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        time.sleep(15)
        one = rates(cluster, args.seconds)
        print("incarnation 1 (a tag set once): %.1f B/s %.2f datagrams/s per agent" % one)
        print("ratio %.3f" % (one[0] / zero[0]))
    finally:
        cluster.stop()


if __name__ == "__main__":
    peers.run_main(main, "agents killed")
