#!/usr/bin/env python3
"""A small real application for the service-health tests and benchmark.

    service_app.py --host 127.16.0.12 --port 8080 [--tcp-port 8081] [--fail-rate 0.1] [--seed S]

- HTTP/1.1 server (one thread per connection): `GET /health` answers 200 "ok",
  or 500 "fail" with probability --fail-rate (seeded: --seed S gives the same
  sequence of answers); `GET /stats` answers {"ok": N, "fail": M} (the /health
  answers so far); anything else 404.
- --tcp-port: a plain TCP listener that accepts connections and keeps them
  open (it reads and discards what arrives, and closes its end only when the
  peer closes), for `picket agent --check-tcp`.
- Prints "ready" on stdout once every listener is up; runs until killed
  (SIGTERM and SIGINT exit 0). Stdlib only.
"""

import argparse
import json
import random
import selectors
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class App:
    def __init__(self, fail_rate, seed):
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.ok = 0
        self.fail = 0

    def health(self):
        """True if this /health answer is a success (and counts it)."""
        with self.lock:
            good = self.fail_rate <= 0 or self.rng.random() >= self.fail_rate
            if good:
                self.ok += 1
            else:
                self.fail += 1
            return good

    def stats(self):
        with self.lock:
            return {"ok": self.ok, "fail": self.fail}


def http_server(app, host, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/health":
                if app.health():
                    self.answer(200, "ok\n")
                else:
                    self.answer(500, "fail\n")
            elif path == "/stats":
                self.answer(200, json.dumps(app.stats()) + "\n", "application/json")
            else:
                self.answer(404, "not found\n")

        do_HEAD = do_GET

    class Server(ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 128

    return Server((host, port), Handler)


def tcp_listener(host, port):
    """Accepts connections and holds them open until the peer closes."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(128)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)

    def loop():
        while True:
            for key, _ in sel.select():
                if key.data is None:
                    try:
                        conn, _ = lsock.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, "conn")
                else:
                    conn = key.fileobj
                    try:
                        data = conn.recv(4096)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(conn)
                        conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return lsock


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tcp-port", type=int, default=None)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if not 0.0 <= args.fail_rate <= 1.0:
        ap.error("--fail-rate must be in [0, 1]")

    app = App(args.fail_rate, args.seed)
    server = http_server(app, args.host, args.port)
    if args.tcp_port is not None:
        tcp_listener(args.host, args.tcp_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(signum, frame):
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
