#!/usr/bin/python3
"""An idle ensemble sleeps (3 nodes): once writes stop, each node's
frontend and store wake only a few times a second (the commit stream's
tick backs off, the store's apply timer runs only while work waits), and
the first write after the quiet spell still reaches every node. And the
ZeroMQ I/O threads that wake for each send do not preempt their sender."""

import os
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cluster import (ClusterTestCase, proc_children,  # noqa: E402
                     skip_unless_corral, wait_for)

# Wake-ups a second of an idle process's main thread. By design a frontend
# wakes ~3 times (commit tick every 500 ms, session touches, heartbeat) and
# a store ~7 (the replicator's STORE_HELLO 5 times, heartbeat); with a
# 50 ms tick and apply timer they woke 22 and 35 times.
FRONTEND_MAX = 10
STORE_MAX = 15


def comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()


def voluntary_switches(pid):
    """Voluntary context switches of the process's main thread."""
    with open("/proc/%d/task/%d/status" % (pid, pid)) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches for %d" % pid)


@skip_unless_corral()
class IdleTest(ClusterTestCase):
    nodes = 3

    def children(self, name):
        pids = []
        for nd in self.cluster.nodes.values():
            pids += [p for p in proc_children(nd.pid) if comm(p) == name]
        self.assertEqual(len(pids), len(self.cluster.nodes), name)
        return pids

    def test_idle_nodes_sleep_and_wake_for_the_next_write(self):
        c = self.cluster
        c.wait_ready(idxs=list(c.nodes))
        writer = self.node_client(1)
        watcher = self.node_client(3)
        writer.create("/idle", b"before")
        frontends = self.children("corral-frontend")
        stores = self.children("corral-store")
        rates = {}

        def quiet():
            # wake-ups over one second, the busiest process of each role
            before = {p: voluntary_switches(p) for p in frontends + stores}
            t0 = time.monotonic()
            time.sleep(1.0)     # the measuring window, not a wait for state
            dt = time.monotonic() - t0
            after = {p: voluntary_switches(p) for p in frontends + stores}
            rate = {p: (after[p] - before[p]) / dt for p in before}
            rates["frontend"] = max(rate[p] for p in frontends)
            rates["store"] = max(rate[p] for p in stores)
            return (rates["frontend"] < FRONTEND_MAX and
                    rates["store"] < STORE_MAX)

        try:
            wait_for(quiet, timeout=20, what="idle processes to sleep",
                     interval=0)
        except AssertionError:
            self.fail("still busy when idle: wake-ups/s %r" % rates)

        fired = threading.Event()
        watcher.get("/idle", watch=lambda ev: fired.set())
        writer.set("/idle", b"after")
        wait_for(fired.is_set, timeout=10, what="the watch on node 3")
        self.assertEqual(watcher.get("/idle")[0], b"after")

    def test_zeromq_io_threads_do_not_preempt_their_process(self):
        # A send that wakes a SCHED_OTHER I/O thread could preempt the
        # sender mid-turn (common/child.c); theirs is SCHED_BATCH, the
        # main threads' stays SCHED_OTHER.
        self.cluster.wait_ready(idxs=list(self.cluster.nodes))
        seen = 0
        for nd in self.cluster.nodes.values():
            for pid in proc_children(nd.pid):
                for tid in os.listdir("/proc/%d/task" % pid):
                    name = comm(int(tid))   # /proc/TID names a thread
                    policy = os.sched_getscheduler(int(tid))
                    if name.startswith("ZMQbg/IO"):
                        seen += 1
                        self.assertEqual(policy, os.SCHED_BATCH,
                                         "%s of %s" % (name, comm(pid)))
                    elif int(tid) == pid:
                        self.assertEqual(policy, os.SCHED_OTHER, comm(pid))
        # every child of every node has one
        self.assertGreaterEqual(seen, 4 * len(self.cluster.nodes))


if __name__ == "__main__":
    unittest.main(verbosity=2)
