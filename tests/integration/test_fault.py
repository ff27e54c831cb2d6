#!/usr/bin/python3
"""corral only: SIGKILL one child process (corral-store, corral-election,
corral-replicator, corral-frontend) under client load.  The supervisor
must restart it (new pid), service must resume, no acknowledged write may
be lost, and the clients' sessions must survive: same session id, their
ephemerals still there, no LOST (expired) state seen.  Skipped under the
zookeeper target (it has no child processes)."""

import logging
import signal

import harness
from harness import WriteLoad, wait_for

from kazoo.protocol.states import KazooState

logging.basicConfig(level=logging.CRITICAL)


@harness.skip_unless_corral()
class FaultTest(harness.ServerTestCase):

    def test_children_present(self):
        kids = wait_for(lambda: (lambda k: k if len(k) == 4 else None)(
            self.server.children()), 10, "all four children running")
        self.assertEqual(sorted(kids), sorted(harness.CORRAL_CHILDREN))
        self.assertEqual(len(set(kids.values())), 4)
        # malloc asks for huge pages in every child (supervisor_tunables.c)
        for name, pid in kids.items():
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            self.assertIn(b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1", env, name)

    def kill_under_load(self, name):
        load = WriteLoad(self.server, self.base, nclients=3, retry=True)
        load.start()
        try:
            load.wait_progress(60, 30, "writes before the kill")
            old = self.server.kill_child(name, signal.SIGKILL)
            new = self.server.wait_child_restarted(name, old, 30)
            self.assertNotEqual(new, old)
            # service resumes with the restarted child
            load.wait_progress(60, 60, "writes after %s restarted" % name)
            # the other children are still the ones from before
            self.assertIn(name, self.server.children())
        finally:
            load.stop()
        self.assertTrue(self.server.running(), "supervisor died")
        self.assertEqual(load.errors, [], "writes failed despite retries")
        c = self.client()
        load.verify(self, c)
        lost = [s for s in load.states if s[1] == KazooState.LOST]
        self.assertEqual(lost, [], "a session expired")
        for i, cl in enumerate(load.clients):
            self.assertEqual(cl.state, KazooState.CONNECTED)
        for eph, sid in load.ephemerals.items():
            st = c.exists(eph)
            self.assertIsNotNone(st, "ephemeral %s lost" % eph)
            self.assertEqual(st.ephemeralOwner, sid)
        self.assertEqual(sorted(cl.client_id[0] for cl in load.clients),
                         sorted(load.ephemerals.values()))
        return load

    def test_kill_store(self):
        self.kill_under_load("corral-store")

    def test_kill_election(self):
        self.kill_under_load("corral-election")

    def test_kill_replicator(self):
        self.kill_under_load("corral-replicator")

    def test_kill_frontend(self):
        self.kill_under_load("corral-frontend")

    def test_kill_each_in_turn(self):
        """All four, one after the other, on one load."""
        load = WriteLoad(self.server, self.base, nclients=3, retry=True)
        load.start()
        try:
            for name in harness.CORRAL_CHILDREN:
                load.wait_progress(30, 60, "writes before killing " + name)
                old = self.server.kill_child(name, signal.SIGKILL)
                self.server.wait_child_restarted(name, old, 30)
            load.wait_progress(30, 60, "writes after the last restart")
        finally:
            load.stop()
        self.assertEqual(load.errors, [], "writes failed despite retries")
        c = self.client()
        load.verify(self, c)
        self.assertEqual([s for s in load.states
                          if s[1] == KazooState.LOST], [])
        for eph, sid in load.ephemerals.items():
            self.assertEqual(c.exists(eph).ephemeralOwner, sid)

    def test_sigterm_supervisor_stops_all(self):
        """SIGTERM to the supervisor stops every child (no orphans); a
        restart serves the same data."""
        c = self.client()
        c.create(self.base, b"kept")
        kids = self.server.children()
        self.assertEqual(len(kids), 4)
        snap = [(p, harness.proc_starttime(p)) for p in kids.values()]
        pid = self.server.pid
        self.server.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: not harness.proc_alive(pid), 20,
                 "supervisor exits on SIGTERM")
        wait_for(lambda: not any(harness.proc_alive(p)
                                 and harness.proc_starttime(p) == st
                                 for p, st in snap), 20,
                 "children exit with the supervisor")
        self.server.stop()
        self.server.start()
        self.assertEqual(self.client().get(self.base)[0], b"kept")


if __name__ == "__main__":
    harness.main()
