"""Webhooks with real agents and a real receiver (tests/integration/webhook_receiver.py).

Agents on 127.5.0.x (Cluster(net=5)), receivers on 127.5.0.1. The receiver
checks every signature with Python's own HMAC code; the agents are real
processes killed by PID. Bounds are generous (a busy CI machine); the
latency figures belong to tests/bench/webhook_latency.py.
"""

import json
import os
import re
import signal
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from picket_cluster import Cluster, http_json, states, wait_until
from webhook_receiver import Receiver, free_port

NET = 5
RECEIVER_HOST = f"127.{NET}.0.1"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FORM_TIMEOUT = 30
DETECT_TIMEOUT = 30
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def webhook_args(*urls, events=None, timeout=None, secret=SECRET):
    args = []
    for url in urls:
        args += ["--webhook-url", url]
    if secret:
        args += ["--webhook-secret", secret]
    if events:
        args += ["--webhook-events", events]
    if timeout:
        args += ["--webhook-timeout", timeout]
    return args


def form(c, agents):
    seed = agents[0].gossip
    agents[0].start()
    for a in agents[1:]:
        a.start(join=[seed])
    names = {a.name for a in agents}
    wait_until(lambda: all((states(a) or {}) == {n: "alive" for n in names} for a in agents),
               FORM_TIMEOUT, what=f"{len(agents)} agents to see each other alive")


def subscriptions(agent):
    status, body = http_json(agent.api + "/v1/subscriptions")
    assert status == 200, (status, body)
    return body["subscriptions"]


def failed_event_for(name):
    def predicate(received):
        for r in received:
            if r.status == 200 and r.event.get("type") == "member.failed" and \
                    r.event.get("data", {}).get("member", {}).get("name") == name:
                return r
        return None
    return predicate


