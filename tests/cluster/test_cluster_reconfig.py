#!/usr/bin/python3
"""Observers and dynamic membership (reconfig) in real ensembles.

- A static observer (server.4=...:observer) says Mode: observer, serves
  reads and writes, and never counts for a quorum: with 2 of 3 voters
  down the ensemble stops, observer or not.
- reconfig as super adds two participants that started as non-voting
  learners: afterwards 3 of the 5 make a quorum although 2 of the first 3
  are gone, which the old membership would not allow.
- reconfig removes two of five: afterwards 2 of the 3 left make a quorum,
  the removed servers stop serving, and a restarted member keeps the new
  membership (dataDir/membership on corral).
- reconfig answers ZooKeeper's errors: BadVersion for a stale from_config,
  NoAuth without super, BadArguments for nonsense, NewConfigNoQuorum when
  the new voters are not connected.

Every test also runs against Apache ZooKeeper (CORRAL_TEST_TARGET=zookeeper),
which is where these expectations come from.
"""

import base64
import hashlib
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cluster as ch  # noqa: E402
from cluster import Cluster, wait_for  # noqa: E402
from kazoo.exceptions import ConnectionLoss  # noqa: E402

SUPER_PASS = "test"
SUPER_DIGEST = "super:" + base64.b64encode(
    hashlib.sha1(("super:" + SUPER_PASS).encode()).digest()).decode()
SUPER_AUTH = [("digest", "super:" + SUPER_PASS)]


class MembershipCluster(Cluster):
    """A cluster whose nodes may start with different server lists:
    members[i] is the list of (id, role) node i's zoo.cfg names; server
    lines carry the client address (3.5 syntax) as reconfig prints them."""

    def __init__(self, n, members, **kw):
        self.members = members
        extra = dict(kw.pop("extra_cfg", None) or {})
        extra.setdefault("reconfigEnabled", "true")
        jvm = list(kw.pop("jvm_flags", ()))
        if (kw.get("target") or ch.TARGET) == "zookeeper":
            jvm.append("-Dzookeeper.DigestAuthenticationProvider."
                       "superDigest=" + SUPER_DIGEST)
        else:
            extra["DigestAuthenticationProvider.superDigest"] = SUPER_DIGEST
        super().__init__(n, extra_cfg=extra, jvm_flags=jvm, **kw)

    def spec(self, k, role="participant"):
        o = self.nodes[k]
        return "127.0.0.1:%d:%d:%s;127.0.0.1:%d" % (
            o.quorum_port, o.election_port, role, o.client_port)

    def line(self, k, role="participant"):
        return "server.%d=%s" % (k, self.spec(k, role))

    def _write_cfg(self, i):
        n = self.n
        self.n = 1          # the base class writes no server lines
        try:
            super()._write_cfg(i)
        finally:
            self.n = n
        with open(self.nodes[i].cfg_path, "a") as f:
            for k, role in self.members.get(i, ()):
                f.write(self.line(k, role) + "\n")


class MembershipTest(unittest.TestCase):

    def make(self, n, members, start):
        c = MembershipCluster(n, members, tick_time=500, init_limit=10,
                              sync_limit=4)
        self.addCleanup(c.close)
        self.c = c
        for i in start:
            c._launch(i)
        return c

    def client(self, idxs, **kw):
        c = self.c.client(hosts=self.c.hosts_of(idxs), **kw)
        return c

    def wait_modes(self, want, timeout=60):
        """want: {node: mode}; poll srvr until every node matches."""
        last = {}

        def cond():
            for i in want:
                last[i] = self.c.mode(i)
            return all(last[i] == m for i, m in want.items())
        try:
            wait_for(cond, timeout, "modes %s" % want)
        except ch.WaitTimeout as e:
            raise ch.WaitTimeout("%s; got %s\n%s" % (e, last,
                                                     self.c.tails(list(want))))

    def wait_voters_ready(self, idxs, timeout=60):
        return self.c.wait_ready(timeout=timeout, idxs=idxs)

    def config_of(self, i):
        kc = self.c.node_client(i)
        try:
            return kc.get("/zookeeper/config")[0].decode()
        finally:
            ch._close_client(kc)

    def write_via(self, idxs, path, data=b"x", timeout=60):
        """Create path through a client of idxs, retrying until the
        ensemble accepts writes."""
        def attempt():
            kc = self.c.client(hosts=self.c.hosts_of(idxs), start=False)
            try:
                kc.start(timeout=5)
                kc.create(path, data)
                return True
            except Exception:  # noqa: BLE001  (not serving yet)
                return False
            finally:
                ch._close_client(kc)
        wait_for(attempt, timeout, "a write through nodes %s" % idxs,
                 interval=0.5)

    def assert_not_serving(self, idxs, timeout=30):
        self.wait_modes({i: None for i in idxs}, timeout)


