#!/usr/bin/env python3
"""Cluster benchmark: real picket and HashiCorp Serf agents on loopback, side by side.

picket agents run on 127.0.4.x, Serf agents on 127.0.9.x, one process and one
address each, both clusters at the same time on the same machine, and every
fault hits the member with the same index in both clusters at the same moment,
so the picket/Serf ratios are measured under the same load.

Scenarios (a benchmark: it prints figures, it asserts nothing):
  idle       RSS/PSS and CPU per agent (/proc), packets and IP bytes sent per
             agent per second (iptables counters per source address)
  crash      SIGKILL one member, repeated: kill -> first suspicion, -> failed at
             every live agent (p50/p90/max)
  coldstart  every agent killed, then all started again within 2 s (both
             clusters interleaved, joining through member 1): last start ->
             every agent sees every other, distinct cluster sizes the views went
             through (Rapid's measure), IP bytes per agent per s until converged
  loss       random loss of UDP only and of all IP traffic between agents, at
             each --loss-rates, --fault-seconds long, with a crash in the last 25 s
  pause      one member SIGSTOPped 400 ms (--pause-ms) of every second for --fault-seconds
  partition  iptables DROP between two halves, then heal
  isolate    one member cut off (1 | N-1) for 10, 16 and 25 s, then healed: false
             failures of majority members after the heal
  churn      members leave gracefully and rejoin continually for --churn-seconds
  gray       gray failures, each --fault-seconds long (gray.py): 1% of the members
             at 80% loss both ways, the same losing all incoming traffic 20 s on /
             20 s off, 10 one-way pairs, 10% CPU-starved (SIGSTOP 0.2-0.8 s)

  tests/bench/cluster_bench.py --nodes 8,32 --scenario idle,crash --repeat 5 --json out.json
  tests/bench/cluster_bench.py --nodes 16 --scenario loss,pause,partition,churn --fault-seconds 120
  tests/bench/cluster_bench.py --nodes 32 --scenario gray --fault-seconds 300 --seed 19
  tests/bench/cluster_bench.py --variant tuned ...      # both peers on a 1 s period
  tests/bench/cluster_bench.py --cleanup                # remove leftover iptables chains
  tests/bench/cluster_bench.py ... -- --profile frugal  # extra `picket agent` flags
  tests/bench/cluster_bench.py --peers picket --base-args '--phi-distribution normal' ...
                        # a second picket cluster (127.0.5.x) with other flags, same faults

Every process is started and killed here by PID; the iptables chains
PICKET_BENCH_IN/_OUT are removed on every exit path (also Ctrl-C). Needs root
for iptables; without it the iptables scenarios are skipped with a message.
"""

import argparse
import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gray  # noqa: E402
import netfault  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
from scenarios import log  # noqa: E402

CHAIN = "PICKET_BENCH"
BASE_NET = "127.0.5"   # the second picket cluster of --base-args
SERF_HANDLER_MAX_AGENTS = 64  # --serf-handler auto

VARIANTS = {
    # name: (picket flags, serf flags, description)
    "default": ([], [], "both peers with their default settings (picket --profile lan: heartbeat 500 ms to "
                        "K=4 observers, probe 1 s; Serf -profile=lan: memberlist probe 1 s, probe timeout "
                        "500 ms, suspicion mult 4, 3 indirect checks)"),
    "tuned": (["--heartbeat-interval", "1s", "--probe-interval", "1s"], ["-profile=local"],
              "same 1 s period: picket heartbeat and probe every 1 s (K=4); Serf -profile=local "
              "(memberlist probe 1 s, probe timeout 200 ms, suspicion mult 3, 1 indirect check; Serf's "
              "agent has no probe-interval setting, its profiles are the only knob)"),
}


