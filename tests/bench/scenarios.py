"""Benchmark scenarios. Each runs against several clusters at once (one per peer,
picket on 127.0.4.x and Serf on 127.0.9.x), applying the same fault at the same
moment to the member with the same index, and returns {peer: figures}.

Definitions used in the figures:
  first_suspect_s   kill -> earliest suspicion of the victim at any live agent
                    (picket: member.suspect event; Serf: memberlist "Suspect X has
                    failed" log line). If an agent jumps straight to failed, that
                    time counts as its suspicion.
  all_failed_s      kill -> the victim is `failed` at every live agent (max over agents)
  false_failed      `failed` declarations (observer, subject) about members that
                    stayed healthy; false_failed_members: how many distinct members
  suspicions        suspicion episodes of healthy members. picket: distinct
                    (member, incarnation) that any agent saw as suspect. Serf has
                    no suspect event: a live member that hears it is suspected
                    refutes it (memberlist logs "Refuting a suspect message"), so
                    episodes = refutations + false failures never refuted.
                    The raw per-agent counts are given too (suspect_lines).
  flaps             an agent saw a healthy (or the paused) member go failed and come
                    back (alive/joined); a crashed victim's restart is not a flap
  converge_s        fault removed -> every live agent sees every live member alive
"""

import random
import signal
import statistics
import sys
import threading
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(v):
    r = lambda x: None if x is None else round(x, 3)
    return {"p50": r(percentile(v, 50)), "p90": r(percentile(v, 90)),
            "max": r(max(v)) if v else None, "n": len(v)}


def _first(agent, subject, t0, kinds):
    ts = [e[0] for e in agent.events_since(t0, subject, kinds)]
    return min(ts) if ts else None


# ---------------------------------------------------------------- idle footprint
def _sent_by_agent(c, cnt0, cnt1):
    """What cluster `c` sent between two NetFault counter reads: (packets per agent, bytes per
    agent, loopback bytes). Each agent's share includes an equal part of the TCP dialled from
    127.0.0.1 to the cluster (iptables counts it apart); the loopback bytes are that TCP in
    all."""
    def delta(key):
        p0, b0 = cnt0.get(key, [0, 0])
        p1, b1 = cnt1.get(key, [0, 0])
        return p1 - p0, b1 - b0
    lo = [delta(f"lo->{s}") for s in c.subnets]
    lo_pk, lo_by = sum(p for p, _ in lo), sum(b for _, b in lo)
    n = len(c.agents)
    own = [delta(a.host) for a in c.agents]
    return [p + lo_pk / n for p, _ in own], [b + lo_by / n for _, b in own], lo_by


def idle(clusters, nf, seconds):
    time.sleep(2)
    t0 = time.monotonic()
    cpu0 = {c.label: [a.cpu_ticks() for a in c.agents] for c in clusters}
    cnt0 = nf.read_counters() if nf else None
    time.sleep(seconds)
    dt = time.monotonic() - t0
    cnt1 = nf.read_counters() if nf else None
    cpu1 = {c.label: [a.cpu_ticks() for a in c.agents] for c in clusters}
    from peers import CLK_TCK
    out = {}
    for c in clusters:
        n = len(c.agents)
        cpu = [(b - a) / CLK_TCK / dt * 100 for a, b in zip(cpu0[c.label], cpu1[c.label])]
        rss = [a.rss_kb() / 1024 for a in c.agents]
        pss = [a.pss_kb() / 1024 for a in c.agents]
        res = {"window_s": round(dt, 1),
               "rss_mb": {"median": round(statistics.median(rss), 2), "max": round(max(rss), 2)},
               "pss_mb": {"median": round(statistics.median(pss), 2), "max": round(max(pss), 2)},
               "cpu_pct_of_core": {"median": round(statistics.median(cpu), 3), "max": round(max(cpu), 3),
                                   "mean": round(statistics.mean(cpu), 3)}}
        if cnt0 is not None:
            pk, by, lo_by = _sent_by_agent(c, cnt0, cnt1)
            pk, by = [p / dt for p in pk], [b / dt for b in by]
            res["packets_per_agent_s"] = {"mean": round(statistics.mean(pk), 2), "max": round(max(pk), 2)}
            res["bytes_per_agent_s"] = {"mean": round(statistics.mean(by), 1), "max": round(max(by), 1)}
            res["unattributed_tcp_from_lo_bytes_per_agent_s"] = round(lo_by / n / dt, 1)
            res["bytes_note"] = ("IP bytes (headers included) sent from the agent's address, UDP + gossip TCP, "
                                 "counted by iptables; TCP dialled from 127.0.0.1 shared equally")
        out[c.label] = res
    return out


