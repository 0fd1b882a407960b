"""Service health with real agents and real applications (tests/integration/service_app.py).

One cluster for the whole file, on 127.16.0.x (Cluster(net=16)); each agent
has its own application on its own address (port 8080, TCP 8081), and each
test works on its own member, so the 60 s no-flapping window of node-7 runs
while the other tests kill, stop and restart the other applications:

  node-1  no checks ("service": null); webhook to a real receiver on
          127.16.0.1 and a command hook for service.* events; its event log is
          followed over SSE (/v1/events/stream), the others' by long polls
  node-2  --check-http            SIGKILL of the app, restart
  node-3  PICKET_CHECK_HTTP (env) SIGSTOP / SIGCONT of the app
  node-4  --check-tcp + --check-http  the crash fast path
  node-5  --check-ttl 2s          PUT /v1/self/service
  node-6  --check-http            maintenance on/off, owners
  node-7  --check-http, app with --fail-rate 0.1   no service.critical in 60 s
  node-8  --check-exec 'exit "$(cat FILE)"'       exit 1 warning, 2 critical, 0 passing

Every process (agents and apps) is killed by PID at the end, also on failure.
Bounds are generous for a loaded 2-core machine; the real latency figures
belong to tests/bench/service_bench.py.
"""

import datetime
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

from picket_cluster import PICKET, Cluster, http_json, states, wait_until
from service_app_process import AppProcess
from webhook_receiver import Receiver

NET = 16
HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
APP_PORT = 8080
APP_TCP_PORT = 8081
FORM_TIMEOUT = 40
SPREAD_TIMEOUT = 15     # a service change to reach every agent (gossip)
FLAP_WINDOW = 60.0
TTL = 2.0
ALL = 8  # members in the cluster: owners(..., n=ALL) lists every eligible one
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
SERVICE_STATUSES = {"passing", "warning", "critical", "maintenance"}


def parse_time(text):
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.timestamp()


class App(AppProcess):
    """One service_app.py process of a node, restartable on the same address."""

    def __init__(self, workdir, name, host, tcp=False, fail_rate=0.0, seed=None):
        super().__init__(host, APP_PORT, os.path.join(workdir, f"{name}-app.out"),
                         tcp_port=APP_TCP_PORT if tcp else None, fail_rate=fail_rate, seed=seed)

    def start(self, timeout=15):
        return super().start(wait=True, timeout=timeout)

    def stats(self):
        status, body = http_json(f"http://{self.host}:{self.port}/stats")
        return body


class Events:
    """Follows one agent's event log in a thread: the SSE stream
    (/v1/events/stream?since=0) or long polls of /v1/events?since=N."""

    def __init__(self, agent, sse=False):
        self.agent = agent
        self.sse = sse
        self.lock = threading.Lock()
        self.events = []  # every event, in seq order
        self.seqs = set()
        self.errors = 0
        self.mismatches = []  # SSE `event:` lines that disagree with the data's type
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped = True

    def _add(self, e):
        with self.lock:
            if e["seq"] not in self.seqs:
                self.seqs.add(e["seq"])
                self.events.append(e)

    def last_seq(self):
        with self.lock:
            return max(self.seqs) if self.seqs else 0

    def _run(self):
        while not self.stopped:
            try:
                if self.sse:
                    self._follow_stream()
                else:
                    status, body = http_json(
                        f"{self.agent.api}/v1/events?since={self.last_seq()}&timeout=1&limit=10000",
                        timeout=5)
                    if status == 200:
                        for e in body["events"]:
                            self._add(e)
                    else:
                        self.errors += 1
                        time.sleep(0.2)
            except (OSError, ValueError, http.client.HTTPException):
                self.errors += 1
                time.sleep(0.2)

    def _follow_stream(self):
        conn = http.client.HTTPConnection(self.agent.host, 9747, timeout=30)
        try:
            conn.request("GET", f"/v1/events/stream?since={self.last_seq()}",
                         headers={"Accept": "text/event-stream"})
            resp = conn.getresponse()
            if resp.status != 200:
                self.errors += 1
                time.sleep(0.2)
                return
            kind, data = None, []
            while not self.stopped:
                line = resp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if data:
                        e = json.loads("\n".join(data))
                        if kind is not None and kind != e["type"]:
                            self.mismatches.append((kind, e["type"], e["seq"]))
                        self._add(e)
                    kind, data = None, []
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
        finally:
            conn.close()

    def find(self, etype, member, after=0.0):
        """The first event of `etype` about `member` with time >= after (unix s), or None."""
        with self.lock:
            evs = list(self.events)
        for e in evs:
            if e["type"] == etype and (e.get("member") or {}).get("name") == member and \
                    parse_time(e["time"]) >= after - 0.002:
                return e
        return None

    def all(self, etype=None, member=None):
        with self.lock:
            evs = list(self.events)
        return [e for e in evs if (etype is None or e["type"] == etype)
                and (member is None or (e.get("member") or {}).get("name") == member)]


