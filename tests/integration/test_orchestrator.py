"""The example orchestrator (deploy/examples/orchestrator) against real agents.

Offline part (always runs): its own Standard Webhooks HMAC code against the
specification's published example, stale timestamps, tampering, and the HTTP
receiver's answers (signature, dedupe by webhook-id) with a stand-in for the
agent's API.

Cluster part (needs webhook delivery, `picket agent --webhook-url`): three
agents on 127.0.7.x, node-0 tagged role=primary, an orchestrator beside
node-1 and one beside node-2, each receiving its agent's webhooks. SIGKILL
node-0: exactly one promotion happens in the whole cluster, on the replica
that /v1/owners names, and the new primary's tag reaches every agent.

Exits 77 (CTest: skipped) after the offline part when this picket has no
webhook delivery yet.
"""

import base64
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from picket_cluster import PICKET, Cluster, http_json, states, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
ORCH_DIR = os.path.join(HERE, "..", "..", "deploy", "examples", "orchestrator")
sys.path.insert(0, ORCH_DIR)
import orchestrator  # noqa: E402

NET = 7
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def webhooks_supported():
    try:
        out = subprocess.run([PICKET, "agent", "--help"], capture_output=True, text=True,
                             timeout=10)
    except OSError:
        return False
    return "--webhook-url" in out.stdout + out.stderr


def post(url, body, headers, timeout=5):
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Signatures(unittest.TestCase):
    def test_standard_webhooks_example(self):
        # The example of the Standard Webhooks specification and its libraries.
        key = orchestrator.decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        body = b'{"test": 2432232314}'
        sig = orchestrator.sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        self.assertEqual(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                   "webhook-signature": "v1,bm9ub3RoZXJl v1," + sig}
        self.assertEqual(orchestrator.verify(key, headers, body, now=1614265330 + 10),
                         "msg_p5jXN8AQM9LWM0D4loKWxJek")
        for bad_body, now in [(b'{"test": 2432232315}', 1614265330),   # tampered
                              (body, 1614265330 + 301),                  # stale
                              (body, 1614265330 - 301)]:                 # from the future
            with self.assertRaises(orchestrator.SignatureError):
                orchestrator.verify(key, headers, bad_body, now=now)
        with self.assertRaises(orchestrator.SignatureError):
            orchestrator.verify(b"another key", headers, body, now=1614265330)
        with self.assertRaises(orchestrator.SignatureError):
            orchestrator.verify(key, {"webhook-id": "x"}, body, now=1614265330)


class FakeApi:
    """Stands in for PicketApi: a 3-member view whose primary db-0 failed."""

    def __init__(self, successor):
        self.successor = successor
        self.tags = {}

    def first_owner(self, key):
        return self.successor

    def own_tags(self):
        return dict(self.tags)

    def set_own_tags(self, tags):
        self.tags = dict(tags)


