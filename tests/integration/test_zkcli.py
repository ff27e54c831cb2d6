#!/usr/bin/python3
"""Apache ZooKeeper's own Java CLI (zkCli.sh) against the server: create
(plain, -e, -s), ls, get, get -s, set, stat, delete, deleteall and their
error messages.  Output is parsed line by line, ignoring log noise."""

import logging
import os
import re
import subprocess
import unittest

import harness
from harness import wait_for

logging.basicConfig(level=logging.CRITICAL)

NOISE = re.compile(r"^(SLF4J:|WATCHER::|WatchedEvent |Connecting to |"
                   r"Welcome to ZooKeeper|JLine support|log4j:|\d{4}-\d\d-\d\d |"
                   r"\[main|\[main-)")


def clean(text):
    return [ln.rstrip() for ln in text.splitlines()
            if ln.strip() and not NOISE.match(ln)]


def parse_stat(lines):
    """{'cZxid': int, ...} from zkCli's 'key = value' stat lines."""
    st = {}
    for ln in lines:
        m = re.match(r"^(\w+) = (.*)$", ln)
        if m:
            k, v = m.groups()
            if v.startswith("0x"):
                st[k] = int(v, 16)
            elif re.fullmatch(r"-?\d+", v):
                st[k] = int(v)
            else:
                st[k] = v
    return st


@unittest.skipUnless(os.access(harness.ZKCLI, os.X_OK),
                     "zkCli.sh not installed (Debian package zookeeper)")
class ZkCliTest(harness.ServerTestCase):

    def zkcli(self, *args, stdin=None):
        """Run zkCli.sh with one command (args) or a script on stdin;
        returns the cleaned output lines (stdout and stderr)."""
        argv = [harness.ZKCLI, "-server", self.server.hosts] + list(args)
        env = dict(os.environ, ZOO_LOG_DIR=self.server.tmp,
                   CLIENT_JVMFLAGS="-Djava.net.preferIPv4Stack=true")
        r = subprocess.run(argv, input=stdin if stdin is not None else "",
                           capture_output=True, text=True, timeout=120,
                           env=env, cwd=self.server.tmp)
        return clean(r.stdout) + clean(r.stderr)

    def setUp(self):
        super().setUp()
        self.k = self.client()

    def test_create_get_set(self):
        p = self.base
        out = self.zkcli("create", p, "hello")
        self.assertIn("Created " + p, out)
        self.assertEqual(self.k.get(p)[0], b"hello")
        out = self.zkcli("get", p)
        self.assertEqual(out, ["hello"])
        self.zkcli("set", p, "world")
        data, st = self.k.get(p)
        self.assertEqual((data, st.version), (b"world", 1))
        out = self.zkcli("get", "-s", p)
        self.assertEqual(out[0], "world")
        s = parse_stat(out[1:])
        self.assertEqual(s["dataVersion"], 1)
        self.assertEqual(s["cZxid"], st.czxid)
        self.assertEqual(s["mZxid"], st.mzxid)
        self.assertEqual(s["dataLength"], 5)
        out = self.zkcli("set", "-v", "7", p, "nope")
        self.assertTrue(any("version No is not valid" in ln for ln in out),
                        out)
        self.assertEqual(self.k.get(p)[0], b"world")
        out = self.zkcli("create", p, "again")
        self.assertIn("Node already exists: " + p, out)

    def test_stat_matches_kazoo(self):
        p = self.base
        self.k.create(p, b"abc")
        self.k.create(p + "/a")
        self.k.create(p + "/b")
        self.k.delete(p + "/a")
        st = self.k.exists(p)
        s = parse_stat(self.zkcli("stat", p))
        self.assertEqual(s["cZxid"], st.czxid)
        self.assertEqual(s["mZxid"], st.mzxid)
        self.assertEqual(s["pZxid"], st.pzxid)
        self.assertEqual(s["cversion"], st.cversion)
        self.assertEqual(s["dataVersion"], st.version)
        self.assertEqual(s["aclVersion"], st.aversion)
        self.assertEqual(s["ephemeralOwner"], 0)
        self.assertEqual(s["dataLength"], 3)
        self.assertEqual(s["numChildren"], 1)
        out = self.zkcli("stat", p + "/missing")
        self.assertIn("Node does not exist: %s/missing" % p, out)

    def test_sequential_and_ls(self):
        p = self.base
        self.zkcli("create", p, "")
        out = self.zkcli("create", "-s", p + "/s-", "x")
        self.assertIn("Created %s/s-0000000000" % p, out)
        out = self.zkcli("create", "-s", p + "/s-", "y")
        self.assertIn("Created %s/s-0000000001" % p, out)
        self.k.create(p + "/plain")
        out = self.zkcli("ls", p)
        self.assertIn("[plain, s-0000000000, s-0000000001]", out)
        out = self.zkcli("ls", "/")
        lst = [ln for ln in out if ln.startswith("[")]
        self.assertEqual(len(lst), 1, out)
        self.assertIn("zookeeper", lst[0].strip("[]").split(", "))
        self.assertIn(p.lstrip("/"), lst[0].strip("[]").split(", "))
        out = self.zkcli("ls", p + "/nonexistent")
        self.assertIn("Node does not exist: %s/nonexistent" % p, out)

    def test_ephemeral_in_one_session(self):
        p = self.base
        self.k.create(p)
        script = ("create -e %s/e eph\nstat %s/e\nls %s\nquit\n"
                  % (p, p, p))
        out = self.zkcli(stdin=script)
        self.assertIn("Created %s/e" % p, out)
        s = parse_stat(out)
        self.assertNotEqual(s.get("ephemeralOwner", 0), 0, out)
        self.assertEqual(s["dataLength"], 3)
        self.assertIn("[e]", out)
        # the CLI's session closed on quit: the ephemeral is gone
        wait_for(lambda: self.k.exists(p + "/e") is None, 15,
                 "ephemeral of the closed zkCli session removed")
        out = self.zkcli("create", "-e", "-s", p + "/es", "")
        self.assertIn("Created %s/es0000000001" % p, out)

    def test_delete_and_deleteall(self):
        p = self.base
        self.k.create(p + "/a/b/c", makepath=True)
        self.k.create(p + "/x")
        out = self.zkcli("delete", p + "/a")
        self.assertIn("Node not empty: %s/a" % p, out)
        self.assertIsNotNone(self.k.exists(p + "/a"))
        self.zkcli("delete", p + "/x")
        self.assertIsNone(self.k.exists(p + "/x"))
        out = self.zkcli("delete", p + "/x")
        self.assertIn("Node does not exist: %s/x" % p, out)
        self.zkcli("deleteall", p)
        self.assertIsNone(self.k.exists(p))
        self.assertIsNone(self.k.exists(p + "/a/b/c"))

    def test_script_on_stdin(self):
        p = self.base
        script = "\n".join([
            "create %s top" % p,
            "create %s/k1 one" % p,
            "create %s/k2 two" % p,
            "set %s/k1 ONE" % p,
            "get %s/k1" % p,
            "ls %s" % p,
            "delete %s/k2" % p,
            "ls %s" % p,
            "quit", ""])
        out = self.zkcli(stdin=script)
        self.assertIn("ONE", out)
        lists = [ln for ln in out if ln.startswith("[")]
        self.assertEqual(lists, ["[k1, k2]", "[k1]"])
        self.assertEqual(self.k.get_children(p), ["k1"])
        self.assertEqual(self.k.get(p + "/k1")[0], b"ONE")


if __name__ == "__main__":
    harness.main()
