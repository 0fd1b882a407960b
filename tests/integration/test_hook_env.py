"""Command hooks get a clean environment: PATH, the variables listed with
`--exec-env` and their PICKET_* event fields, never the agent's secrets.

Two real agents on 127.9.0.x (Cluster(net=9)) hold a webhook secret from a
`--config` file (which the agent applies to its own environment), gossip keys
in PICKET_KEYRING_KEYS and an API token file in PICKET_API_TOKEN_FILE; each
runs `env` as a member.joined hook. node-0 passes a variable through with the
`--exec-env` flag, node-1 with the config-file key `exec-env`. When node-1
joins, both hooks run; their `env` output has the event fields and the
pass-through variable, and none of the secrets.
"""

import base64
import os
import subprocess
import sys
import unittest

from picket_cluster import PICKET, Cluster, states, wait_until

NET = 9

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
KEYRING_KEY = base64.b64encode(os.urandom(32)).decode()
PASS_VALUE = "passed-through value"
PRIVATE_VALUE = "not-listed-db-password"

# What a hook may see: PATH, the pass-through variable, the event fields, and
# what /bin/sh sets itself.
EVENT_FIELDS = {"PICKET_EVENT", "PICKET_SEQ", "PICKET_MEMBER", "PICKET_MEMBER_ADDRESS",
                "PICKET_MEMBER_STATE", "PICKET_INCARNATION", "PICKET_HAS_MAJORITY",
                "PICKET_ALIVE", "PICKET_SIZE", "PICKET_SELF"}
ALLOWED = {"PATH", "HOOK_ENV_TEST_PASS", "PWD", "OLDPWD", "SHLVL", "_"} | EVENT_FIELDS


def clean_environment():
    """The test's environment without any PICKET_* setting of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PICKET_")}


def parse_env(text):
    out = {}
    for line in text.splitlines():
        name, eq, value = line.partition("=")
        if eq:
            out[name] = value
    return out


class HookEnvironment(unittest.TestCase):
    def test_hooks_see_event_fields_and_pass_through_only(self):
        with Cluster(net=NET) as c:
            token_file = os.path.join(c.dir, "api-token")
            with open(token_file, "w") as f:
                f.write("hook-env-test-token\n")
            env = {"PICKET_KEYRING_KEYS": KEYRING_KEY, "PICKET_API_TOKEN_FILE": token_file,
                   "HOOK_ENV_TEST_PASS": PASS_VALUE, "HOOK_ENV_TEST_PRIVATE": PRIVATE_VALUE}
            agents = []
            for i in range(2):
                config = os.path.join(c.dir, f"node-{i}.toml")
                with open(config, "w") as f:
                    f.write(f'webhook-secret = "{SECRET}"\n')
                    if i == 1:
                        f.write('exec-env = ["HOOK_ENV_TEST_PASS"]\n')
                out = os.path.join(c.dir, f"node-{i}.env")
                hook = f"member.joined=env > {out}.tmp && mv {out}.tmp {out}"
                args = ["--config", config, "--hook", hook, "--hook-timeout", "5s"]
                if i == 0:
                    args += ["--exec-env", "HOOK_ENV_TEST_PASS"]
                agents.append((c.add(i, args, env=env), out))
            agents[0][0].start()
            agents[1][0].start(join=[agents[0][0].gossip])
            try:
                self.check(c, agents)
            except AssertionError:
                print(c.dump_logs(), file=sys.stderr)
                raise

    def check(self, c, agents):
        names = {a.name for a, _ in agents}
        for a, _ in agents:
            wait_until(lambda a=a: states(a) == {n: "alive" for n in names}, 30,
                       what=f"{a.name} sees both alive")
        for (agent, out), (other, _) in zip(agents, reversed(agents)):
            wait_until(lambda out=out: os.path.exists(out), 15,
                       what=f"the member.joined hook of {agent.name}")
            with open(out) as f:
                text = f.read()
            env = parse_env(text)
            self.assertEqual(env.get("PICKET_EVENT"), "member.joined", text)
            self.assertEqual(env.get("PICKET_MEMBER"), other.name, text)
            self.assertEqual(env.get("PICKET_SELF"), agent.name, text)
            self.assertEqual(env.get("HOOK_ENV_TEST_PASS"), PASS_VALUE, text)
            self.assertTrue(env.get("PATH"), text)
            # None of the agent's secrets, by name or by value.
            for name in ("PICKET_WEBHOOK_SECRET", "PICKET_KEYRING_KEYS", "PICKET_API_TOKEN_FILE",
                         "PICKET_CONFIG", "PICKET_HOOK", "PICKET_EXEC_ENV",
                         "HOOK_ENV_TEST_PRIVATE"):
                self.assertNotIn(name, env, text)
            for value in (SECRET, "whsec_", KEYRING_KEY, "hook-env-test-token", PRIVATE_VALUE):
                self.assertNotIn(value, text)
            self.assertLessEqual(set(env), ALLOWED, text)

    def test_bad_exec_env_names_fail_start_up(self):
        base = ["agent", "--name", "x", "--bind", f"127.{NET}.0.50:0",
                "--http", f"127.{NET}.0.50:0"]
        cases = [
            (["--exec-env", "PICKET_KEYRING_KEYS"], {}, "PICKET_KEYRING_KEYS"),
            (["--exec-env", "HOME", "--exec-env", "1BAD"], {}, "1BAD"),
            (["--exec-env", "A-B"], {}, "A-B"),
            ([], {"PICKET_EXEC_ENV": "HOME,PICKET_WEBHOOK_SECRET"}, "PICKET_WEBHOOK_SECRET"),
        ]
        for args, extra_env, value in cases:
            env = clean_environment()
            env.update(extra_env)
            p = subprocess.run([PICKET, *base, *args], capture_output=True, text=True,
                               timeout=10, env=env)
            out = p.stdout + p.stderr
            self.assertNotEqual(p.returncode, 0, out)
            self.assertIn(f"--exec-env '{value}'", out)


if __name__ == "__main__":
    unittest.main()
