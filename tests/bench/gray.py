"""Gray-failure scenarios on real agents: members that are partly broken rather
than dead. Like scenarios.py, each runs against every cluster at once (the
same member indices, the same schedule) and returns {peer: figures}.

Kinds (`cluster_bench.py --scenario gray --gray-kinds ...`):
  loss     1% of the members (at least one) lose `loss` of their packets both
           ways for the whole window
  flip     the same members lose all incoming packets, `flip_s` on, `flip_s`
           off, repeating
  oneway   `pairs` random pairs (deaf, unheard): deaf stops hearing unheard
  starve   10% of the members (at least one) are CPU-starved: SIGSTOP for
           0.2-0.8 s at random, every 5-15 s (4-12 times a minute), SIGCONT

Figures per peer (healthy = members with no fault of their own; in `oneway`
both members of a pair count as faulty, in `starve` the starved ones):
  healthy            false_failed / false_failed_members / suspicions / flaps of
                     healthy members, as the healthy agents declared them
                     (scenarios._window_figures)
  declared_by_faulty the same figures as the faulty agents declared them (a
                     member that hears nobody holds everyone failed, like the
                     small side of a partition)
  impaired[]         per faulty member, what the healthy agents said of it in
                     the window: suspect and failed declarations, readmissions
                     (alive or joined again after failed), failed_by (healthy
                     agents that declared it failed at least once),
                     failed_everywhere_s (window start -> every healthy agent
                     had declared it failed), readmissions_per_agent_min
  agreement          samples (1 s apart, from 10 s into the window) at which at
                     least 99% of the healthy agents held the same set of members
                     up (alive or suspect), over all such samples
  converge_s         fault removed -> every live agent sees every live member up

Serf has no suspect state: its suspect count is memberlist's prober log line
"Suspect X has failed". Streams a process dials come from 127.0.0.1 for both
peers, so an outgoing fault cannot reach the connections a member opens (see
netfault.NetFault.member_loss).
"""

import collections
import time

import scenarios

KINDS = ("loss", "flip", "oneway", "starve")
AGREEMENT_FROM_S = 10.0
AGREEMENT_QUORUM = 0.99


def _faulty(kind, n, rng, pairs):
    """(faulty indices, one-way index pairs). Index 0 (the seed) is never faulty."""
    if kind in ("loss", "flip"):
        return rng.sample(range(1, n), max(1, round(0.01 * n))), []
    if kind == "starve":
        return rng.sample(range(1, n), max(1, round(0.1 * n))), []
    chosen = []
    while len(chosen) < pairs:
        a, b = rng.randrange(1, n), rng.randrange(1, n)
        if a != b and (a, b) not in chosen:
            chosen.append((a, b))
    return sorted({i for p in chosen for i in p}), chosen


def _up_set(agent):
    return frozenset(k for k, v in agent.view_copy().items() if v in ("alive", "suspect"))


def _agreement_sample(c, healthy_idx):
    sets = [_up_set(c.agents[i]) | {c.agents[i].name} for i in healthy_idx if c.agents[i].running()]
    if not sets:
        return False
    most = collections.Counter(sets).most_common(1)[0][1]
    return most >= AGREEMENT_QUORUM * len(sets)


def _impaired_figures(c, name, healthy_idx, t0, t1):
    susp = failed = readmit = 0
    failed_at = {}
    for i in healthy_idx:
        a = c.agents[i]
        in_failed = False
        for t, kind, subj, _ in a.events_since(t0, name):
            if t > t1:
                break
            if kind == "suspect":
                susp += 1
            elif kind == "failed":
                failed += 1
                in_failed = True
                failed_at.setdefault(a.name, t)
            elif kind in ("alive", "joined") and in_failed:
                readmit += 1
                in_failed = False
    everywhere = (round(max(failed_at.values()) - t0, 2)
                  if len(failed_at) == len(healthy_idx) and failed_at else None)
    minutes = max(1e-9, (t1 - t0) / 60.0)
    return {"name": name, "suspicions": susp, "failures": failed, "readmissions": readmit,
            "failed_by": len(failed_at), "failed_everywhere_s": everywhere,
            "readmissions_per_agent_min": round(readmit / max(1, len(healthy_idx)) / minutes, 3)}