def run_one(n, args, nf, ipt_ok, rng):
    p_flags, s_flags, desc = VARIANTS[args.variant]
    b_flags = p_flags + (args.base_args.split() if args.base_args else [])
    p_flags = p_flags + args.agent_args
    s_flags = s_flags + (args.serf_args.split() if args.serf_args else [])
    workdir = tempfile.mkdtemp(prefix=f"picket-bench-{n}-")
    clusters = []
    if "picket" in args.peers:
        clusters.append(peers.Cluster("picket", n, workdir, p_flags))
    if args.base_args is not None:
        clusters.append(peers.Cluster("picket", n, workdir, b_flags, net=BASE_NET, prefix="base",
                                      label="picket-base"))
    if "serf" in args.peers:
        handler = args.serf_handler == "on" or (args.serf_handler == "auto" and n <= SERF_HANDLER_MAX_AGENTS)
        if not handler:
            log(f"serf: no event handler ({n} agents; --serf-handler)")
        clusters.append(peers.Cluster("serf", n, workdir, s_flags, agent_options={"handler": handler}))
    result = {"nodes": n, "variant": args.variant, "variant_description": desc,
              "settings": {"picket": p_flags, "serf": s_flags,
                           **({"picket-base": b_flags} if args.base_args is not None else {})},
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "machine": f"{os.cpu_count()} cores, {os.uname().release}",
              "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
              "seed": args.seed, "workdir": workdir, "scenarios": {}, "notes": [],
              "timestamps": {"picket": "time field of the agent's JSON log line of each member.* event",
                             "serf": "runner's time.time() when it read the agent's log line from the pipe "
                                     "(Serf logs have 1 s resolution); suspicion = memberlist 'Suspect X has "
                                     "failed' line of the prober"}}
    try:
        if ipt_ok:
            nf.setup()
            for c in clusters:
                nf.add_counters([a.host for a in c.agents], c.port, c.subnets)
        for c in clusters:
            c.start()
        for c in clusters:
            t = c.wait_converged(180)
            if t is None:
                raise RuntimeError(f"{c.label} cluster of {n} did not form within 180 s; logs in {workdir}")
            log(f"{c.label}: {n} agents formed a cluster")
        time.sleep(3)
        for sc in args.scenario:
            t_sc = time.monotonic()
            log(f"== N={n} scenario {sc}")
            res = result["scenarios"]
            if sc == "idle":
                res["idle"] = scenarios.idle(clusters, nf if ipt_ok else None, args.idle_seconds)
            elif sc == "crash":
                res["crash"] = scenarios.crash(clusters, args.repeat, rng)
            elif sc == "coldstart":
                res["coldstart"] = scenarios.coldstart(clusters, nf if ipt_ok else None)
            elif sc in ("loss", "partition", "isolate", "gray") and not ipt_ok:
                log(f"  skipped {sc}: iptables not permitted here")
                result["notes"].append(f"{sc} skipped: iptables not permitted")
            elif sc == "loss":
                for kind in args.loss_kinds:
                    for pct in args.loss_rates:
                        res[f"loss_{pct}_{kind}"] = scenarios.loss(clusters, nf, pct / 100.0, kind == "udp",
                                                                   args.fault_seconds, rng)
            elif sc == "pause":
                idx = rng.randrange(1, n)
                res[f"pause_{idx}"] = scenarios.pause(clusters, args.fault_seconds, idx,
                                                      stop_s=args.pause_ms / 1000,
                                                      run_s=1 - args.pause_ms / 1000)
                res["pause"] = res.pop(f"pause_{idx}")
                log(f"  pause: {res['pause']}")
            elif sc == "partition":
                res["partition"] = scenarios.partition(clusters, nf)
            elif sc == "isolate":
                res["isolate"] = scenarios.isolate(clusters, nf, rng)
                log(f"  isolate: {res['isolate']}")
            elif sc == "gray":
                for kind in args.gray_kinds:
                    res[f"gray_{kind}"] = gray.gray(clusters, nf, rng, kind, args.fault_seconds,
                                                    loss_p=args.gray_loss, flip_s=args.gray_flip_s,
                                                    pairs=args.gray_pairs)
            elif sc == "churn":
                res["churn"] = scenarios.churn(clusters, args.churn_seconds, rng)
                log(f"  churn: {res['churn']}")
            else:
                raise SystemExit(f"unknown scenario {sc}")
            log(f"   ({sc} took {time.monotonic() - t_sc:.0f} s)")
        if "partition" in result["scenarios"]:
            result["notes"].append("partition: picket and memberlist both dial TCP from 127.0.0.1, not from their "
                                   "bind address, so a stream's side is unknown; all TCP from 127.0.0.1 to the "
                                   "agents is dropped while partitioned (streams inside a half fail too)")
        if "idle" in result["scenarios"] and "serf" in args.peers:
            result["notes"].append("bytes: IP bytes counted by iptables per source address (UDP and gossip TCP); "
                                   "Serf's TCP dialled from 127.0.0.1 is shared equally among its agents")
    finally:
        for c in clusters:
            c.stop()
        if ipt_ok:
            nf.cleanup()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", default="32", help="comma list, e.g. 8,16,32")
    ap.add_argument("--peers", default="picket,serf")
    ap.add_argument("--scenario", default="idle,crash",
                    help="comma list of idle,crash,coldstart,loss,pause,partition,isolate,churn (or all)")
    ap.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    ap.add_argument("--serf-handler", default="auto", choices=["auto", "on", "off"],
                    help="Serf event handler (the crash figure 'Serf event-handler time'); auto: on up to "
                         f"{SERF_HANDLER_MAX_AGENTS} agents (past that, every agent forking at each failure "
                         "overloads one machine)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--fault-seconds", type=float, default=120, help="length of each loss / pause window")
    ap.add_argument("--pause-ms", type=int, default=400, help="pause: stopped this long of every second")
    ap.add_argument("--churn-seconds", type=float, default=90)
    ap.add_argument("--loss-rates", default="10,20")
    ap.add_argument("--loss-kinds", default="udp,all")
    ap.add_argument("--gray-kinds", default=",".join(gray.KINDS),
                    help="gray scenario: comma list of " + ", ".join(gray.KINDS) + " (see gray.py)")
    ap.add_argument("--gray-loss", type=float, default=0.8, help="gray loss: the impaired member's loss")
    ap.add_argument("--gray-flip-s", type=float, default=20, help="gray flip: seconds on, as many off")
    ap.add_argument("--gray-pairs", type=int, default=10, help="gray oneway: how many pairs")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--base-args", default=None,
                    help="also run a second picket cluster (picket-base, on " + BASE_NET + ".x) with these "
                         "`picket agent` flags instead of those after --, one string ('' for the defaults): "
                         "two settings side by side under the same faults")
    ap.add_argument("--serf-args", default="", help="extra `serf agent` flags, one string")
    ap.add_argument("--json", help="write the results (a list, one per N) to this file")
    ap.add_argument("--md", help="write the Markdown table to this file")
    ap.add_argument("--plot", help="write the loss plot (PNG) to this file")
    ap.add_argument("--cleanup", action="store_true", help="remove leftover iptables chains and exit")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()

    nf = netfault.NetFault(CHAIN, exempt_ports=(peers.PicketAgent.api_port, peers.SerfAgent.rpc_port))
    if args.cleanup:
        nf.cleanup()
        print(f"removed iptables chains {CHAIN}_IN/_OUT (if any)")
        return
    args.seed = args.seed if args.seed is not None else int(time.time()) % 100000
    print(f"seed {args.seed}", file=sys.stderr)
    args.peers = args.peers.split(",")
    if "serf" in args.peers and not shutil.which(peers.SERF):
        log("serf not installed (apt-get install serf): running picket only")
        args.peers = [p for p in args.peers if p != "serf"]
    args.scenario = (["idle", "crash", "coldstart", "loss", "pause", "partition", "isolate", "churn"] if args.scenario == "all"
                     else args.scenario.split(","))
    if not 0 < args.pause_ms < 1000:
        ap.error(f"--pause-ms must be 1..999 (got {args.pause_ms})")
    args.loss_rates = [int(x) for x in args.loss_rates.split(",")]
    args.loss_kinds = args.loss_kinds.split(",")
    args.gray_kinds = args.gray_kinds.split(",")
    for kind in args.gray_kinds:
        if kind not in gray.KINDS:
            raise SystemExit(f"--gray-kinds: unknown kind {kind!r} (choose from {', '.join(gray.KINDS)})")
    ipt_ok, why = netfault.iptables_available()
    if not ipt_ok:
        log(f"iptables not permitted ({why}): packet counters, loss and partition scenarios are skipped")
    peers.interrupt_on_signals()
    rng = random.Random(args.seed)
    results = []
    try:
        for n in [int(x) for x in args.nodes.split(",")]:
            if not 2 <= n <= peers.MAX_AGENTS:
                ap.error(f"--nodes must be 2..{peers.MAX_AGENTS}")
            results.append(run_one(n, args, nf, ipt_ok, rng))
            if args.json:   # keep what is done if a later N fails
                with open(args.json, "w") as f:
                    json.dump(results, f, indent=2)
    finally:
        if ipt_ok:
            nf.cleanup()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    md = report.markdown(results)
    print(md, file=sys.stderr)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md + "\n")
    if args.plot:
        report.plot(results, args.plot)


if __name__ == "__main__":
    peers.run_main(main, "agents killed, iptables chains removed")
