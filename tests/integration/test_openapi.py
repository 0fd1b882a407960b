#!/usr/bin/env python3
"""api/openapi.yaml against live agents: the spec is the contract, this checks it.

Real `picket agent` processes on 127.23.0.x (Cluster(net=23)), webhook
receivers on 127.23.0.1. Every operation of the spec is called, with every
documented status that a loopback test can cause; every response is checked
against the spec: the status must be documented for that operation (or be a
common 404/405 of `x-picket-common-responses`), the Content-Type must be the
documented media type, the body must validate against its schema (JSON
Schema 2020-12; the schemas are strict: `additionalProperties: false`, so an
undocumented field fails), documented response headers must be present and
valid. The Server-Sent Events stream's frames are checked against
`x-picket-sse-data`, webhooks received by a real receiver against the spec's
`webhooks` (CloudEvent body, Standard Webhooks headers, signature).

Also: every route of api/router.cc must be a path of the spec and the other
way round; a list of plausible paths the spec does not have must answer 404;
every method a path does not document must answer 405 with an `Allow` header
naming exactly the documented ones; the operations listener (--ops-listen)
must serve exactly the paths whose `servers` name it. At the end, every
documented (path, method, status) must have been seen, except the few listed
in NOT_EXERCISED with the reason a loopback test cannot cause them.

Needs PyYAML and jsonschema (Debian: python3-yaml python3-jsonschema;
scripts/install-deps --test); exits 77 (skipped) without them.
"""

import http.client
import json
import os
import re
import resource
import signal
import socket
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import yaml
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: {e} (Debian: apt-get install python3-yaml python3-jsonschema)")
    sys.exit(77)

from picket_cluster import Cluster, wait_until  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
# PICKET_OPENAPI_SPEC: another copy of the spec (to see the test fail on a broken one).
SPEC_PATH = os.environ.get("PICKET_OPENAPI_SPEC", os.path.join(ROOT, "api", "openapi.yaml"))
ROUTER_SOURCES = [os.path.join(ROOT, "api", f) for f in ("router.cc", "subscription_routes.cc")]
NET = 23
RECEIVER_HOST = f"127.{NET}.0.1"
TOKEN = "openapi-conformance-token"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes
STATIC_SECRET = "whsec_" + "dGVzdC1zZWNyZXQtZm9yLXN0YXRpYy1ob29rcw=="  # 28 bytes
METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"]
BASE = "urn:picket:openapi"

# Documented statuses a loopback test cannot cause, and why. Anything else
# documented must be seen during the run.
NOT_EXERCISED = {
    **{(p, m, "403"): "needs the API on a non-loopback address without a token; this test binds loopback only"
       for p, m in [("/v1/self/tags", "put"), ("/v1/self/service", "put"), ("/v1/self/maintenance", "put"),
                    ("/v1/leave", "post"), ("/v1/subscriptions", "post"), ("/v1/subscriptions/{id}", "delete")]},
    **{(p, "get", "503"): "only before the agent publishes its first view (its first milliseconds)"
       for p in ["/v1/members", "/v1/members/{name}", "/v1/self", "/v1/self/tags", "/v1/self/checks",
                 "/v1/owners"]},
    ("/v1/self/service", "put", "503"): "only while the agent shuts down",
    ("/v1/self/maintenance", "put", "503"): "only while the agent shuts down",
}
MAX_WAITING = 1024  # api/http_server.h: max_waiting_clients

_NO_PROXY = None


def esc(segment):
    """A JSON-pointer segment."""
    return segment.replace("~", "~0").replace("/", "~1")


def norm_media(value):
    return ";".join(part.strip().lower() for part in (value or "").split(";"))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value (last one)
        self.body = body

    def json(self):
        return json.loads(self.body)


