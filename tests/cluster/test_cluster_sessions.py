#!/usr/bin/python3
"""Sessions across the nodes of a 3-node ensemble.

- a session whose server dies (a follower; the leader) moves to another
  server within its timeout, keeps its id and its ephemerals, never sees
  LOST;
- a live client connected to one node keeps its ephemeral past several
  session timeouts (its node's touches reach the leader's tracker);
- a client gone longer than its timeout (a SIGKILLed subprocess holding an
  ephemeral) loses it on every node, and watchers connected to every node
  (single-host connect strings) each hear NodeDeleted;
- no client reads backwards: a node refuses a ConnectRequest whose
  lastZxidSeen is newer than its own (raw protocol, every node), and a
  client that saw a write and connects to a follower that was frozen while
  the write committed reads that write (never the older value).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import (PYTHON, ClusterTestCase, log,  # noqa: E402
                     preexec_pdeathsig, raw_connect, wait_for, _close_client)

SESSION_TIMEOUT = 10.0   # the maximum with tickTime 500 (20 ticks)

HOLDER = r"""
import sys, time
sys.path.insert(0, "/usr/lib/python3/dist-packages")
from kazoo.client import KazooClient
c = KazooClient(hosts=sys.argv[1], timeout=float(sys.argv[3]))
c.start(timeout=30)
c.create(sys.argv[2], b"held", ephemeral=True, makepath=True)
print("READY %d %x" % (c._session_timeout, c.client_id[0]), flush=True)
while True:
    time.sleep(3600)
