#!/usr/bin/env python3
"""Chaos suite: a randomized fault schedule against a real loopback cluster of
picket agents (127.0.10.x), with invariants checked continuously and at the end.

Faults: SIGKILL crashes (each restarted later), SIGSTOP pauses (one long stop, or
400 ms of every second for a while), graceful leaves and rejoins, new members
joining, random loss (UDP only or all IP) and partitions (iptables, in the chain
PICKET_CHAOS_IN/_OUT of this script only; skipped with a message where iptables
is not permitted).

Invariants:
  I1 crash-detected   every crashed member is `failed` at every live agent within
                      --detect-bound s (observers that were paused, down or not yet
                      joined during that window are excused)
  I2 no-false-failure no member that stayed healthy and reachable is ever declared
                      failed: a `member.failed` about X at observer O is allowed only
                      while X is crashed/left/paused (and --grace s after), or while O
                      and X are on different sides of a partition (and --grace s after).
                      Random loss (<= 20%) excuses nothing.
  I3 convergence      after the last fault heals, all live agents agree (GET /v1/members)
                      within --converge-bound s: every running member alive, everything
                      else failed/left, the same map at every agent
  I4 no-crash/leak    no agent we did not kill exits; RSS stays under --rss-bound-mb and
                      grows by at most --rss-growth-mb over an agent's life
  I5 webhooks         every webhook event a live agent emitted reached the receiver: an
                      in-process receiver (tests/integration/webhook_receiver.py, on
                      127.0.10.250, verifying every signature) is started before the
                      agents, and every agent (initial, restarted, spare) runs with
                      --webhook-url/--webhook-secret to it. At the end, for every agent
                      process still running (an agent that crashed or left is checked for
                      the events of its new process only; the events of SIGKILLed or
                      stopped processes are excused), each event of its log
                      (GET /v1/events?since=0, of the subscribed types) must have been
                      accepted by the receiver within --webhook-drain s; matched by
                      CloudEvent source picket://<name> and data (seq, type, time, member).
                      Also violations: any picket.resync sent (events dropped), a
                      `dropped` count in GET /v1/subscriptions, a request the receiver
                      rejected. If the bounded event log (10,000) evicted early events,
                      only the range it still holds is compared (noted per agent).
                      --no-webhooks: not checked.

The schedule is drawn from --seed (printed at start); the same seed gives the
same schedule (victims and timings come from the scheduler's own bookkeeping,
never from observed agent state).

  tests/chaos/chaos.py --duration 120                 # CI run (ctest -L chaos)
  tests/chaos/chaos.py --duration 1800 --nodes 16     # the long run
  tests/chaos/chaos.py --seed 4242 ...                # replay a schedule
  tests/chaos/chaos.py --cleanup                      # remove leftover iptables chains

Exit status 0 when every checked invariant held, 1 otherwise, 2 on setup errors.
"""

import argparse
import base64
import heapq
import json
import os
import random
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "../bench"))
sys.path.insert(0, os.path.join(HERE, "../integration"))

import netfault  # noqa: E402
import peers  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

