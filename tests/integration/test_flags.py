"""Bad flags and bad config files: a clear message naming the setting, non-zero exit."""

import os
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


if __name__ == "__main__":
    unittest.main()
