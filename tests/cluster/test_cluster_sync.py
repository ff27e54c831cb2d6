#!/usr/bin/python3
"""Learner synchronization modes (3 nodes), each visible in the leader's log.

- DIFF: a follower down while CLUSTER_DIFF_WRITES (default 3000) znodes are
  written comes back, gets a DIFF (the leader's log says so, and not SNAP)
  and serves every znode locally.
- SNAP: a follower that missed more writes than the leader's committed-log
  window gets a snapshot.  ZooKeeper: the window is set small with
  -Dzookeeper.commitLogCount (and on-disk txnlog sync disabled with
  -Dzookeeper.snapshotSizeFactor=-1).  corral: the window is the store's
  corral.logRetain (default 100000), set to CLUSTER_SNAP_WINDOW (default
  200) in zoo.cfg.
- TRUNC: a former leader holding a proposal nobody else logged.  Both
  followers are SIGSTOPped, a create is sent to the leader, which logs it
  (the test waits until its bytes are in the leader's data dir) but cannot
  commit it; then the leader and the frozen followers are SIGKILLed (a
  follower's unread socket buffer, which may hold the proposal, dies with
  it), the followers restart and elect a new leader, a marker is written in
  the new epoch, and the old leader restarts: it must be told to truncate
  (TRUNC in the new leader's log) and the proposal is gone on every node
  while the marker is everywhere.
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import (LOG_PATTERNS, ClusterTestCase, is_zookeeper,  # noqa: E402
                     log, wait_for)

DIFF_WRITES = int(os.environ.get("CLUSTER_DIFF_WRITES", "3000"))
ZK_SNAP_WINDOW = 100
SNAP_WINDOW = int(os.environ.get("CLUSTER_SNAP_WINDOW", "200"))


def snap_writes():
    if os.environ.get("CLUSTER_SNAP_WRITES"):
        return int(os.environ["CLUSTER_SNAP_WRITES"])
    if is_zookeeper():
        return ZK_SNAP_WINDOW * 5
    return SNAP_WINDOW + max(500, SNAP_WINDOW // 2)


class SyncMixin:
    def pattern(self, mode):
        return LOG_PATTERNS[self.cluster.target][mode]

    def write_many(self, kc, base, n, size=64):
        kc.ensure_path(base)
        batch = 500
        for s in range(0, n, batch):
            rs = [kc.create_async("%s/n%06d" % (base, k),
                                  (b"%06d" % k) * (size // 6))
                  for k in range(s, min(n, s + batch))]
            for r in rs:
                r.get(timeout=120)

    def survivor_client(self, victim):
        """A client of every node but victim: one connected to the node
        about to be killed would rightly get ConnectionLoss for a write in
        flight, and these tests write without retrying."""
        c = self.cluster
        return self.client(hosts=c.hosts_of([i for i in c.nodes
                                             if i != victim]))

    def wait_caught_up(self, i, leader):
        c = self.cluster
        return wait_for(lambda: c.zxid(i) is not None
                        and c.zxid(i) == c.zxid(leader), 60,
                        "node %d to reach the leader's zxid" % i)

    def assert_serves(self, i, base, n):
        kc = self.node_client(i)
        kids = kc.get_children(base)       # local read, no sync
        self.assertEqual(len(kids), n, "node %d serves %d of %d znodes"
                         % (i, len(kids), n))
        for k in (0, n // 2, n - 1):
            self.assertEqual(kc.get("%s/n%06d" % (base, k))[0][:6],
                             b"%06d" % k)

    def rejoin_and_check_mode(self, f, base, n, mode, absent=()):
        c = self.cluster
        leader = c.wait_ready()
        before = len(c.nodes[leader].log_text())
        c.start_node(f)
        self.assertEqual(c.wait_ready(idxs=list(c.nodes)), leader)
        self.wait_caught_up(f, leader)
        self.assert_serves(f, base, n)
        self.assertEqual(c.srvr(f).get("Node count"),
                         c.srvr(leader).get("Node count"))
        new_log = c.nodes[leader].log_text()[before:]
        self.assertRegex(new_log, self.pattern(mode),
                         "the leader's log does not show %s for node %d"
                         % (mode, f))
        for m in absent:
            self.assertNotRegex(new_log, self.pattern(m),
                                "the leader synced node %d with %s" % (f, m))
        log("node %d synced by %s: %s" % (f, mode, [
            ln for ln in new_log.splitlines()
            if self.pattern(mode).search(ln)][:2]))


class SyncDiffTest(SyncMixin, ClusterTestCase):
    nodes = 3
    # ZooKeeper: a committed-log window that holds the whole gap
    jvm_flags = ("-Dzookeeper.commitLogCount=%d" % (DIFF_WRITES * 2 + 1000),
                 "-Dzookeeper.snapshotSizeFactor=-1")

    def test_diff(self):
        c = self.cluster
        lead = c.wait_ready(idxs=list(c.nodes))
        f = [i for i in c.nodes if i != lead][0]
        kc = self.survivor_client(f)
        self.write_many(kc, "/sync-diff-pre", 50)
        self.wait_caught_up(f, lead)
        c.kill9(f)
        self.write_many(kc, "/sync-diff", DIFF_WRITES)
        self.rejoin_and_check_mode(f, "/sync-diff", DIFF_WRITES, "DIFF",
                                   absent=("SNAP",))


class SyncSnapTest(SyncMixin, ClusterTestCase):
    nodes = 3
    jvm_flags = ("-Dzookeeper.commitLogCount=%d" % ZK_SNAP_WINDOW,
                 "-Dzookeeper.snapshotSizeFactor=-1")
    # the log is trimmed only behind a snapshot: take them often
    extra_cfg = {"corral.logRetain": str(SNAP_WINDOW),
                 "snapCount": str(SNAP_WINDOW)}

    def test_snap(self):
        c = self.cluster
        n = snap_writes()
        lead = c.wait_ready(idxs=list(c.nodes))
        f = [i for i in c.nodes if i != lead][0]
        kc = self.survivor_client(f)
        c.kill9(f)
        self.write_many(kc, "/sync-snap", n)
        self.rejoin_and_check_mode(f, "/sync-snap", n, "SNAP")


class SyncTruncTest(SyncMixin, ClusterTestCase):
    nodes = 3
    sync_limit = 10   # the leader keeps leading while its followers freeze

    def _ghost(self, write_in_new_epoch_first):
        """Leave the old leader holding a proposal nobody else logged; the
        followers elect a new leader; optionally write in the new epoch;
        restart the old leader.  Returns (old, new, ghost, sync log text)."""
        from kazoo.client import KazooClient
        c = self.cluster
        c.restart_all()
        kc = self.client()
        base = "/sync-trunc-%d" % int(write_in_new_epoch_first)
        self.write_many(kc, base, 100)
        old = c.wait_ready(idxs=list(c.nodes))
        # every other node, not whatever answered srvr just now as follower
        followers = [i for i in c.nodes if i != old]
        for f in followers:
            self.wait_caught_up(f, old)
        ghost = "/sync-trunc-ghost-%s" % uuid.uuid4().hex
        gc = KazooClient(hosts=c.host(old), timeout=10.0,
                         connection_retry={"max_tries": 0})
        gc.start(timeout=15)
        for f in followers:
            c.sigstop(f)
        try:
            r = gc.create_async(ghost, b"ghost")
            wait_for(lambda: c.data_contains(old, ghost.encode()), 10,
                     "the leader to log the proposal for %s" % ghost)
            self.assertFalse(r.ready() and r.successful(),
                             "the create was acknowledged without a quorum")
            c.kill9(old)
        finally:
            for f in followers:
                c.kill9(f)       # their unread socket buffers die too
            try:
                gc.stop()
                gc.close()
            except Exception:  # noqa: BLE001
                pass
        for f in followers:
            self.assertFalse(c.data_contains(f, ghost.encode()),
                             "follower %d logged the ghost proposal" % f)
        for f in followers:
            c.start_node(f, wait=False)
        new = c.wait_ready(idxs=followers)
        log("old leader %d holds %s; new leader %d" % (old, ghost, new))
        if write_in_new_epoch_first:
            m = self.client(hosts=c.hosts_of(followers))
            m.create(base + "-marker", b"epoch+1")
        # else: no txn at all in the new epoch (not even a new session)
        # until the old leader is back

        before_new = len(c.nodes[new].log_text())
        before_old = len(c.nodes[old].log_text())
        c.start_node(old)
        self.assertEqual(c.wait_ready(idxs=list(c.nodes)), new)
        self.assertEqual(c.mode(old), "follower")
        if not write_in_new_epoch_first:
            self.client().create(base + "-marker", b"epoch+1")
        self.wait_caught_up(old, new)
        sync_log = (c.nodes[new].log_text()[before_new:] + "\n"
                    + c.nodes[old].log_text()[before_old:])
        for i in c.nodes:
            kc = self.node_client(i)
            self.assertIsNone(kc.exists(ghost),
                              "the unlogged proposal survives on node %d" % i)
            self.assertEqual(kc.get(base + "-marker")[0], b"epoch+1")
            self.assertEqual(len(kc.get_children(base)), 100)
        return old, new, ghost, sync_log

    def test_trunc(self):
        """No write in the new epoch yet: the old leader is ahead of the
        new leader's log in the same epoch, and is truncated (TRUNC)."""
        old, new, ghost, sync_log = self._ghost(False)
        self.assertRegex(sync_log, self.pattern("TRUNC"),
                         "no TRUNC in the logs of nodes %d/%d" % (new, old))
        self.assertNotRegex(sync_log, self.pattern("SNAP"))
        log("old leader %d truncated: %s" % (old, [
            ln for ln in sync_log.splitlines()
            if self.pattern("TRUNC").search(ln)][:2]))

    def test_ghost_gone_after_new_epoch_writes(self):
        """The new epoch has writes before the old leader returns: ZooKeeper
        cannot TRUNC across the epoch boundary and falls back to SNAP
        ("Cannot send TRUNC to peer ... different epoch"); whatever the
        mode, the proposal is gone everywhere."""
        old, new, ghost, sync_log = self._ghost(True)
        modes = [m for m in ("TRUNC", "SNAP", "DIFF")
                 if self.pattern(m).search(sync_log)]
        log("old leader %d re-synced by %s" % (old, modes))
        self.assertTrue(modes, "no sync mode in the logs of nodes %d/%d"
                        % (new, old))


if __name__ == "__main__":
    unittest.main(verbosity=2)
