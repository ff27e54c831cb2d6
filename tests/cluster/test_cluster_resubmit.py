#!/usr/bin/python3
"""Each write is applied once, across a follower's re-sync.

A frontend keeps the writes its replicator has not answered, and after the
replicator starts a new service generation (a re-sync), it resubmits those
it has not seen committed. A write the old generation forwarded to the
leader and the leader committed must not be resubmitted: it would be
applied twice. The follower's replicator is frozen past syncLimit while a
client keeps sequential creates in flight through that follower (the
leader drops it, it goes looking and re-syncs with the same leader), each
with its own data. Then, on every node: no data appears twice (a create
applied twice makes two sequential znodes), and every acknowledged create
is there. Creates cut off by the re-sync (ConnectionLoss) may or may not
have happened: they are allowed once, never twice.

ResubmitSnapTest does the same through a leader that is frozen while the
others elect a new one and write past a small committed-log window: the
old leader re-syncs by a snapshot, its frontend reloads the tree, and the
writes it was waiting for may be inside that snapshot."""

import os
import signal
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import ClusterTestCase, log, skip_unless_corral, wait_for  # noqa: E402,E501

IN_FLIGHT = 32


class Creator:
    """Sequential creates under one path, in_flight at a time, counted."""

    def __init__(self, zk, path, in_flight=IN_FLIGHT):
        self.zk, self.path = zk, path
        self.slots = threading.Semaphore(in_flight)
        self.lock = threading.Lock()
        self.issued = 0
        self.acked = set()
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def done(self, data, res):
        with self.lock:
            if res.exception is None:
                self.acked.add(data)
            else:
                self.errors.append(type(res.exception).__name__)
        self.slots.release()

    def run(self):
        while not self.stop.is_set():
            if not self.slots.acquire(timeout=0.2):
                continue
            with self.lock:
                self.issued += 1
                n = self.issued
            data = b"c%d" % n
            self.zk.create_async(self.path + "/n-", data, sequence=True) \
                .rawlink(lambda res, d=data: self.done(d, res))

    def answered(self):
        with self.lock:
            return len(self.acked) + len(self.errors)


class ResubmitTest(ClusterTestCase):
    in_flight = IN_FLIGHT

    def run_fault(self, fault, through_leader=False):
        """Creates through a follower (or the leader) while fault(node,
        leader) makes that node's replicator re-sync; then the checks."""
        c = self.cluster
        lead = c.wait_ready(idxs=list(c.nodes))
        f = lead if through_leader else [i for i in c.nodes if i != lead][0]
        syncs_before = c.nodes[f].log_text().count("up to date at zxid")
        zk = self.node_client(f, timeout=30.0)
        path = "/resubmit-%s" % self._testMethodName
        zk.create(path, b"")
        s = Creator(zk, path, self.in_flight)
        s.thread.start()
        try:
            wait_for(lambda: s.answered() >= 300, 30, "300 creates through "
                     "the follower")
            fault(f, lead)
            wait_for(lambda: c.nodes[f].log_text().count(
                "up to date at zxid") > syncs_before, 30,
                "the follower to re-sync")
            base = s.answered()
            wait_for(lambda: s.answered() >= base + 300, 30,
                     "300 more creates after the re-sync")
        finally:
            s.stop.set()
            s.thread.join(10)
        self.check(s, path)

    @skip_unless_corral()
    def test_follower_replicator_killed(self):
        """The commits of forwarded writes die with the process."""
        self.run_fault(lambda f, lead: self.cluster.kill_child(
            f, "replicator"))

    @skip_unless_corral()
    def test_follower_replicator_frozen(self):
        """The leader drops the frozen follower; it goes looking."""
        c = self.cluster

        def freeze(f, lead):
            dropped = "learner sid=%d dropped" % f
            before = c.nodes[lead].log_text().count(dropped)
            c.signal_child(f, "replicator", signal.SIGSTOP)
            try:
                wait_for(lambda: c.nodes[lead].log_text().count(dropped) >
                         before, 30, "the leader to drop the follower")
            finally:
                c.signal_child(f, "replicator", signal.SIGCONT)
        self.run_fault(freeze)

    @skip_unless_corral()
    def test_leader_frozen(self):
        """The others elect a new leader, which commits what the frozen
        one had proposed; the old leader wakes up, re-syncs (often by a
        snapshot, which reloads its frontend's tree) and must not submit
        those writes again."""
        c = self.cluster

        def freeze(lead, _):
            others = [i for i in c.nodes if i != lead]
            c.sigstop(lead)
            try:
                c.wait_ready(idxs=others)
                thawed = self.while_leader_frozen(lead, others)
            finally:
                c.sigcont(lead)
            if thawed is not None:
                thawed()
        self.run_fault(freeze, through_leader=True)

    def while_leader_frozen(self, lead, others):
        """Runs with the old leader frozen and a new one ready; returns
        what to wait for once the old leader runs again, or None."""
        return None

    def check(self, s, path):
        c = self.cluster
        wait_for(lambda: s.answered() == s.issued, 30,
                 "every create to be answered")
        errors = sorted(set(s.errors))
        log("creates: %d acknowledged, %d failed %s" % (len(s.acked),
            len(s.errors), errors))
        self.assertIn(errors, ([], ["ConnectionLoss"]))
        for i in c.nodes:
            zi = self.node_client(i)
            zi.sync(path)
            names = zi.get_children(path)
            reads = [zi.get_async(path + "/" + n) for n in names]
            seen = {}
            for n, r in zip(names, reads):
                seen.setdefault(r.get(timeout=30)[0], []).append(n)
            twice = {d: ns for d, ns in seen.items() if len(ns) > 1}
            self.assertEqual(twice, {}, "node %d: creates applied twice" % i)
            self.assertEqual(s.acked - set(seen), set(),
                             "node %d: acknowledged creates lost" % i)


class ResubmitSnapTest(ResubmitTest):
    """A small committed-log window (as in test_cluster_sync's SNAP test):
    the frozen leader falls out of it, re-syncs by a snapshot and its
    frontend reloads the tree. Writes it had proposed are in that
    snapshot when the new leader committed them: its frontend must not
    submit them again (it did, and CI saw a write applied twice)."""
    extra_cfg = {"corral.logRetain": "200", "snapCount": "200"}
    # enough in flight that the freeze finds proposals the followers
    # logged but the leader had not committed (before the fix, 32: 0 of
    # 3 runs failed, 400: 1 of 8)
    in_flight = 400

    def while_leader_frozen(self, lead, others):
        c = self.cluster
        # counted while it is frozen: its log cannot move meanwhile
        reloads = c.nodes[lead].log_text().count("reloading the tree")
        zo = self.node_client(others[0])
        zo.ensure_path("/resubmit-snap-gap")
        for a in [zo.create_async("/resubmit-snap-gap/g-", b"",
                                  sequence=True) for _ in range(1000)]:
            a.get(timeout=30)
        return lambda: wait_for(lambda: c.nodes[lead].log_text().count(
            "reloading the tree") > reloads, 30,
            "the old leader's frontend to reload its tree")

    test_follower_replicator_killed = None
    test_follower_replicator_frozen = None


if __name__ == "__main__":
    unittest.main(verbosity=2)