"""


def peer_port(kc):
    """Client port of the server a kazoo client is connected to."""
    try:
        return kc._connection._socket.getpeername()[1]
    except (AttributeError, OSError):
        return None


class SessionsTest(ClusterTestCase):
    nodes = 3

    def setUp(self):
        super().setUp()
        self.ensure_all_up()

    def node_of_port(self, port):
        for i, nd in self.cluster.nodes.items():
            if nd.client_port == port:
                return i
        return None

    def _move_session(self, victim):
        c = self.cluster
        order = [victim] + [i for i in c.nodes if i != victim]
        states = []
        kc = self.client(hosts=c.hosts_of(order), timeout=SESSION_TIMEOUT,
                         randomize_hosts=False)
        kc.add_listener(states.append)
        wait_for(lambda: self.node_of_port(peer_port(kc)) == victim, 10,
                 "client connected to node %d" % victim)
        sid = kc.client_id[0]
        path = "/sess-move-%d" % victim
        kc.create(path, b"eph", ephemeral=True)
        c.kill9(victim)
        t0 = time.monotonic()
        wait_for(lambda: kc.connected and
                 self.node_of_port(peer_port(kc)) not in (None, victim),
                 SESSION_TIMEOUT, "session to reconnect to another node")
        dt = time.monotonic() - t0
        log("session %#x moved from node %d to node %d in %.2fs" % (
            sid, victim, self.node_of_port(peer_port(kc)), dt))
        self.assertEqual(kc.client_id[0], sid, "a new session was made")
        self.assertNotIn("LOST", [str(s) for s in states])
        self.assertEqual(kc.get(path)[0], b"eph")
        st = kc.exists(path)
        self.assertEqual(st.ephemeralOwner, sid)
        c.start_node(victim)
        c.wait_ready(idxs=list(c.nodes))
        # every node (the restarted one too) has it, owned by the session
        for i in c.nodes:
            other = self.node_client(i)
            other.sync(path)
            st = other.exists(path)
            self.assertIsNotNone(st, "ephemeral missing on node %d" % i)
            self.assertEqual(st.ephemeralOwner, sid)
        # and it still writes
        kc.set(path, b"after")
        kc.delete(path)

    def test_session_moves_when_its_follower_dies(self):
        lead = self.cluster.wait_ready(idxs=list(self.cluster.nodes))
        self._move_session([i for i in self.cluster.nodes if i != lead][0])

    def test_session_moves_when_its_leader_dies(self):
        self._move_session(self.cluster.wait_ready(
            idxs=list(self.cluster.nodes)))

    def test_expired_client_loses_ephemeral_on_every_node(self):
        c = self.cluster
        path = "/sess-expire/eph"
        lead = c.wait_ready(idxs=list(c.nodes))
        follower = [i for i in c.nodes if i != lead][0]
        # the holder talks to a follower only: its liveness must reach the
        # leader's session tracker through that node
        holder = subprocess.Popen(
            [PYTHON, "-c", HOLDER, c.host(follower), path, "2.0"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=preexec_pdeathsig)
        st_holder = [holder.pid]

        def reap():
            if st_holder:
                try:
                    os.kill(st_holder.pop(), signal.SIGKILL)
                except OSError:
                    pass
            holder.wait(timeout=10)
            holder.stdout.close()
        self.addCleanup(reap)
        line = holder.stdout.readline().decode()
        self.assertTrue(line.startswith("READY"), "holder: %r" % line)
        timeout_ms = int(line.split()[1])
        log("holder session %s, negotiated timeout %d ms, on node %d"
            % (line.split()[2], timeout_ms, follower))

        events = {}
        lock = threading.Lock()
        for i in c.nodes:
            kc = self.node_client(i)
            wait_for(lambda: kc.exists(path), 10,
                     "ephemeral visible on node %d" % i)

            def watch(ev, i=i):
                with lock:
                    events.setdefault(i, []).append((ev.type, time.monotonic()))
            self.assertIsNotNone(kc.exists(path, watch=watch),
                                 "ephemeral gone on node %d too early" % i)

        # a live client keeps it across several timeouts
        t_live = time.monotonic() + 3 * timeout_ms / 1000.0
        while time.monotonic() < t_live:
            with lock:
                self.assertEqual(events, {}, "ephemeral of a live session "
                                 "was deleted")
            time.sleep(0.1)

        os.kill(st_holder.pop(), signal.SIGKILL)
        t0 = time.monotonic()
        wait_for(lambda: len(events) == len(c.nodes),
                 timeout_ms / 1000.0 + 15,
                 "NodeDeleted on every node's watcher")
        for i, evs in sorted(events.items()):
            self.assertEqual([e[0] for e in evs], ["DELETED"],
                             "node %d watcher" % i)
            log("node %d heard NodeDeleted %.2fs after the kill"
                % (i, evs[0][1] - t0))
        for i in c.nodes:
            self.assertIsNone(self.node_client(i).exists(path),
                              "ephemeral still on node %d" % i)

    def test_node_refuses_client_from_its_future(self):
        c = self.cluster
        kc = self.client()
        kc.create("/sess-future", b"x")
        for i in c.nodes:
            z = wait_for(lambda: c.zxid(i), 10, "zxid of node %d" % i)
            self.assertIsNone(raw_connect(c.nodes[i].client_port,
                                          z + (1 << 20)),
                              "node %d accepted a client that saw zxid "
                              "%#x, its own is %#x" % (i, z + (1 << 20), z))
            self.assertIsNotNone(raw_connect(c.nodes[i].client_port, z),
                                 "node %d refused a client at its own zxid"
                                 % i)

    def test_client_never_reads_backwards(self):
        from kazoo.client import KazooClient
        c = self.cluster
        path = "/sess-backwards"
        w = self.client()
        w.create(path, b"old")
        lead = c.wait_ready(idxs=list(c.nodes))
        frozen = [i for i in c.nodes if i != lead][0]
        wait_for(lambda: self.node_client(frozen).get(path)[0] == b"old",
                 10, "node %d to have the old value" % frozen)
        others = [i for i in c.nodes if i != frozen]
        w2 = self.client(hosts=c.hosts_of(others))
        c.sigstop(frozen)
        try:
            w2.set(path, b"new")
            seen = w2.last_zxid
            r = KazooClient(hosts=c.host(frozen), timeout=SESSION_TIMEOUT,
                            connection_retry={"max_tries": -1, "delay": 0.05,
                                              "max_delay": 0.3})
            self.addCleanup(_close_client, r)
            r.last_zxid = seen          # this client has seen the write
            ev = r.start_async()
        finally:
            c.sigcont(frozen)
        ev.wait(30)
        self.assertTrue(r.connected, "client could not connect to node %d"
                        % frozen)
        self.assertGreaterEqual(c.zxid(frozen), seen)
        self.assertEqual(r.get(path)[0], b"new",
                         "a client that saw zxid %#x read the older value "
                         "from node %d" % (seen, frozen))


if __name__ == "__main__":
    unittest.main(verbosity=2)
