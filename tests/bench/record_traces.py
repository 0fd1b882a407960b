#!/usr/bin/env python3
"""Records real heartbeat traces for `picket detector-eval --trace-dir`.

A small cluster of real `picket agent`s on 127.0.44.x (default settings,
`--profile lan`: heartbeats every 500 ms) records the arrival of every
heartbeat its detectors are fed (`--record-heartbeats`), once per fault
family, each family on a fresh cluster:

  idle            nothing wrong
  loss-10         10% random loss of all traffic between the agents (iptables)
  loss-20         20% likewise
  pause-400       one member SIGSTOPped 400 ms of every second (SIGCONT for 600 ms)
  pause-600       one member SIGSTOPped 600 ms of every second (SIGCONT for 400 ms)
  cpu-contention  every agent and one busy-looping neighbour process pinned to
                  the same core
  restart         one member SIGKILLed half-way and started again 3 s later

and copies a few traces per family into OUT/<family>/ (files named
<observer>--<subject>.trace): for the pause and restart families the faulted
member as its observers saw it, otherwise the subjects of the first agent;
at most --max-kb per family.

  PICKET_BIN=build-h20/picket tests/bench/record_traces.py              # all families
  PICKET_BIN=build-h20/picket tests/bench/record_traces.py --families idle,pause-400 --seconds 60
  tests/bench/record_traces.py --cleanup                                 # leftover iptables chains

Needs root for iptables (loss families); without it they are skipped with a
message. Every process is started and killed here by PID, the iptables chains
PICKET_TRACES_IN/_OUT are removed on every exit path, and every wait is
bounded: about (--seconds + 25 s) per family.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netfault  # noqa: E402
import peers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHAIN = "PICKET_TRACES"
NET = "127.0.44"
FAMILIES = ["idle", "loss-10", "loss-20", "pause-400", "pause-600", "cpu-contention", "restart"]
VICTIM = 1  # index into the cluster's agents of the faulted member (not the seed)
CONTENDED_CPU = 1  # the core the agents and the busy neighbour share


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def busy_neighbour():
    """A process that spins on CONTENDED_CPU until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            preexec_fn=lambda: os.sched_setaffinity(0, {CONTENDED_CPU}))


def fault_window(family, cluster, nf, seconds):
    """Applies the family's fault for `seconds`; returns the faulted member's name or None."""
    victim = cluster.agents[VICTIM]
    deadline = time.monotonic() + seconds
    if family == "idle":
        time.sleep(seconds)
        return None
    if family.startswith("loss-"):
        nf.loss(cluster.subnet, int(family.split("-")[1]) / 100.0, udp_only=False)
        try:
            time.sleep(seconds)
        finally:
            nf.clear_faults()
        return None
    if family.startswith("pause-"):
        stop_s = int(family.split("-")[1]) / 1000.0
        try:
            while time.monotonic() < deadline:
                victim.pause()
                time.sleep(stop_s)
                victim.resume()
                time.sleep(1.0 - stop_s)
        finally:
            victim.resume()
        return victim.name
    if family == "cpu-contention":
        for a in cluster.agents:  # every thread of each agent
            subprocess.run(["taskset", "-a", "-p", "-c", str(CONTENDED_CPU), str(a.pid())],
                           check=True, capture_output=True, timeout=10)
        burner = busy_neighbour()
        try:
            time.sleep(seconds)
        finally:
            burner.kill()
            burner.wait(timeout=10)
        return None
    if family == "restart":
        time.sleep(seconds / 2)
        victim.kill()
        time.sleep(3.0)
        victim.start(cluster.seed)
        time.sleep(max(0.0, deadline - time.monotonic()))
        return victim.name
    raise ValueError(family)


def collect(family, workdir, cluster, victim, out_dir, max_bytes, traces_per_family):
    """Copies up to `traces_per_family` traces (at most max_bytes together) into out_dir."""
    if victim:  # the faulted member, as each of its observers saw it
        candidates = [(a.name, victim) for a in cluster.agents if a.name != victim]
    else:  # the subjects of the first agent
        first = cluster.agents[0].name
        names = sorted(f[:-len(".trace")] for f in os.listdir(os.path.join(workdir, first)))
        candidates = [(first, n) for n in names]
    os.makedirs(out_dir, exist_ok=True)
    copied, total = [], 0
    for observer, subject in candidates:
        src = os.path.join(workdir, observer, f"{subject}.trace")
        if not os.path.exists(src) or len(copied) >= traces_per_family:
            continue
        size = os.path.getsize(src)
        if total + size > max_bytes:
            continue
        shutil.copyfile(src, os.path.join(out_dir, f"{observer}--{subject}.trace"))
        copied.append((observer, subject, size))
        total += size
    log(f"  {family}: copied {len(copied)} trace(s), {total} bytes: "
        + ", ".join(f"{o}->{s} ({b} B)" for o, s, b in copied))
    return copied


def record_family(family, args, nf, out_root):
    workdir = tempfile.mkdtemp(prefix=f"picket-traces-{family}-")
    cluster = peers.Cluster("picket", args.nodes, workdir, args.agent_args, net=NET, prefix="rec")
    for a in cluster.agents:
        a.extra += ["--record-heartbeats", os.path.join(workdir, a.name),
                    "--record-heartbeats-max-bytes", "1MB"]
    try:
        cluster.start()
        if cluster.wait_converged(20) is None:
            raise RuntimeError(f"{family}: the cluster did not converge within 20 s; logs in {workdir}")
        log(f"{family}: {args.nodes} agents converged; fault for {args.seconds:.0f} s")
        victim = fault_window(family, cluster, nf, args.seconds)
        return collect(family, workdir, cluster, victim, os.path.join(out_root, family),
                       args.max_kb * 1000, args.traces)
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma list of " + ", ".join(FAMILIES))
    ap.add_argument("--nodes", type=int, default=4, help="agents per cluster (2..20)")
    ap.add_argument("--seconds", type=float, default=150, help="length of each family's recording")
    ap.add_argument("--traces", type=int, default=3, help="traces copied per family")
    ap.add_argument("--max-kb", type=int, default=40, help="bound on the copied traces of one family")
    ap.add_argument("--out", default=os.path.join(HERE, "traces"), help="where the families go")
    ap.add_argument("--keep", action="store_true", help="keep each family's working directory")
    ap.add_argument("--cleanup", action="store_true", help="remove leftover iptables chains and exit")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()
    nf = netfault.NetFault(CHAIN, exempt_ports=(peers.PicketAgent.api_port,))
    if args.cleanup:
        nf.cleanup()
        print(f"removed iptables chains {CHAIN}_IN/_OUT (if any)")
        return
    families = args.families.split(",")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not 2 <= args.nodes <= 20 or args.seconds <= 0:
        ap.error(f"unknown families {unknown}" if unknown else "--nodes must be 2..20, --seconds > 0")
    ipt_ok, why = netfault.iptables_available()
    if not ipt_ok:
        log(f"iptables not permitted ({why}): the loss families are skipped")
        families = [f for f in families if not f.startswith("loss-")]
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    try:
        if ipt_ok:
            nf.setup()
        for family in families:
            out_dir = os.path.join(args.out, family)
            shutil.rmtree(out_dir, ignore_errors=True)
            record_family(family, args, nf, args.out)
    finally:
        if ipt_ok:
            nf.cleanup()


if __name__ == "__main__":
    peers.run_main(main, "agents killed, iptables chains removed")