# ---------------------------------------------------------------- cold start
def coldstart(clusters, nf, spread_s=2.0, timeout=300, sample_s=0.25):
    """Every agent of every cluster killed, then all started again within
    `spread_s` (interleaved across clusters, each joining through its member 1),
    the way a fleet comes up. Per cluster: last start -> every agent sees every
    other (converged_s; first start -> converged: formed_s), the number of
    distinct cluster sizes the agents' views went through (Rapid's measure,
    sampled every `sample_s`), and IP bytes per agent per s from the first start
    to converged."""
    for c in clusters:
        c.stop()
    time.sleep(2)  # the kernel lets the ports go
    n = max(len(c.agents) for c in clusters)
    cnt0 = nf.read_counters() if nf else None
    t_first = time.monotonic()
    started = []  # the time of the last start, once all have started

    def start_all():
        for i in range(n):
            for c in clusters:
                if i < len(c.agents):
                    c.agents[i].start(c.seed)
            time.sleep(spread_s / n)
        started.append(time.monotonic())

    starter = threading.Thread(target=start_all, daemon=True)
    starter.start()
    sizes = {c.label: set() for c in clusters}
    done = {}
    deadline = t_first + spread_s + timeout
    while len(done) < len(clusters) and time.monotonic() < deadline:
        all_started = bool(started)
        for c in clusters:
            if c.label in done:
                continue
            for a in c.agents:
                if a.running():
                    sizes[c.label].add(1 + sum(1 for st in a.view_copy().values() if st in ("alive", "suspect")))
            if all_started and c.converged():
                done[c.label] = (time.monotonic(), nf.read_counters() if nf else None)
        time.sleep(sample_s)
    starter.join()
    t_last = started[0]
    out = {}
    for c in clusters:
        res = {"spread_s": spread_s, "distinct_sizes": len(sizes[c.label])}
        if c.label not in done:
            res.update(converged_s=None, formed_s=None, note=f"not converged within {timeout} s")
            out[c.label] = res
            continue
        t_conv, cnt1 = done[c.label]
        res["converged_s"] = round(max(0.0, t_conv - t_last), 2)
        res["formed_s"] = round(t_conv - t_first, 2)
        if cnt0 is not None:
            dt = t_conv - t_first
            _, by, _ = _sent_by_agent(c, cnt0, cnt1)
            res["bytes_per_agent_s"] = {"mean": round(statistics.mean(by) / dt, 1), "max": round(max(by) / dt, 1)}
        out[c.label] = res
        log(f"  coldstart {c.label}: {res}")
    return out


# ---------------------------------------------------------------- crash
def crash(clusters, repeat, rng, detect_timeout=40):
    per = {c.label: {"first": [], "all": [], "handler_all": [], "undetected": 0} for c in clusters}
    n = len(clusters[0].agents)
    for r in range(repeat):
        idx = rng.randrange(1, n)
        t_kill = time.time()
        for c in clusters:
            c.agents[idx].kill()
        deadline = time.monotonic() + detect_timeout
        while time.monotonic() < deadline:
            done = True
            for c in clusters:
                v = c.agents[idx]
                for a in c.agents:
                    if a is not v and a.running() and _first(a, v.name, t_kill, ("failed",)) is None:
                        done = False
                        break
            if done:
                break
            time.sleep(0.25)
        time.sleep(0.5)
        # Serf's event handlers run after the agent's 1 s quiescent period: wait for them (bounded)
        hdeadline = time.monotonic() + 6
        for c in clusters:
            v = c.agents[idx]
            while c.peer == "serf" and v.handler and time.monotonic() < hdeadline and not all(
                    any(e[1] == "failed" and e[2] == v.name for e in a.handler_events(t_kill))
                    for a in c.agents if a is not v and a.running()):
                time.sleep(0.25)
        line = []
        for c in clusters:
            v = c.agents[idx]
            live = [a for a in c.agents if a is not v and a.running()]
            susp = [t for a in live for t in [_first(a, v.name, t_kill, ("suspect", "failed"))] if t]
            failed = [_first(a, v.name, t_kill, ("failed",)) for a in live]
            p = per[c.label]
            if susp:
                p["first"].append(min(susp) - t_kill)
            if all(failed):
                p["all"].append(max(failed) - t_kill)
            else:
                p["undetected"] += 1
            hf = []
            for a in live:
                ts = [e[0] for e in a.handler_events(t_kill) if e[1] == "failed" and e[2] == v.name]
                hf.append(min(ts) if ts else None)
            if c.peer == "serf" and all(hf):
                p["handler_all"].append(max(hf) - t_kill)
            line.append(f"{c.label} {v.name}: suspect {min(susp) - t_kill if susp else float('nan'):.2f}s "
                        f"failed-everywhere {max(failed) - t_kill if all(failed) else float('nan'):.2f}s")
        log(f"  crash {r + 1}/{repeat}: " + "; ".join(line))
        for c in clusters:
            c.agents[idx].start(c.seed)
        for c in clusters:
            if c.wait_converged(60) is None:
                log(f"  warning: {c.label} did not reconverge within 60 s after restart")
        time.sleep(2)
    out = {}
    for c in clusters:
        p = per[c.label]
        out[c.label] = {"first_suspect_s": summary(p["first"]), "all_failed_s": summary(p["all"]),
                       "undetected": p["undetected"]}
        if c.peer == "serf":
            out[c.label]["handler_all_failed_s"] = summary(p["handler_all"])
    return out


