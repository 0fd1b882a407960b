"""Bad flags and bad config files: a clear message naming the setting, non-zero exit.
The protocol flags (membership/config_fields.cc) in `picket agent` and `picket sim`."""

import json
import os
import shlex
import subprocess
import tempfile
import unittest

from picket_cluster import PICKET


def run(*args, env=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PICKET_")}
    full_env.update(env or {})
    p = subprocess.run([PICKET, *args], capture_output=True, text=True, timeout=10, env=full_env)
    return p.returncode, p.stdout + p.stderr


class BadConfiguration(unittest.TestCase):
    def assert_rejected(self, expected_words, *args, env=None):
        code, out = run(*args, env=env)
        self.assertNotEqual(code, 0, out)
        for word in expected_words:
            self.assertIn(word, out)

    def test_bad_flags_name_the_flag(self):
        base = ["agent", "--name", "x", "--bind", "127.0.3.1:0", "--http", "127.0.3.1:0"]
        self.assert_rejected(["--probe-interval"], *base, "--probe-interval", "fast")
        self.assert_rejected(["--probe-interval"], *base, "--probe-interval", "500")
        self.assert_rejected(["--observers"], *base, "--observers", "0")
        self.assert_rejected(["--bind"], "agent", "--name", "x", "--bind", "127.0.0.1:99999")
        self.assert_rejected(["--join"], *base, "--join", "host:notaport")
        self.assert_rejected(["--log-format"], *base, "--log-format", "xml")
        self.assert_rejected(["--no-such-flag"], *base, "--no-such-flag")
        self.assert_rejected(["--keyring"], *base, "--keyring", "/nonexistent/keyring")
        self.assert_rejected(["--webhook-timeout", "at least 1ms"], *base, "--webhook-timeout", "0s")
        self.assert_rejected(["--webhook-drain"], *base, "--webhook-drain", "soon")
        self.assert_rejected(["--hook-timeout"], *base, "--hook-timeout", "-1s")
        self.assert_rejected(["--record-heartbeats-max-bytes", "at least 4096"], *base,
                             "--record-heartbeats", "/tmp", "--record-heartbeats-max-bytes", "1KB")
        self.assert_rejected(["--record-heartbeats-max-bytes"], *base, "--record-heartbeats",
                             "/tmp", "--record-heartbeats-max-bytes", "lots")
        self.assert_rejected(["--record-heartbeats", "cannot create directory"], *base,
                             "--record-heartbeats", "/proc/version/traces")

    def test_bad_protocol_settings_name_their_own_flag(self):
        base = ["agent", "--name", "x", "--bind", "127.0.3.1:0", "--http", "127.0.3.1:0"]
        # probe_timeout's range depends on probe_interval: still --probe-timeout.
        code, out = run(*base, "--probe-timeout", "2s")
        self.assertNotEqual(code, 0, out)
        self.assertIn("--probe-timeout (or PICKET_PROBE_TIMEOUT)", out)
        self.assertNotIn("--probe-interval", out)
        # ... unless the given flag is --probe-interval and the default timeout no longer fits.
        code, out = run(*base, "--probe-interval", "300ms")
        self.assertNotEqual(code, 0, out)
        self.assertIn("--probe-interval (or PICKET_PROBE_INTERVAL)", out)
        code, out = run("sim", "--nodes", "4", "--seconds", "1", "--probe-timeout", "2s")
        self.assertEqual(code, 2, out)
        self.assertIn("picket sim: --probe-timeout: probe_timeout must be > 0 and < probe_interval", out)
        # The settings that had no flag before the descriptor table.
        self.assert_rejected(["--phi-probe-timeout"], *base, "--phi-probe-timeout", "2s")
        self.assert_rejected(["--gossip-fanout"], *base, "--gossip-fanout", "17")
        self.assert_rejected(["PICKET_GOSSIP_INTERVAL", "--gossip-interval"], *base,
                             env={"PICKET_GOSSIP_INTERVAL": "soon"})
        self.assert_rejected(["--reconnect-interval"], *base, "--reconnect-interval", "-1s")
        self.assert_rejected(["--phi-learn-suspected"], *base, "--phi-learn-suspected", "maybe")

    def test_environment_is_read_and_checked(self):
        base = ["agent", "--name", "x", "--bind", "127.0.3.1:0", "--http", "127.0.3.1:0"]
        self.assert_rejected(["PICKET_PHI_THRESHOLD", "--phi-threshold"], *base,
                             env={"PICKET_PHI_THRESHOLD": "-3"})

    def test_bad_config_files_name_the_file_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('bind = "127.0.3.1:0"\nprobe-intervall = "1s"\n')
            path = f.name
        try:
            self.assert_rejected([path, "probe-intervall"], "agent", "--config", path)
        finally:
            os.unlink(path)
        self.assert_rejected(["/nonexistent.toml"], "agent", "--config", "/nonexistent.toml")

    def test_bind_in_use_is_reported(self):
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.3.2", 0))
        s.listen()
        port = s.getsockname()[1]
        try:
            self.assert_rejected(["--bind"], "agent", "--name", "x", "--bind", f"127.0.3.2:{port}",
                                 "--http", "127.0.3.2:0")
        finally:
            s.close()


class SimCommandLine(unittest.TestCase):
    def sim_json(self, *args):
        p = subprocess.run([PICKET, "sim", *args, "--json"], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        del report["wall_s"]
        return report

    def test_the_command_of_a_report_reproduces_it(self):
        for flags in (["--profile", "wan"],
                      ["--profile", "wan", "--observers", "3", "--phi-learn-suspected", "false",
                       "--cluster", "a b"],
                      ["--heartbeat-interval", "1s", "--gossip-fanout", "2"]):
            with self.subTest(flags=flags):
                first = self.sim_json("--nodes", "12", "--seconds", "20", "--crash", "1",
                                      "--seed", "3", *flags)
                words = shlex.split(first["command"])
                self.assertEqual(words[:2], ["picket", "sim"])
                again = self.sim_json(*words[2:])
                self.assertEqual(first, again)
                if flags[:2] == ["--profile", "wan"]:
                    self.assertIn("--profile wan", first["command"])


if __name__ == "__main__":
    unittest.main()
