"""Peer adapters: one real agent process of picket or of HashiCorp Serf.

Both adapters offer the same surface to the scenarios:
  start(join), kill() (SIGKILL), leave() (graceful), pause()/resume() (SIGSTOP/SIGCONT),
  running(), rss_kb(), cpu_ticks(), and a stream of membership events
  (t, kind, subject, incarnation) plus a view {subject: state} derived from them.

Event kinds: joined, alive, suspect, failed, left, reaped, refute.

Where the timestamps come from (stated in every result):
  picket  the `time` field of the agent's own JSON log line for each
          member.* event (the same clock and ms resolution as the event
          stream's `time`).
  serf    Serf's log has 1 s resolution, so every stdout line is stamped
          with time.time() when the runner reads it from the agent's pipe
          (a reader thread per agent; latency a few ms on a loaded machine):
            suspect  "memberlist: Suspect X has failed, no acks received"
                     (logged by the prober that starts the suspicion; Serf
                     has no suspect event and `serf members` shows no suspect
                     state, so this is the earliest observable suspicion)
            failed   "serf: EventMemberFailed: X"
            joined   "serf: EventMemberJoin: X", left "EventMemberLeave: X"
            refute   "memberlist: Refuting a suspect message" (the subject)
          Event handler scripts also record member-leave/failed with
          time.time() into a file per agent (`handler_events()`); those go
          through the agent's 1 s quiescent / 3 s coalesce window, so they
          show what a Serf event-handler application sees. Not member-join:
          a cold start of N agents runs the handler (a shell and three
          commands) for about N x N / coalesce-batch joins, which at N = 128
          kept this 2-core machine at a load of 400 for over 20 minutes.
          Even on failures only, every Serf agent forks at once: past 64
          agents on 2 cores the forks delay the agents, which then fail each
          other, which forks more (a load of 540 at N = 128). Off there:
          SerfAgent(handler=False) (cluster_bench.py --serf-handler).
"""

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PICKET = os.environ.get("PICKET_BIN", os.path.join(HERE, "../../build/picket"))
SERF = os.environ.get("SERF_BIN", "serf")
CLK_TCK = os.sysconf("SC_CLK_TCK")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def metrics_counters(api, names, timeout=5.0):
    """{name: value} of the unlabelled samples `names` in the agent's /metrics at `api`,
    or None when the agent does not answer."""
    try:
        with OPENER.open(api + "/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            out[parts[0]] = float(parts[1])
    return out


VIEW_STATE = {"joined": "alive", "alive": "alive", "suspect": "suspect", "failed": "failed",
              "left": "left", "reaped": None}


class BaseAgent:
    kind = "?"
    port = 0

    def __init__(self, index, host, workdir, extra):
        self.index = index
        self.host = host
        self.addr = f"{host}:{self.port}"
        self.workdir = workdir
        self.extra = list(extra)
        self.proc = None
        self.lock = threading.Lock()
        self.events = []          # (t, kind, subject, incarnation), all lifetimes of this agent
        self.view = {}            # subject -> state, for the current process
        self.started_at = None
        self.paused = False
        self.log_path = os.path.join(workdir, f"{self.name}.log")
        self._reader = None

    # -- process ----------------------------------------------------------
    def command(self, join):
        raise NotImplementedError

    def start(self, join=None):
        with self.lock:
            self.view = {}
        args = self.command(join)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env())
        self.started_at = time.time()
        self.paused = False
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        return self

    def env(self):
        return dict(os.environ)

    def _read(self, proc):
        with open(self.log_path, "ab") as log:
            for raw in proc.stdout:
                now = time.time()
                log.write(raw)
                log.flush()
                ev = self.parse(raw.decode(errors="replace"), now)
                if ev:
                    with self.lock:
                        self.events.append(ev)
                        st = self.view_state(ev[1])
                        if st is None:
                            self.view.pop(ev[2], None)
                        elif st != "keep":
                            self.view[ev[2]] = st
            log.flush()

    def parse(self, line, now):
        raise NotImplementedError

    def view_state(self, kind):
        """The state an event of `kind` puts its subject in, "keep" or None (removed)."""
        return VIEW_STATE.get(kind, "keep")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        if self.running():
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def kill(self):
        if self.proc is None:
            return
        if self.paused:
            self.signal(signal.SIGCONT)
        self.signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.paused = False

    def pause(self):
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.signal(signal.SIGCONT)
        self.paused = False

    def leave(self):
        """Graceful leave; returns once the process has exited (bounded)."""
        raise NotImplementedError

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            self.kill()
            return False

    # -- footprint ---------------------------------------------------------
    def rss_kb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def pss_kb(self):
        try:
            with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def cpu_ticks(self):
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except OSError:
            return 0

    # -- events ------------------------------------------------------------
    def events_since(self, t0, subject=None, kinds=None):
        with self.lock:
            evs = list(self.events)
        return [e for e in evs if e[0] >= t0 - 0.001 and (subject is None or e[2] == subject)
                and (kinds is None or e[1] in kinds)]

    def state_of(self, subject):
        with self.lock:
            return self.view.get(subject)

    def view_copy(self):
        with self.lock:
            return dict(self.view)

    def handler_events(self, t0):
        return []