# ---------------------------------------------------------------- fault windows
def _window_figures(c, t0, t1, healthy, slow=None, observers=None):
    """False alarms among `healthy` member names during [t0, t1], as declared by
    the live agents (or only the live ones among `observers`)."""
    live = [a for a in (c.agents if observers is None else observers) if a.running()]
    false_decl, false_members, flaps = 0, set(), 0
    slow_failed = 0
    susp_keys, suspect_lines, refutes = set(), 0, 0
    for a in live:
        evs = [e for e in a.events_since(t0) if e[0] <= t1]
        last_failed = {}
        for t, kind, subj, inc in evs:
            if kind == "failed":
                if subj in healthy:
                    false_decl += 1
                    false_members.add(subj)
                if slow and subj == slow:
                    slow_failed += 1
                last_failed[subj] = t
            elif kind in ("alive", "joined") and subj in last_failed:
                if subj in healthy or subj == slow:
                    flaps += 1
                del last_failed[subj]
            elif kind == "suspect" and (subj in healthy or subj == slow):
                suspect_lines += 1
                if c.peer == "picket":
                    susp_keys.add((subj, inc))
            elif kind == "refute" and (subj in healthy or subj == slow):
                refutes += 1
    if c.peer == "picket":
        suspicions = len(susp_keys)
    else:
        suspicions = refutes + len(false_members)
    r = {"false_failed": false_decl, "false_failed_members": len(false_members),
         "suspicions": suspicions, "suspect_lines": suspect_lines, "flaps": flaps}
    if slow:
        r["slow_member_failed"] = slow_failed
    return r


def _reconverge(clusters, timeout=90):
    out = {}
    for c in clusters:
        out[c.label] = c.wait_converged(timeout)
    return out


def _run_window(clusters, duration, apply, remove, healthy_of, slow_of=None, tick=None):
    t0 = time.time()
    apply()
    end = time.monotonic() + duration
    try:
        while time.monotonic() < end:
            if tick:
                tick()
            else:
                time.sleep(0.5)
    finally:
        remove()
    t1 = time.time()
    conv = _reconverge(clusters)
    t2 = time.time() + 2
    time.sleep(2)
    out = {}
    for c in clusters:
        r = _window_figures(c, t0, t2, healthy_of(c), slow_of(c) if slow_of else None)
        r["window_s"] = round(t1 - t0, 1)
        r["converge_s"] = None if conv[c.label] is None else round(conv[c.label], 2)
        out[c.label] = r
    return out


def loss(clusters, nf, probability, udp_only, duration, rng, crash_window=25):
    """Random loss for `duration` s; in the last `crash_window` s one member is
    SIGKILLed, so detection time under loss is measured too (the victim is
    excluded from the false-failure figures and restarted afterwards)."""
    n = len(clusters[0].agents)
    idx = rng.randrange(1, n)
    t0 = time.time()
    for c in clusters:
        nf.loss(c.subnets, probability, udp_only)
    try:
        time.sleep(max(0.0, duration - crash_window))
        t_kill = time.time()
        for c in clusters:
            c.agents[idx].kill()
        time.sleep(crash_window)
    finally:
        nf.clear_faults()
    t1 = time.time()
    out = {}
    for c in clusters:
        v = c.agents[idx]
        live = [a for a in c.agents if a is not v and a.running()]
        susp = [t for a in live for t in [_first(a, v.name, t_kill, ("suspect", "failed"))] if t]
        failed = [_first(a, v.name, t_kill, ("failed",)) for a in live]
        out[c.label] = {"crash_first_suspect_s": round(min(susp) - t_kill, 2) if susp else None,
                       "crash_all_failed_s": round(max(failed) - t_kill, 2) if all(failed) else None}
    for c in clusters:
        c.agents[idx].start(c.seed)
    conv = _reconverge(clusters)
    time.sleep(2)
    t2 = time.time()
    for c in clusters:
        healthy = {a.name for a in c.agents if a is not c.agents[idx]}
        r = _window_figures(c, t0, t2, healthy)
        r.update(out[c.label])
        r["window_s"] = round(t1 - t0, 1)
        r["converge_s"] = None if conv[c.label] is None else round(conv[c.label], 2)
        out[c.label] = r
        log(f"  loss {probability:.0%} {'udp' if udp_only else 'all'} {c.label}: {r}")
    return out


