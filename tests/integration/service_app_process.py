"""service_app.py as a child process, for the service-health tests and
benchmark: started on one address, restartable there, killed by PID."""

import os
import signal
import subprocess
import sys
import time

SERVICE_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service_app.py")


class AppProcess:
    def __init__(self, host, port, out_path, tcp_port=None, fail_rate=0.0, seed=None):
        self.host = host
        self.port = port
        self.tcp_port = tcp_port
        self.fail_rate = fail_rate
        self.seed = seed
        self.out_path = out_path
        self.proc = None

    @property
    def health_url(self):
        return f"http://{self.host}:{self.port}/health"

    def start(self, wait=True, timeout=20):
        args = [sys.executable, SERVICE_APP, "--host", self.host, "--port", str(self.port)]
        if self.tcp_port:
            args += ["--tcp-port", str(self.tcp_port)]
        if self.fail_rate:
            args += ["--fail-rate", str(self.fail_rate)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready(timeout)
        return self

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def wait_ready(self, timeout=20):
        """Waits for "ready" on its output; returns the wall time it was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"service_app {self.host} exited: {self.output()}")
            if "ready" in self.output():
                return time.time()
            time.sleep(0.01)
        raise RuntimeError(f"service_app {self.host} not ready after {timeout}s")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            os.kill(self.proc.pid, sig)

    def kill(self):
        """SIGKILL (after SIGCONT, in case it is stopped) and reap."""
        if self.running():
            os.kill(self.proc.pid, signal.SIGCONT)
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
