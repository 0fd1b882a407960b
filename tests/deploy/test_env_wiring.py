#!/usr/bin/env python3
"""Starts picket agents with exactly the environment deploy/k8s gives the sidecar.

Renders deploy/k8s/base with `kubectl kustomize`, takes the picket init
container's env, args, probes and preStop hook from it, and plays kubelet for
three pods of the StatefulSet on loopback:

- the downward API: POD_NAME demo-0..2, POD_NAMESPACE a unique test namespace,
  POD_IP 127.0.69.1..3; $(VAR) references expanded as Kubernetes does (only
  variables defined earlier in the list);
- the Secrets: the keyring (made with `picket keygen`), the API token and the
  webhook secret written as files, at the mount paths the manifests use
  (remapped under a temporary directory);
- the headless Service: its DNS name <svc>.<ns>.svc.cluster.local added to
  /etc/hosts with the three pod addresses (publishNotReadyAddresses), removed
  afterwards;
- a pod's own network namespace: 0.0.0.0 and 127.0.0.1 in the env become
  the pod's address, because all "pods" here share one host.
  Nothing else is changed;
- the application container beside each sidecar, whose health endpoint the
  sidecar checks (PICKET_CHECK_HTTP, PICKET_CHECK_TCP): with busybox on the
  host, the container's own command (busybox httpd), its emptyDir mounts
  remapped to a temporary directory; without it, the stdlib http.server
  serving a file at the check's URL path.

Checks: the three agents form one cluster and each sees all three alive under
their pod names and pod IPs; the readiness, liveness and startup httpGet probes
from the manifests succeed on the operations listener (PICKET_OPS_LISTEN, the
pod IP), which serves nothing but /healthz, /readyz and /metrics; gossip is encrypted with the key from the file; the
API token from the file is enforced; the preStop hook followed by SIGTERM (what
kubelet does) makes a pod leave: the others see it `left`, it exits 0. Service
health: every agent sees every member's service `passing` through the checks
of the manifest; when one pod's application container dies (all its processes
SIGKILLed), the other agents see that member's service `critical` within a
few seconds (about a second: the held TCP connection is the fast path) while
the member stays `alive`, and `passing` again once the container is back.

Two further tests pin the fixes for joining through a DNS name that lists the
agent itself: a lone pod starts the cluster and becomes ready, and a pod
whose own address comes first in the Service answer still joins the others.

Needs root (for /etc/hosts), kubectl, PyYAML and PICKET_BIN (or build/picket).
Skips (exit 77) with a message when one is missing.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
PICKET = os.environ.get("PICKET_BIN", os.path.join(REPO, "build", "picket"))
SKIP = 77

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

NAMESPACE = f"picket-deploy-test-{os.getpid()}"
CHECK_ENV = ("PICKET_CHECK_HTTP", "PICKET_CHECK_TCP")  # targets on the pod's loopback
LOOPBACK_ENV = ("PICKET_BIND", "PICKET_HTTP") + CHECK_ENV
HOSTS_TAG = f"# picket tests/deploy {os.getpid()}"
POD_IPS = ["127.0.69.1", "127.0.69.2", "127.0.69.3"]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def skip(message):
    print(f"SKIPPED: {message}")
    sys.exit(SKIP)


# ------------------------------------------------------------------ /etc/hosts

def hosts_add(name, addresses):
    with open("/etc/hosts", "a") as f:
        for address in addresses:
            f.write(f"{address} {name} {HOSTS_TAG}\n")


def hosts_remove():
    """Removes exactly the lines this process added (tagged with its pid)."""
    try:
        with open("/etc/hosts") as f:
            lines = f.readlines()
        kept = [line for line in lines if not line.rstrip("\n").endswith(HOSTS_TAG)]
        if len(kept) != len(lines):
            with open("/etc/hosts", "w") as f:
                f.writelines(kept)
    except OSError as e:
        print(f"warning: could not clean /etc/hosts: {e}", file=sys.stderr)


# ------------------------------------------------------------------ manifests

def render(kustomization):
    done = subprocess.run(["kubectl", "kustomize", os.path.join(REPO, "deploy", "k8s", kustomization)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        if 'unknown field "components"' in done.stderr:
            skip("this kubectl's kustomize is too old for Components; needs kubectl 1.21+")
        raise RuntimeError(f"kubectl kustomize deploy/k8s/{kustomization} failed:\n{done.stderr}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def expand(value, defined):
    """Kubernetes' $(VAR) expansion: known variables replaced, $$ escapes, others kept."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return defined.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\((\w+)\)", sub, value)