def pause(clusters, duration, idx, stop_s=0.4, run_s=0.6):
    victims = [c.agents[idx] for c in clusters]
    state = {"next": time.monotonic()}

    def tick():
        for v in victims:
            v.pause()
        time.sleep(stop_s)
        for v in victims:
            v.resume()
        time.sleep(run_s)

    def remove():
        for v in victims:
            v.resume()

    return _run_window(
        clusters, duration, apply=lambda: None, remove=remove, tick=tick,
        healthy_of=lambda c: {a.name for a in c.agents if a is not c.agents[idx]},
        slow_of=lambda c: c.agents[idx].name)


def partition(clusters, nf, hold_s=5, detect_timeout=60, heal_timeout=120):
    out = {}
    n = len(clusters[0].agents)
    half = n // 2
    t0 = time.time()
    for c in clusters:
        a_side = [a.host for a in c.agents[:half]]
        b_side = [a.host for a in c.agents[half:]]
        # both picket and memberlist dial TCP from 127.0.0.1 (not from their bind address), so
        # which side a stream comes from is unknown: all TCP from 127.0.0.1 to the agents is dropped
        nf.partition(a_side, b_side, c.port, block_lo_tcp=True)
    detected = {c.label: None for c in clusters}
    deadline = time.monotonic() + detect_timeout
    while time.monotonic() < deadline and any(v is None for v in detected.values()):
        for c in clusters:
            if detected[c.label] is not None:
                continue
            ok = True
            for i, a in enumerate(c.agents):
                other = c.agents[half:] if i < half else c.agents[:half]
                if any(a.state_of(o.name) != "failed" for o in other):
                    ok = False
                    break
            if ok:
                detected[c.label] = time.time()
        time.sleep(0.25)
    time.sleep(hold_s)
    t_heal = time.time()
    nf.clear_faults()
    conv = _reconverge(clusters, heal_timeout)
    for c in clusters:
        firsts, sides = [], {"A": [], "B": []}
        for i, a in enumerate(c.agents):
            other = c.agents[half:] if i < half else c.agents[:half]
            ts = [_first(a, o.name, t0, ("suspect", "failed")) for o in other]
            ts = [t for t in ts if t]
            if ts:
                firsts.append(min(ts))
            fts = [_first(a, o.name, t0, ("failed",)) for o in other]
            if all(fts):
                sides["A" if i < half else "B"].append(max(fts) - t0)
        # false failures: a member declared failed by an agent on its own side of the partition
        same_side = 0
        for i, a in enumerate(c.agents):
            mine = c.agents[:half] if i < half else c.agents[half:]
            names = {o.name for o in mine if o is not a}
            same_side += sum(1 for e in a.events_since(t0, kinds=("failed",)) if e[2] in names)
        out[c.label] = {
            "false_failed_same_side": same_side,
            "first_suspect_s": round(min(firsts) - t0, 2) if firsts else None,
            "detect_side_a_s": round(max(sides["A"]), 2) if len(sides["A"]) == half else None,
            "detect_side_b_s": round(max(sides["B"]), 2) if len(sides["B"]) == n - half else None,
            "detect_all_s": None if detected[c.label] is None else round(detected[c.label] - t0, 2),
            "converge_after_heal_s": None if conv[c.label] is None else round(conv[c.label], 2),
            "note": "TCP dialled from 127.0.0.1 to any agent is blocked during the partition",
        }
        log(f"  partition {c.label}: {out[c.label]}")
    time.sleep(2)
    return out


