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

from workload_case import WorkloadTestCase  # noqa: E402


def hold(cluster, w, what):
    """Keep the fault for twice syncLimit while the workload progresses:
    the freeze length is the fault itself, not a synchronization."""
    limit = 2 * cluster.sync_limit * cluster.tick_time / 1000.0
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        w.wait_progress(10, what=what)


class StallTest(WorkloadTestCase):
    prefix = "/stall"

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
