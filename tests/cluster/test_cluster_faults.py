#!/usr/bin/python3
"""Faults under a concurrent write load (3 nodes).

Each test runs a fresh workload (history.Workload: 4 sessions creating
unique znodes and doing cas/set/sync+read on 3 registers), injects one
fault, brings the cluster back, and asserts:
  - the cluster serves again (one leader, every node serving, more writes
    acknowledged after the fault);
  - no acknowledged write is lost (creates and sets), on every node;
  - the recorded history (plus a final read) is linearizable.
Faults: kill -9 of the leader; of a follower; of every node at once, then
restart all; (corral only) kill -9 of each single child process (store,
replicator, election, frontend) of the leader and of a follower.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import is_zookeeper, log  # noqa: E402
from workload_case import WorkloadTestCase  # noqa: E402


class FaultsTest(WorkloadTestCase):
    prefix = "/faults"

    def test_kill9_leader(self):
        c = self.cluster
        old = c.wait_ready(idxs=list(c.nodes))
        c.kill9(old)
        c.wait_ready(idxs=[i for i in c.nodes if i != old])
        self.w.wait_progress(50, what="acks with the leader down")
        c.start_node(old)
        self.finish("kill -9 of the leader")

    def test_kill9_follower(self):
        c = self.cluster
        f = [i for i in c.nodes if i != c.wait_ready(idxs=list(c.nodes))][0]
        c.kill9(f)
        self.w.wait_progress(50, what="acks with a follower down")
        c.start_node(f)
        self.finish("kill -9 of a follower")

    def test_kill9_all_then_restart(self):
        c = self.cluster
        c.kill_all()
        c.restart_all()
        self.finish("kill -9 of every node")

    def _kill_child(self, role, of_leader):
        c = self.cluster
        lead = c.wait_ready(idxs=list(c.nodes))
        i = lead if of_leader else [k for k in c.nodes if k != lead][0]
        old, new = c.kill_child(i, role)
        log("node %d (%s) %s: pid %d -> %d" % (
            i, "leader" if of_leader else "follower", role, old, new))
        c.wait_ready(idxs=list(c.nodes))
        self.finish("kill -9 of the %s's %s" % (
            "leader" if of_leader else "follower", role))


def _child_test(role, of_leader):
    @unittest.skipIf(is_zookeeper(), "corral only: ZooKeeper has no child "
                     "processes")
    def t(self):
        self._kill_child(role, of_leader)
    t.__doc__ = "kill -9 of the %s's corral-%s" % (
        "leader" if of_leader else "follower", role)
    return t


for _role in ("store", "replicator", "election", "frontend"):
    for _lead in (True, False):
        setattr(FaultsTest, "test_kill9_child_%s_of_%s"
                % (_role, "leader" if _lead else "follower"),
                _child_test(_role, _lead))


if __name__ == "__main__":
    unittest.main(verbosity=2)
