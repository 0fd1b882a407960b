"""`picket tags`: set and delete a tag on one agent; every other agent's
/v1/members shows the change and logs a member.updated event for it, which
also runs a command hook (`picket agent --hook`) configured on one of them."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from picket_cluster import PICKET, Cluster, http_json, states, wait_until

NET = 6


def picket(*args, timeout=10):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICKET_")}
    p = subprocess.run([PICKET, *args], capture_output=True, text=True, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


class Tags(unittest.TestCase):
    def test_set_and_delete_spread_to_every_member(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("tags-test-token\n")
            token_file = f.name
        try:
            with Cluster(NET) as c:
                a = c.add(0, ["--tag", "zone=a", "--api-token-file", token_file])
                hook_dir = tempfile.mkdtemp(prefix="picket-tags-hook.", dir=c.dir)
                hook = (f"member.updated=cat >> {hook_dir}/events.json; "
                        f'echo "$PICKET_EVENT $PICKET_MEMBER $PICKET_SELF $PICKET_HAS_MAJORITY" '
                        f">> {hook_dir}/events.txt")
                others = [c.add(1, ["--hook", hook, "--hook-timeout", "5s"]), c.add(2)]
                self.hook_dir = hook_dir
                a.start()
                for o in others:
                    o.start(join=[a.gossip])
                names = {x.name for x in c.agents}
                try:
                    self.run_scenario(c, a, others, names, token_file)
                except AssertionError:
                    print(c.dump_logs(), file=sys.stderr)
                    raise
        finally:
            os.unlink(token_file)

    def run_scenario(self, c, a, others, names, token_file):
        for x in c.agents:
            wait_until(lambda x=x: states(x) == {n: "alive" for n in names}, 30,
                       what=f"{x.name} sees everyone alive")
        http = ["--http", f"{a.host}:9747"]

        code, out, err = picket("tags", *http)
        self.assertEqual((code, out), (0, "zone=a\n"), err)

        # The agent requires a token for changes.
        code, out, err = picket("tags", "set", "role=primary", *http)
        self.assertEqual(code, 1, out + err)
        self.assertIn("401", err)

        code, out, err = picket("tags", "set", "role=primary", "note=a=b", *http,
                                "--api-token-file", token_file)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "note=a=b\nrole=primary\nzone=a\n")
        want = {"zone": "a", "role": "primary", "note": "a=b"}
        for o in others:
            wait_until(lambda o=o: (o.members() or {}).get(a.name, {}).get("tags") == want, 15,
                       what=f"{o.name} sees {a.name}'s new tags")
            status, body = http_json(o.api + "/v1/events?since=0&timeout=0")
            self.assertEqual(status, 200)
            updated = [e for e in body["events"]
                       if e["type"] == "member.updated" and e["member"]["name"] == a.name]
            self.assertTrue(updated, body)
            self.assertEqual(updated[-1]["member"]["tags"], want)

        # node-1's hook ran for the update: event JSON on stdin, fields in the environment.
        hooked = others[0]
        wait_until(lambda: os.path.exists(f"{self.hook_dir}/events.txt") and
                   f"member.updated {a.name} {hooked.name} true\n" in open(f"{self.hook_dir}/events.txt").read(),
                   15, what="the member.updated hook on node-1")
        with open(f"{self.hook_dir}/events.json") as f:
            runs = [json.loads(line) for line in f if line.strip()]
        self.assertTrue(any(r["type"] == "member.updated" and r["member"]["tags"] == want for r in runs), runs)
        self.assertRegex(hooked.metrics(), r'picket_hook_runs_total\{hook="cat",outcome="success"\} [1-9]')
        self.assertIn("hook cat for member.updated", hooked.log())

        code, out, err = picket("tags", "delete", "zone", "note", *http, "--api-token", "tags-test-token")
        self.assertEqual((code, out), (0, "role=primary\n"), err)
        for o in others:
            wait_until(lambda o=o: (o.members() or {}).get(a.name, {}).get("tags") == {"role": "primary"},
                       15, what=f"{o.name} sees {a.name}'s tag deleted")

        # The agent publishes its own new tags too.
        wait_until(lambda: picket("tags", "--json", *http)[1].strip() == json.dumps(
            {"tags": {"role": "primary"}}, separators=(",", ":")), 10, what="own tags as JSON")

        # Usage errors name the problem and change nothing.
        code, out, err = picket("tags", "set", "novalue", *http, "--api-token-file", token_file)
        self.assertEqual(code, 2, out + err)
        self.assertIn("expected KEY=VALUE", err)
        code, out, err = picket("tags", "set", *http)
        self.assertNotEqual(code, 0)
        code, out, err = picket("tags", "--http", f"127.{NET}.0.99:1")
        self.assertEqual(code, 1)
        self.assertIn("cannot reach", err)

    def test_bad_hook_is_rejected(self):
        code, out, err = picket("agent", "--name", "x", "--bind", f"127.{NET}.0.50:0",
                                "--http", f"127.{NET}.0.50:0", "--hook", "member.fail=/bin/true")
        self.assertNotEqual(code, 0)
        self.assertIn("--hook", out + err)
        self.assertIn("unknown event type 'member.fail'", out + err)
        code, out, err = picket("agent", "--name", "x", "--bind", f"127.{NET}.0.50:0",
                                "--http", f"127.{NET}.0.50:0", "--hook-timeout", "soon")
        self.assertNotEqual(code, 0)
        self.assertIn("--hook-timeout", out + err)


if __name__ == "__main__":
    unittest.main()