class Pod:
    """One pod of the StatefulSet as kubelet would start its picket sidecar."""

    def __init__(self, manifest, index, ip, secrets_dir, workdir, namespace=NAMESPACE):
        self.m = manifest
        self.name = f"demo-{index}"
        self.ip = ip
        self.env = manifest.container_env(self.name, namespace, ip, secrets_dir)
        self.api = self.env["PICKET_HTTP"]
        self.log_path = os.path.join(workdir, f"{namespace}-{self.name}.log")
        self.proc = None

    def start(self):
        argv = [PICKET] + self.m.sidecar.get("args", [])
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def exec_command(self, command, timeout=10):
        """Runs a command "in the container": the pod's env, its own address for loopback."""
        command = [self.m.localize(c, self.ip) for c in command]
        if command[0] == "picket":
            command[0] = PICKET
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)

    def probe(self, kind):
        """kubelet's httpGet probe: GET the pod IP at the named port; 200-399 passes."""
        get = self.m.sidecar[kind]["httpGet"]
        port = get["port"]
        if isinstance(port, str):
            port = next(p["containerPort"] for p in self.m.sidecar["ports"] if p.get("name") == port)
        try:
            with NO_PROXY.open(f"http://{self.ip}:{port}{get['path']}", timeout=2) as r:
                return 200 <= r.status < 400
        except (urllib.error.URLError, OSError):
            return False

    def get(self, path):
        with NO_PROXY.open(f"http://{self.api}{path}", timeout=5) as r:
            return r.status, json.loads(r.read())

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def logs(self):
        with open(self.log_path) as f:
            return f.read()


class Manifest:
    """The picket sidecar of the rendered base."""

    def __init__(self, docs):
        workload = next(d for d in docs if d["kind"] in ("StatefulSet", "Deployment"))
        self.pod = workload["spec"]["template"]["spec"]
        self.sidecar = next(c for c in self.pod["initContainers"] if c["name"] == "picket")
        join = next(e["value"] for e in self.sidecar["env"] if e["name"] == "PICKET_JOIN")
        self.service = next(s for s in docs if s["kind"] == "Service" and join.startswith(s["metadata"]["name"] + "."))
        self.volumes = {v["name"]: v for v in self.pod.get("volumes", [])}

    @staticmethod
    def localize(text, ip):
        # A pod's 0.0.0.0 and 127.0.0.1 are its own; on one shared host they
        # become the pod's own loopback address.
        return text.replace("0.0.0.0", ip).replace("127.0.0.1", ip)

    def container_env(self, pod_name, namespace, pod_ip, secrets_dir):
        fields = {"metadata.name": pod_name, "metadata.namespace": namespace, "status.podIP": pod_ip}
        mounts = {m["mountPath"]: os.path.join(secrets_dir, self.volumes[m["name"]]["secret"]["secretName"])
                  for m in self.sidecar.get("volumeMounts", []) if "secret" in self.volumes[m["name"]]}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        defined = {}
        for e in self.sidecar.get("env", []):
            if "valueFrom" in e:
                value = fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
            else:
                value = expand(e.get("value", ""), defined)
            defined[e["name"]] = value
            for mount_path, local in mounts.items():
                if value.startswith(mount_path + "/"):
                    value = local + value[len(mount_path):]
            env[e["name"]] = self.localize(value, pod_ip) if e["name"] in LOOPBACK_ENV else value
        return env