CHAIN = "PICKET_CHAOS"
NET = "127.0.10"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _raise_exit(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# ------------------------------------------------------------------ I5 webhooks
RECEIVER_HOST = f"{NET}.250"


def _get_json(url, timeout=5.0):
    with peers.OPENER.open(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def fetch_event_log(agent):
    """The agent's whole retained event log: (events, first_seq, evicted_before).

    Pages through GET /v1/events?since=S&timeout=0. When the bounded log (10,000
    events) has evicted its oldest events, the answer to since=0 starts with a
    picket.resync marker whose seq is oldest-1: evicted_before is that seq (0 if none).
    """
    since, events, evicted_before = 0, [], 0
    while True:
        body = _get_json(f"{agent.api}/v1/events?since={since}&timeout=0&limit=10000")
        page = body.get("events", [])
        for e in page:
            if e.get("type") == "picket.resync":
                if since == 0 and not events:
                    evicted_before = e["seq"]
                continue
            events.append(e)
        last = body.get("last_seq", since)
        if not page or last <= since:
            break
        since = last
    return events, (events[0]["seq"] if events else None), evicted_before


def _boot_of(msg_id):
    """The per-process boot id of a webhook-id: "msg_XXXX-17" or "msg_XXXX-resync-17"."""
    head, _, _ = msg_id.rpartition("-")
    return head[:-len("-resync")] if head.endswith("-resync") else head


def check_webhook_delivery(agents, receiver, violate, drain_s=10.0):
    """I5: every webhook event that a live agent emitted reached the receiver.

    Every agent runs with a static subscription (--webhook-url) to `receiver`
    (started before the agents). For every agent process still running at the
    end (its current process: an agent that was crashed or left and restarted is
    checked for the events of its new process only; the events of processes that
    were SIGKILLed or left gracefully are excused, they were not live), the
    events of its log (GET /v1/events?since=0) of the subscribed types must
    each have arrived, authentic (signature verified, answered 200), at the
    receiver. An event is identified by its CloudEvent source
    (picket://<name>) and data, which is the log's Event object verbatim
    (seq, type, time, member, quorum); the webhook-id is <boot id>-<seq>, the
    boot id being random per process. The receiver gets up to `drain_s` s for
    the last events. A picket.resync from any agent process means the agent
    dropped events (queue overflow or log eviction): a violation. Requests the
    receiver rejected (bad signature, stale timestamp, not a CloudEvent) too.
    """
    if receiver is None:
        return {"status": "not_checked", "why": "no webhook receiver"}
    n_violations = [0]
    outer_violate = violate

    def violate(inv, msg):
        n_violations[0] += 1
        outer_violate(inv, msg)

    snap = {}                  # name -> (agent, events to check, info)
    for a in agents:
        if not a.running():
            continue
        try:
            events, first_seq, evicted_before = fetch_event_log(a)
            subs = _get_json(f"{a.api}/v1/subscriptions")["subscriptions"]
        except (OSError, ValueError, KeyError) as e:
            violate("I5", f"{a.name}: cannot read its event log or subscriptions: {e}")
            continue
        sub = next((x for x in subs if x.get("url") == receiver.url), None)
        if sub is None:
            violate("I5", f"{a.name} (pid {a.proc.pid}) has no subscription to {receiver.url}")
            continue
        types = set(sub.get("events") or [])
        want = [e for e in events if not types or e["type"] in types]
        snap[a.name] = (a, want, {"pid": a.proc.pid, "log_events": len(events), "log_first_seq": first_seq,
                                  "log_evicted_before_seq": evicted_before})

    def key(source, data):
        return (source, data.get("seq"), data.get("type"), data.get("time"),
                (data.get("member") or {}).get("name"))

    def index():
        got = {}
        for r in receiver.accepted():
            ev = r.event
            if isinstance(ev.get("data"), dict):
                got.setdefault(key(ev.get("source"), ev["data"]), []).append(r)
        return got

    def missing_of(got):
        out = {}
        for name, (a, want, _) in snap.items():
            src = f"picket://{name}"
            out[name] = [e for e in want if key(src, e) not in got]
        return out

    deadline = time.monotonic() + drain_s
    t_drain = time.monotonic()
    while True:
        got = index()
        missing = missing_of(got)
        if not any(missing.values()) or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    drained_s = time.monotonic() - t_drain

    received = receiver.received()
    rejected = [r for r in received if r.status != 200]
    for r in rejected[:10]:
        violate("I5", f"receiver rejected webhook {r.id} from {r.event.get('source')}: {r.error}")
    resyncs = [r for r in receiver.accepted() if r.event.get("type") == "picket.resync"]
    per_agent, tot = {}, {"emitted": 0, "delivered": 0, "missing": 0}
    current_boots = set()
    for name, (a, want, info) in sorted(snap.items()):
        src = f"picket://{name}"
        miss = missing[name]
        boots, mismatched = set(), 0
        for e in want:
            for r in got.get(key(src, e), []):
                boots.add(_boot_of(r.id or ""))
                if r.event.get("data") != e:
                    mismatched += 1
        current_boots |= boots
        try:
            sub = next(x for x in _get_json(f"{a.api}/v1/subscriptions")["subscriptions"]
                       if x.get("url") == receiver.url)
            delivery = {k: sub["delivery"].get(k) for k in ("queue_length", "delivered", "dropped",
                                                           "total_attempts", "last_error")}
        except (OSError, ValueError, KeyError, StopIteration):
            delivery = None
        row = dict(info, emitted=len(want), delivered=len(want) - len(miss), missing=len(miss),
                   boot_ids=sorted(boots), delivery=delivery)
        if info["log_evicted_before_seq"]:
            row["note"] = (f"event log evicted seq <= {info['log_evicted_before_seq']}: "
                           f"only seq >= {info['log_first_seq']} compared")
        per_agent[name] = row
        for k in tot:
            tot[k] += row[k]
        if miss:
            seqs = [e["seq"] for e in miss]
            violate("I5", f"{name} (pid {a.proc.pid}) emitted {len(want)} events, {len(miss)} never reached "
                          f"the receiver within {drain_s:.0f} s: seq {seqs[:20]}{' ...' if len(seqs) > 20 else ''} "
                          f"(types {sorted({e['type'] for e in miss})}; delivery state {delivery})")
        if mismatched:
            violate("I5", f"{name}: {mismatched} delivered events differ from its event log")
        if len(boots) > 1:
            violate("I5", f"{name}: events of its current process arrived under several boot ids {sorted(boots)}")
        if delivery and delivery.get("dropped"):
            violate("I5", f"{name} (pid {a.proc.pid}) reports {delivery['dropped']} dropped webhook events")
    for r in resyncs:
        live = _boot_of(r.id or "") in current_boots
        violate("I5", f"{r.event.get('source')} sent picket.resync {r.id} ({'live' if live else 'stopped'} "
                      f"process): it dropped webhook events (queue overflow or log eviction)")
    checked_sources = {f"picket://{n}" for n in snap}
    stale = sum(1 for r in receiver.accepted()
                if r.event.get("source") not in checked_sources or _boot_of(r.id or "") not in current_boots)
    failed = n_violations[0] > 0
    return {
        "status": "failed" if failed else "passed",
        "agents_checked": len(snap), **tot,
        "received_total": len(received), "rejected": len(rejected), "resync_events": len(resyncs),
        "received_from_stopped_processes": stale,
        "drain_s": round(drained_s, 1), "receiver": receiver.url,
        "per_agent": per_agent,
    }


class Chaos:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = tempfile.mkdtemp(prefix="picket-chaos-")
        total = args.nodes + args.spare
        # I5: the webhook receiver is up before any agent; every agent (initial, restarted, spare)
        # has a static subscription to it. The secret is not part of the schedule: os.urandom.
        self.receiver = None
        agent_args = list(args.agent_args)
        if not args.no_webhooks:
            secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
            self.receiver = Receiver(RECEIVER_HOST, 0, secret).start()
            agent_args = ["--webhook-url", self.receiver.url, "--webhook-secret", secret] + agent_args
        self.agents = [peers.PicketAgent(i, f"{NET}.{10 + i}", self.workdir, agent_args, prefix="chaos")
                       for i in range(1, total + 1)]
        self.by_name = {a.name: a for a in self.agents}
        self.nf = netfault.NetFault(CHAIN, exempt_ports=(peers.PicketAgent.api_port,))
        self.ipt = False
        # bookkeeping (the scheduler's truth, never observed state)
        self.member = set()          # names that are meant to be running members
        self.down = {}               # name -> ("crash"|"left", since)
        self.paused = {}             # name -> (until, pattern)
        self.exempt = []             # (observers or None, subject, t_from, t_to)
        self.net_fault = None        # (kind, end)
        self.partition_sides = None
        self.crashes = []            # (name, t_crash, observers snapshot, already_failed)
        self.expected_exit = set()
        self.queue = []              # (t, seq, action, params)
        self.seq = 0
        self.violations = []
        self.last_heal = 0.0
        self.rss = {}                # name -> [(t, kb)]
        self.counts = {}
        self.scanned = {}            # name -> events already checked for I2
        self.t0 = None
        self.pause_start = {}        # name -> start of its current pause
        self.detect_times = []

    # -------------------------------------------------------------- helpers
    def at(self, t, action, **params):
        self.seq += 1
        heapq.heappush(self.queue, (t, self.seq, action, params))

    def violate(self, inv, msg):
        self.violations.append({"invariant": inv, "t": round(time.time() - self.t0, 1), "msg": msg})
        log(f"VIOLATION {inv}: {msg}")

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def healthy(self):
        """Members that are up, not paused and not the subject of a pending action."""
        return sorted(n for n in self.member if n not in self.down and n not in self.paused)

    def join_addr(self, exclude):
        live = [n for n in self.healthy() if n != exclude]
        if self.partition_sides:   # join through a member on the same side of the partition
            side = self.partition_sides[0] if exclude in self.partition_sides[0] else self.partition_sides[1]
            live = [n for n in live if n in side] or live
        return self.by_name[self.rng.choice(live)].addr if live else self.agents[0].addr

    # -------------------------------------------------------------- faults
    def do_crash(self, now):
        cands = [n for n in self.healthy()]
        if len(self.down) + len(self.paused) >= self.args.max_down or len(cands) < 4:
            return self.count("skipped.crash")
        name = self.rng.choice(cands)
        a = self.by_name[name]
        # observers: healthy members up for 10 s that hold the victim live (or failed already). A member
        # that joined during a partition may never have heard of it, and a victim restarted or rejoined
        # moments ago may not have joined yet (its join seed unreachable), so that others still hold
        # it `left`: they have nothing to detect (seed 74059, t = 719 s).
        observers = [o for o in self.healthy() if o != name and self.by_name[o].started_at <= now - 10
                     and self.by_name[o].state_of(name) in ("alive", "suspect", "failed")]
        already = {o for o in observers if self.by_name[o].state_of(name) == "failed"}
        self.expected_exit.add(name)
        a.kill()
        self.down[name] = ("crash", now)
        self.crashes.append((name, now, observers, already))
        restart = now + self.rng.uniform(self.args.detect_bound + 2, self.args.detect_bound + 15)
        self.at(restart, "restart", name=name)
        log(f"crash {name} (restart in {restart - now:.0f} s)")
        self.count("crash")

    def do_restart(self, now, name):
        a = self.by_name[name]
        kind, since = self.down.pop(name)
        self.exempt.append((None, name, since, now + self.args.grace))
        if a.running():                  # a graceful leave still under way: wait (bounded), then start
            a.wait_exit(10)
        self.expected_exit.discard(name)
        a.start(self.join_addr(name))
        self.member.add(name)
        self.last_heal = max(self.last_heal, now)
        log(f"{'restart' if kind == 'crash' else 'rejoin'} {name}")

    def do_leave(self, now):
        cands = [n for n in self.healthy() if n != self.agents[0].name]
        if len(self.down) + len(self.paused) >= self.args.max_down or len(cands) < 4:
            return self.count("skipped.leave")
        name = self.rng.choice(cands)
        self.expected_exit.add(name)
        self.by_name[name].signal(signal.SIGTERM)
        self.down[name] = ("left", now)
        back = now + self.rng.uniform(5, 15)
        self.at(back, "restart", name=name)
        log(f"leave {name} (rejoin in {back - now:.0f} s)")
        self.count("leave")

    def do_join(self, now):
        spare = [a for a in self.agents if a.name not in self.member and a.name not in self.down
                 and a.proc is None]
        if not spare:
            return self.count("skipped.join")
        a = spare[0]
        a.start(self.join_addr(a.name))
        self.member.add(a.name)
        log(f"join new member {a.name}")
        self.count("join")

    def do_pause(self, now):
        cands = self.healthy()
        if len(self.down) + len(self.paused) >= self.args.max_down or len(cands) < 4:
            return self.count("skipped.pause")
        name = self.rng.choice(cands)
        if self.rng.random() < 0.5:
            length = self.rng.uniform(0.5, 3.0)
            pattern = False
        else:
            length = self.rng.uniform(10, 20)
            pattern = True
        self.paused[name] = (now + length, pattern)
        self.pause_start[name] = now
        self.by_name[name].pause()
        self.at(now + length, "unpause", name=name)
        if pattern:
            self.at(now + 0.4, "pattern", name=name, running=True)
        log(f"pause {name} {'400/600 ms pattern' if pattern else 'once'} for {length:.1f} s")
        self.count("pause.pattern" if pattern else "pause.once")

    def do_pattern(self, now, name, running):
        if name not in self.paused:
            return
        a = self.by_name[name]
        if running:
            a.resume()
            self.at(now + 0.6, "pattern", name=name, running=False)
        else:
            a.pause()
            self.at(now + 0.4, "pattern", name=name, running=True)

    def do_unpause(self, now, name):
        self.paused.pop(name)
        self.by_name[name].resume()
        self.exempt.append((None, name, self.pause_start.pop(name, now), now + self.args.grace))
        self.last_heal = max(self.last_heal, now)

    def do_loss(self, now):
        if not self.ipt:
            return self.count("skipped.loss(no iptables)")
        if self.net_fault:
            return self.count("skipped.loss")
        p = self.rng.choice([0.05, 0.10, 0.20])
        udp = self.rng.random() < 0.5
        length = self.rng.uniform(15, 40)
        self.nf.loss(f"{NET}.0/24", p, udp)
        self.net_fault = ("loss", now + length)
        self.at(now + length, "heal")
        log(f"loss {p:.0%} of {'UDP' if udp else 'all IP'} for {length:.0f} s")
        self.count("loss")

    def do_partition(self, now):
        if not self.ipt:
            return self.count("skipped.partition(no iptables)")
        if self.net_fault:
            return self.count("skipped.partition")
        names = sorted(n for n in self.member)
        self.rng.shuffle(names)
        k = self.rng.randint(1, max(1, len(names) // 2))
        side_a, side_b = set(names[:k]), set(names[k:])
        # members not (yet) running are put on a side too, by name, so their restart lands in one
        # picket dials TCP from 127.0.0.1, not from its bind address, so a stream's side is unknown:
        # block all TCP from 127.0.0.1 to the agents while partitioned (streams inside a side fail too)
        self.nf.partition([self.by_name[n].host for n in side_a], [self.by_name[n].host for n in side_b],
                          peers.PicketAgent.port, block_lo_tcp=True)
        length = self.rng.uniform(10, 25)
        self.net_fault = ("partition", now + length)
        self.partition_sides = (side_a, side_b, now)
        self.at(now + length, "heal")
        log(f"partition {sorted(side_a)} | {len(side_b)} others for {length:.0f} s")
        self.count("partition")

    def do_heal(self, now):
        self.nf.clear_faults()
        if self.partition_sides:
            side_a, side_b, since = self.partition_sides
            for s in side_a:
                self.exempt.append((frozenset(side_b), s, since, now + self.args.grace))
            for s in side_b:
                self.exempt.append((frozenset(side_a), s, since, now + self.args.grace))
            self.partition_sides = None
        self.net_fault = None
        self.last_heal = max(self.last_heal, now)
        log("network healed")

    # -------------------------------------------------------------- invariants
    def allowed(self, observer, subject, t):
        if subject in self.down and self.down[subject][1] <= t:
            return True
        if subject in self.paused and self.pause_start.get(subject, t) <= t:
            return True
        if self.partition_sides:
            a, b, since = self.partition_sides
            if since <= t and ((observer in a and subject in b) or (observer in b and subject in a)):
                return True
        for obs, subj, t_from, t_to in self.exempt:
            if subj == subject and t_from <= t <= t_to and (obs is None or observer in obs):
                return True
        return False

    def check_continuous(self, now):
        # I2: scan new failed events
        for a in self.agents:
            if a.proc is None:
                continue
            with a.lock:
                evs = a.events[self.scanned.get(a.name, 0):]
                self.scanned[a.name] = len(a.events)
            for t, kind, subj, inc in evs:
                if kind == "failed" and not self.allowed(a.name, subj, t):
                    self.violate("I2", f"{a.name} declared {subj} failed (incarnation {inc}) at "
                                       f"t={t - self.t0:.1f}s, though it was healthy and reachable")
                if kind == "failed":
                    self.count("failed_events")
                if kind == "suspect":
                    self.count("suspect_events")
        # I4: unexpected exits
        for a in self.agents:
            if a.proc is not None and a.name not in self.expected_exit and not a.running():
                self.violate("I4", f"{a.name} exited unexpectedly with status {a.proc.returncode}")
                self.expected_exit.add(a.name)
                self.member.discard(a.name)
        # I1: crash detection bound
        for c in list(self.crashes):
            name, t_c, observers, already = c
            if now < t_c + self.args.detect_bound:
                continue
            self.crashes.remove(c)
            for o in observers:
                if o in already or o not in self.member or o in self.down:
                    continue
                if self.was_disturbed(o, t_c, t_c + self.args.detect_bound):
                    continue
                ts = [e[0] for e in self.by_name[o].events_since(t_c, name, ("failed",))]
                if not ts or min(ts) > t_c + self.args.detect_bound:
                    self.violate("I1", f"{o} did not see crashed {name} failed within {self.args.detect_bound} s")
                else:
                    self.detect_times.append(min(ts) - t_c)

    def was_disturbed(self, name, t_from, t_to):
        for obs, subj, a, b in self.exempt:
            if subj == name and obs is None and a <= t_to and b >= t_from:
                return True
        return name in self.paused

    def sample_rss(self, now):
        for a in self.agents:
            if a.running():
                self.rss.setdefault((a.name, a.proc.pid), []).append((now, a.rss_kb()))

    def check_rss(self):
        out = {}
        for (name, pid), samples in self.rss.items():
            peak = max(kb for _, kb in samples) / 1024
            settled = [kb for t, kb in samples if t >= samples[0][0] + 20]
            growth = (settled[-1] - settled[0]) / 1024 if len(settled) >= 2 else 0.0
            out[f"{name}/{pid}"] = {"peak_mb": round(peak, 1), "growth_mb": round(growth, 2)}
            if peak > self.args.rss_bound_mb:
                self.violate("I4", f"{name} (pid {pid}) RSS peaked at {peak:.1f} MB > {self.args.rss_bound_mb} MB")
            if growth > self.args.rss_growth_mb:
                self.violate("I4", f"{name} (pid {pid}) RSS grew {growth:.1f} MB > {self.args.rss_growth_mb} MB")
        return out

    def check_convergence(self):
        running = [self.by_name[n] for n in sorted(self.member) if self.by_name[n].running()]
        names = {a.name for a in self.agents if a.proc is not None}
        deadline = time.monotonic() + self.args.converge_bound
        t_start = time.time()
        last = None
        while time.monotonic() < deadline:
            views = {}
            ok = True
            for a in running:
                v = a.members_http()
                if v is None:
                    ok = False
                    last = f"{a.name} did not answer /v1/members"
                    break
                norm = {n: v.get(n, "gone") for n in names}
                for n, st in norm.items():
                    want_alive = n in {r.name for r in running}
                    if want_alive and st != "alive":
                        ok = False
                        last = f"{a.name} sees {n} {st}"
                    if not want_alive and st in ("alive", "suspect"):
                        ok = False
                        last = f"{a.name} still sees stopped {n} {st}"
                views[a.name] = norm
            if ok and len({json.dumps(v, sort_keys=True) for v in views.values()}) == 1:
                return time.time() - t_start
            time.sleep(0.5)
        self.violate("I3", f"no convergence within {self.args.converge_bound} s after the last fault healed "
                           f"(last: {last})")
        return None

    # -------------------------------------------------------------- run
    def run(self):
        a = self.args
        ok, why = netfault.iptables_available() if not a.no_iptables else (False, "--no-iptables")
        if ok:
            self.nf.setup()
            self.ipt = True
        else:
            log(f"iptables not permitted ({why}): loss and partition faults are skipped")
        self.t0 = time.time()
        initial = self.agents[:a.nodes]
        for ag in initial:
            ag.start(initial[0].addr)
            self.member.add(ag.name)
            time.sleep(0.05)
        probe = peers.Cluster.__new__(peers.Cluster)
        probe.agents = initial
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not peers.Cluster.converged(probe, initial):
            time.sleep(0.5)
        if not peers.Cluster.converged(probe, initial):
            raise RuntimeError(f"cluster of {a.nodes} did not form within 90 s; logs in {self.workdir}")
        log(f"{a.nodes} agents formed a cluster (logs in {self.workdir})")
        self.scanned = {x.name: len(x.events) for x in self.agents}
        start = time.time()
        self.t0 = start
        end_faults = start + max(10.0, a.duration - a.settle)
        t = start + 5
        kinds = ["crash", "pause", "leave", "loss", "partition", "join"]
        weights = [3, 3, 2, 2, 2, 1]
        while t < end_faults:
            self.at(t, self.rng.choices(kinds, weights)[0])
            t += self.rng.uniform(a.min_gap, a.max_gap)
        plan = sorted((round(x[0] - start, 1), x[2]) for x in self.queue)
        log("schedule: " + ", ".join(f"{tt}s {k}" for tt, k in plan))
        next_check = time.time()
        next_rss = time.time()
        while self.queue or self.paused or self.down or self.net_fault or time.time() < start + a.duration:
            now = time.time()
            while self.queue and self.queue[0][0] <= now:
                _, _, action, params = heapq.heappop(self.queue)
                getattr(self, "do_" + action)(now, **params)
            if now >= next_check:
                self.check_continuous(now)
                next_check = now + 1.0
            if now >= next_rss:
                self.sample_rss(now)
                next_rss = now + 5.0
            if now > start + a.duration + 300:
                raise RuntimeError("schedule did not drain (bug in the chaos runner)")
            time.sleep(0.05)
        log(f"last fault healed at t={self.last_heal - start:.1f}s; checking convergence")
        conv = self.check_convergence()
        time.sleep(1)
        self.check_continuous(time.time() + self.args.detect_bound)   # flush I1 for late crashes
        rss = self.check_rss()
        if self.receiver is not None:
            log(f"checking webhook delivery to {self.receiver.url} (I5)")
        hooks = check_webhook_delivery(self.agents, self.receiver, self.violate, self.args.webhook_drain)
        log("I5 webhooks: " + (f"{hooks['status']}: {hooks['agents_checked']} live agent processes, "
                               f"{hooks['emitted']} events emitted, {hooks['delivered']} delivered, "
                               f"{hooks['missing']} missing" if hooks["status"] != "not_checked"
                               else f"not checked ({hooks['why']})"))
        worst = max(rss.values(), key=lambda r: r["peak_mb"]) if rss else {}
        result = {
            "seed": a.seed, "nodes": a.nodes, "duration_s": a.duration,
            "ran_s": round(time.time() - start, 1), "iptables": self.ipt, "counts": self.counts,
            "converge_after_last_heal_s": None if conv is None else round(conv, 2),
            "crash_detect_s": {"n": len(self.detect_times),
                               "max": round(max(self.detect_times), 2) if self.detect_times else None},
            "rss_peak_mb": worst.get("peak_mb"), "rss_max_growth_mb": max((r["growth_mb"] for r in rss.values()),
                                                                          default=None),
            "invariants": {
                "I1_crash_detected": not any(v["invariant"] == "I1" for v in self.violations),
                "I2_no_false_failure": not any(v["invariant"] == "I2" for v in self.violations),
                "I3_convergence": not any(v["invariant"] == "I3" for v in self.violations),
                "I4_no_crash_no_leak": not any(v["invariant"] == "I4" for v in self.violations),
                "I5_webhooks": hooks,
            },
            "violations": self.violations, "logs": self.workdir,
        }
        return result

    def close(self):
        for ag in self.agents:
            ag.kill()
        if self.ipt:
            self.nf.cleanup()
        if self.receiver is not None:
            self.receiver.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=12)
    ap.add_argument("--spare", type=int, default=2, help="extra members that join during the run")
    ap.add_argument("--duration", type=float, default=120, help="seconds of fault schedule (plus settling)")
    ap.add_argument("--settle", type=float, default=30, help="no new fault in the last SETTLE s")
    ap.add_argument("--min-gap", type=float, default=3)
    ap.add_argument("--max-gap", type=float, default=9)
    ap.add_argument("--max-down", type=int, default=3, help="most members crashed/left/paused at once")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--detect-bound", type=float, default=15)
    ap.add_argument("--grace", type=float, default=15, help="exemption after a fault on a member ends")
    ap.add_argument("--converge-bound", type=float, default=90)
    ap.add_argument("--rss-bound-mb", type=float, default=64)
    ap.add_argument("--rss-growth-mb", type=float, default=8)
    ap.add_argument("--no-iptables", action="store_true")
    ap.add_argument("--no-webhooks", action="store_true", help="no webhook receiver or subscriptions (I5 not checked)")
    ap.add_argument("--webhook-drain", type=float, default=10,
                    help="I5: longest wait at the end for the last webhook events to arrive")
    ap.add_argument("--json", help="write the result here")
    ap.add_argument("--cleanup", action="store_true", help="remove leftover iptables chains and exit")
    ap.add_argument("--net", type=int, default=10, metavar="X",
                    help="agents on 127.0.X.x, iptables chains PICKET_CHAOS[_X] (X != 10): lets a long "
                         "run go on beside the CI run")
    ap.add_argument("agent_args", nargs="*", help="extra `picket agent` flags (after --)")
    args = ap.parse_args()
    global NET, CHAIN, RECEIVER_HOST
    if not 1 <= args.net <= 254:
        ap.error(f"--net {args.net}: must be 1..254 (127.0.X.x)")
    if args.net != 10:
        NET, CHAIN = f"127.0.{args.net}", f"PICKET_CHAOS_{args.net}"
        RECEIVER_HOST = f"{NET}.250"
    if args.cleanup:
        netfault.NetFault(CHAIN).cleanup()
        print(f"removed iptables chains {CHAIN}_IN/_OUT (if any)")
        return 0
    if args.seed is None:
        env = os.environ.get("PICKET_CHAOS_SEED")
        args.seed = int(env) if env else random.SystemRandom().randrange(1, 10 ** 6)
    if args.nodes < 12:
        log("note: the suite is specified for >= 12 agents")
    log(f"chaos seed {args.seed} (replay: --seed {args.seed}), {args.nodes} agents on {NET}.x, "
        f"duration {args.duration:.0f} s, binary {peers.PICKET}")
    if not os.access(peers.PICKET, os.X_OK):
        log(f"picket binary not found at {peers.PICKET} (set PICKET_BIN)")
        return 2
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    try:
        chaos = Chaos(args)
    except OSError as e:
        log(f"setup error: cannot start the webhook receiver on {RECEIVER_HOST}: {e}")
        return 2
    try:
        result = chaos.run()
    except RuntimeError as e:
        log(f"setup error: {e}")
        return 2
    except KeyboardInterrupt:
        log(f"interrupted (seed {args.seed}); agents killed, iptables chains removed")
        return 130
    finally:
        chaos.close()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    failed = [k for k, v in result["invariants"].items()
              if v is False or (isinstance(v, dict) and v.get("status") == "failed")]
    i5 = result["invariants"]["I5_webhooks"]
    log(f"seed {args.seed}: " + ("all checked invariants held" if not failed else "FAILED " + ", ".join(failed))
        + ("; I5 (webhooks) not checked" if i5.get("status") == "not_checked" else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
