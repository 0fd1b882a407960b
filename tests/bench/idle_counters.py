#!/usr/bin/env python3
"""What an idle picket cluster sends, from the agents' own counters.

Starts N picket agents on loopback (as cluster_bench.py does: seed-only join,
127.0.4.x), waits until they form a cluster and --settle seconds more, then
reads every agent's /metrics twice, --seconds apart, and prints each traffic
counter per agent per second (payload bytes, datagrams, piggybacked
membership updates and phi reports, push-pulls, streams, phi checks,
suspicions). A benchmark: it prints figures, it asserts nothing. Agents are
killed by PID on every exit path.

  PICKET_BIN=build/picket tests/bench/idle_counters.py --nodes 240
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

COUNTERS = [
    "picket_sent_bytes_total",
    "picket_datagrams_sent_total",
    "picket_heartbeats_sent_total",
    "picket_probes_total",
    "picket_gossip_updates_sent_total",
    "picket_phi_reports_sent_total",
    "picket_push_pulls_total",
    "picket_streams_opened_total",
    "picket_phi_checks_total",
    "picket_suspicions_total",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=32)
    ap.add_argument("--settle", type=float, default=30.0, help="seconds between forming and the first read")
    ap.add_argument("--seconds", type=float, default=60.0, help="seconds between the two reads")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()
    if not 1 <= args.nodes <= peers.MAX_AGENTS:
        ap.error(f"--nodes must be between 1 and {peers.MAX_AGENTS}")
    peers.interrupt_on_signals()
    workdir = tempfile.mkdtemp(prefix="picket-idle-")
    cluster = peers.Cluster("picket", args.nodes, workdir, args.agent_args)
    try:
        cluster.start()
        formed = cluster.wait_converged(180)
        if formed is None:
            sys.exit(f"the cluster of {args.nodes} did not form within 180 s; logs in {workdir}")
        print(f"N = {args.nodes}: formed {formed:.1f} s after the last start; reading counters")
        time.sleep(args.settle)
        before, t0 = cluster.counter_sums(COUNTERS), time.monotonic()
        time.sleep(args.seconds)
        after, elapsed = cluster.counter_sums(COUNTERS), time.monotonic() - t0
        for name in COUNTERS:
            rate = (after[name] - before[name]) / elapsed / args.nodes
            print(f"{name:36s} {rate:10.2f} per agent per s")
    finally:
        cluster.stop()


if __name__ == "__main__":
    peers.run_main(main, "agents killed")