class App:
    """The application container of one pod: the one the sidecar's checks target."""

    busybox_bin = None  # a directory of applet links, when busybox is installed

    def __init__(self, manifest, pod, workdir):
        self.m = manifest
        self.pod = pod
        self.container = manifest.pod["containers"][0]
        self.dir = os.path.join(workdir, f"{pod.name}-app")
        self.log_path = self.dir + ".log"
        self.proc = None

    @classmethod
    def busybox(cls, workdir):
        if cls.busybox_bin is None and shutil.which("busybox"):
            cls.busybox_bin = os.path.join(workdir, "busybox-bin")
            os.makedirs(cls.busybox_bin, exist_ok=True)
            applets = subprocess.run(["busybox", "--list"], capture_output=True, text=True).stdout
            for applet in applets.split():
                os.symlink(shutil.which("busybox"), os.path.join(cls.busybox_bin, applet))
        return cls.busybox_bin

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        log = open(self.log_path, "a")
        bin_dir = self.busybox(os.path.dirname(self.dir))
        if bin_dir:
            # The container's own command: loopback -> the pod's address,
            # emptyDir mounts -> directories of this test.
            volumes = {v["name"]: v for v in self.m.pod.get("volumes", [])}
            mounts = {}
            for mount in self.container.get("volumeMounts", []):
                if "emptyDir" in volumes.get(mount["name"], {}):
                    local = os.path.join(self.dir, mount["name"])
                    os.makedirs(local, exist_ok=True)
                    mounts[mount["mountPath"]] = local

            def local(text):
                for path, target in mounts.items():
                    text = text.replace(path, target)
                return self.m.localize(text, self.pod.ip)
            argv = [local(a) for a in self.container.get("command", []) + self.container.get("args", [])]
            env = {"PATH": bin_dir}
            for e in self.container.get("env", []):
                env[e["name"]] = local(e.get("value", ""))
        else:
            # The stdlib http.server, serving a file at the check's URL path.
            url = urllib.parse.urlsplit(self.pod.env["PICKET_CHECK_HTTP"].split(",")[0])
            www = os.path.join(self.dir, "stand-in")
            os.makedirs(os.path.dirname(os.path.join(www, url.path.lstrip("/"))), exist_ok=True)
            with open(os.path.join(www, url.path.lstrip("/")), "w") as f:
                f.write("ok\n")
            argv = [sys.executable, "-m", "http.server", "--bind", url.hostname,
                    "--directory", www, str(url.port)]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        # A process group of its own: a container's processes die together.
        self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def kill(self):
        """The container dies: SIGKILL to every process of the group started here."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.proc = None

    def logs(self):
        with open(self.log_path) as f:
            return f.read()


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            pass
        time.sleep(interval)
    return False


# ------------------------------------------------------------------ tests

class EnvWiringTest(unittest.TestCase):
    docs = None       # the rendered base, set by main()
    manifest = None

    @classmethod
    def setUpClass(cls):
        cls.manifest = Manifest(cls.docs)
        cls.workdir = tempfile.mkdtemp(prefix="picket-env-wiring.")
        cls.secrets = os.path.join(cls.workdir, "secrets")
        # The three Secrets of the base, as `kubectl create secret` would hold them.
        keyring = subprocess.run([PICKET, "keygen"], check=True, capture_output=True, text=True).stdout
        cls.token = "test-token-" + os.urandom(8).hex()
        for secret, key, content in [("picket-gossip-key", "keyring", keyring),
                                     ("picket-api-token", "token", cls.token),
                                     ("picket-webhook", "secret", "whsec_" + os.urandom(24).hex())]:
            os.makedirs(os.path.join(cls.secrets, secret), exist_ok=True)
            with open(os.path.join(cls.secrets, secret, key), "w") as f:
                f.write(content)
        cls.seed_name = f"{cls.manifest.service['metadata']['name']}.{NAMESPACE}.svc.cluster.local"
        cls.pods = []
        cls.apps = {}  # pod name -> App

    @classmethod
    def tearDownClass(cls):
        for app in cls.apps.values():
            app.kill()
        for pod in cls.pods:
            pod.stop(signal.SIGKILL)
        hosts_remove()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def start_pods(self, ips, names_from=0):
        pods = [Pod(self.manifest, names_from + i, ip, self.secrets, self.workdir) for i, ip in enumerate(ips)]
        self.pods.extend(pods)
        for pod in pods:
            pod.start()
        return pods

    def dump_logs(self, pods):
        return "\n".join(f"--- {p.name}\n{p.logs()}" for p in pods)

    def test_1_three_pods_form_a_cluster(self):
        m = self.manifest
        self.assertEqual(m.sidecar.get("restartPolicy"), "Always")
        # The headless Service's records: its name lists every pod, and each
        # StatefulSet pod has its own name <pod>.<service>.<ns>.svc.cluster.local.
        hosts_add(self.seed_name, POD_IPS)
        for i, ip in enumerate(POD_IPS):
            hosts_add(f"demo-{i}.{self.seed_name}", [ip])
        pods = [Pod(self.manifest, i, ip, self.secrets, self.workdir) for i, ip in enumerate(POD_IPS)]
        for pod in pods:
            self.apps[pod.name] = App(self.manifest, pod, self.workdir)
            self.apps[pod.name].start()
        self.pods.extend(pods)
        for pod in pods:
            pod.start()
        env = pods[0].env
        self.assertEqual(env["PICKET_NAME"], "demo-0")
        self.assertEqual(env["PICKET_ADVERTISE"], "127.0.69.1:9746")
        self.assertEqual(env["PICKET_JOIN"].split(",")[0], f"{self.seed_name}:9746")
        self.assertTrue(os.path.isfile(env["PICKET_KEYRING"]), env["PICKET_KEYRING"])

        for pod in pods:
            self.assertTrue(wait_for(lambda: pod.probe("startupProbe"), 15),
                            f"startup probe of {pod.name} never passed\n{self.dump_logs(pods)}")
        for pod in pods:
            self.assertTrue(wait_for(lambda: pod.probe("readinessProbe"), 30),
                            f"readiness probe (/readyz) of {pod.name} never passed\n{self.dump_logs(pods)}")
            self.assertTrue(pod.probe("livenessProbe"), f"liveness probe of {pod.name} failed")
        # The operations listener is on the pod IP and serves nothing else.
        self.assertEqual(env["PICKET_OPS_LISTEN"], "127.0.69.1:9748")
        for path in ("/v1/members", "/v1/self"):
            with self.assertRaises(urllib.error.HTTPError) as refused:
                NO_PROXY.open(f"http://{env['PICKET_OPS_LISTEN']}{path}", timeout=5)
            self.assertEqual(refused.exception.code, 404, path)

        expected = {f"demo-{i}": f"{ip}:9746" for i, ip in enumerate(POD_IPS)}

        def converged():
            for pod in pods:
                _, body = pod.get("/v1/members")
                seen = {x["name"]: (x["address"], x["state"]) for x in body["members"]}
                if seen != {n: (a, "alive") for n, a in expected.items()}:
                    return False
            return True
        self.assertTrue(wait_for(converged, 30), f"no full view\n{self.dump_logs(pods)}")

        cluster = env["PICKET_CLUSTER"]
        for pod in pods:
            status, me = pod.get("/v1/self")
            self.assertEqual((me["name"], me["cluster"], me["has_majority"]), (pod.name, cluster, True))
            self.assertIn("gossip encryption on", pod.logs())
            self.assertNotIn("NOT encrypted", pod.logs())
            for line in pod.logs().splitlines():  # PICKET_LOG_FORMAT=json
                json.loads(line)

        # Service health: the manifest's checks reach the application beside each sidecar.
        self.assertTrue(env.get("PICKET_CHECK_HTTP"), "the sidecar has no PICKET_CHECK_HTTP")
        self.assertTrue(wait_for(lambda: self.services(pods) == {p.name: {q.name: "passing" for q in pods}
                                                                 for p in pods}, 20),
                        f"services not all passing: {self.services(pods)}\n{self.dump_logs(pods)}")
        print("\napplication containers: " + ("their own command, busybox httpd" if App.busybox_bin
                                             else "a stand-in (no busybox on this host)"))
        _, checks = pods[0].get("/v1/self/checks")
        kinds = {c["kind"]: c["status"] for c in checks["checks"]}
        expected_kinds = {"http": "passing"}
        if env.get("PICKET_CHECK_TCP"):
            expected_kinds["tcp"] = "passing"
        self.assertEqual(kinds, expected_kinds, checks)

    @staticmethod
    def services(pods):
        """{observer: {member: service status}}."""
        out = {}
        for pod in pods:
            _, body = pod.get("/v1/members")
            out[pod.name] = {m["name"]: (m.get("service") or {}).get("status") for m in body["members"]}
        return out

    def test_1b_application_crash_seen_by_every_agent(self):
        pods = [p for p in self.pods if p.proc is not None]
        if len(pods) != 3:
            self.skipTest("needs the cluster of test_1")
        victim, others = pods[0], pods[1:]
        app = self.apps[victim.name]
        killed = time.monotonic()
        app.kill()
        seen = {}
        outputs = {}
        deadline = killed + 10
        while len(seen) < len(pods) and time.monotonic() < deadline:
            for pod in pods:  # its own sidecar first, then the others by gossip
                if pod.name not in seen:
                    _, m = pod.get(f"/v1/members/{victim.name}")
                    if (m.get("service") or {}).get("status") == "critical":
                        seen[pod.name] = time.monotonic() - killed
                        outputs[pod.name] = m["service"]["output"]
                        self.assertEqual(m["state"], "alive")  # the sidecar runs on
            time.sleep(0.02)
        self.assertEqual(set(seen), {p.name for p in pods},
                         f"not seen critical within 10 s\n{self.dump_logs(pods)}")
        print(f"\n{victim.name}'s application killed: service critical at "
              + ", ".join(f"{n} after {t:.2f} s" for n, t in sorted(seen.items()))
              + f" ({outputs[victim.name]})")
        self.assertLess(max(seen.values()), 5.0)
        app.start()
        self.assertTrue(wait_for(lambda: all(s[victim.name] == "passing"
                                             for s in self.services(pods).values()), 20),
                        f"not passing again: {self.services(pods)}\n{app.logs()}\n{self.dump_logs(pods)}")

    def test_2_token_and_prestop_leave(self):
        pods = [p for p in self.pods if p.proc is not None]
        if len(pods) != 3:
            self.skipTest("needs the cluster of test_1")
        leaver, others = pods[2], pods[:2]
        # The API token from the Secret file is required for mutating calls.
        request = urllib.request.Request(f"http://{leaver.api}/v1/leave", method="POST", data=b"")
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            NO_PROXY.open(request, timeout=5)
        self.assertEqual(ctx.exception.code, 401)

        # kubelet: run the preStop hook in the container, then SIGTERM.
        hook = leaver.exec_command(self.manifest.sidecar["lifecycle"]["preStop"]["exec"]["command"])
        self.assertEqual(hook.returncode, 0, hook.stdout + hook.stderr)
        started = time.monotonic()
        if leaver.proc.poll() is None:
            leaver.proc.send_signal(signal.SIGTERM)
        try:
            code = leaver.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail(f"{leaver.name} did not exit within 10 s of preStop + SIGTERM\n{leaver.logs()}")
        took = time.monotonic() - started
        leaver.stop()
        self.assertEqual(code, 0, leaver.logs())
        self.assertIn("left the cluster", leaver.logs())

        def seen_left():
            for pod in others:
                _, body = pod.get(f"/v1/members/{leaver.name}")
                if body["state"] != "left":
                    return False
            return True
        self.assertTrue(wait_for(seen_left, 15), self.dump_logs(pods))
        print(f"\n{leaver.name}: preStop + SIGTERM to exit {took:.2f} s; the others see it 'left'")
        for pod in others:
            self.assertEqual(pod.stop(), 0, pod.logs())

    # -------------------------------------------------------------- known issues

    def test_3_lone_pod_starts_the_cluster(self):
        """The first pod of a cluster (or a 1-replica workload): the seed name
        resolves to the pod's own address only. The agent recognises itself,
        starts a cluster of one and becomes ready (it used to dial itself and
        retry for ever, /readyz 503)."""
        name = f"lone.{NAMESPACE}.svc.cluster.local"
        hosts_add(name, ["127.0.69.4"])
        pod = Pod(self.manifest, 10, "127.0.69.4", self.secrets, self.workdir)
        pod.env["PICKET_JOIN"] = f"{name}:9746"
        self.pods.append(pod)
        pod.start()
        try:
            if not wait_for(lambda: pod.probe("livenessProbe"), 10):
                self.skipTest(f"the agent did not even start\n{pod.logs()}")
            self.assertTrue(wait_for(lambda: pod.probe("readinessProbe"), 8), "lone pod not ready after 8 s")
        finally:
            pod.stop()

    def own_address_first(self, namespace, seeds_from_manifest):
        """demo-0 joins demo-1 (already running) through a Service answer that
        lists demo-0's own address first, as glibc orders it inside a pod."""
        service = f"{self.manifest.service['metadata']['name']}.{namespace}.svc.cluster.local"
        first = Pod(self.manifest, 0, "127.0.69.5" if not seeds_from_manifest else "127.0.69.7",
                    self.secrets, self.workdir, namespace)
        other = Pod(self.manifest, 1, "127.0.69.6" if not seeds_from_manifest else "127.0.69.8",
                    self.secrets, self.workdir, namespace)
        hosts_add(service, [first.ip, other.ip])
        hosts_add(f"demo-0.{service}", [first.ip])
        hosts_add(f"demo-1.{service}", [other.ip])
        if not seeds_from_manifest:
            first.env["PICKET_JOIN"] = f"{service}:9746"   # the component's seed alone (Deployment)
        other.env.pop("PICKET_JOIN")  # already running: it started the cluster
        self.pods.extend([first, other])
        other.start()
        first.start()
        try:
            if not (wait_for(lambda: first.probe("livenessProbe"), 10) and wait_for(lambda: other.probe("readinessProbe"), 10)):
                self.skipTest(f"the agents did not even start\n{self.dump_logs([first, other])}")
            self.assertTrue(wait_for(lambda: first.probe("readinessProbe"), 8),
                            f"pod not ready after 8 s\n{self.dump_logs([first, other])}")
        finally:
            first.stop()
            other.stop()

    def test_4_own_address_first_still_joins(self):
        """glibc's getaddrinfo sorts a host's own address first (RFC 6724 rule
        9), so inside a pod the headless Service answers with the pod's own IP
        first; the agent skips its own address and dials the others. With the
        Service name as the only seed (the Deployment overlay) it joins (it
        used to connect to itself and never try the others)."""
        self.own_address_first(NAMESPACE + "-a", seeds_from_manifest=False)

    def test_5_stable_seeds_work_around_own_address_first(self):
        """The base's extra seeds (per-pod names of the StatefulSet) get the
        same pod joined despite the Service answer listing itself first."""
        self.own_address_first(NAMESPACE + "-b", seeds_from_manifest=True)


def main():
    if yaml is None:
        skip("PyYAML is not installed (Debian package python3-yaml)")
    if shutil.which("kubectl") is None:
        skip("kubectl is not installed (needed to render deploy/k8s)")
    if not os.access(PICKET, os.X_OK):
        skip(f"no picket binary at {PICKET} (set PICKET_BIN)")
    if os.geteuid() != 0:
        skip("needs root to add the seed name to /etc/hosts")
    EnvWiringTest.docs = render("base")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (hosts_remove(), sys.exit(1)))
    try:
        program = unittest.main(exit=False, verbosity=2)
    finally:
        hosts_remove()
    r = program.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    if r.expectedFailures:
        print(f"{len(r.expectedFailures)} known issue(s) still reproduce (expected failures)")
    if r.unexpectedSuccesses:
        print("a known issue no longer reproduces: remove its @unittest.expectedFailure "
              "and the entry in docs/operations.md")
    passed = r.testsRun - failed - len(r.skipped) - len(r.expectedFailures)
    print(f"{passed} passed, {failed} failed" + (f", {len(r.skipped)} skipped" if r.skipped else ""))
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