def gray(clusters, nf, rng, kind, duration, loss_p=0.8, flip_s=20.0, pairs=10):
    """Runs one gray-failure kind for `duration` seconds; see the module comment."""
    n = len(clusters[0].agents)
    faulty, pair_idx = _faulty(kind, n, rng, pairs)
    healthy_idx = [i for i in range(n) if i not in faulty]
    samples = {c.label: [0, 0] for c in clusters}   # [agreeing, taken]
    start = time.monotonic()
    t0 = time.time()

    def set_fault(on):
        nf.clear_faults()
        if not on:
            return
        for c in clusters:
            if kind == "oneway":
                nf.one_way([(c.agents[a].host, c.agents[b].host) for a, b in pair_idx])
            else:
                for i in faulty:
                    nf.member_loss(c.agents[i].host, 1.0 if kind == "flip" else loss_p,
                                   "in" if kind == "flip" else "both")

    # CPU starvation: per faulty index, the next pause (or resume) instant.
    next_pause = {i: start + rng.uniform(0, 10) for i in faulty}
    resume_at = {}

    def starve_tick(now):
        for i in faulty:
            if i in resume_at and now >= resume_at[i]:
                for c in clusters:
                    c.agents[i].resume()
                del resume_at[i]
                next_pause[i] = now + rng.uniform(5, 15)
            elif i not in resume_at and now >= next_pause[i]:
                for c in clusters:
                    c.agents[i].pause()
                resume_at[i] = now + rng.uniform(0.2, 0.8)

    fault_on = kind != "starve"
    if fault_on:
        set_fault(True)
    next_flip = start + flip_s
    next_sample = start + AGREEMENT_FROM_S
    try:
        while True:
            now = time.monotonic()
            if now >= start + duration:
                break
            if kind == "starve":
                starve_tick(now)
            if kind == "flip" and now >= next_flip:
                fault_on = not fault_on
                set_fault(fault_on)
                next_flip += flip_s
            if now >= next_sample:
                for c in clusters:
                    samples[c.label][0] += 1 if _agreement_sample(c, healthy_idx) else 0
                    samples[c.label][1] += 1
                next_sample += 1.0
            time.sleep(0.02)
    finally:
        nf.clear_faults()
        for c in clusters:
            for i in faulty:
                c.agents[i].resume()
    t1 = time.time()
    conv = {c.label: c.wait_converged(90) for c in clusters}
    time.sleep(2)
    out = {}
    for c in clusters:
        healthy = {c.agents[i].name for i in healthy_idx}
        r = {"kind": kind, "window_s": round(t1 - t0, 1), "faulty": [c.agents[i].name for i in faulty],
             "healthy": scenarios._window_figures(c, t0, time.time(), healthy,
                                                  observers=[c.agents[i] for i in healthy_idx]),
             "declared_by_faulty": scenarios._window_figures(
                 c, t0, time.time(), healthy, observers=[c.agents[i] for i in faulty]),
             "impaired": [_impaired_figures(c, c.agents[i].name, healthy_idx, t0, t1) for i in faulty],
             "agreement": round(samples[c.label][0] / samples[c.label][1], 4) if samples[c.label][1] else None,
             "converge_s": None if conv[c.label] is None else round(conv[c.label], 2)}
        if kind == "oneway":
            r["pairs"] = [[c.agents[a].name, c.agents[b].name] for a, b in pair_idx]
        if kind in ("loss", "oneway"):
            r["loss"] = loss_p if kind == "loss" else 1.0
        if kind == "flip":
            r["flip_s"] = flip_s
        out[c.label] = r
        imp = r["impaired"]
        scenarios.log(f"  gray {kind} {c.label}: healthy {r['healthy']}, agreement {r['agreement']}, "
                      f"impaired failed_by {[x['failed_by'] for x in imp]} readmissions "
                      f"{[x['readmissions'] for x in imp]} suspicions {[x['suspicions'] for x in imp]}")
    return out
