#!/usr/bin/python3
"""Stalled nodes (ARCHITECTURE.md §5; ZOOKEEPER-4541, -4712, -4785): a node
frozen with SIGSTOP while writes commit elsewhere, then resumed, must never
acknowledge, nor be synced as if it held, anything it has not durably
logged. Under the usual concurrent workload (history.Workload) we freeze a
follower past syncLimit, and the leader past syncLimit (the others elect a
new one; the old leader wakes up believing it still leads), then resume
them, and assert: the cluster serves, no acknowledged write is lost on any
node, and the history is linearizable."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import ClusterTestCase, log  # noqa: E402
from history import Workload  # noqa: E402

ACKS = int(os.environ.get("CLUSTER_FAULT_ACKS", "150"))


def hold(cluster, w, what):
    """Keep the fault for twice syncLimit while the workload progresses:
    the freeze length is the fault itself, not a synchronization."""
    limit = 2 * cluster.sync_limit * cluster.tick_time / 1000.0
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        w.wait_progress(10, what=what)


class StallTest(ClusterTestCase):
    nodes = 3

    def setUp(self):
        self.ensure_all_up()
        self.w = Workload(self.cluster, "/stall-%s" % self._testMethodName,
                          workers=4, registers=3, max_ops_per_key=150,
                          session_timeout=10.0)
        self.w.setup()
        self.w.start()
        self.addCleanup(self._stop_workload)
        self.w.wait_progress(ACKS)

    def _stop_workload(self):
        if self.w._threads and not self.w._stop.is_set():
            self.w.stop()

    def finish(self, what):
        c = self.cluster
        c.wait_ready(idxs=list(c.nodes))
        self.w.wait_progress(ACKS, what="acks after " + what)
        self.w.stop()
        problems = self.w.check()
        log("%s: %s" % (what, self.w.summary()))
        self.assertEqual(problems, [], "after %s:\n%s"
                         % (what, "\n".join(problems)))

    def test_follower_frozen_while_writes_commit(self):
        c = self.cluster
        lead = c.wait_ready(idxs=list(c.nodes))
        f = [i for i in c.nodes if i != lead][0]
        c.sigstop(f)
        try:
            # well past syncLimit: the leader drops it, writes go on
            hold(c, self.w, "acks with a follower frozen")
        finally:
            c.sigcont(f)
        self.finish("a follower frozen and resumed")

    def test_leader_frozen_then_resumed(self):
        c = self.cluster
        old = c.wait_ready(idxs=list(c.nodes))
        c.sigstop(old)
        try:
            others = [i for i in c.nodes if i != old]
            c.wait_ready(idxs=others)
            hold(c, self.w, "acks under the new leader")
        finally:
            c.sigcont(old)
        self.finish("the leader frozen and resumed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