_PICKET_EV = re.compile(r"^member\.(joined|alive|suspect|failed|left|reaped|removed)\s+(\S+).*?incarnation (\d+)")


class PicketAgent(BaseAgent):
    kind = "picket"
    port = 9746
    api_port = 9747

    def __init__(self, index, host, workdir, extra, prefix="picket"):
        self.name = f"{prefix}-{index}"
        super().__init__(index, host, workdir, extra)
        self.api = f"http://{host}:{self.api_port}"

    def command(self, join):
        args = [PICKET, "agent", "--name", self.name, "--bind", self.addr,
                "--http", f"{self.host}:{self.api_port}", "--log-format", "json", "--log-level", "info"]
        if join and join != self.addr:
            args += ["--join", join]
        return args + self.extra

    def parse(self, line, now):
        if not line.startswith("{"):
            return None
        try:
            rec = json.loads(line)
        except ValueError:
            return None
        m = _PICKET_EV.match(rec.get("msg", ""))
        if not m:
            return None
        kind = m.group(1)
        if kind == "removed":
            kind = "reaped"
        t = datetime.datetime.strptime(rec["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        return (t, kind, m.group(2), int(m.group(3)))

    def leave(self, timeout=15):
        self.signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def counters(self, names):
        return metrics_counters(self.api, names)

    def members_http(self):
        try:
            with OPENER.open(self.api + "/v1/members", timeout=2.0) as r:
                body = json.loads(r.read().decode())
            return {m["name"]: m["state"] for m in body["members"]}
        except (OSError, ValueError):
            return None


_SERF_PATTERNS = [
    (re.compile(r"memberlist: Suspect (\S+) has failed, no acks received"), "suspect"),
    (re.compile(r"serf: EventMemberFailed: (\S+)"), "failed"),
    (re.compile(r"serf: EventMemberJoin: (\S+)"), "joined"),
    (re.compile(r"serf: EventMemberLeave: (\S+)"), "left"),
    (re.compile(r"serf: EventMemberReap: (\S+)"), "reaped"),
    (re.compile(r"memberlist: Refuting a suspect message"), "refute"),
]

_HANDLER = """#!/bin/sh
# Serf event handler of the cluster benchmark: one line per event
# "<unix time> <event> <member names...>" appended to the file given as $1.
t=$(date +%s.%N)
names=$(cut -f1 | tr '\\n' ' ')
echo "$t $SERF_EVENT $names" >> "$1"
"""


class SerfAgent(BaseAgent):
    kind = "serf"
    port = 7946
    rpc_port = 7373

    def __init__(self, index, host, workdir, extra, prefix="serf", handler=True):
        self.name = f"{prefix}-{index}"
        super().__init__(index, host, workdir, extra)
        self.rpc = f"{host}:{self.rpc_port}"
        self.handler_file = os.path.join(workdir, f"{self.name}.events")
        self.handler = os.path.join(workdir, "serf-handler.sh") if handler else None
        if handler and not os.path.exists(self.handler):
            with open(self.handler, "w") as f:
                f.write(_HANDLER)
            os.chmod(self.handler, 0o755)

    def command(self, join):
        args = [SERF, "agent", "-node", self.name, "-bind", self.addr, "-rpc-addr", self.rpc,
                "-log-level", "info"]
        if self.handler:
            args += ["-event-handler", f"member-leave,member-failed={self.handler} {self.handler_file}"]
        if join and join != self.addr:
            args += ["-retry-join", join, "-retry-interval", "1s"]
        return args + self.extra

    def parse(self, line, now):
        for rx, kind in _SERF_PATTERNS:
            m = rx.search(line)
            if m:
                subject = self.name if kind == "refute" else m.group(1)
                return (now, kind, subject, 0)
        return None

    def view_state(self, kind):
        # memberlist's "Suspect X has failed" is one prober's log line, not a Serf member state:
        # it can even come after EventMemberFailed; Serf members are alive, failed or left
        return "keep" if kind in ("suspect", "refute") else VIEW_STATE.get(kind, "keep")

    def leave(self, timeout=15):
        self.signal(signal.SIGINT)   # serf: SIGINT = graceful leave (skip_leave_on_interrupt=false)
        return self.wait_exit(timeout)

    def handler_events(self, t0):
        out = []
        if not self.handler:
            return out
        try:
            with open(self.handler_file) as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 2 and float(p[0]) >= t0:
                        kind = {"member-failed": "failed", "member-join": "joined",
                                "member-leave": "left"}.get(p[1], p[1])
                        for name in p[2:]:
                            out.append((float(p[0]), kind, name, 0))
        except OSError:
            pass
        return out


PEERS = {"picket": (PicketAgent, "127.0.4", 9746, 9747), "serf": (SerfAgent, "127.0.9", 7946, 7373)}


MAX_PER_SUBNET = 240    # 127.0.<net>.11 .. .250
MAX_AGENTS = 2 * MAX_PER_SUBNET


class Cluster:
    """N agents of one peer on 127.0.<net>.(10+i); past 240, on 127.0.<net + 100>.(10+i-240).
    `label` names the cluster in results (default: the peer); a second cluster of the same peer
    needs its own label, net and prefix."""

    def __init__(self, peer, n, workdir, extra, net=None, prefix=None, label=None, agent_options=None):
        cls, default_net, self.port, self.api_port = PEERS[peer]
        self.peer = peer
        self.label = label or peer
        self.net = net or default_net
        self.extra = list(extra)
        if not 1 <= n <= MAX_AGENTS:
            raise ValueError(f"a cluster holds 1..{MAX_AGENTS} agents, not {n}")
        base, third = self.net.rsplit(".", 1)
        nets = [f"{base}.{int(third) + 100 * block}" for block in range((n - 1) // MAX_PER_SUBNET + 1)]
        self.subnets = [f"{net}.0/24" for net in nets]
        self.subnet = self.subnets[0]   # the whole cluster when it has one subnet (recorded traces)

        def addr(i):
            block, offset = divmod(i - 1, MAX_PER_SUBNET)
            return f"{nets[block]}.{11 + offset}"

        options = dict(agent_options or {}, **({"prefix": prefix} if prefix else {}))
        self.agents = [cls(i, addr(i), workdir, extra, **options) for i in range(1, n + 1)]
        self.seed = self.agents[0].addr

    def start(self, stagger=0.05):
        for a in self.agents:
            a.start(self.seed)
            time.sleep(stagger)

    def live(self):
        return [a for a in self.agents if a.running()]

    def stop(self):
        for a in self.agents:
            a.kill()

    def counter_sums(self, names):
        """{name: sum over the agents} of /metrics counters (picket agents); raises
        RuntimeError naming an agent that does not answer."""
        sums = dict.fromkeys(names, 0.0)
        for agent in self.agents:
            read = agent.counters(names)
            if read is None:
                raise RuntimeError(f"{agent.name} did not answer /metrics")
            for name, value in read.items():
                sums[name] += value
        return sums

    def converged(self, live=None, gone=()):
        """Every live agent sees every other live agent as a member (alive or suspect)
        and none of `gone` as alive."""
        live = live if live is not None else self.live()
        if not any(a.running() for a in live):
            return False
        names = [a.name for a in live]
        for a in live:
            v = a.view_copy()
            for n in names:
                if n != a.name and v.get(n) not in ("alive", "suspect"):
                    return False
            for g in gone:
                if v.get(g) in ("alive", "suspect"):
                    return False
        return True

    def wait_converged(self, timeout, live=None, gone=(), interval=0.2):
        t0 = time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.converged(live, gone):
                return time.time() - t0
            time.sleep(interval)
        return None


# -------------------------------------------------------------- script exits
def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_signals():
    """SIGTERM and SIGHUP end a benchmark like Ctrl-C, through its `finally`
    blocks (agents killed by PID, iptables chains removed)."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)


def run_main(main, cleaned_up):
    """Runs a benchmark's main(); when interrupted, says what was cleaned up
    and exits with 130."""
    try:
        main()
    except KeyboardInterrupt:
        print(f"interrupted: {cleaned_up}", file=sys.stderr)
        sys.exit(130)