class ObserverTest(MembershipTest):

    def test_static_observer(self):
        four = [(1, "participant"), (2, "participant"), (3, "participant"),
                (4, "observer")]
        c = self.make(4, {i: four for i in range(1, 5)}, range(1, 5))
        self.wait_voters_ready([1, 2, 3])
        self.wait_modes({4: "observer"})
        # the observer serves reads and forwards writes
        ko = self.c.node_client(4)
        kv = self.c.node_client(1)
        ko.create("/via-observer", b"o")
        kv.sync("/via-observer")
        self.assertEqual(kv.get("/via-observer")[0], b"o")
        kv.create("/via-voter", b"v")
        ko.sync("/via-voter")
        self.assertEqual(ko.get("/via-voter")[0], b"v")
        self.assertIn(":observer;", self.config_of(4))
        # the observer does not vote: 1 voter + 1 observer is no quorum
        ch._close_client(ko)
        ch._close_client(kv)
        c.kill9(2)
        c.kill9(3)
        self.assert_not_serving([1, 4])
        c.start_node(2, wait=False)
        self.wait_voters_ready([1, 2])
        self.wait_modes({4: "observer"})
        self.write_via([4], "/after")


class ReconfigTest(MembershipTest):

    def test_add_participants(self):
        old = [(1, "participant"), (2, "participant"), (3, "participant")]
        new = old + [(4, "participant"), (5, "participant")]
        members = {1: old, 2: old, 3: old, 4: new, 5: new}
        c = self.make(5, members, [1, 2, 3])
        self.wait_voters_ready([1, 2, 3])
        # not in the ensemble's config yet: they join as non-voters
        c.start_node(4, wait=False)
        c.start_node(5, wait=False)
        self.wait_modes({4: "follower", 5: "follower"})
        su = self.c.client(hosts=c.hosts_of([1, 2, 3]), auth_data=SUPER_AUTH)
        data, stat = su.reconfig(joining="%s,%s" % (c.line(4), c.line(5)),
                                 leaving=None, new_members=None)
        text = data.decode()
        for k in range(1, 6):
            self.assertIn(c.line(k), text)
        version = text.split("\n")[-1]
        self.assertRegex(version, r"^version=[0-9a-f]+$")
        self.assertEqual(int(version.split("=")[1], 16), stat.mzxid)
        self.assertEqual(stat.version, -1)      # a SetDataTxn with -1
        for i in range(1, 6):
            wait_for(lambda: self.config_of(i) == text, 20,
                     "node %d to show the new config" % i)
        # a replica that reloads its tree shows the same data and stat
        # (ZooKeeper sets mtime anew at a restart)
        c.restart(5, wait=False)
        self.wait_modes({5: "follower"})
        k5 = self.c.node_client(5)
        d5, st5 = k5.get("/zookeeper/config")
        self.assertEqual(d5, data)
        self.assertEqual((st5.mzxid, st5.version, st5.aversion),
                         (stat.mzxid, stat.version, stat.aversion))
        ch._close_client(k5)
        # 1, 4, 5 are a quorum of the five, not of the first three
        c.kill9(2)
        c.kill9(3)
        self.write_via([1, 4, 5], "/three-of-five")
        # a restarted member comes back with the new membership
        c.restart(4, wait=False)
        self.wait_modes({4: "follower"})
        self.assertEqual(self.config_of(4), text)

    def test_add_remove_observer(self):
        old = [(1, "participant"), (2, "participant"), (3, "participant")]
        members = {1: old, 2: old, 3: old, 4: old + [(4, "observer")]}
        c = self.make(4, members, [1, 2, 3])
        self.wait_voters_ready([1, 2, 3])
        c.start_node(4, wait=False)
        # not a member yet: a non-voting learner (ZooKeeper's srvr calls it
        # a follower, corral's an observer, as its own config says)
        wait_for(lambda: c.mode(4) in ("follower", "observer"), 60,
                 "node 4 to learn")
        su = self.c.client(hosts=c.hosts_of([1, 2, 3]), auth_data=SUPER_AUTH)
        data, _ = su.reconfig(joining=c.line(4, "observer"), leaving=None,
                              new_members=None)
        self.assertIn(c.line(4, "observer"), data.decode())
        self.wait_modes({4: "observer"})
        wait_for(lambda: self.config_of(4) == data.decode(), 20,
                 "the observer to show the new config")
        self.write_via([4], "/via-added-observer")
        data, _ = su.reconfig(joining=None, leaving="4", new_members=None)
        self.assertNotIn("server.4=", data.decode())
        # the voters go on without it
        self.write_via([1, 2, 3], "/observer-removed")

    def test_remove_participants(self):
        five = [(k, "participant") for k in range(1, 6)]
        c = self.make(5, {i: five for i in range(1, 6)}, range(1, 6))
        self.wait_voters_ready(list(range(1, 6)))
        su = self.c.client(hosts=c.hosts_of([1, 2, 3]), auth_data=SUPER_AUTH)
        try:
            data, _ = su.reconfig(joining=None, leaving="4,5",
                                  new_members=None)
        except ConnectionLoss:
            # the leader (5, the highest id) removed itself: the others
            # follow a new one, and their clients reconnect
            data = wait_for(lambda: (lambda d: d if b"server.5=" not in d
                                     else None)(su.get("/zookeeper/config")[0]),
                            30, "the reconfig to commit")
        text = data.decode()
        self.assertNotIn("server.4=", text)
        self.assertNotIn("server.5=", text)
        wait_for(lambda: all(self.config_of(i) == text for i in (1, 2, 3)),
                 20, "nodes 1-3 to show the new config")
        # 2 of the 3 left are a quorum now (2 of 5 were not)
        c.kill9(3)
        c.kill9(4)
        c.kill9(5)
        self.write_via([1, 2], "/two-of-three")
        # the members keep the new membership across a restart
        c.start_node(3, wait=False)
        self.wait_voters_ready([1, 2, 3])
        self.assertEqual(self.config_of(3), text)

    def test_change_roles(self):
        four = [(k, "participant") for k in range(1, 5)]
        c = self.make(4, {i: four for i in range(1, 5)}, range(1, 5))
        leader = self.wait_voters_ready([1, 2, 3, 4])
        k, a, b = [i for i in range(1, 5) if i != leader]
        su = self.c.client(hosts=c.hosts_of([leader, a]),
                           auth_data=SUPER_AUTH)
        # demote k: the voters are leader, a, b, so leader and a are a
        # quorum even with b and k gone
        data, _ = su.reconfig(joining=c.line(k, "observer"), leaving=None,
                              new_members=None)
        self.assertIn(c.line(k, "observer"), data.decode())
        self.wait_modes({k: "observer"})
        self.write_via([k], "/observer-writes")
        c.kill9(b)
        c.kill9(k)
        self.write_via([leader, a], "/two-of-three")
        c.start_node(b, wait=False)
        c.start_node(k, wait=False)
        self.wait_modes({b: "follower", k: "observer"})
        # promote k again: now leader and a alone are 2 of 4, no quorum
        data, _ = su.reconfig(joining=c.line(k), leaving=None,
                              new_members=None)
        self.assertIn(c.line(k), data.decode())
        self.wait_modes({k: "follower"})
        c.kill9(b)
        c.kill9(k)
        self.assert_not_serving([leader, a])

    def test_errors(self):
        from kazoo.exceptions import (BadArgumentsError, BadVersionError,
                                      NewConfigNoQuorumError, NoAuthError)
        three = [(k, "participant") for k in (1, 2, 3)]
        c = self.make(4, {i: three for i in (1, 2, 3)}, [1, 2, 3])
        self.wait_voters_ready([1, 2, 3])
        anon = self.c.client(hosts=c.hosts_of([1, 2, 3]))
        su = self.c.client(hosts=c.hosts_of([1, 2, 3]), auth_data=SUPER_AUTH)
        with self.assertRaises(NoAuthError):
            anon.reconfig(joining=None, leaving="3", new_members=None)
        with self.assertRaises(BadArgumentsError):
            su.reconfig(joining="server.4=nonsense", leaving=None,
                        new_members=None)
        with self.assertRaises(BadArgumentsError):   # 1 voter left
            su.reconfig(joining=None, leaving="2,3", new_members=None)
        data, stat = su.get("/zookeeper/config")
        cur = int(data.decode().split("\n")[-1].split("=")[1], 16)
        # with reconfig on, the first leader versions zoo.cfg's membership
        # with its epoch's first zxid, on every node (ZOOKEEPER-1783)
        self.assertNotEqual(cur, 0)
        self.assertEqual(cur & 0xffffffff, 0)
        self.assertEqual(stat.mzxid, cur)
        for i in (1, 2, 3):
            wait_for(lambda: self.config_of(i) == data.decode(), 20,
                     "node %d to show version %x" % (i, cur))
        with self.assertRaises(BadVersionError):
            su.reconfig(joining=None, leaving="3", new_members=None,
                        from_config=cur + 1)
        # node 4 is down: a membership whose voters are mostly absent
        with self.assertRaises(NewConfigNoQuorumError):
            su.reconfig(joining=None, leaving=None, new_members=",".join(
                [c.line(1), c.line(4)]))
        # nothing changed
        self.assertEqual(su.get("/zookeeper/config")[0], data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
