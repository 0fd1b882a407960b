#!/usr/bin/env python3
"""A webhook receiver for integration tests, independent of picket's code.

Verifies every request the way the Standard Webhooks specification says
(https://www.standardwebhooks.com), with Python's own hmac/hashlib/base64:

    signed  = webhook-id + "." + webhook-timestamp + "." + body
    key     = base64decode(secret without "whsec_")
    header  = space-separated "v1,<base64(HMAC-SHA256(key, signed))>" entries

and records the CloudEvents it receives. It can be told to be down (not
listening at all), to answer 500 or 429 with Retry-After, or to sleep before
answering (past the sender's timeout).

Use it in-process (tests/integration/test_webhooks.py):

    r = Receiver("127.5.0.1", 0, secret).start()
    r.url  # "http://127.5.0.1:PORT/hook"
    r.set_mode("error", status=500); r.set_mode("sleep", seconds=8); r.set_mode("ok")
    r.stop()   # down: the port is closed;  r.start() again: up on the same port
    r.events() # [Received(...)], in arrival order

or standalone: webhook_receiver.py --host 127.0.0.1 --port 8080 --secret whsec_...
(prints one JSON line per request).
"""

import argparse
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TIMESTAMP_TOLERANCE_S = 300


def expected_signature(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret, headers, body, now=None):
    """Returns None if the request is authentic, else the reason."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        ts = int(stamp)
    except ValueError:
        return "webhook-timestamp is not an integer"
    now = time.time() if now is None else now
    if abs(now - ts) > TIMESTAMP_TOLERANCE_S:
        return f"webhook-timestamp {ts} too far from now {now:.0f}"
    want = expected_signature(secret, msg_id, stamp, body)
    for entry in signatures.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, want):
            return None
    return "no matching v1 signature"


@dataclass
class Received:
    arrival: float  # time.time() when the body was read
    headers: dict
    body: bytes
    event: dict  # the parsed CloudEvent
    error: str = None  # verification failure, None if authentic
    status: int = 200  # what the receiver answered

    @property
    def id(self):
        return self.headers.get("webhook-id")


@dataclass
class _Mode:
    name: str = "ok"
    status: int = 200
    retry_after: str = None
    seconds: float = 0.0


class Receiver:
    def __init__(self, host, port, secret, path="/hook"):
        self.host = host
        self.port = port
        self.secret = secret
        self.path = path
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._received = []
        self._mode = _Mode()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}{self.path}"

    def set_mode(self, name, status=200, retry_after=None, seconds=0.0):
        """"ok"; "error" (answer `status`, with Retry-After if given); "sleep" (then 200)."""
        with self._lock:
            self._mode = _Mode(name, status, retry_after, seconds)

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                arrival = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                error = verify(receiver.secret, headers, body)
                if headers.get("content-type") != "application/cloudevents+json":
                    error = error or f"content-type {headers.get('content-type')!r}"
                try:
                    event = json.loads(body)
                except ValueError:
                    event, error = {}, error or "body is not JSON"
                with receiver._lock:
                    mode = receiver._mode
                status = 200
                if error is not None:
                    status = 401
                elif mode.name == "error":
                    status = mode.status
                # Recorded on arrival: a sleeping answer is seen at once.
                with receiver._cond:
                    receiver._received.append(Received(arrival, headers, body, event, error, status))
                    receiver._cond.notify_all()
                if error is None and mode.name == "sleep":
                    time.sleep(mode.seconds)
                self.send_response(status)
                if status != 200 and mode.retry_after is not None:
                    self.send_header("Retry-After", mode.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening (connections are refused until start())."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def received(self):
        """Every request, in arrival order (including rejected ones)."""
        with self._lock:
            return list(self._received)

    def accepted(self):
        """The requests answered 200: authentic and accepted."""
        return [r for r in self.received() if r.status == 200]

    def wait_for(self, predicate, timeout):
        """Waits until predicate(received list) is truthy; returns it or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(list(self._received))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    r = Receiver(args.host, args.port, args.secret).start()
    print(f"listening on {r.url}", flush=True)
    seen = 0
    try:
        while True:
            items = r.wait_for(lambda rs: rs if len(rs) > seen else None, 3600) or []
            for item in items[seen:]:
                print(json.dumps({"id": item.id, "error": item.error, "event": item.event}),
                      flush=True)
            seen = len(items)
    except KeyboardInterrupt:
        r.stop()


if __name__ == "__main__":
    main()
