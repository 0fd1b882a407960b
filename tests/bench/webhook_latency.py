#!/usr/bin/env python3
"""State change to webhook arrival at a local receiver, with real agents.

Starts N agents on 127.15.0.x (agent node-1 with --webhook-url to a local
receiver, tests/integration/webhook_receiver.py, which verifies every
signature), then R times: SIGKILL one member, wait for its member.failed at
the receiver, restart it, wait until it is alive again. Reports, over the
runs, p50/p99/max of

  delivery: receiver arrival - the event's `time` (the state change at node-1;
            the target in docs/architecture.md is <= 50 ms p99), and
  end to end: receiver arrival - the SIGKILL (detection + delivery).

  PICKET_BIN=build/picket python3 tests/bench/webhook_latency.py [--agents 5] [--runs 20]
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from picket_cluster import Cluster, states, wait_until  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NET = 15


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def summary(values):
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(max(ms), 2),
            "mean_ms": round(statistics.mean(ms), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    receiver = Receiver(f"127.{NET}.0.1", 0, SECRET).start()
    delivery, end_to_end = [], []
    with Cluster(net=NET) as c:
        try:
            agents = [c.add(1, ["--webhook-url", receiver.url, "--webhook-secret", SECRET,
                                "--webhook-events", "member.failed"])]
            agents += [c.add(i) for i in range(2, args.agents + 1)]
            agents[0].start()
            for a in agents[1:]:
                a.start(join=[agents[0].gossip])
            names = {a.name for a in agents}
            everyone_alive = lambda: all(  # noqa: E731
                (states(a) or {}) == {n: "alive" for n in names} for a in agents)
            wait_until(everyone_alive, 60, what="cluster formed")
            for run in range(args.runs):
                victim = agents[1 + run % (len(agents) - 1)]
                seen = len(receiver.received())
                killed = time.time()
                victim.kill()

                def arrived(received):
                    for r in received[seen:]:
                        if r.event.get("subject") == victim.name and r.error is None:
                            return r
                    return None
                got = receiver.wait_for(arrived, 60)
                if got is None:
                    raise SystemExit(f"run {run}: no member.failed for {victim.name}")
                delivery.append(got.arrival - parse_time(got.event["time"]))
                end_to_end.append(got.arrival - killed)
                print(f"run {run + 1}/{args.runs}: {victim.name} delivery "
                      f"{delivery[-1] * 1000:.1f} ms, kill to arrival {end_to_end[-1]:.2f} s",
                      file=sys.stderr)
                victim.start(join=[agents[0].gossip])
                wait_until(everyone_alive, 60, what=f"{victim.name} alive again")
        finally:
            receiver.stop()
    print(json.dumps({"agents": args.agents, "runs": args.runs,
                      "delivery_event_time_to_arrival": summary(delivery),
                      "sigkill_to_arrival": summary(end_to_end)}, indent=1))


if __name__ == "__main__":
    main()