def churn(clusters, duration, rng, gap_s=3.0):
    """Members leave gracefully and rejoin, one at a time, for `duration` seconds."""
    n = len(clusters[0].agents)
    per = {c.label: {"leave": [], "join": [], "leave_unconverged": 0, "join_unconverged": 0}
           for c in clusters}
    t_start = time.time()
    end = time.monotonic() + duration
    cycles = 0
    while time.monotonic() < end:
        idx = rng.randrange(1, n)
        t_leave = time.time()
        for c in clusters:
            c.agents[idx].signal(signal.SIGTERM if c.peer == "picket" else signal.SIGINT)
        for c in clusters:
            c.agents[idx].wait_exit(15)
        _wait_everywhere(clusters, idx, t_leave, ("left", "failed"), 20)
        for c in clusters:
            v = c.agents[idx]
            ts = [_first(a, v.name, t_leave, ("left",)) for a in c.live()]
            if ts and all(ts):
                per[c.label]["leave"].append(max(ts) - t_leave)
            else:
                per[c.label]["leave_unconverged"] += 1
        time.sleep(gap_s)
        t_join = time.time()
        for c in clusters:
            c.agents[idx].start(c.seed)
        _wait_everywhere(clusters, idx, t_join, ("joined", "alive"), 30)
        for c in clusters:
            v = c.agents[idx]
            ts = [_first(a, v.name, t_join, ("joined", "alive")) for a in c.live() if a is not v]
            if ts and all(ts):
                per[c.label]["join"].append(max(ts) - t_join)
            else:
                per[c.label]["join_unconverged"] += 1
        cycles += 1
        time.sleep(gap_s)
    t_end = time.time()
    conv = _reconverge(clusters, 60)
    out = {}
    for c in clusters:
        fig = _window_figures(c, t_start, t_end + 2, {a.name for a in c.agents})
        p = per[c.label]
        out[c.label] = {"cycles": cycles, "leave_converge_s": summary(p["leave"]),
                       "join_converge_s": summary(p["join"]),
                       "leave_unconverged": p["leave_unconverged"], "join_unconverged": p["join_unconverged"],
                       "false_failed": fig["false_failed"], "false_failed_members": fig["false_failed_members"],
                       "converge_s": None if conv[c.label] is None else round(conv[c.label], 2)}
    return out


def _wait_everywhere(clusters, idx, t0, kinds, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = True
        for c in clusters:
            v = c.agents[idx]
            for a in c.live():
                if a is not v and _first(a, v.name, t0, kinds) is None:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            return True
        time.sleep(0.2)
    return False


def isolate(clusters, nf, rng, holds=(10, 16, 25)):
    """One member cut off from all others (1 | N-1) for each of `holds` seconds, then
    healed. Counts `failed` declarations of members of the majority side made by
    majority-side agents (false failures: both stayed healthy and connected), which
    can happen when the isolated agent's own unconfirmed suspicions expire and its
    `failed` gossip reaches the majority after the heal."""
    n = len(clusters[0].agents)
    per = {c.label: {"false_failed": 0, "false_failed_members": 0, "detect": [], "converge": [],
                    "isolated_declared": 0} for c in clusters}
    for hold in holds:
        idx = rng.randrange(1, n)
        t0 = time.time()
        for c in clusters:
            v = c.agents[idx]
            nf.partition([v.host], [a.host for a in c.agents if a is not v], c.port, block_lo_tcp=True)
        time.sleep(hold)
        nf.clear_faults()
        conv = _reconverge(clusters, 90)
        time.sleep(3)
        t1 = time.time()
        for c in clusters:
            v = c.agents[idx]
            p = per[c.label]
            majority = {a.name for a in c.agents if a is not v}
            members = set()
            for a in c.agents:
                if a is v:
                    p["isolated_declared"] += len([e for e in a.events_since(t0, kinds=("failed",)) if e[0] <= t1])
                    continue
                for e in a.events_since(t0, kinds=("failed",)):
                    if e[0] <= t1 and e[2] in majority:
                        p["false_failed"] += 1
                        members.add(e[2])
            p["false_failed_members"] += len(members)
            ts = [_first(a, v.name, t0, ("failed",)) for a in c.agents if a is not v]
            if all(ts):
                p["detect"].append(max(ts) - t0)
            if conv[c.label] is not None:
                p["converge"].append(conv[c.label])
            log(f"  isolate {v.name} {hold} s: {c.label} false failures so far {p['false_failed']} "
                f"(members {p['false_failed_members']})")
        time.sleep(2)
    out = {}
    for c in clusters:
        p = per[c.label]
        out[c.label] = {"holds_s": list(holds), "false_failed": p["false_failed"],
                       "false_failed_members": p["false_failed_members"],
                       "failed_declared_by_isolated": p["isolated_declared"],
                       "isolated_failed_everywhere_s": summary(p["detect"]),
                       "converge_after_heal_s": summary(p["converge"])}
    return out