def owners(agent, n, unhealthy=False):
    q = f"/v1/owners?key=shard-1&n={n}" + ("&include_unhealthy=true" if unhealthy else "")
    status, body = http_json(agent.api + q)
    assert status == 200, (status, body)
    return [m["name"] for m in body["owners"]]


def member(agent, name):
    status, body = http_json(f"{agent.api}/v1/members/{name}")
    return body if status == 200 else None


def service_of(agent, name):
    m = member(agent, name)
    return None if m is None else m.get("service")


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def picket_cli(*args, timeout=10):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICKET_")}
    try:
        p = subprocess.run([PICKET, *args], capture_output=True, text=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired as e:  # killed by run(): it did not exit by itself
        return None, str(e.stdout or ""), f"still running after {timeout}s"
    return p.returncode, p.stdout, p.stderr


class ServiceHealth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.apps = {}
        cls.watchers = []
        cls.receiver = None
        cls.cluster = Cluster(net=NET)
        cls.addClassCleanup(cls._cleanup)
        c = cls.cluster
        cls.receiver = Receiver(f"127.{NET}.0.1", 0, SECRET).start()
        cls.hook_file = os.path.join(c.dir, "hooks.txt")
        cls.exec_file = os.path.join(c.dir, "exec_status")
        with open(cls.exec_file, "w") as f:
            f.write("0\n")
        host = lambda i: f"127.{NET}.0.{10 + i}"  # as Cluster.add numbers them
        apps = {
            "node-2": App(c.dir, "node-2", host(2)),
            "node-3": App(c.dir, "node-3", host(3)),
            "node-4": App(c.dir, "node-4", host(4), tcp=True),
            "node-6": App(c.dir, "node-6", host(6)),
            "node-7": App(c.dir, "node-7", host(7), fail_rate=0.1, seed=1607),
        }
        cls.apps = apps
        for app in apps.values():
            app.start()
        hook = (f'service.passing,service.warning,service.critical,service.maintenance='
                f'echo "$PICKET_EVENT $PICKET_MEMBER" >> {cls.hook_file}')
        http = lambda name: ["--check-http", apps[name].health_url]
        cls.agents = {
            "node-1": c.add(1, ["--webhook-url", cls.receiver.url, "--webhook-secret", SECRET,
                                "--hook", hook, "--hook-timeout", "5s"]),
            "node-2": c.add(2, http("node-2")),
            "node-3": c.add(3, [], env={"PICKET_CHECK_HTTP": apps["node-3"].health_url}),
            "node-4": c.add(4, ["--check-tcp", f"{host(4)}:{APP_TCP_PORT}"] + http("node-4")),
            "node-5": c.add(5, ["--check-ttl", f"{int(TTL)}s"]),
            "node-6": c.add(6, http("node-6")),
            "node-7": c.add(7, http("node-7")),
            "node-8": c.add(8, ["--check-exec", f'exit "$(cat {cls.exec_file})"']),
        }
        seed = cls.agents["node-1"]
        seed.start()
        for a in list(cls.agents.values())[1:]:
            a.start(join=[seed.gossip])
        names = set(cls.agents)
        try:
            for a in cls.agents.values():
                wait_until(lambda a=a: states(a) == {n: "alive" for n in names}, FORM_TIMEOUT,
                           what=f"{a.name} to see all {ALL} alive")
            cls.watchers = {name: Events(a, sse=(name == "node-1"))
                            for name, a in cls.agents.items()}
            checked = ["node-2", "node-3", "node-4", "node-6", "node-7", "node-8"]
            wait_until(lambda: all((service_of(a, n) or {}).get("status") == "passing"
                                   for a in cls.agents.values() for n in checked),
                       SPREAD_TIMEOUT, what="every checked service passing at every agent")
        except AssertionError:
            print(c.dump_logs(), file=sys.stderr)
            raise
        cls.flap_start = time.time()

    @classmethod
    def _cleanup(cls):
        try:
            for w in (cls.watchers.values() if isinstance(cls.watchers, dict) else cls.watchers):
                w.stop()
            cls.cluster.close()
        finally:
            for app in cls.apps.values():
                try:
                    app.kill()
                except (OSError, subprocess.TimeoutExpired):
                    pass
            if cls.receiver is not None:
                cls.receiver.stop()

    def setUp(self):
        self.c = self.cluster
        self.a = self.agents
        self.w = self.watchers

    def run_checked(self, body):
        try:
            body()
        except AssertionError:
            print(self.c.dump_logs(tail=40), file=sys.stderr)
            raise

    def wait_event_everywhere(self, etype, name, after, timeout=SPREAD_TIMEOUT):
        """Waits until every agent logged `etype` for `name` at or after `after`;
        returns {agent: event time - after}."""
        deadline = time.monotonic() + timeout
        while True:
            found = {n: w.find(etype, name, after) for n, w in self.w.items()}
            if all(found.values()):
                return {n: parse_time(e["time"]) - after for n, e in found.items()}
            if time.monotonic() > deadline:
                missing = sorted(n for n, e in found.items() if e is None)
                seen = {n: [(e["type"], e["time"]) for e in w.all(member=name)][-4:]
                        for n, w in self.w.items() if n in missing}
                self.fail(f"{etype} for {name} (after {after:.3f}) missing at {missing} after "
                          f"{timeout} s; their last events about {name}: {seen}")
            time.sleep(0.05)

    def assert_service_everywhere(self, name, status):
        for a in self.a.values():
            s = service_of(a, name)
            self.assertIsNotNone(s, f"{a.name}: {name} has no service")
            self.assertEqual(s["status"], status, f"{a.name} sees {name}: {s}")
            self.assertIsInstance(s["output"], str)
            self.assertRegex(s["since"], RFC3339)

    def assert_alive_everywhere(self, name):
        for a in self.a.values():
            self.assertEqual((states(a) or {}).get(name), "alive", f"{a.name} about {name}")

    # ------------------------------------------------------------------ tests
    def test_a_sigkill_app_critical_everywhere_then_passing(self):
        def body():
            name, app = "node-2", self.apps["node-2"]
            t_kill = time.time()
            app.signal(signal.SIGKILL)
            app.proc.wait(timeout=5)
            try:
                self.sigkill_critical(name, app, t_kill)
            finally:
                t_start = time.time()
                app.start()
            took = self.wait_event_everywhere("service.passing", name, t_start)
            print(f"  restart app -> service.passing at every agent: "
                  f"max {max(took.values()):.2f} s", file=sys.stderr)
            self.assert_service_everywhere(name, "passing")
            self.assertIsNotNone(self.receiver.wait_for(
                lambda rs: any(r.event.get("type") == "service.passing" and
                               r.event["data"]["member"]["name"] == name and r.arrival > t_start
                               for r in rs), 10), "no service.passing webhook")
            with self.subTest("owners after the restart"):
                for a in self.a.values():
                    self.assertIn(name, owners(a, ALL), a.name)
        self.run_checked(body)

    def sigkill_critical(self, name, app, t_kill):
        took = self.wait_event_everywhere("service.critical", name, t_kill)
        print(f"\n  SIGKILL app -> service.critical at every agent: "
              f"max {max(took.values()):.2f} s", file=sys.stderr)
        e = self.w["node-3"].find("service.critical", name, t_kill)
        self.assertEqual(e["member"]["service"]["status"], "critical")
        self.assertEqual(e["member"]["state"], "alive")  # the agent is fine
        self.assert_service_everywhere(name, "critical")
        self.assert_alive_everywhere(name)
        # The SSE stream (node-1) carried it too: node-1's watcher reads the stream.
        self.assertIsNotNone(self.w["node-1"].find("service.critical", name, t_kill))
        with self.subTest("GET /v1/self/checks"):
            status, checks = http_json(self.a[name].api + "/v1/self/checks")
            self.assertEqual(status, 200, checks)
            self.assertEqual(checks["service"]["status"], "critical")
            self.assertFalse(checks["maintenance"])
            self.assertEqual(len(checks["checks"]), 1, checks)
            chk = checks["checks"][0]
            self.assertEqual(chk["kind"], "http")
            self.assertEqual(chk["target"], app.health_url)
            self.assertEqual(chk["status"], "critical")
            self.assertIsInstance(chk["name"], str)
            self.assertIsInstance(chk["output"], str)
            self.assertIsInstance(chk["duration_ms"], (int, float))
        with self.subTest("owners leave a critical member out"):
            for a in self.a.values():
                self.assertNotIn(name, owners(a, ALL), a.name)
                self.assertIn(name, owners(a, ALL, unhealthy=True), a.name)
        with self.subTest("webhook"):
            # A signed CloudEvent of type service.critical about the member.
            def critical_webhook(received):
                for r in received:
                    if r.event.get("type") == "service.critical" and \
                            r.event.get("data", {}).get("member", {}).get("name") == name:
                        return r
                return None
            got = self.receiver.wait_for(critical_webhook, 10)
            self.assertIsNotNone(got, f"no service.critical webhook for {name}: "
                                 f"{[r.event.get('type') for r in self.receiver.received()]}")
            self.assertIsNone(got.error)
            self.assertEqual(got.headers["content-type"], "application/cloudevents+json")
            self.assertEqual(got.event["subject"], name)
            self.assertEqual(got.event["source"], "picket://node-1")
            self.assertEqual(got.event["data"]["type"], "service.critical")
            self.assertEqual(got.event["data"]["member"]["service"]["status"], "critical")
            self.assertGreater(got.arrival, t_kill)
        with self.subTest("command hook"):
            # Ran with PICKET_EVENT / PICKET_MEMBER.
            wait_until(lambda: f"service.critical {name}" in read_text(self.hook_file), 10,
                       what=f"the hook line 'service.critical {name}'")

    def test_b_sigstop_app_critical_within_5s_then_passing(self):
        def body():
            name, app = "node-3", self.apps["node-3"]
            # Configured through PICKET_CHECK_HTTP.
            status, checks = http_json(self.a[name].api + "/v1/self/checks")
            self.assertEqual(status, 200)
            self.assertEqual([(c["kind"], c["target"]) for c in checks["checks"]],
                             [("http", app.health_url)])
            t_stop = time.time()
            app.signal(signal.SIGSTOP)
            try:
                took = self.wait_event_everywhere("service.critical", name, t_stop, timeout=20)
                print(f"\n  SIGSTOP app -> service.critical at every agent: "
                      f"own {took[name]:.2f} s, max {max(took.values()):.2f} s", file=sys.stderr)
                self.assertLess(max(took.values()), 5.0, took)
                self.assert_alive_everywhere(name)
            finally:
                t_cont = time.time()
                app.signal(signal.SIGCONT)
            took = self.wait_event_everywhere("service.passing", name, t_cont)
            print(f"  SIGCONT -> service.passing at every agent: max {max(took.values()):.2f} s",
                  file=sys.stderr)
            self.assert_service_everywhere(name, "passing")
        self.run_checked(body)

    def test_c_tcp_fast_path_under_1_5s(self):
        def body():
            name, app = "node-4", self.apps["node-4"]
            status, checks = http_json(self.a[name].api + "/v1/self/checks")
            self.assertEqual(status, 200)
            self.assertEqual(sorted(c["kind"] for c in checks["checks"]), ["http", "tcp"])
            t_kill = time.time()
            app.signal(signal.SIGKILL)
            app.proc.wait(timeout=5)
            try:
                took = self.wait_event_everywhere("service.critical", name, t_kill)
                print(f"\n  SIGKILL app (--check-tcp) -> service.critical: own {took[name]:.3f} s, "
                      f"every agent {max(took.values()):.3f} s", file=sys.stderr)
                status, checks = http_json(self.a[name].api + "/v1/self/checks")
                tcp = [x for x in checks["checks"] if x["kind"] == "tcp"]
                print(f"  the tcp check says: {tcp[0]['status']}, {tcp[0]['output']!r}",
                      file=sys.stderr)
                self.assertLess(max(took.values()), 1.5, took)
                self.assert_service_everywhere(name, "critical")
            finally:
                t_start = time.time()
                app.start()
            self.wait_event_everywhere("service.passing", name, t_start)
            self.assert_service_everywhere(name, "passing")
        self.run_checked(body)

    def test_d_ttl_push(self):
        def body():
            name, agent = "node-5", self.a["node-5"]
            url = agent.api + "/v1/self/service"

            def put(status, output="from the test"):
                return http_json(url, "PUT", {"status": status, "output": output})

            # Bad bodies: 400 with a JSON error.
            for bad in ({"status": "bogus"}, {"output": "no status"}, {"status": 3}):
                code, answer = http_json(url, "PUT", bad)
                self.assertEqual(code, 400, (bad, answer))
                self.assertIn("error", answer or {}, (bad, answer))
                self.assertIsInstance(answer["error"].get("code"), str)
            code, answer = http_json(url, "PUT", "not an object")
            self.assertEqual(code, 400, answer)

            # Push the current status every 0.5 s, as a TTL client does, until
            # every agent sees it: a status pushed once expires after the TTL, and
            # an agent that had not heard it by then would only see "critical".
            t_push = time.time()
            pushing = threading.Event()
            pushing.set()
            pushed = {"status": "passing", "output": "all good"}
            last_put = [0.0]
            refused = []

            def pusher():
                while pushing.is_set():
                    code, answer = put(pushed["status"], pushed["output"])
                    last_put[0] = time.time()
                    if code != 200:
                        refused.append((code, answer))
                    time.sleep(0.5)
            t = threading.Thread(target=pusher, daemon=True)
            t.start()
            try:
                self.wait_event_everywhere("service.passing", name, t_push)
                self.assert_service_everywhere(name, "passing")
                for a in self.a.values():
                    self.assertIn("all good", service_of(a, name)["output"], a.name)
                status, checks = http_json(agent.api + "/v1/self/checks")
                self.assertEqual([c["kind"] for c in checks["checks"]], ["ttl"])
                self.assertEqual(checks["service"]["status"], "passing")
                # Warning pushes go through too.
                t_warn = time.time()
                pushed.update(status="warning", output="disk 91%")
                self.wait_event_everywhere("service.warning", name, t_warn)
                self.assertIn("disk 91%", service_of(agent, name)["output"])
                t_back = time.time()
                pushed.update(status="passing", output="all good")
                self.wait_event_everywhere("service.passing", name, t_back)
            finally:
                pushing.clear()
                t.join(timeout=5)
            self.assertEqual(refused, [])
            # Silence: critical after the TTL, not before.
            silent_from = last_put[0]
            took = self.wait_event_everywhere("service.critical", name, silent_from,
                                              timeout=TTL + SPREAD_TIMEOUT)
            print(f"\n  TTL {TTL:.0f}s, silence -> critical: own agent {took[name]:.2f} s, "
                  f"every agent {max(took.values()):.2f} s", file=sys.stderr)
            self.assertGreaterEqual(took[name], TTL - 0.3, took)
            self.assertLess(took[name], TTL + 3.0, took)
            self.assert_service_everywhere(name, "critical")
            self.assert_alive_everywhere(name)
        self.run_checked(body)

    def test_e_maintenance_and_owners(self):
        def body():
            name, agent = "node-6", self.a["node-6"]
            url = agent.api + "/v1/self/maintenance"
            for a in self.a.values():
                self.assertIn(name, owners(a, ALL), a.name)
            t_on = time.time()
            code, answer = http_json(url, "PUT", {"enabled": True, "reason": "deploy 42"})
            self.assertEqual(code, 200, answer)
            try:
                self.wait_event_everywhere("service.maintenance", name, t_on)
                self.assert_service_everywhere(name, "maintenance")
                self.assert_alive_everywhere(name)
                print(f"\n  maintenance output: {service_of(agent, name)['output']!r}",
                      file=sys.stderr)
                status, checks = http_json(agent.api + "/v1/self/checks")
                self.assertTrue(checks["maintenance"])
                self.assertEqual(checks["service"]["status"], "maintenance")
                with self.subTest("owners leave a member in maintenance out"):
                    for a in self.a.values():
                        self.assertNotIn(name, owners(a, ALL), a.name)
                        self.assertIn(name, owners(a, ALL, unhealthy=True), a.name)
                code, answer = http_json(url, "PUT", {"enabled": "yes"})
                self.assertEqual(code, 400, answer)
                self.assertIn("error", answer or {})
            finally:
                t_off = time.time()
                code, answer = http_json(url, "PUT", {"enabled": False})
            self.assertEqual(code, 200, answer)
            self.wait_event_everywhere("service.passing", name, t_off)
            self.assert_service_everywhere(name, "passing")
            status, checks = http_json(agent.api + "/v1/self/checks")
            self.assertFalse(checks["maintenance"])
            for a in self.a.values():
                self.assertIn(name, owners(a, ALL), a.name)
        self.run_checked(body)

    def test_f_no_checks_service_null(self):
        def body():
            for a in self.a.values():
                m = member(a, "node-1")
                self.assertIn("service", m)
                self.assertIsNone(m["service"], a.name)
                status, body_ = http_json(a.api + "/v1/members")
                listed = {x["name"]: x for x in body_["members"]}
                self.assertIsNone(listed["node-1"]["service"])
                self.assertTrue(all("service" in x for x in listed.values()))
            status, checks = http_json(self.a["node-1"].api + "/v1/self/checks")
            self.assertEqual(status, 200, checks)
            self.assertIsNone(checks["service"])
            self.assertEqual(checks["checks"], [])
            # A member with no checks is an owner.
            self.assertIn("node-1", owners(self.a["node-2"], ALL))
        self.run_checked(body)

    def test_g_members_cli_has_service_column(self):
        def body():
            code, out, err = picket_cli("members", "--http", f"{self.a['node-1'].host}:9747")
            self.assertEqual(code, 0, err)
            lines = out.splitlines()
            header = lines[0].split()
            self.assertIn("SERVICE", header, out)
            col = header.index("SERVICE")
            rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
            self.assertEqual(set(rows), set(self.a), out)
            # node-4 is passing (test_c restored it), node-1 runs no checks.
            self.assertEqual(rows["node-4"][col], "passing", out)
            self.assertNotIn(rows["node-1"][col], SERVICE_STATUSES, out)
        self.run_checked(body)

    def test_h_flags_and_event_filters_accept_service_events(self):
        # The new event types are known to --webhook-events and --hook.
        host = f"127.{NET}.0.50"
        p = subprocess.Popen([PICKET, "agent", "--name", "x", "--bind", f"{host}:0",
                              "--http", f"{host}:0",
                              "--webhook-url", f"http://127.{NET}.0.1:9/x",
                              "--webhook-events", "service.critical,service.passing",
                              "--hook", "service.critical,service.maintenance=true",
                              "--check-http", f"http://{host}:1/health",
                              "--check-interval", "2s", "--check-timeout", "300ms",
                              "--check-failures", "3", "--check-successes", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.5)
            self.assertIsNone(p.poll(), p.stdout.read().decode() if p.poll() is not None else "")
        finally:
            p.kill()
            p.wait(timeout=10)
            p.stdout.close()
        for bad in (["--check-tcp", "nohostport"],
                    ["--check-interval", "soon"], ["--check-ttl", "x"]):
            code, out, err = picket_cli("agent", "--name", "x", "--bind", f"{host}:0",
                                        "--http", f"{host}:0", *bad, timeout=5)
            self.assertNotEqual(code, 0, (bad, out, err))
            self.assertIn(bad[0], out + err, bad)

    def test_i_exec_check_exit_status(self):
        def body():
            name = "node-8"

            def set_exit(code):
                with open(self.exec_file, "w") as f:
                    f.write(f"{code}\n")
            try:
                for code, etype in ((1, "service.warning"), (2, "service.critical"),
                                    (0, "service.passing")):
                    t = time.time()
                    set_exit(code)
                    self.wait_event_everywhere(etype, name, t)
                    self.assert_service_everywhere(name, etype.split(".")[1])
            finally:
                set_exit(0)
            status, checks = http_json(self.a[name].api + "/v1/self/checks")
            self.assertEqual([c["kind"] for c in checks["checks"]], ["exec"])
        self.run_checked(body)

    def test_z_fail_rate_10pct_for_60s_no_flapping(self):
        def body():
            name, app = "node-7", self.apps["node-7"]
            left = self.flap_start + FLAP_WINDOW - time.time()
            if left > 0:
                time.sleep(left)
            window = time.time() - self.flap_start
            stats = app.stats()
            print(f"\n  node-7 app over {window:.0f} s: {stats}", file=sys.stderr)
            # The checks really ran and really failed now and then.
            self.assertGreaterEqual(stats["ok"] + stats["fail"], 40, stats)
            self.assertGreaterEqual(stats["fail"], 2, stats)
            for n, w in self.w.items():
                bad = [e for e in w.all(member=name) if e["type"] in
                       ("service.critical", "service.warning", "service.maintenance")
                       and parse_time(e["time"]) >= self.flap_start]
                self.assertEqual(bad, [], f"{n} saw {name} flap")
            self.assert_service_everywhere(name, "passing")
            for n, w in self.w.items():
                self.assertEqual(w.mismatches, [], n)
        self.run_checked(body)


if __name__ == "__main__":
    unittest.main()
