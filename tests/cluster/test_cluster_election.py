#!/usr/bin/python3
"""Leader election on 3- and 5-node ensembles (FastLeaderElection).

- exactly one leader; srvr says "Mode: leader" once, "Mode: follower" for
  the others, and they agree on it for a while (no flapping);
- with logs of different lengths the leader has the longest log: the
  highest-sid nodes are kept down while a few hundred znodes are written,
  then a quorum that includes them is started: the winner is the node with
  the best (epoch, zxid, sid), not the highest sid; with equal logs the
  higher sid wins; a node started late follows the sitting leader;
- kill -9 of the leader elects a new leader and writes succeed again; the
  failover time (kill -9 until the next write is acknowledged, measured by a
  client already connected) is printed.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import ClusterTestCase, log, wait_for  # noqa: E402


class ElectionMixin:
    # set by subclasses: nodes, stale (the highest sids: kept behind)

    def assert_one_leader(self, idxs=None):
        c = self.cluster
        idxs = list(idxs or c.up())
        leader = c.wait_ready(idxs=idxs)
        modes = c.modes(idxs)
        self.assertEqual(sorted(modes.values()),
                         sorted(["leader"] + ["follower"] * (len(idxs) - 1)),
                         modes)
        # stable: the same leader over a few more ticks
        t_end = time.monotonic() + 3 * c.tick_time / 1000.0
        while time.monotonic() < t_end:
            self.assertEqual(c.modes(idxs), modes)
            time.sleep(0.1)
        return leader

    def write_znodes(self, n, base):
        c = self.client()
        c.ensure_path(base)
        rs = [c.create_async("%s/n%05d" % (base, k), b"x" * 100)
              for k in range(n)]
        for r in rs:
            r.get(timeout=60)
        c.sync(base)
        return c

    def wait_same_zxid(self, idxs):
        c = self.cluster
        return wait_for(lambda: (lambda zs: zs[0] if len(set(zs)) == 1
                                 and zs[0] is not None else None)(
            [c.zxid(i) for i in idxs]), 30,
            "nodes %s to reach the same zxid" % idxs)

    def test_1_exactly_one_leader(self):
        self.assert_one_leader()

    def test_2_longest_log_wins(self):
        c = self.cluster
        n = self.nodes
        stale = self.stale
        fresh = [i for i in c.nodes if i not in stale]
        for i in stale:
            c.sigterm(i)
        c.wait_ready(idxs=fresh)
        self.write_znodes(300, "/election-longest")
        z = self.wait_same_zxid(fresh)
        log("fresh nodes %s at zxid %#x, stale %s behind" % (fresh, z, stale))
        c.stop_all()

        # a quorum made of the stale nodes plus the lowest-sid fresh node:
        # the fresh node must win although every stale sid is higher
        q = sorted(stale + [fresh[0]])
        self.assertGreater(len(q), n // 2)
        for i in q:
            c.start_node(i, wait=False)
        leader = self.assert_one_leader(q)
        self.assertEqual(leader, fresh[0],
                         "node %d won with a shorter log (quorum %s)"
                         % (leader, q))
        # the rest start late and follow the sitting leader
        for i in fresh[1:]:
            c.start_node(i, wait=False)
        self.assertEqual(self.assert_one_leader(list(c.nodes)), leader)
        # the stale nodes were synced: they serve the 300 znodes
        for i in stale:
            kc = self.node_client(i)
            self.assertEqual(len(kc.get_children("/election-longest")), 300)

        # equal logs everywhere now: among a quorum of the lowest sids the
        # highest sid wins
        self.wait_same_zxid(list(c.nodes))
        c.stop_all()
        q = list(range(1, n // 2 + 2))
        for i in q:
            c.start_node(i, wait=False)
        self.assertEqual(self.assert_one_leader(q), max(q))

        # all at once, after another divergence: a fresh node wins
        c.restart_all()
        for i in stale:
            c.sigterm(i)
        c.wait_ready(idxs=fresh)
        self.write_znodes(200, "/election-longest-2")
        self.wait_same_zxid(fresh)
        c.stop_all()
        for i in c.nodes:
            c.start_node(i, wait=False)
        leader = self.assert_one_leader(list(c.nodes))
        self.assertIn(leader, fresh, "a node with a shorter log won")
        self.cluster.wait_writable()

    def test_3_failover_after_leader_kill9(self):
        c = self.cluster
        c.restart_all()
        old = self.assert_one_leader(list(c.nodes))
        kc = self.client(timeout=10.0)
        kc.create("/failover-before", b"")
        c.kill9(old)
        t0 = time.monotonic()

        def write():
            kc.create_async("/failover-", b"", sequence=True).get(timeout=2)
            return True
        wait_for(write, 60, "a write after the leader's kill -9",
                 interval=0.01)
        dt = time.monotonic() - t0
        sys.stderr.write("FAILOVER %s %d nodes: kill -9 of the leader until "
                         "the next write succeeded: %.3f s\n"
                         % (c.target, self.nodes, dt))
        rest = [i for i in c.nodes if i != old]
        new = self.assert_one_leader(rest)
        self.assertNotEqual(new, old)
        self.assertTrue(kc.exists("/failover-before"))
        # the old leader comes back as a follower of the new one
        c.start_node(old)
        self.assertEqual(self.assert_one_leader(list(c.nodes)), new)
        self.assertEqual(c.mode(old), "follower")
        self.assertLess(dt, 30.0)


class Election3Test(ElectionMixin, ClusterTestCase):
    nodes = 3
    stale = [3]


class Election5Test(ElectionMixin, ClusterTestCase):
    nodes = 5
    stale = [4, 5]


if __name__ == "__main__":
    unittest.main(verbosity=2)
