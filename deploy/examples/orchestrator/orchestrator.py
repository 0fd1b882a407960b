#!/usr/bin/env python3
"""Example failover orchestrator for picket webhooks (Python 3, stdlib only).

Runs beside one replica of a replicated service, next to that replica's
picket sidecar. picket POSTs every membership event here (CloudEvents 1.0,
signed per Standard Webhooks). When the member tagged as primary
(role=primary by default) fails or leaves, and the event says this side of
the cluster has the majority, exactly one replica takes over: the first owner
of a fixed key by picket's rendezvous hashing (GET /v1/owners), which every
agent with the same view computes alike without talking to the others. If
that is this replica, it is promoted (a command, a state file, and its own
tag role=primary so that the cluster learns the new primary).

The primary's application can also die while its agent lives on: the agent's
service check (picket agent --check-http ...) turns it critical and every
agent emits service.critical. That fails over the same way, with the same
majority rule, but only after a hold-down (--service-hold-down, 5 s): if the
primary's service is still critical when it ends (re-read from
GET /v1/members/{primary}), the first owner takes over; service.passing or
service.warning before that cancels it, and service.maintenance (a planned
restart) never fails over.

Safe to receive events twice or out of the blue: requests are deduplicated by
webhook-id, a failure is acted on once per (primary, incarnation), promotion
is a no-op when this replica already is the primary, and on picket.resync the
whole state is re-read from GET /v1/members. See README.md in this folder.
"""

import argparse
import base64
import collections
import hashlib
import hmac
import http.server
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

TOLERANCE_S = 5 * 60          # Standard Webhooks: reject timestamps further off than this
MAX_BODY = 1024 * 1024
SEEN_IDS = 10_000             # webhook-ids remembered for deduplication
ALIVE = ("alive", "suspect")  # member states in which a member still runs

log = logging.getLogger("orchestrator")


# ---------------------------------------------------------------- signatures

class SignatureError(Exception):
    pass


def decode_secret(secret):
    """The key bytes of "whsec_<base64>"."""
    secret = secret.strip()
    if not secret.startswith("whsec_"):
        raise ValueError("the webhook secret must start with whsec_")
    try:
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    except ValueError as e:
        raise ValueError(f"the webhook secret is not valid base64: {e}") from None


def sign(key, msg_id, timestamp, body):
    """Standard Webhooks v1 signature: base64(HMAC-SHA256(key, id.timestamp.body))."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def verify(key, headers, body, now=None):
    """Raises SignatureError unless the request is signed with `key` and fresh."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    now = time.time() if now is None else now
    if abs(now - ts) > TOLERANCE_S:
        raise SignatureError(f"webhook-timestamp {ts} is more than {TOLERANCE_S} s off")
    expected = sign(key, msg_id, ts, body)
    # Several signatures may be sent (key rotation), space separated: "v1,<b64> v1,<b64>".
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return msg_id
    raise SignatureError("no valid v1 signature")


# ---------------------------------------------------------------- picket API

class PicketApi:
    def __init__(self, base, token=None, timeout=5.0):
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, path, method="GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token and method != "GET":
            req.add_header("Authorization", f"Bearer {self.token}")
        with self.opener.open(req, timeout=self.timeout) as resp:
            return json.loads(resp.read() or b"null")

    def self_info(self):
        return self.call("/v1/self")

    def members(self):
        return self.call("/v1/members")["members"]

    def member(self, name):
        """GET /v1/members/{name}, or None when the agent does not know it."""
        try:
            return self.call("/v1/members/" + urllib.parse.quote(name, safe=""))
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def first_owner(self, key):
        owners = self.call("/v1/owners?key=" + urllib.parse.quote(key) + "&n=1")["owners"]
        return owners[0]["name"] if owners else None

    def own_tags(self):
        return self.call("/v1/self/tags")["tags"]

    def set_own_tags(self, tags):
        return self.call("/v1/self/tags", method="PUT", body=tags)


# ---------------------------------------------------------------- failover logic