class Receiver(unittest.TestCase):
    """The HTTP receiver with a fake agent API: signatures, dedupe, majority."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="picket-orch-unit.")
        self.key = os.urandom(32)
        self.api = FakeApi("db-1")
        self.orch = orchestrator.Orchestrator(
            self.api, "db-1", "role", "primary", "primary",
            f"echo \"$ORCH_OLD_PRIMARY\" >> {self.dir}/promotions", f"{self.dir}/state.json", 10)
        self.server = http.server.HTTPServer(("127.0.0.1", 0),
                                             orchestrator.make_handler(self.orch, self.key, "/picket"))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/picket"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, msg_id, etype, member, has_majority=True, key=None, timestamp=None):
        event = {"specversion": "1.0", "id": msg_id, "source": "picket://db-1", "type": etype,
                 "datacontenttype": "application/json",
                 "data": {"seq": 1, "type": etype, "member": member,
                          "quorum": {"alive": 2, "members": 3, "has_majority": has_majority}}}
        body = json.dumps(event).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        sig = orchestrator.sign(key or self.key, msg_id, ts, body)
        return post(self.url, body, {"content-type": "application/cloudevents+json",
                                     "webhook-id": msg_id, "webhook-timestamp": str(ts),
                                     "webhook-signature": "v1," + sig})

    def promotions(self):
        try:
            with open(f"{self.dir}/promotions") as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def test_receiver(self):
        primary = {"name": "db-0", "state": "failed", "incarnation": 3, "tags": {"role": "primary"}}
        self.assertEqual(self.send("m1", "member.failed", primary, key=b"wrong")[0], 401)
        self.assertEqual(self.send("m1", "member.failed", primary,
                                   timestamp=int(time.time()) - 600)[0], 401)
        self.assertEqual(self.promotions(), [])
        # Minority side: never promotes.
        self.assertEqual(self.send("m2", "member.failed", primary, has_majority=False),
                         (200, {"result": "no majority"}))
        self.assertEqual(self.promotions(), [])
        # A replica failing is not a failover.
        replica = {"name": "db-2", "state": "failed", "incarnation": 1, "tags": {}}
        self.assertEqual(self.send("m3", "member.failed", replica)[0], 200)
        self.assertEqual(self.promotions(), [])
        self.assertEqual(self.send("m4", "member.failed", primary), (200, {"result": "promoted"}))
        self.assertEqual(self.send("m4", "member.failed", primary), (200, {"result": "duplicate"}))
        left = dict(primary, state="left")
        self.assertEqual(self.send("m5", "member.left", left), (200, {"result": "already handled"}))
        self.assertEqual(self.promotions(), ["db-0"])
        self.assertEqual(self.api.tags, {"role": "primary"})
        with open(f"{self.dir}/state.json") as f:
            self.assertEqual(json.load(f)["role"], "primary")


@unittest.skipUnless(webhooks_supported(), "picket agent has no --webhook-url yet")
class Failover(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="picket-orch-it.")
        self.procs = []
        self.secret_file = os.path.join(self.dir, "webhook-secret")
        with open(self.secret_file, "w") as f:
            f.write("whsec_" + base64.b64encode(os.urandom(32)).decode() + "\n")
        self.promotions = os.path.join(self.dir, "promotions")

    def tearDown(self):
        for proc, log in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def orchestrator_log(self, name):
        with open(os.path.join(self.dir, f"orch-{name}.log")) as f:
            return f.read()

    def start_orchestrator(self, agent, port):
        log = open(os.path.join(self.dir, f"orch-{agent.name}.log"), "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PICKET_", "ORCH_"))}
        proc = subprocess.Popen(
            [sys.executable, os.path.join(ORCH_DIR, "orchestrator.py"),
             "--listen", f"{agent.host}:{port}", "--picket-api", agent.api,
             "--secret-file", self.secret_file,
             "--state-file", os.path.join(self.dir, f"state-{agent.name}.json"),
             "--promote-command", f'echo "$ORCH_NEW_PRIMARY $ORCH_OLD_PRIMARY" >> {self.promotions}'],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        self.procs.append((proc, log))

        def listening():
            self.assertIsNone(proc.poll(), self.orchestrator_log(agent.name))
            try:
                socket.create_connection((agent.host, port), timeout=0.5).close()
                return True
            except OSError:
                return False
        wait_until(listening, 30, what=f"orchestrator beside {agent.name} listening")
        return proc

    def read_promotions(self):
        try:
            with open(self.promotions) as f:
                return [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def test_primary_killed_one_promotion(self):
        hosts = [f"127.{NET}.0.{10 + i}" for i in range(3)]
        ports = {h: free_port(h) for h in hosts[1:]}
        with Cluster(NET) as c:
            primary = c.add(0, ["--tag", "role=primary"])
            replicas = []
            for i in (1, 2):
                host = hosts[i]
                replicas.append(c.add(i, ["--webhook-url", f"http://{host}:{ports[host]}/picket",
                                          "--webhook-secret-file", self.secret_file]))
            primary.start()
            for r in replicas:
                r.start(join=[primary.gossip])
            names = {a.name for a in c.agents}
            try:
                for a in c.agents:
                    wait_until(lambda a=a: states(a) == {n: "alive" for n in names}, 30,
                               what=f"{a.name} sees everyone alive")
                for r in replicas:
                    self.start_orchestrator(r, ports[r.host])
                    self.assertIn("resync: primary is node-0", self.orchestrator_log(r.name))
                # Who takes over: the first owner of the key once node-0 is gone.
                _, owners = http_json(replicas[0].api + "/v1/owners?key=primary&n=3")
                successor = next(o["name"] for o in owners["owners"] if o["name"] != "node-0")

                primary.kill()
                wait_until(self.read_promotions, 30, what="a promotion")
                # Every agent learns the new primary from its tag (member.updated).
                for r in replicas:
                    wait_until(lambda r=r: (r.members() or {}).get(successor, {}).get("tags", {})
                               .get("role") == "primary", 15,
                               what=f"{r.name} sees {successor} tagged primary")
                # Both receivers handled node-0's failure (valid signatures) ...
                for r in replicas:
                    wait_until(lambda r=r: "member.failed node-0" in self.orchestrator_log(r.name),
                               15, what=f"orchestrator beside {r.name} got member.failed")
                time.sleep(2)  # ... and no second promotion follows.
                self.assertEqual(self.read_promotions(), [[successor, "node-0"]])
                other = next(r.name for r in replicas if r.name != successor)
                self.assertIn(f"{successor} takes over", self.orchestrator_log(other))
                self.assertFalse(os.path.exists(os.path.join(self.dir, f"state-{other}.json")))
                with open(os.path.join(self.dir, f"state-{successor}.json")) as f:
                    self.assertEqual(json.load(f)["replaced"], "node-0")
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                for r in replicas:
                    print(f"--- orchestrator beside {r.name}\n" + self.orchestrator_log(r.name),
                          file=sys.stderr)
                raise


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print("SKIPPED (partly): " + "; ".join(reason for _, reason in result.skipped))
        sys.exit(77)
    sys.exit(0)
