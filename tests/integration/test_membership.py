"""Real agents, real UDP on loopback: form, crash, leave, restart.

Bounds are generous on purpose (a busy CI machine); the tight detection
figures belong to the benchmarks.
"""

import signal
import sys
import time
import unittest

from picket_cluster import Cluster, states, wait_until

N = 8
FORM_TIMEOUT = 30
DETECT_TIMEOUT = 30


class MembershipLifecycle(unittest.TestCase):
    def test_form_crash_leave_restart(self):
        with Cluster(net=1) as c:
            try:
                self._run(c)
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise

    def _run(self, c):
        agents = [c.add(i) for i in range(1, N + 1)]
        seed = agents[0].gossip
        agents[0].start()
        for a in agents[1:]:
            a.start(join=[seed])
        names = {a.name for a in agents}

        def everyone_sees(live, expected):
            for a in live:
                s = states(a)
                if s is None:
                    return False
                for name, state in expected.items():
                    if s.get(name) != state:
                        return False
            return True

        wait_until(lambda: everyone_sees(agents, {n: "alive" for n in names}), FORM_TIMEOUT,
                   what=f"all {N} agents to list all {N} alive")

        # SIGKILL one: every other agent marks it failed.
        victim = agents[-1]
        old_incarnation = agents[0].members()[victim.name]["incarnation"]
        victim.kill()
        live = agents[:-1]
        wait_until(lambda: everyone_sees(live, {victim.name: "failed"}), DETECT_TIMEOUT,
                   what=f"{victim.name} failed at every live agent")

        # SIGTERM another: it leaves gracefully, exits 0, and is never seen failed.
        leaver = agents[-2]
        others = agents[:-2]
        leaver.signal(signal.SIGTERM)
        seen_failed = []

        def left_everywhere():
            for a in others:
                s = states(a)
                if s is None:
                    return False
                if s.get(leaver.name) == "failed":
                    seen_failed.append(a.name)
                if s.get(leaver.name) != "left":
                    return False
            return True

        wait_until(left_everywhere, DETECT_TIMEOUT, what=f"{leaver.name} left everywhere")
        self.assertEqual(leaver.wait_exit(timeout=15), 0)
        self.assertEqual(seen_failed, [], f"{leaver.name} was seen failed by {seen_failed}")

        # The killed agent restarts with the same name: alive again, higher incarnation.
        victim.start(join=[seed])
        live = others + [victim]

        def rejoined():
            for a in live:
                m = a.members()
                if m is None or victim.name not in m:
                    return False
                v = m[victim.name]
                if v["state"] != "alive" or v["incarnation"] <= old_incarnation:
                    return False
            return True

        wait_until(rejoined, FORM_TIMEOUT, what=f"{victim.name} alive again with a higher incarnation")
        # The leaver stays left (not resurrected, not failed) meanwhile.
        for a in live:
            self.assertEqual(states(a).get(leaver.name), "left", a.name)


if __name__ == "__main__":
    unittest.main()