class Orchestrator:
    """The decisions; everything here is serialized by `lock`."""

    def __init__(self, api, self_name, tag_key, tag_value, owner_key, promote_command,
                 state_file, command_timeout, service_hold_down=5.0):
        self.api = api
        self.self_name = self_name
        self.tag_key = tag_key
        self.tag_value = tag_value
        self.owner_key = owner_key
        self.promote_command = promote_command
        self.state_file = state_file
        self.command_timeout = command_timeout
        self.lock = threading.Lock()
        self.seen = collections.OrderedDict()   # webhook-id -> None, oldest first
        self.handled = set()                    # (old primary, incarnation) already failed over
        self.primary = None                     # name of the member tagged primary, if known
        self.service_hold_down = service_hold_down
        self.holds = {}                         # primary -> its pending hold-down threading.Timer
        self.promoted = self.read_state().get("role") == "primary"

    # -- state file

    def read_state(self):
        if not self.state_file:
            return {}
        try:
            with open(self.state_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def write_state(self, state):
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".orchestrator-state.")
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)
            f.write("\n")
        os.replace(tmp, self.state_file)  # atomic: readers see the old or the new state

    # -- events

    def is_primary(self, member):
        return bool(member) and (member.get("tags") or {}).get(self.tag_key) == self.tag_value

    @staticmethod
    def service_status(member):
        """"passing", "warning", "critical", "maintenance", or None (no checks)."""
        return ((member or {}).get("service") or {}).get("status")

    def handle(self, msg_id, event):
        """Processes one verified CloudEvent; returns a short description."""
        with self.lock:
            if msg_id in self.seen:
                return "duplicate"
            result = self.dispatch(event)
            self.seen[msg_id] = None
            while len(self.seen) > SEEN_IDS:
                self.seen.popitem(last=False)
            return result

    def dispatch(self, event):
        etype = event.get("type", "")
        data = event.get("data") or {}
        member = data.get("member") or {}
        quorum = data.get("quorum") or {}
        if etype in ("picket.resync", "cluster.quorum_regained"):
            # Missed events, or the majority is back: decide from the current state.
            return self.resync()
        if self.is_primary(member) and member.get("state") in ALIVE:
            self.primary = member["name"]
        if etype not in ("member.failed", "member.left") and not etype.startswith("service."):
            return "ignored"
        name = member.get("name")
        if not (self.is_primary(member) or (name is not None and name == self.primary)):
            return f"{name} is not the primary"
        if etype.startswith("service."):
            return self.primary_service(etype, member, bool(quorum.get("has_majority")),
                                        event.get("id"))
        return self.primary_gone(name, member.get("incarnation", 0), etype,
                                 bool(quorum.get("has_majority")), event.get("id"))

    # -- the primary's service (its application) failed while its agent lives on

    def primary_service(self, etype, member, has_majority, event_id):
        name = member["name"]
        if etype == "service.critical":
            return self.arm_hold_down(name, member.get("incarnation", 0), has_majority, event_id)
        # passing or warning: the application answers again; maintenance: a
        # planned restart, which never fails over (not even one already held down).
        cancelled = self.cancel_hold_down(name)
        status = etype.partition(".")[2]
        if cancelled:
            log.info("primary %s's service is %s: pending failover cancelled", name, status)
            return f"{status}: failover cancelled"
        return f"{status}: nothing to do"

    def arm_hold_down(self, name, incarnation, has_majority, event_id):
        """Fails over from `name` in service_hold_down seconds unless its service recovers."""
        if not has_majority:
            log.warning("primary %s's service is critical, but this side has NO majority: "
                        "not failing over", name)
            return "no majority"
        if (name, incarnation) in self.handled:
            return "already handled"
        if name in self.holds:
            return "hold-down already running"
        self.start_timer(name, event_id, self.service_hold_down)
        log.warning("primary %s's service is critical: failing over in %gs unless it recovers",
                    name, self.service_hold_down)
        return f"critical: failover in {self.service_hold_down:g}s unless it recovers"

    def start_timer(self, name, event_id, delay):
        timer = threading.Timer(delay, self.hold_down_over)
        timer.args = (name, event_id, timer)  # the callback checks it is still the pending one
        timer.daemon = True
        self.holds[name] = timer
        timer.start()

    def cancel_hold_down(self, name):
        timer = self.holds.pop(name, None)
        if timer is not None:
            timer.cancel()
        return timer is not None

    def hold_down_over(self, name, event_id, timer):
        """Timer thread: serialized with the webhooks by the same lock."""
        with self.lock:
            if self.holds.get(name) is not timer:
                return  # cancelled (or replaced) while this thread waited for the lock
            del self.holds[name]
            try:
                result = self.service_failover(name, event_id)
            except Exception as e:  # the API or the promote command failed: try again later
                retry = max(self.service_hold_down, 1.0)
                log.error("failover from %s (service critical): %s; retrying in %gs", name, e, retry)
                self.start_timer(name, event_id, retry)
                return
            log.info("hold-down of %s over: %s", name, result)

    def service_failover(self, name, event_id):
        """The hold-down ended: fail over if the primary's service is still critical."""
        member = self.api.member(name)
        if member is None:
            return f"{name} is no longer a member"
        state = member.get("state")
        if state not in ALIVE:
            # Its agent is gone as well: member.failed / member.left handle it.
            return f"{name} is {state}: not a service failover"
        status = self.service_status(member)
        if status != "critical":
            return f"{name}'s service is {status} again: no failover"
        if not self.is_primary(member):
            return f"{name} is no longer tagged primary"
        incarnation = member.get("incarnation", 0)
        if self.promoted:
            self.handled.add((name, incarnation))
            return "already primary"
        # Someone already took over (this failure was acted on elsewhere first,
        # or an earlier one): the old primary's agent still carries its tag.
        for m in self.api.members():
            if (m["name"] != name and self.is_primary(m) and m.get("state") in ALIVE
                    and self.service_status(m) != "critical"):
                self.handled.add((name, incarnation))
                self.primary = m["name"]
                return f"{m['name']} is primary already"
        me = self.api.self_info()
        return self.primary_gone(name, incarnation, "service.critical",
                                 bool(me.get("has_majority")), event_id)

    def primary_gone(self, name, incarnation, why, has_majority, event_id):
        if not has_majority:
            # Minority side of a partition: the other side may be promoting.
            log.warning("primary %s %s, but this side has NO majority: not failing over", name, why)
            return "no majority"
        self.cancel_hold_down(name)  # a pending service failover of the same primary
        if (name, incarnation) in self.handled:
            return "already handled"
        # /v1/owners skips members that are not alive or suspect, and those whose
        # service is critical or in maintenance: never the primary given up here.
        successor = self.api.first_owner(self.owner_key)
        log.info("primary %s (incarnation %s): %s with majority; successor by /v1/owners: %s",
                 name, incarnation, why, successor)
        if successor != self.self_name:
            self.handled.add((name, incarnation))
            if self.primary == name:
                self.primary = successor
            return f"{successor} takes over"
        result = self.promote(name, event_id)  # raises if it failed: a retry tries again
        self.handled.add((name, incarnation))
        return result

    def promote(self, old_primary, event_id):
        if self.promoted:
            log.info("already primary: nothing to do")
            return "already primary"
        env = dict(os.environ, ORCH_OLD_PRIMARY=old_primary or "", ORCH_NEW_PRIMARY=self.self_name,
                   ORCH_EVENT_ID=event_id or "")
        if self.promote_command:
            proc = subprocess.run(self.promote_command, shell=True, env=env,
                                  timeout=self.command_timeout, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"promote command exited {proc.returncode}: {proc.stderr.strip()}")
        self.promoted = True
        self.write_state({"role": "primary", "replaced": old_primary, "event_id": event_id,
                          "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        # Tell the cluster: every other orchestrator now sees this member as primary.
        tags = self.api.own_tags()
        tags[self.tag_key] = self.tag_value
        self.api.set_own_tags(tags)
        self.primary = self.self_name
        log.info("PROMOTED %s to primary (replacing %s)", self.self_name, old_primary)
        return "promoted"

    def resync(self):
        """Re-reads the membership (events may have been missed) and acts on it."""
        members = self.api.members()
        me = self.api.self_info()
        primaries = [m for m in members if self.is_primary(m) and m["name"] != self.self_name]
        alive = [m for m in primaries if m["state"] in ALIVE]
        if self.promoted or any(m["name"] == self.self_name and self.is_primary(m) for m in members):
            self.primary = self.self_name
            return "resync: this replica is primary"
        running = [m for m in alive if self.service_status(m) != "critical"]
        if running:
            self.primary = running[0]["name"]
            for m in running:  # a missed service.passing / .maintenance
                self.cancel_hold_down(m["name"])
            return f"resync: primary is {self.primary}"
        if alive:
            # The primary's agent runs but its application does not (a missed
            # service.critical, or this orchestrator just started).
            old = alive[0]
            self.primary = old["name"]
            return f"resync: primary {old['name']}'s service is critical: " + self.arm_hold_down(
                old["name"], old.get("incarnation", 0), bool(me.get("has_majority")), None)
        gone = [m for m in primaries if m["state"] in ("failed", "left")]
        if not gone:
            return "resync: no primary known"
        old = gone[0]
        return "resync: " + self.primary_gone(old["name"], old.get("incarnation", 0),
                                              "member." + old["state"],
                                              bool(me.get("has_majority")), None)


# ---------------------------------------------------------------- HTTP receiver

def make_handler(orch, key, path):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, code, message):
            body = json.dumps({"result": message}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path.split("?")[0] != path:
                return self.reply(404, "no such path")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.reply(413, "body too large")
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                msg_id = verify(key, headers, body)
            except SignatureError as e:
                log.warning("rejected a request: %s", e)
                return self.reply(401, str(e))
            try:
                event = json.loads(body)
                if event.get("specversion") != "1.0" or "type" not in event:
                    raise ValueError("not a CloudEvents 1.0 structured event")
            except ValueError as e:
                return self.reply(400, str(e))
            try:
                result = orch.handle(msg_id, event)
            except Exception as e:  # the sender retries; the retry carries the same webhook-id
                log.error("event %s (%s): %s", msg_id, event.get("type"), e)
                return self.reply(503, f"could not process: {e}")
            member = (event.get("data") or {}).get("member") or {}
            log.info("event %s %s %s: %s", msg_id, event.get("type"), member.get("name"), result)
            return self.reply(200, result)

        def log_message(self, fmt, *args):
            log.debug("%s " + fmt, self.address_string(), *args)

    return Handler


def parse_duration(text):
    """Seconds from "5s", "500ms", "1m" or a plain number of seconds."""
    text = str(text).strip()
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(suffix):
            number, scale_ = text[:-len(suffix)], scale
            break
    else:
        number, scale_ = text, 1.0
    try:
        value = float(number) * scale_
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 5s, 500ms)") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    return value


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default=env("ORCH_LISTEN", "127.0.0.1:8080"),
                   help="HOST:PORT to receive webhooks on [%(default)s] (env ORCH_LISTEN)")
    p.add_argument("--path", default=env("ORCH_PATH", "/picket"),
                   help="URL path of the webhook [%(default)s]")
    p.add_argument("--secret-file", default=env("PICKET_WEBHOOK_SECRET_FILE"),
                   help="file holding the whsec_... secret (env PICKET_WEBHOOK_SECRET_FILE)")
    p.add_argument("--secret", default=env("PICKET_WEBHOOK_SECRET"),
                   help="the whsec_... secret itself (env PICKET_WEBHOOK_SECRET)")
    p.add_argument("--picket-api", default=env("PICKET_API", "http://127.0.0.1:9747"),
                   help="the local agent's HTTP API [%(default)s] (env PICKET_API)")
    p.add_argument("--api-token-file", default=env("PICKET_API_TOKEN_FILE"),
                   help="bearer token file for PUT /v1/self/tags (env PICKET_API_TOKEN_FILE)")
    p.add_argument("--primary-tag", default=env("ORCH_PRIMARY_TAG", "role=primary"),
                   help="KEY=VALUE tag that marks the primary [%(default)s]")
    p.add_argument("--owner-key", default=env("ORCH_OWNER_KEY", "primary"),
                   help="key whose first owner (GET /v1/owners) takes over [%(default)s]")
    p.add_argument("--promote-command", default=env("ORCH_PROMOTE_COMMAND"),
                   help="shell command that promotes this replica; gets ORCH_OLD_PRIMARY, "
                        "ORCH_NEW_PRIMARY, ORCH_EVENT_ID (env ORCH_PROMOTE_COMMAND)")
    p.add_argument("--state-file", default=env("ORCH_STATE_FILE"),
                   help="JSON file recording this replica's role (written atomically)")
    p.add_argument("--command-timeout", type=float, default=20.0,
                   help="seconds the promote command may take [%(default)s]")
    p.add_argument("--service-hold-down", type=parse_duration,
                   default=env("ORCH_SERVICE_HOLD_DOWN", "5s"),
                   help="how long the primary's service must stay critical (service.critical, "
                        "its agent alive) before failing over, e.g. 5s, 500ms [%(default)s] "
                        "(env ORCH_SERVICE_HOLD_DOWN)")
    p.add_argument("--log-level", default=env("ORCH_LOG_LEVEL", "INFO"))
    args = p.parse_args(argv)
    if not args.secret and not args.secret_file:
        p.error("give --secret-file or --secret (or PICKET_WEBHOOK_SECRET_FILE)")
    if "=" not in args.primary_tag:
        p.error("--primary-tag must be KEY=VALUE")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    secret = args.secret
    if args.secret_file:
        with open(args.secret_file) as f:
            secret = f.read()
    key = decode_secret(secret)
    token = None
    if args.api_token_file:
        with open(args.api_token_file) as f:
            token = f.readline().strip()
    api = PicketApi(args.picket_api, token)
    # The local agent may still be starting: wait for it to know its own name.
    deadline = time.monotonic() + 60
    while True:
        try:
            self_name = api.self_info()["name"]
            break
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise SystemExit(f"orchestrator: no picket agent answers at {args.picket_api}")
            time.sleep(0.5)
    tag_key, _, tag_value = args.primary_tag.partition("=")
    orch = Orchestrator(api, self_name, tag_key, tag_value, args.owner_key, args.promote_command,
                        args.state_file, args.command_timeout, args.service_hold_down)
    with orch.lock:
        log.info("startup: %s", orch.resync())
    host, _, port = args.listen.rpartition(":")
    server = http.server.HTTPServer((host.strip("[]"), int(port)),
                                    make_handler(orch, key, args.path))
    log.info("orchestrator for %s listening on http://%s%s", self_name, args.listen, args.path)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