def call(host, port, method, path, body=None, headers=None, timeout=10.0):
    """One HTTP request on a fresh connection; never through a proxy."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


class Spec:
    """The OpenAPI document, its schemas as validators, and what was seen."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.format_checker = jsonschema.FormatChecker()
        try:  # jsonschema >= 4.18
            import referencing
            import referencing.jsonschema
            resource = referencing.Resource.from_contents(
                self.doc, default_specification=referencing.jsonschema.DRAFT202012)
            registry = referencing.Registry().with_resource(BASE, resource)
            self._kwargs = {"registry": registry}
        except ImportError:  # Debian 12's 4.10
            self._kwargs = {"resolver": jsonschema.RefResolver(BASE, self.doc)}
        self.seen = set()  # (path, method, status)
        self.seen_common = set()  # "404", "405"
        self.seen_webhooks = set()

    def validate(self, pointer, instance, what):
        """Validates `instance` against the schema at JSON pointer `pointer`."""
        schema = {"$ref": BASE + "#" + urllib.parse.quote(pointer, safe="/~")}
        validator = Draft202012Validator(schema, format_checker=self.format_checker, **self._kwargs)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            detail = "\n".join(f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                               for e in errors[:10])
            raise AssertionError(f"{what}: does not match {pointer}:\n{detail}\n"
                                 f"instance: {json.dumps(instance)[:1500]}")

    def deref(self, obj, pointer):
        """Follows a `$ref` of a response/parameter/header object: (object, its pointer)."""
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            assert ref.startswith("#/"), ref
            pointer = ref[1:]
            obj = self.doc
            for seg in pointer[1:].split("/"):
                obj = obj[seg.replace("~1", "/").replace("~0", "~")]
        return obj, pointer

    def operation(self, path, method):
        return self.doc["paths"].get(path, {}).get(method.lower())

    def methods(self, path):
        return [m.upper() for m in self.doc["paths"][path] if m.upper() in METHODS]

    def check(self, path, method, resp, what=None, oversized=False):
        """Checks one response against the spec; returns the parsed JSON body (or None).

        `oversized`: the request announced a body above the read limit, for
        which the common 413 is documented whatever the operation."""
        what = what or f"{method} {path} -> {resp.status}"
        status = str(resp.status)
        op = None if path is None else self.operation(path, method)
        if op is not None and status in op["responses"]:
            obj, pointer = self.deref(op["responses"][status],
                                      f"/paths/{esc(path)}/{method.lower()}/responses/{status}")
            self.seen.add((path, method.lower(), status))
        elif status in self.doc["x-picket-common-responses"] and (op is None if status != "413" else oversized):
            obj, pointer = self.deref(self.doc["x-picket-common-responses"][status],
                                      f"/x-picket-common-responses/{status}")
            self.seen_common.add(status)
        else:
            raise AssertionError(f"{what}: status {status} is not documented for this operation; "
                                 f"body {resp.body[:300]!r}")
        parsed = None
        content = obj.get("content")
        if not content:
            if resp.body:
                raise AssertionError(f"{what}: documented without a body, got {resp.body[:200]!r}")
        else:
            ctype = resp.headers.get("content-type")
            media = next((m for m in content if norm_media(m) == norm_media(ctype)), None)
            if media is None:
                raise AssertionError(f"{what}: Content-Type {ctype!r} is not one of {list(content)}")
            schema_ptr = f"{pointer}/content/{esc(media)}/schema"
            if norm_media(media).startswith("application/json"):
                try:
                    parsed = json.loads(resp.body)
                except ValueError:
                    raise AssertionError(f"{what}: body is not JSON: {resp.body[:200]!r}")
                self.validate(schema_ptr, parsed, what)
            else:
                self.validate(schema_ptr, resp.body.decode(), what)
        for name, header in (obj.get("headers") or {}).items():
            header, hptr = self.deref(header, f"{pointer}/headers/{esc(name)}")
            value = resp.headers.get(name.lower())
            if value is None:
                raise AssertionError(f"{what}: documented header {name} is missing")
            self.validate(f"{hptr}/schema", value, f"{what}: header {name}")
        return parsed

    def documented(self):
        """Every (path, method, status) of the spec's paths."""
        out = set()
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method.upper() in METHODS:
                    out.update((path, method, status) for status in op["responses"])
        return out

    def template_regex(self, path):
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")

    def match_path(self, concrete):
        """The spec path a concrete path (without query) belongs to, or None."""
        for path in self.doc["paths"]:
            if self.template_regex(path).match(concrete):
                return path
        return None


def router_routes():
    """The literal paths and path prefixes api/router.cc and friends compare with."""
    exact, prefixes = set(), set()
    for source in ROUTER_SOURCES:
        with open(source) as f:
            text = f.read()
        exact.update(re.findall(r'path == "([^"]+)"', text))
        prefixes.update(re.findall(r'starts_with\("([^"]+)"\)', text))
        prefixes.update(re.findall(r'constexpr std::string_view k\w*Prefix = "([^"]+)"', text))
    return exact, prefixes


def parse_sse(text):
    """Frames of an SSE stream: list of dicts of field -> value (comments dropped)."""
    frames = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if fields:
            frames.append(fields)
    return frames


class OpenApiConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        # 1,024 waiting clients (for the 503 of /v1/events): this process and
        # the agents (who inherit the limit) need that many descriptors.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 4 * MAX_WAITING
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
        cls.enough_fds = resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 2 * MAX_WAITING + 64
        cls.spec = Spec(SPEC_PATH)
        cls.tmp = tempfile.mkdtemp(prefix="picket-openapi-")
        token_file = os.path.join(cls.tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        cls.cluster = Cluster(net=NET)
        cls.receiver = Receiver(RECEIVER_HOST, 0, SECRET).start()
        # Static subscription of node-2: it answers 503 at first, so that the
        # queue of 2 overflows and a picket.resync follows when it recovers.
        cls.static_receiver = Receiver(RECEIVER_HOST, 0, STATIC_SECRET).start()
        cls.static_receiver.set_mode("error", status=503)
        # Refuses everything with a 404: the spec says such events are dropped, not retried.
        cls.refusing = Receiver(RECEIVER_HOST, 0, SECRET).start()
        cls.refusing.set_mode("error", status=404)
        c = cls.cluster
        try:
            cls.a = c.add(0, ["--api-token-file", token_file])
            cls.b = c.add(1, ["--ops-listen", f"127.{NET}.0.11:9748"] if cls.has_ops_flag() else [])
            cls.c = c.add(2, ["--webhook-url", cls.static_receiver.url, "--webhook-secret", STATIC_SECRET,
                              "--webhook-queue", "2"])
            # Never joins: its seed does not exist (readyz 503).
            cls.lonely = c.add(3, ["--join-retry-max", "1s"])
            cls.a.start()
            cls.b.start(join=[cls.a.gossip])
            cls.c.start(join=[cls.a.gossip])
            cls.lonely.start(join=[f"127.{NET}.0.99:9746"])
            names = {cls.a.name, cls.b.name, cls.c.name}

            def formed():
                for agent in (cls.a, cls.b, cls.c):
                    m = agent.members()
                    if m is None or {n for n, v in m.items() if v["state"] == "alive"} != names:
                        return False
                return True

            wait_until(formed, 15, what="3 agents alive everywhere")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.cluster.close()  # SIGKILL by PID, then wait
        finally:
            for receiver in (cls.receiver, cls.static_receiver, cls.refusing):
                receiver.stop()
        print(f"\nwhole run {time.monotonic() - cls.started:.1f} s", file=sys.stderr)

    @staticmethod
    def has_ops_flag():
        import subprocess
        from picket_cluster import PICKET
        out = subprocess.run([PICKET, "agent", "--help"], capture_output=True, text=True, timeout=10).stdout
        return "--ops-listen" in out

    # --- helpers -----------------------------------------------------------

    def req(self, agent, method, path, template, body=None, headers=None, expect=None, port=9747):
        resp = call(agent.host, port, method, path, body=body, headers=headers)
        if expect is not None:
            self.assertEqual(resp.status, expect, f"{method} {path}: {resp.body[:300]!r}")
        parsed = self.spec.check(template, method, resp)
        return resp, parsed

    def auth(self, token=TOKEN):
        return {"Authorization": f"Bearer {token}"}

    def error_code(self, parsed):
        return parsed["error"]["code"]

    # --- the routes --------------------------------------------------------

    def test_01_routes_of_router_and_spec_are_the_same(self):
        exact, prefixes = router_routes()
        self.assertTrue(exact, "no routes found in api/router.cc: has its shape changed?")
        for literal in sorted(exact):
            self.assertIsNotNone(self.spec.match_path(literal),
                                 f"api/router.cc serves {literal}, which the spec lacks")
        for prefix in sorted(prefixes):
            self.assertIsNotNone(self.spec.match_path(prefix + "x"),
                                 f"api/router.cc serves {prefix}..., which the spec lacks")
        for path in self.spec.doc["paths"]:
            rx = self.spec.template_regex(path)
            ok = path in exact or any(rx.match(p + "x") for p in prefixes)
            self.assertTrue(ok, f"the spec has {path}, which api/router.cc does not route")

    def test_02_unknown_routes_and_methods(self):
        candidates = ["/", "/v1", "/v1/", "/health", "/healthz/", "/ready", "/livez", "/status",
                      "/version", "/v1/version", "/v1/status", "/v1/health", "/v1/members/",
                      "/v1/members/a/b", "/v1/self/", "/v1/self/x", "/v1/self/tags/x", "/v1/tags",
                      "/v1/checks", "/v1/events/", "/v1/events/x", "/v1/events/stream/x",
                      "/v1/owners/x", "/v1/leave/x", "/v1/subscriptions/a/b", "/v1/subscriptions/",
                      "/v2/members", "/metrics/", "/debug/pprof", "/api", "/openapi.yaml",
                      "/v1/service", "/v1/maintenance"]
        for path in candidates:
            if self.spec.match_path(path) is not None:
                continue
            resp, parsed = self.req(self.a, "GET", path, None, expect=404)
            self.assertEqual(self.error_code(parsed), "not_found", path)
        # Every undocumented method of every path: 405, Allow = the documented ones.
        samples = {"/v1/members/{name}": "/v1/members/node-0", "/v1/subscriptions/{id}": "/v1/subscriptions/x"}
        for path in self.spec.doc["paths"]:
            concrete = samples.get(path, path)
            allowed = self.spec.methods(path)
            for method in METHODS:
                if method in allowed:
                    continue
                with self.subTest(path=path, method=method):
                    resp = call(self.a.host, 9747, method, concrete, headers=self.auth())
                    self.assertEqual(resp.status, 405, f"{method} {concrete}: {resp.body[:200]!r}")
                    if method != "HEAD":
                        self.spec.check(path, method, resp)
                    allow = [m.strip() for m in resp.headers.get("allow", "").split(",")]
                    self.assertEqual(sorted(allow), sorted(allowed), f"Allow of {method} {concrete}")

    # --- reads ---------------------------------------------------------------

    def test_03_probes_and_metrics(self):
        for agent in (self.a, self.b):
            self.req(agent, "GET", "/healthz", "/healthz", expect=200)
            self.req(agent, "GET", "/readyz", "/readyz", expect=200)
            resp, _ = self.req(agent, "GET", "/metrics", "/metrics", expect=200)
            self.assertIn("picket_members{state=\"alive\"} 3", resp.body.decode())
        _, parsed = self.req(self.lonely, "GET", "/readyz", "/readyz", expect=503)
        self.assertEqual(self.error_code(parsed), "not_ready")
        self.req(self.lonely, "GET", "/healthz", "/healthz", expect=200)

    def test_04_operations_listener(self):
        if not self.has_ops_flag():
            self.skipTest("this picket has no --ops-listen")
        ops_paths = [p for p, item in self.spec.doc["paths"].items()
                     if any(s.get("x-picket-listener") == "ops" for s in item.get("servers", []))]
        self.assertEqual(sorted(ops_paths), ["/healthz", "/metrics", "/readyz"])
        for path in ops_paths:
            self.req(self.b, "GET", path, path, expect=200, port=9748)
            resp = call(self.b.host, 9748, "POST", path)
            self.assertEqual(resp.status, 405)
            self.spec.check(path, "POST", resp)
            self.assertEqual(resp.headers.get("allow"), "GET")
        for path in self.spec.doc["paths"]:
            if path in ops_paths:
                continue
            concrete = path.replace("{name}", "node-0").replace("{id}", "x")
            # Not a route of this listener: the common 404.
            resp, parsed = self.req(self.b, "GET", concrete, None, expect=404, port=9748)
            self.assertEqual(self.error_code(parsed), "not_found")

    def test_05_members_self_owners(self):
        _, body = self.req(self.a, "GET", "/v1/members", "/v1/members", expect=200)
        self.assertEqual([m["name"] for m in body["members"]], ["node-0", "node-1", "node-2"])
        _, m = self.req(self.a, "GET", "/v1/members/node-1", "/v1/members/{name}", expect=200)
        self.assertEqual(m["name"], "node-1")
        _, err = self.req(self.a, "GET", "/v1/members/nobody%20here", "/v1/members/{name}", expect=404)
        self.assertEqual(self.error_code(err), "member_not_found")
        _, err = self.req(self.a, "GET", "/v1/members/%zz", "/v1/members/{name}", expect=400)
        self.assertEqual(self.error_code(err), "bad_request")
        _, s = self.req(self.a, "GET", "/v1/self", "/v1/self", expect=200)
        self.assertEqual((s["name"], s["members"], s["has_majority"]), ("node-0", 3, True))
        self.req(self.a, "GET", "/v1/self/tags", "/v1/self/tags", expect=200)
        self.req(self.a, "GET", "/v1/self/checks", "/v1/self/checks", expect=200)
        _, o = self.req(self.a, "GET", "/v1/owners?key=shard-7&n=2", "/v1/owners", expect=200)
        self.assertEqual(len(o["owners"]), 2)
        self.req(self.a, "GET", "/v1/owners?key=k&n=3&include_unhealthy=true", "/v1/owners", expect=200)
        for query in ["", "?key=", "?key=k&n=0", "?key=k&n=10001", "?key=k&n=x",
                      "?key=k&include_unhealthy=yes", "?key=%zz"]:
            _, err = self.req(self.a, "GET", "/v1/owners" + query, "/v1/owners", expect=400)
            self.assertEqual(self.error_code(err), "bad_request", query)

    def test_06_long_poll(self):
        _, body = self.req(self.a, "GET", "/v1/events?since=0&timeout=0", "/v1/events", expect=200)
        self.assertTrue(body["events"], "node-0 logged no event (node-1 and node-2 joined it)")
        last = body["last_seq"]
        _, body = self.req(self.a, "GET", f"/v1/events?since={last}&timeout=0.2&limit=1", "/v1/events",
                           expect=200)
        # A since beyond the newest seq: a picket.resync at once.
        _, body = self.req(self.a, "GET", "/v1/events?since=999999&timeout=5", "/v1/events", expect=200)
        self.assertEqual(body["events"][0]["type"], "picket.resync")
        for query in ["since=-1", "since=x", "timeout=301", "timeout=-1", "timeout=x", "limit=0",
                      "limit=10001", "limit=x", "since=%zz"]:
            _, err = self.req(self.a, "GET", "/v1/events?" + query, "/v1/events", expect=400)
            self.assertEqual(self.error_code(err), "bad_request", query)

    def test_06b_too_many_waiting_clients(self):
        if not self.enough_fds:
            self.skipTest("the descriptor limit is below 2,112: cannot hold 1,024 clients")
        _, body = self.req(self.a, "GET", "/v1/events?timeout=0", "/v1/events", expect=200)
        since = body["last_seq"]
        socks = []
        try:
            for _ in range(MAX_WAITING):
                sock = socket.create_connection((self.a.host, 9747), timeout=5)
                sock.sendall(f"GET /v1/events?since={since}&timeout=4 HTTP/1.1\r\n"
                             f"Host: {self.a.host}\r\n\r\n".encode())
                socks.append(sock)

            def waiting():
                text = call(self.a.host, 9747, "GET", "/metrics").body.decode()
                m = re.search(r"^picket_api_long_poll_waiters (\d+)", text, re.M)
                return m and int(m.group(1)) >= MAX_WAITING
            wait_until(waiting, 10, what=f"{MAX_WAITING} long polls waiting at node-0")
            _, err = self.req(self.a, "GET", f"/v1/events?since={since}&timeout=4", "/v1/events", expect=503)
            self.assertEqual(self.error_code(err), "unavailable")
            _, err = self.req(self.a, "GET", "/v1/events/stream", "/v1/events/stream", expect=503)
            self.assertEqual(self.error_code(err), "unavailable")
        finally:
            for sock in socks:
                sock.close()

        def drained():
            text = call(self.a.host, 9747, "GET", "/metrics").body.decode()
            return re.search(r"^picket_api_long_poll_waiters 0$", text, re.M)
        wait_until(drained, 10, what="the long polls at node-0 answered")

    def test_07_event_stream(self):
        # Errors first.
        _, err = self.req(self.a, "GET", "/v1/events/stream", "/v1/events/stream",
                          headers={"Last-Event-ID": "q"}, expect=400)
        self.assertEqual(self.error_code(err), "bad_request")
        _, err = self.req(self.a, "GET", "/v1/events/stream?since=x", "/v1/events/stream", expect=400)
        self.assertEqual(self.error_code(err), "bad_request")
        for headers, query in [({}, "?since=0"), ({"Last-Event-ID": "0"}, ""), ({}, "?since=999999")]:
            frames = self.read_stream(self.a, "/v1/events/stream" + query, headers)
            self.assertTrue(frames, "no event frame in 3 s")
            for f in frames:
                self.assertEqual(set(f), {"id", "event", "data"}, f)
                data = json.loads(f["data"])
                self.spec.validate("/paths/~1v1~1events~1stream/get/responses/200/content/"
                                   + esc("text/event-stream; charset=utf-8") + "/schema/x-picket-sse-data",
                                   data, "SSE data")
                self.assertEqual((int(f["id"]), f["event"]), (data["seq"], data["type"]))
            if query == "?since=999999":
                self.assertEqual(frames[0]["event"], "picket.resync")

    def read_stream(self, agent, path, headers, seconds=3.0):
        """Reads an SSE stream for up to `seconds` (until a first event frame), checking the head."""
        conn = http.client.HTTPConnection(agent.host, 9747, timeout=seconds)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            head = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, b"")
            self.assertEqual(resp.status, 200)
            # The body is endless: check status and headers with an empty body
            # against a copy of the response without content, then the media type.
            op = self.spec.operation("/v1/events/stream", "get")["responses"]["200"]
            media = next(iter(op["content"]))
            self.assertEqual(norm_media(head.headers.get("content-type")), norm_media(media))
            for name in op["headers"]:
                self.spec.validate(f"/paths/~1v1~1events~1stream/get/responses/200/headers/{name}/schema",
                                   head.headers.get(name.lower()), f"SSE header {name}")
            self.spec.seen.add(("/v1/events/stream", "get", "200"))
            text = ""
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    chunk = resp.read1(65536)
                except (socket.timeout, TimeoutError):
                    break
                if not chunk:
                    break
                text += chunk.decode()
                if "\ndata: " in text and text.endswith("\n\n"):
                    break
            self.assertTrue(text.startswith("retry: 2000\n: picket event stream\n\n"), text[:100])
            return parse_sse(text)[1:]  # the first "frame" is the retry field
        finally:
            conn.close()

    # --- mutations -----------------------------------------------------------

    def test_08_mutation_errors(self):
        big = "{" + " " * 70000 + "}"
        cases = [
            ("PUT", "/v1/self/tags", {"role": "x"}),
            ("PUT", "/v1/self/service", {"status": "passing"}),
            ("PUT", "/v1/self/maintenance", {"enabled": False}),
            ("POST", "/v1/leave", None),
            ("POST", "/v1/subscriptions", {"url": self.receiver.url}),
            ("DELETE", "/v1/subscriptions/{id}", None),
        ]
        for method, template, body in cases:
            path = template.replace("{id}", "nope")
            with self.subTest(op=f"{method} {template}"):
                for hdrs, why in [({}, "no token"), (self.auth("wrong"), "wrong token"),
                                  ({"Authorization": "Basic " + TOKEN}, "other scheme")]:
                    resp, err = self.req(self.a, method, path, template, body=body, headers=hdrs, expect=401)
                    self.assertEqual(self.error_code(err), "unauthorized", why)
                resp, err = self.req(self.a, method, path, template, body=big,
                                     headers={**self.auth(), "Content-Type": "application/json"}, expect=413)
                self.assertEqual(self.error_code(err), "payload_too_large")
                resp, err = self.req(self.a, method, path, template, body="role=x",
                                     headers={**self.auth(), "Content-Type": "text/plain"}, expect=415)
                self.assertEqual(self.error_code(err), "unsupported_media_type")
                if body is None:
                    continue
                resp, err = self.req(self.a, method, path, template, body="{not json",
                                     headers={**self.auth(), "Content-Type": "application/json"}, expect=400)
                self.assertEqual(self.error_code(err), "invalid_json")
                resp, err = self.req(self.a, method, path, template, body=[1, 2], headers=self.auth(), expect=400)
                self.assertEqual(self.error_code(err), "invalid_field")
        bad_fields = [
            ("/v1/self/tags", "PUT", {"role": 1}), ("/v1/self/tags", "PUT", {"": "x"}),
            ("/v1/self/service", "PUT", {}), ("/v1/self/service", "PUT", {"status": "maintenance"}),
            ("/v1/self/service", "PUT", {"status": "passing", "output": 5}),
            ("/v1/self/service", "PUT", {"status": "passing", "output": "x" * 4097}),
            ("/v1/self/maintenance", "PUT", {"enabled": "yes"}),
            ("/v1/self/maintenance", "PUT", {"enabled": True, "reason": 1}),
            ("/v1/subscriptions", "POST", {}), ("/v1/subscriptions", "POST", {"url": "ftp://x"}),
            ("/v1/subscriptions", "POST", {"url": "http://127.0.0.1/", "events": ["member.nope"]}),
            ("/v1/subscriptions", "POST", {"url": "http://127.0.0.1/", "secret": "whsec_c2hvcnQ="}),
            ("/v1/subscriptions", "POST", {"url": "http://127.0.0.1/", "description": "d" * 1025}),
            ("/v1/subscriptions", "POST", {"url": "http://127.0.0.1/", "colour": "red"}),
        ]
        for path, method, body in bad_fields:
            _, err = self.req(self.a, method, path, path, body=body, headers=self.auth(), expect=400)
            self.assertEqual(self.error_code(err), "invalid_field", f"{method} {path} {body}"[:120])
        # Tags the agent refuses: larger than a packet allows.
        _, err = self.req(self.a, "PUT", "/v1/self/tags", "/v1/self/tags",
                          body={f"k{i}": "v" * 200 for i in range(40)}, headers=self.auth(), expect=400)
        self.assertEqual(self.error_code(err), "invalid_tags")
        # Malformed percent-escape in a subscription id.
        for method, hdrs in [("GET", {}), ("DELETE", self.auth())]:
            _, err = self.req(self.a, method, "/v1/subscriptions/%zz", "/v1/subscriptions/{id}",
                              headers=hdrs, expect=400)
            self.assertEqual(self.error_code(err), "bad_request")
        _, err = self.req(self.a, "GET", "/v1/subscriptions/nope", "/v1/subscriptions/{id}", expect=404)
        self.assertEqual(self.error_code(err), "subscription_not_found")

    def test_08b_body_above_the_read_limit(self):
        # A Content-Length above 1 MiB: the common 413 whatever the route and
        # method, the body never read, the connection closed.
        cases = [("PUT", "/v1/self/tags", self.auth()), ("POST", "/v1/subscriptions", {}),
                 ("GET", "/v1/members", {}), ("DELETE", "/healthz", {}), ("POST", "/nope", {})]
        for method, path, hdrs in cases:
            with self.subTest(op=f"{method} {path}"):
                sock = socket.create_connection((self.a.host, 9747), timeout=5)
                try:
                    head = f"{method} {path} HTTP/1.1\r\nHost: {self.a.host}\r\n"
                    head += "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                    head += "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
                    sock.sendall(head.encode())  # and no body at all
                    raw = http.client.HTTPResponse(sock)
                    raw.begin()
                    resp = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
                    self.assertEqual(sock.recv(1), b"", "the connection was not closed")
                finally:
                    sock.close()
                self.assertEqual(resp.status, 413, resp.body[:200])
                template = self.spec.match_path(path)
                err = self.spec.check(template, method, resp, oversized=True)
                self.assertEqual(self.error_code(err), "payload_too_large")

    def test_09_mutations_events_and_webhooks(self):
        # A subscription at node-0 (token), every event type.
        resp, sub = self.req(self.a, "POST", "/v1/subscriptions", "/v1/subscriptions",
                             body={"url": self.receiver.url, "events": None, "secret": SECRET,
                                   "description": "openapi conformance"}, headers=self.auth(), expect=201)
        self.assertEqual(resp.headers["location"], "/v1/subscriptions/" + sub["id"])
        self.assertEqual(sub["secret"], SECRET)
        _, listed = self.req(self.a, "GET", "/v1/subscriptions", "/v1/subscriptions", expect=200)
        self.assertEqual([s["id"] for s in listed["subscriptions"]], [sub["id"]])
        self.req(self.a, "GET", "/v1/subscriptions/" + sub["id"], "/v1/subscriptions/{id}", expect=200)
        _, static = self.req(self.c, "GET", "/v1/subscriptions", "/v1/subscriptions", expect=200)
        self.assertEqual([(s["id"], s["static"]) for s in static["subscriptions"]], [("static-1", True)])
        self.req(self.c, "GET", "/v1/subscriptions/static-1", "/v1/subscriptions/{id}", expect=200)
        _, refused = self.req(self.a, "POST", "/v1/subscriptions", "/v1/subscriptions",
                              body={"url": self.refusing.url, "secret": SECRET}, headers=self.auth(), expect=201)
        # A third subscription, for a 204.
        _, other = self.req(self.a, "POST", "/v1/subscriptions", "/v1/subscriptions",
                            body={"url": self.receiver.url, "events": ["member.left"]},
                            headers=self.auth(), expect=201)
        self.req(self.a, "DELETE", "/v1/subscriptions/" + other["id"], "/v1/subscriptions/{id}",
                 headers=self.auth(), expect=204)
        _, err = self.req(self.a, "DELETE", "/v1/subscriptions/" + other["id"], "/v1/subscriptions/{id}",
                          headers=self.auth(), expect=404)
        self.assertEqual(self.error_code(err), "subscription_not_found")

        # Mutations with the token (node-0) and without one configured (node-1).
        self.req(self.a, "PUT", "/v1/self/tags", "/v1/self/tags", body={"role": "primary"},
                 headers=self.auth(), expect=202)
        self.req(self.b, "PUT", "/v1/self/tags", "/v1/self/tags", body={"zone": "b"}, expect=202)
        self.req(self.b, "PUT", "/v1/self/service", "/v1/self/service",
                 body={"status": "passing", "output": "fine", "ignored": 1}, expect=200)
        self.req(self.a, "PUT", "/v1/self/service", "/v1/self/service",
                 body={"status": "warning"}, headers=self.auth(), expect=200)
        self.req(self.b, "PUT", "/v1/self/maintenance", "/v1/self/maintenance",
                 body={"enabled": True, "reason": "upgrade"}, expect=200)
        self.req(self.a, "PUT", "/v1/self/maintenance", "/v1/self/maintenance",
                 body={"enabled": False, "reason": None}, headers=self.auth(), expect=200)

        def received_types():
            return {r.event.get("type") for r in self.receiver.accepted()}

        wait_until(lambda: {"member.updated", "service.maintenance", "service.warning"} <= received_types(),
                   10, what="member.updated, service.warning and service.maintenance webhooks")
        # As documented: owners skip a member in maintenance unless include_unhealthy=true.
        wait_until(lambda: (self.a.members() or {}).get("node-1", {}).get("service")
                   and self.a.members()["node-1"]["service"]["status"] == "maintenance", 10,
                   what="node-1 in maintenance at node-0")
        _, o = self.req(self.a, "GET", "/v1/owners?key=k&n=3", "/v1/owners", expect=200)
        self.assertNotIn("node-1", [m["name"] for m in o["owners"]])
        _, o = self.req(self.a, "GET", "/v1/owners?key=k&n=3&include_unhealthy=true", "/v1/owners", expect=200)
        self.assertIn("node-1", [m["name"] for m in o["owners"]])
        # The checks now include the push check.
        _, checks = self.req(self.b, "GET", "/v1/self/checks", "/v1/self/checks", expect=200)
        self.assertTrue(checks["maintenance"])
        self.assertEqual([c["name"] for c in checks["checks"]], ["push"])

        # node-2's receiver recovers: its overflowed queue sends a picket.resync.
        self.static_receiver.set_mode("ok")
        wait_until(lambda: any(r.event.get("type") == "picket.resync" for r in self.static_receiver.accepted()),
                   15, what="picket.resync at node-2's static receiver")

        # SIGKILL node-1 and node-2: member.suspect/failed and cluster.quorum_lost at node-0.
        self.b.kill()
        self.c.kill()
        wait_until(lambda: {"member.failed", "cluster.quorum_lost"} <= received_types(), 15,
                   what="member.failed and cluster.quorum_lost webhooks from node-0")

        received = self.receiver.received() + self.static_receiver.received() + self.refusing.received()
        for r in received:
            self.check_webhook(r)
        print(f"\n{len(received)} webhooks checked: "
              f"{sorted({r.event.get('type') for r in received})}", file=sys.stderr)
        self.assertEqual(self.spec.seen_webhooks, set(self.spec.doc["webhooks"]),
                         "not every webhook of the spec was received")
        _, sub_now = self.req(self.a, "GET", "/v1/subscriptions/" + sub["id"], "/v1/subscriptions/{id}",
                              expect=200)
        self.assertGreater(sub_now["delivery"]["delivered"], 0)
        # The webhook responses as documented: a 404 drops the event (never
        # retried), a 503 is retried with the same webhook-id.
        _, refused_now = self.req(self.a, "GET", "/v1/subscriptions/" + refused["id"], "/v1/subscriptions/{id}",
                                  expect=200)
        ids = [r.id for r in self.refusing.received()]
        self.assertTrue(ids, "the refusing receiver got nothing")
        self.assertEqual(len(ids), len(set(ids)), "an event refused with 404 was retried")
        self.assertEqual(refused_now["delivery"]["delivered"], 0)
        self.assertGreater(refused_now["delivery"]["dropped"], 0)
        self.assertTrue(refused_now["delivery"]["last_error"].startswith("HTTP 404"))
        retried = [r.id for r in self.static_receiver.received() if r.status == 503]
        self.assertLess(len(set(retried)), len(retried), "no event answered 503 was sent again")
        self.req(self.a, "DELETE", "/v1/subscriptions/" + sub["id"], "/v1/subscriptions/{id}",
                 headers=self.auth(), expect=204)

    def check_webhook(self, r):
        self.assertIsNone(r.error, f"webhook refused by the receiver: {r.error}")
        event = r.event
        kinds = {"member": "memberEvent", "service": "serviceEvent", "cluster": "quorumEvent",
                 "picket": "resync"}
        name = kinds[event["type"].split(".")[0]]
        op = self.spec.doc["webhooks"][name]["post"]
        media = next(iter(op["requestBody"]["content"]))
        self.assertEqual(norm_media(r.headers.get("content-type")), norm_media(media))
        self.spec.validate(f"/webhooks/{name}/post/requestBody/content/{esc(media)}/schema", event,
                           f"webhook {event['type']}")
        for i, param in enumerate(op["parameters"]):
            param, ptr = self.spec.deref(param, f"/webhooks/{name}/post/parameters/{i}")
            self.assertEqual(param["in"], "header")
            value = r.headers.get(param["name"].lower())
            if param.get("required"):
                self.assertIsNotNone(value, f"webhook header {param['name']} missing")
            if value is not None:
                self.spec.validate(f"{ptr}/schema", value, f"webhook header {param['name']}")
        self.assertEqual(r.headers["webhook-id"], event["id"])
        self.assertEqual(event["data"]["type"], event["type"])
        if event["type"] != "picket.resync":
            self.assertEqual(event["time"], event["data"]["time"])
            self.assertTrue(event["id"].endswith("-%d" % event["data"]["seq"]), event["id"])
        if event["data"]["member"] is not None:
            self.assertEqual(event.get("subject"), event["data"]["member"]["name"])
        self.spec.seen_webhooks.add(name)

    def test_10_leave(self):
        # The agent that never joined leaves (202) and exits.
        self.req(self.lonely, "POST", "/v1/leave", "/v1/leave", expect=202)
        self.lonely.wait_exit(timeout=15)

    def test_99_every_documented_status_was_seen(self):
        not_exercised = dict(NOT_EXERCISED)
        if not self.enough_fds:
            for path in ("/v1/events", "/v1/events/stream"):
                not_exercised[(path, "get", "503")] = "the descriptor limit is too low for 1,024 clients"
        missing = sorted(k for k in self.spec.documented() - self.spec.seen if k not in not_exercised)
        self.assertEqual(missing, [], "documented but never seen (add a case, or to NOT_EXERCISED with the reason)")
        stale = sorted(k for k in NOT_EXERCISED if k not in self.spec.documented())
        self.assertEqual(stale, [], "NOT_EXERCISED lists statuses the spec no longer documents")
        self.assertEqual(self.spec.seen_common, set(self.spec.doc["x-picket-common-responses"]))


if __name__ == "__main__":
    unittest.main()