class WebhookTests(unittest.TestCase):
    def run_cluster(self, body):
        receivers = []
        with Cluster(net=NET) as c:
            try:
                body(c, receivers)
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise
            finally:
                for r in receivers:
                    r.stop()

    def test_a_member_failed_after_sigkill(self):
        def body(c, receivers):
            r = Receiver(RECEIVER_HOST, 0, SECRET).start()
            receivers.append(r)
            agents = [c.add(1, webhook_args(r.url, events="member.failed")), c.add(2), c.add(3)]
            form(c, agents)
            victim = agents[2]
            killed_at = time.time()
            victim.kill()
            got = r.wait_for(failed_event_for(victim.name), DETECT_TIMEOUT)
            self.assertIsNotNone(got, "no member.failed at the receiver")
            self.assertIsNone(got.error)  # signature verified by the receiver
            e = got.event
            self.assertEqual(e["specversion"], "1.0")
            self.assertEqual(e["id"], got.headers["webhook-id"])
            self.assertEqual(e["source"], "picket://node-1")
            self.assertEqual(e["type"], "member.failed")
            self.assertEqual(e["subject"], victim.name)
            self.assertEqual(e["datacontenttype"], "application/json")
            self.assertRegex(e["time"], RFC3339_MS)
            self.assertEqual(got.headers["content-type"], "application/cloudevents+json")
            data = e["data"]
            self.assertEqual(data["type"], "member.failed")
            self.assertEqual(data["time"], e["time"])
            self.assertIsInstance(data["seq"], int)
            self.assertEqual(data["member"]["state"], "failed")
            self.assertEqual(data["quorum"], {"alive": 2, "members": 3, "has_majority": True})
            self.assertLess(abs(int(got.headers["webhook-timestamp"]) - got.arrival), 5)
            self.assertGreater(got.arrival, killed_at)
            # The filter: nothing but member.failed was sent.
            self.assertEqual({x.event.get("type") for x in r.received()}, {"member.failed"})
            # The delivery state and metrics say so too.
            # The receiver records before it answers: wait for the agent to see the 2xx.
            wait_until(lambda: subscriptions(agents[0])[0]["delivery"]["delivered"] >= 1, 10,
                       what="delivered >= 1")
            subs = subscriptions(agents[0])
            self.assertEqual(len(subs), 1)
            self.assertEqual(subs[0]["id"], "static-1")
            self.assertTrue(subs[0]["static"])
            self.assertEqual(subs[0]["events"], ["member.failed"])
            self.assertGreaterEqual(subs[0]["delivery"]["delivered"], 1)
            self.assertIsNotNone(subs[0]["delivery"]["last_success"])
            metrics = agents[0].metrics()
            self.assertRegex(metrics, r'picket_webhook_deliveries_total\{outcome="success"\} [1-9]')
            self.assertIn('picket_webhook_queue_length{subscription="static-1"} 0', metrics)
            # Plain http goes over the agent's own socket: libcurl (and the
            # TLS stacks it pulls in) is never mapped.
            with open(f"/proc/{agents[0].proc.pid}/maps") as maps:
                self.assertNotIn("libcurl", maps.read())
        self.run_cluster(body)

    def test_b_receiver_down_then_up_gets_everything_in_order(self):
        def body(c, receivers):
            r = Receiver(RECEIVER_HOST, free_port(RECEIVER_HOST), SECRET)  # not started: down
            receivers.append(r)
            agents = [c.add(1, webhook_args(r.url)), c.add(2), c.add(3), c.add(4)]
            form(c, agents)
            agents[3].kill()
            live = agents[:3]
            wait_until(lambda: all((states(a) or {}).get("node-4") == "failed" for a in live),
                       DETECT_TIMEOUT, what="node-4 failed everywhere")
            agents[2].signal(signal.SIGTERM)
            wait_until(lambda: (states(agents[0]) or {}).get("node-3") == "left", DETECT_TIMEOUT,
                       what="node-3 left")
            # Down all along: delivery is failing and retrying, nothing is lost yet.
            sub = subscriptions(agents[0])[0]
            self.assertGreater(sub["delivery"]["attempts"], 0, sub)
            self.assertIsNotNone(sub["delivery"]["last_error"], sub)
            self.assertIsNone(sub["delivery"]["last_success"], sub)
            self.assertGreater(sub["delivery"]["queue_length"], 0, sub)
            self.assertEqual(sub["delivery"]["dropped"], 0, sub)
            self.assertRegex(agents[0].metrics(),
                             r'picket_webhook_deliveries_total\{outcome="connection_error"\} [1-9]')
            status, log = http_json(agents[0].api + "/v1/events?since=0&limit=10000&timeout=0")
            self.assertEqual(status, 200)
            expected = [(e["seq"], e["type"]) for e in log["events"]]
            self.assertGreaterEqual(len(expected), 5, expected)
            r.start()  # up again on the same port

            def all_arrived(received):
                seqs = {x.event["data"]["seq"] for x in received if x.status == 200}
                return all(seq in seqs for seq, _ in expected)
            self.assertTrue(r.wait_for(all_arrived, 60), "not every event arrived after the "
                            f"receiver came back: {expected}")
            accepted = r.accepted()
            self.assertEqual([x for x in r.received() if x.error], [])
            # In order: first arrivals by id have increasing seqs, nothing missing.
            first = {}
            for x in accepted:
                first.setdefault(x.id, x)
            seqs = [x.event["data"]["seq"] for x in first.values()]
            self.assertEqual(seqs, sorted(seqs))
            got = [(x.event["data"]["seq"], x.event["type"]) for x in first.values()]
            self.assertEqual(got[:len(expected)], expected)
            # Duplicates (if any) carry the same id and body.
            for x in accepted:
                self.assertEqual(x.body, first[x.id].body)
            wait_until(lambda: subscriptions(agents[0])[0]["delivery"]["queue_length"] == 0, 20,
                       what="the queue to drain")
        self.run_cluster(body)

    def test_c_slow_receiver_blocks_nothing_else(self):
        def body(c, receivers):
            slow = Receiver(RECEIVER_HOST, 0, SECRET, path="/slow").start()
            fast = Receiver(RECEIVER_HOST, 0, SECRET, path="/fast").start()
            receivers.extend([slow, fast])
            slow.set_mode("sleep", seconds=30)
            agents = [c.add(1, webhook_args(slow.url, fast.url, timeout="1s")), c.add(2),
                      c.add(3)]
            form(c, agents)
            # The slow one is stuck behind the joins (each attempt times out after 1 s).
            self.assertIsNotNone(slow.wait_for(lambda rs: len(rs) >= 1, 15))
            victim = agents[2]
            victim.kill()
            killed = time.monotonic()
            got = fast.wait_for(failed_event_for(victim.name), DETECT_TIMEOUT)
            self.assertIsNotNone(got, "the fast receiver did not get member.failed")
            latency = time.monotonic() - killed
            # Detection takes ~3 s with the default settings; a blocked delivery
            # would wait for the slow receiver's timeouts and retries first.
            self.assertLess(latency, 15, f"member.failed took {latency:.1f}s")
            # The protocol was not held up either: every live agent saw it failed.
            wait_until(lambda: all((states(a) or {}).get(victim.name) == "failed"
                                   for a in agents[:2]), 10, what="failed everywhere")
            subs = {s["url"]: s for s in subscriptions(agents[0])}
            self.assertIn("timeout", subs[slow.url]["delivery"]["last_error"] or "")
            self.assertEqual(subs[slow.url]["delivery"]["delivered"], 0)
            self.assertGreater(subs[slow.url]["delivery"]["queue_length"], 0)
            self.assertRegex(agents[0].metrics(),
                             r'picket_webhook_deliveries_total\{outcome="timeout"\} [1-9]')
        self.run_cluster(body)

    def test_d_api_errors_from_real_requests(self):
        def body(c, receivers):
            token_file = os.path.join(c.dir, "token")
            with open(token_file, "w") as f:
                f.write("t0ken\n")
            agent = c.add(1, ["--api-token-file", token_file])
            agent.start()
            url = agent.api + "/v1/subscriptions"
            def api_up():
                try:
                    return http_json(agent.api + "/healthz")[0] == 200
                except OSError:
                    return False
            wait_until(api_up, 15, what="API up")

            def call(method, path, body=None, ctype="application/json", token="t0ken"):
                data = body.encode() if isinstance(body, str) else body
                req = urllib.request.Request(agent.api + path, data=data, method=method)
                if ctype and data is not None:
                    req.add_header("Content-Type", ctype)
                if token:
                    req.add_header("Authorization", f"Bearer {token}")
                try:
                    with _OPENER.open(req, timeout=5) as resp:
                        raw = resp.read()
                        return resp.status, (json.loads(raw) if raw else None), resp.headers
                except urllib.error.HTTPError as e:
                    raw = e.read()
                    return e.code, (json.loads(raw) if raw else None), e.headers

            def expect(result, status, code):
                self.assertEqual(result[0], status, result[1])
                self.assertEqual(result[1]["error"]["code"], code)

            good = json.dumps({"url": f"http://{RECEIVER_HOST}:9/hook"})
            expect(call("POST", "/v1/subscriptions", good, token=None), 401, "unauthorized")
            expect(call("POST", "/v1/subscriptions", good, token="wrong"), 401, "unauthorized")
            expect(call("POST", "/v1/subscriptions", "{oops"), 400, "invalid_json")
            expect(call("POST", "/v1/subscriptions", json.dumps({"url": "gopher://x/"})), 400,
                   "invalid_field")
            expect(call("POST", "/v1/subscriptions", json.dumps({"url": "no url"})), 400,
                   "invalid_field")
            expect(call("POST", "/v1/subscriptions",
                        json.dumps({"url": "http://h/x", "events": ["member.gone"]})), 400,
                   "invalid_field")
            expect(call("POST", "/v1/subscriptions",
                        json.dumps({"url": "http://h/x", "secret": "whsec_short"})), 400,
                   "invalid_field")
            expect(call("POST", "/v1/subscriptions", good, ctype="text/plain"), 415,
                   "unsupported_media_type")
            big = json.dumps({"url": "http://h/x", "description": "x" * 70000})
            expect(call("POST", "/v1/subscriptions", big), 413, "payload_too_large")
            result = call("PATCH", "/v1/subscriptions", good)
            expect(result, 405, "method_not_allowed")
            self.assertEqual(result[2]["Allow"], "GET, POST")
            expect(call("GET", "/v1/subscriptions/sub_0000000000000000"), 404,
                   "subscription_not_found")
            expect(call("DELETE", "/v1/subscriptions/sub_0000000000000000"), 404,
                   "subscription_not_found")
            # And the happy path on the same agent.
            status, created, headers = call("POST", "/v1/subscriptions", good)
            self.assertEqual(status, 201, created)
            self.assertTrue(created["secret"].startswith("whsec_"))
            self.assertEqual(headers["Location"], "/v1/subscriptions/" + created["id"])
            expect(call("DELETE", "/v1/subscriptions/" + created["id"], token=None), 401,
                   "unauthorized")
            self.assertEqual(call("DELETE", "/v1/subscriptions/" + created["id"])[0], 204)
            self.assertEqual(subscriptions(agent), [])
            self.assertEqual(url, agent.api + "/v1/subscriptions")
        self.run_cluster(body)


if __name__ == "__main__":
    unittest.main()
