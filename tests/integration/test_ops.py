"""The read-only operations listener (--ops-listen) and the 413 for large
bodies, against real agents on 127.31.0.x."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from picket_cluster import PICKET, Cluster, http_json, wait_until

NET = 31
OPS_PORT = 9748
TIMEOUT = 30
# Fast join retries: the unjoined agent must notice its seed soon after it starts.
FAST_JOIN = ["--join-retry-initial", "200ms", "--join-retry-max", "500ms"]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def ops_url(agent, path):
    return f"http://{agent.host}:{OPS_PORT}{path}"


def request(url, method="GET", body=None, content_type=None, timeout=3.0):
    """(status, headers, body bytes), also for 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api_up(agent):
    try:
        return http_json(agent.api + "/healthz")[0] == 200
    except OSError:
        return False


def error_code(body):
    return json.loads(body)["error"]["code"]


def metric_families(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def connection_refused(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def raw_exchange(host, port, head, body=b"", timeout=5.0):
    """Sends `head` (and `body`, as far as the server takes it) on one
    connection and returns everything the server sends until it closes."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(head)
        try:
            s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


class OpsListener(unittest.TestCase):
    def test_probes_metrics_and_nothing_else(self):
        with Cluster(net=NET) as c:
            try:
                seed = c.add(1)
                # Joins through `seed`, which is not started yet: not ready.
                agent = c.add(0, FAST_JOIN)
                agent.start(join=[seed.gossip])
                wait_until(lambda: "operations listener on" in agent.log(), TIMEOUT,
                           what="the ops address in the log")
                self.assertIn(f"operations listener on http://{agent.host}:{OPS_PORT}/", agent.log())

                status, _, body = request(ops_url(agent, "/healthz"))
                self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
                status, headers, body = request(ops_url(agent, "/readyz"))
                self.assertEqual(status, 503, body)
                self.assertTrue(headers["Content-Type"].startswith("application/json"))
                self.assertEqual(error_code(body), "not_ready")

                seed.start()
                wait_until(lambda: request(ops_url(agent, "/readyz"))[0] == 200, TIMEOUT,
                           what="/readyz 200 on the ops port after the seed came up")
                status, _, body = request(ops_url(agent, "/readyz"))
                self.assertEqual(json.loads(body), {"status": "ready"})
                # The full API agrees (the same readiness logic).
                self.assertEqual(http_json(agent.api + "/readyz")[0], 200)

                # /metrics: Prometheus text with the full API's families.
                status, headers, body = request(ops_url(agent, "/metrics"))
                self.assertEqual(status, 200)
                self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
                text = body.decode()
                self.assertIn("picket_joined 1", text)
                full = request(agent.api + "/metrics")[2].decode()
                self.assertEqual(metric_families(text), metric_families(full))
                if shutil.which("promtool"):
                    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                                           capture_output=True, text=True, timeout=30)
                    self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

                # Nothing else: 404 for every other path, 405 for every other method.
                for path in ("/v1/members", "/v1/self", "/v1/events", "/v1/subscriptions", "/"):
                    status, _, body = request(ops_url(agent, path))
                    self.assertEqual((status, error_code(body)), (404, "not_found"), path)
                for method, path in (("POST", "/v1/leave"), ("PUT", "/v1/self/tags"),
                                     ("POST", "/healthz"), ("DELETE", "/metrics")):
                    status, headers, body = request(ops_url(agent, path), method, b"{}",
                                                    "application/json")
                    self.assertEqual((status, error_code(body)), (405, "method_not_allowed"),
                                     f"{method} {path}")
                    self.assertEqual(headers["Allow"], "GET")
                # The refused POST /v1/leave did nothing.
                time.sleep(0.5)
                self.assertTrue(agent.running())
                self.assertEqual(request(ops_url(agent, "/readyz"))[0], 200)
                self.assertFalse(http_json(agent.api + "/v1/self")[1]["leaving"])
            except AssertionError:
                print(c.dump_logs())
                raise

    def test_empty_value_disables_it_and_a_bad_one_is_refused(self):
        with Cluster(net=NET) as c:
            by_flag = c.add(2, ["--ops-listen="])
            by_env = c.add(3, env={"PICKET_OPS_LISTEN": ""})
            for agent in (by_flag, by_env):
                agent.start()
            for agent in (by_flag, by_env):
                wait_until(lambda: api_up(agent), TIMEOUT, what=f"{agent.name} serving its API")
                self.assertTrue(connection_refused(agent.host, OPS_PORT), agent.name)
                self.assertIn("operations listener disabled", agent.log())
        bad = subprocess.run([PICKET, "agent", "--name", "x", "--bind", f"127.{NET}.0.40:0",
                              "--http", f"127.{NET}.0.40:0", "--ops-listen", "127.0.0.1:99999"],
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--ops-listen", bad.stdout + bad.stderr)


class LargeBodies(unittest.TestCase):
    def test_a_body_over_the_limit_gets_a_413_json_answer(self):
        with Cluster(net=NET) as c:
            try:
                agent = c.add(5)
                agent.start()
                wait_until(lambda: api_up(agent), TIMEOUT, what="API up")
                port = 9747
                # Above the body limit the router reads (64 KiB): 413 from the router.
                status, _, body = request(agent.api + "/v1/self/tags", "PUT", b"x" * (100 * 1024),
                                          "application/json")
                self.assertEqual((status, error_code(body)), (413, "payload_too_large"))

                # 4 MiB, above what the server reads at all. The client announces
                # it and waits (Expect: 100-continue, as curl does): 413 at once.
                size = 4 * 1024 * 1024
                head = (f"PUT /v1/self/tags HTTP/1.1\r\nHost: {agent.host}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {size}\r\n"
                        "Expect: 100-continue\r\n\r\n").encode()
                answer = raw_exchange(agent.host, port, head)
                self.check_413(answer, size)

                # A client that sends the whole body at once gets the same answer
                # (the server reads none of it and closes after answering).
                head = head.replace(b"Expect: 100-continue\r\n", b"")
                answer = raw_exchange(agent.host, port, head, b"x" * size)
                if answer:  # a reset may beat the answer on a busy machine; not an error of ours
                    self.check_413(answer, size)

                # The server is fine afterwards.
                self.assertEqual(http_json(agent.api + "/healthz")[0], 200)
                self.assertIn('code="413"', request(agent.api + "/metrics")[2].decode())
            except AssertionError:
                print(c.dump_logs())
                raise

    def check_413(self, answer, size):
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 413 "), answer[:300])
        self.assertIn(b"connection: close", head.lower())
        error = json.loads(body)["error"]
        self.assertEqual(error["code"], "payload_too_large")
        self.assertIn(str(size), error["message"])


if __name__ == "__main__":
    unittest.main()
