"""Encryption, key rotation and hostile input against real agents."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from picket_cluster import PICKET, Cluster, states, wait_until

TIMEOUT = 30


def keygen():
    return subprocess.run([PICKET, "keygen"], capture_output=True, text=True, check=True).stdout.strip()


def dropped(agent, reason):
    m = re.search(r'^picket_dropped_packets_total\{reason="%s"\} (\d+)' % reason, agent.metrics(), re.M)
    return int(m.group(1)) if m else 0


def all_alive(agents, names):
    for a in agents:
        s = states(a)
        if s is None or any(s.get(n) != "alive" for n in names):
            return False
    return True


class Encryption(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="picket-keys-")

    def keyring(self, name, *keys):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("\n".join(keys) + "\n")
        return path

    def test_wrong_or_missing_key_cannot_join_and_rotation_keeps_the_cluster(self):
        k1, k2 = keygen(), keygen()
        with Cluster(net=2) as c:
            try:
                rings = [self.keyring(f"ring{i}", k1) for i in range(3)]
                agents = [c.add(i, ["--keyring", rings[i]]) for i in range(3)]
                agents[0].start()
                for a in agents[1:]:
                    a.start(join=[agents[0].gossip])
                names = [a.name for a in agents]
                wait_until(lambda: all_alive(agents, names), TIMEOUT, what="encrypted cluster formed")

                # An agent with a different key, and one with none, cannot join.
                intruder = c.add(5, ["--keyring", self.keyring("wrong", k2), "--join-timeout", "3s"])
                plain = c.add(6, ["--join-timeout", "3s"])
                intruder.start(join=[agents[0].gossip])
                plain.start(join=[agents[0].gossip])
                wait_until(lambda: dropped(agents[0], "unauthenticated") > 0, TIMEOUT,
                           what="rejected packets counted as unauthenticated")
                time.sleep(3)
                for a in agents:
                    s = states(a)
                    self.assertNotIn(intruder.name, s)
                    self.assertNotIn(plain.name, s)
                intruder.kill()
                plain.kill()

                # Rotation: add k2 as accepted, make it primary, drop k1; SIGHUP reloads.
                for step in ([k1, k2], [k2, k1], [k2]):
                    for i, a in enumerate(agents):
                        self.keyring(f"ring{i}", *step)
                        a.signal(1)  # SIGHUP
                        time.sleep(0.3)
                    time.sleep(2)
                    self.assertTrue(all_alive(agents, names), f"cluster split during rotation step {step}")
                    for a in agents:
                        self.assertTrue(a.running(), a.name)
                # After the rotation a k1-only agent is locked out, a k2 agent joins.
                newcomer = c.add(7, ["--keyring", self.keyring("new", k2)])
                newcomer.start(join=[agents[1].gossip])
                wait_until(lambda: all_alive(agents + [newcomer], names + [newcomer.name]), TIMEOUT,
                           what="k2 newcomer joined after rotation")
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise


class HostileInput(unittest.TestCase):
    def test_garbage_truncated_and_oversized_datagrams_are_counted_and_dropped(self):
        with Cluster(net=3) as c:
            try:
                a, b = c.add(1), c.add(2)
                a.start()
                b.start(join=[a.gossip])
                wait_until(lambda: all_alive([a, b], [a.name, b.name]), TIMEOUT, what="pair formed")
                before = sum(dropped(a, r) for r in ("malformed", "truncated", "oversized"))
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                rng = __import__("random").Random(7)
                payloads = [b"", b"\x00", b"garbage" * 10, bytes(rng.getrandbits(8) for _ in range(1400)),
                            b"\x0a\xff\xff\xff\xff\x0f", b"\xff" * 65000]
                for p in payloads * 20:
                    s.sendto(p, (a.host, 9746))
                s.close()
                wait_until(lambda: sum(dropped(a, r) for r in ("malformed", "truncated", "oversized"))
                           >= before + 100, TIMEOUT, what="hostile datagrams counted")
                # Still healthy and still gossiping.
                self.assertTrue(a.running())
                time.sleep(2)
                self.assertTrue(all_alive([a, b], [a.name, b.name]))
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise


if __name__ == "__main__":
    unittest.main()
