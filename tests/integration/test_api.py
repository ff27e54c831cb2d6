#!/usr/bin/python3
"""Client API through kazoo: data ops with exact Stat checks, sequence
numbering, create2, transactions, error codes, the 1 MB limit, watch
trigger rules, watch re-registration on reconnect, session expiry and a
reconnect with a wrong password."""

import logging
import os
import signal
import subprocess
import threading

import harness
from harness import wait_for

from kazoo.exceptions import (
    BadVersionError, ConnectionLoss, NoChildrenForEphemeralsError,
    NodeExistsError, NoNodeError, NotEmptyError, RolledBackError,
    RuntimeInconsistency, ZookeeperError)
from kazoo.protocol.states import EventType, KazooState

logging.basicConfig(level=logging.CRITICAL)


class Events:
    """Watch callbacks append (tag, type, path) to one ordered list; kazoo
    runs callbacks on one thread in delivery order."""

    def __init__(self):
        self.list = []
        self.lock = threading.Lock()

    def cb(self, tag):
        def f(ev):
            with self.lock:
                self.list.append((tag, ev.type, ev.path))
        return f

    def snapshot(self):
        with self.lock:
            return list(self.list)

    def wait_tag(self, tag, n=1, timeout=10):
        return wait_for(lambda: sum(1 for e in self.snapshot()
                                    if e[0] == tag) >= n,
                        timeout, "%d event(s) tagged %s (have %r)"
                        % (n, tag, self.snapshot()))


class ApiTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.c = self.client()
        self.c.create(self.base)

    def marker(self, ev, c=None):
        """Fence: an exists watch on a fresh node, then create it and wait
        for its event, so every event the server sent before is in ev."""
        c = c or self.c
        m = "%s_marker_%d" % (self.base, len(ev.snapshot()))
        n = sum(1 for e in ev.snapshot() if e[0] == "marker")
        self.assertIsNone(c.exists(m, watch=ev.cb("marker")))
        self.c.create(m)
        ev.wait_tag("marker", n + 1)
        self.c.delete(m)

    # ------------------------------------------------------------ stats
    def test_create_get_stat(self):
        p = self.base + "/n"
        path = self.c.create(p, b"hello")
        self.assertEqual(path, p)
        data, st = self.c.get(p)
        self.assertEqual(data, b"hello")
        self.assertEqual(st.version, 0)
        self.assertEqual(st.cversion, 0)
        self.assertEqual(st.aversion, 0)
        self.assertEqual(st.dataLength, 5)
        self.assertEqual(st.numChildren, 0)
        self.assertEqual(st.ephemeralOwner, 0)
        self.assertEqual(st.czxid, st.mzxid)
        self.assertEqual(st.pzxid, st.czxid)
        self.assertEqual(st.ctime, st.mtime)
        self.assertGreater(st.czxid, 0)
        self.assertEqual(self.c.exists(p), st)

    def test_parent_stat_follows_children(self):
        parent = self.base
        _, p0 = self.c.get(parent)
        self.assertEqual((p0.numChildren, p0.cversion), (0, 0))
        self.c.create(parent + "/a", b"1")
        _, a = self.c.get(parent + "/a")
        _, p1 = self.c.get(parent)
        self.assertEqual(p1.numChildren, 1)
        self.assertEqual(p1.cversion, 1)
        self.assertEqual(p1.pzxid, a.czxid)
        # a child does not change the parent's data version or mzxid
        self.assertEqual(p1.version, 0)
        self.assertEqual(p1.mzxid, p0.mzxid)
        self.assertEqual(p1.czxid, p0.czxid)
        self.c.create(parent + "/b")
        self.c.delete(parent + "/a")
        _, p2 = self.c.get(parent)
        self.assertEqual(p2.numChildren, 1)
        self.assertEqual(p2.cversion, 3)
        self.assertGreater(p2.pzxid, p1.pzxid)
        # the delete's zxid is below the next write's
        self.c.create(parent + "/zz")
        _, zz = self.c.get(parent + "/zz")
        self.assertLess(p2.pzxid, zz.czxid)
        # a child's data change does not touch the parent
        self.c.set(parent + "/b", b"x")
        _, p3 = self.c.get(parent)
        self.assertEqual((p3.cversion, p3.pzxid, p3.mzxid),
                         (4, zz.czxid, p0.mzxid))

    def test_set_versions(self):
        p = self.base + "/v"
        self.c.create(p, b"a")
        _, s0 = self.c.get(p)
        s1 = self.c.set(p, b"bb")
        self.assertEqual(s1.version, 1)
        self.assertEqual(s1.dataLength, 2)
        self.assertEqual(s1.czxid, s0.czxid)
        self.assertGreater(s1.mzxid, s0.mzxid)
        self.assertEqual(s1.pzxid, s0.pzxid)
        self.assertGreaterEqual(s1.mtime, s0.mtime)
        self.assertEqual(s1.ctime, s0.ctime)
        s2 = self.c.set(p, b"", version=1)
        self.assertEqual(s2.version, 2)
        self.assertEqual(s2.dataLength, 0)
        self.assertEqual(self.c.get(p), (b"", s2))
        with self.assertRaises(BadVersionError):
            self.c.set(p, b"x", version=1)
        with self.assertRaises(BadVersionError):
            self.c.delete(p, version=7)
        self.assertEqual(self.c.get(p)[1], s2)
        self.c.delete(p, version=2)
        self.assertIsNone(self.c.exists(p))

    def test_exists_and_delete(self):
        p = self.base + "/d"
        self.assertIsNone(self.c.exists(p))
        self.c.create(p)
        self.assertIsNotNone(self.c.exists(p))
        self.assertTrue(self.c.delete(p))
        self.assertIsNone(self.c.exists(p))
        with self.assertRaises(NoNodeError):
            self.c.delete(p)
        with self.assertRaises(NoNodeError):
            self.c.get(p)
        with self.assertRaises(NoNodeError):
            self.c.set(p, b"x")
        with self.assertRaises(NoNodeError):
            self.c.get_children(p)

    def test_ephemeral(self):
        p = self.base + "/e"
        self.c.create(p, b"e", ephemeral=True)
        st = self.c.exists(p)
        self.assertEqual(st.ephemeralOwner, self.c.client_id[0])
        self.assertNotEqual(st.ephemeralOwner, 0)
        with self.assertRaises(NoChildrenForEphemeralsError):
            self.c.create(p + "/child")
        # another session sees it, then it goes when the owner closes
        other = self.client()
        self.assertEqual(other.exists(p).ephemeralOwner, self.c.client_id[0])
        o2 = self.client()
        o2.create(self.base + "/e2", ephemeral=True)
        self.assertEqual(other.exists(self.base + "/e2").ephemeralOwner,
                         o2.client_id[0])
        o2.stop()
        self.assertIsNone(other.exists(self.base + "/e2"))
        self.assertIsNotNone(other.exists(p))

    def test_sequence_numbering(self):
        d = self.base + "/seq"
        self.c.create(d)
        p0 = self.c.create(d + "/s-", sequence=True)
        p1 = self.c.create(d + "/s-", b"x", sequence=True)
        self.assertEqual(p0, d + "/s-0000000000")
        self.assertEqual(p1, d + "/s-0000000001")
        # ZooKeeper's rule (DataNode.copyStat): the parent stores the
        # number of children ever created, which is the next sequence
        # suffix; the cversion it reports is 2*created - numChildren, i.e.
        # creates + deletes.  Deletes advance cversion, not the suffix;
        # plain creates advance both.
        self.assertEqual(self.c.exists(d).cversion, 2)
        self.c.delete(p0)                        # created 2, cversion 3
        self.assertEqual(self.c.exists(d).cversion, 3)
        self.c.create(d + "/plain")              # created 3, cversion 4
        self.assertEqual(self.c.exists(d).cversion, 4)
        p2 = self.c.create(d + "/", sequence=True)
        self.assertEqual(p2, d + "/0000000003")
        self.assertEqual(self.c.exists(d).cversion, 5)
        self.c.delete(d + "/plain")              # created 4, cversion 6
        self.c.delete(p2)                        # created 4, cversion 7
        pe = self.c.create(d + "/es", ephemeral=True, sequence=True)
        self.assertEqual(pe, d + "/es0000000004")
        self.assertEqual(self.c.exists(d).cversion, 8)
        self.assertEqual(self.c.exists(pe).ephemeralOwner,
                         self.c.client_id[0])
        self.assertEqual(sorted(self.c.get_children(d)),
                         ["es0000000004", "s-0000000001"])
        # an ephemeral going away with its session is a delete too
        self.c.restart()
        self.assertEqual(self.client().get_children(d), ["s-0000000001"])
        p3 = self.c.create(d + "/s-", sequence=True)
        self.assertEqual(p3, d + "/s-0000000005")
        self.assertEqual(self.c.exists(d).cversion, 10)

    def test_create2_include_data(self):
        p = self.base + "/c2"
        path, st = self.c.create(p, b"abc", include_data=True)
        self.assertEqual(path, p)
        self.assertEqual(st, self.c.exists(p))
        self.assertEqual(st.dataLength, 3)
        self.assertEqual(st.version, 0)
        path, st = self.c.create(self.base + "/c2s", sequence=True,
                                 ephemeral=True, include_data=True)
        self.assertTrue(path.startswith(self.base + "/c2s"))
        self.assertEqual(len(path) - len(self.base + "/c2s"), 10)
        self.assertEqual(st.ephemeralOwner, self.c.client_id[0])
        with self.assertRaises(NodeExistsError):
            self.c.create(p, include_data=True)

    def test_ensure_path_and_children(self):
        deep = self.base + "/x/y/z"
        self.c.ensure_path(deep)
        self.assertIsNotNone(self.c.exists(deep))
        self.c.ensure_path(deep)  # idempotent
        for i in range(5):
            self.c.create(self.base + "/x/k%d" % i, b"%d" % i)
        kids = self.c.get_children(self.base + "/x")
        self.assertEqual(sorted(kids), ["k0", "k1", "k2", "k3", "k4", "y"])
        kids, st = self.c.get_children(self.base + "/x", include_data=True)
        self.assertEqual(len(kids), 6)
        self.assertEqual(st.numChildren, 6)
        self.assertEqual(st.cversion, 6)
        self.assertEqual(st, self.c.exists(self.base + "/x"))
        self.assertIn("zookeeper", self.c.get_children("/"))

    def test_create_errors(self):
        p = self.base + "/err"
        with self.assertRaises(NoNodeError):
            self.c.create(p + "/missing/child")
        self.c.create(p)
        with self.assertRaises(NodeExistsError):
            self.c.create(p)
        self.c.create(p + "/kid")
        with self.assertRaises(NotEmptyError):
            self.c.delete(p)
        # client-side path validation in kazoo
        for bad in ("/a/./b", "/a/../b"):
            with self.assertRaises(ValueError):
                self.c.create(bad)

    def test_sync(self):
        self.assertEqual(self.c.sync(self.base), self.base)
        other = self.client()
        other.create(self.base + "/s", b"v")
        self.c.sync(self.base)
        self.assertEqual(self.c.get(self.base + "/s")[0], b"v")

    # ------------------------------------------------------ transactions
    def test_transaction_success(self):
        p = self.base + "/tx"
        self.c.create(p, b"0")
        t = self.c.transaction()
        t.create(p + "/a", b"1")
        t.set_data(p, b"new")
        t.check(p, 1)
        t.create(p + "/s-", sequence=True)
        t.delete(p + "/a")
        r = t.commit()
        self.assertEqual(len(r), 5)
        self.assertEqual(r[0], p + "/a")
        self.assertEqual(r[1].version, 1)
        self.assertTrue(r[2])
        self.assertEqual(r[3], p + "/s-0000000001")
        self.assertTrue(r[4])
        data, st = self.c.get(p)
        self.assertEqual(data, b"new")
        self.assertEqual((st.version, st.mzxid, st.dataLength),
                         (r[1].version, r[1].mzxid, r[1].dataLength))
        self.assertEqual(st.cversion, 3)
        self.assertEqual(self.c.get_children(p), ["s-0000000001"])
        # one multi is one transaction: one zxid for every op
        _, s = self.c.get(p + "/s-0000000001")
        self.assertEqual(s.czxid, st.mzxid)
        self.assertEqual(st.pzxid, st.mzxid)

    def test_transaction_failure_is_atomic(self):
        p = self.base + "/txf"
        self.c.create(p, b"0")
        _, before = self.c.get(p)
        t = self.c.transaction()
        t.create(p + "/a")
        t.set_data(p, b"x", version=5)
        t.delete(p + "/nonexistent")
        t.check(p, 0)
        r = t.commit()
        self.assertEqual(len(r), 4)
        self.assertIsInstance(r[0], RolledBackError)
        self.assertIsInstance(r[1], BadVersionError)
        self.assertIsInstance(r[2], RuntimeInconsistency)
        self.assertIsInstance(r[3], RuntimeInconsistency)
        self.assertIsNone(self.c.exists(p + "/a"))
        self.assertEqual(self.c.get(p), (b"0", before))
        # a failing check rolls back an earlier create
        t = self.c.transaction()
        t.create(p + "/b")
        t.check(p, 9)
        r = t.commit()
        self.assertIsInstance(r[0], RolledBackError)
        self.assertIsInstance(r[1], BadVersionError)
        self.assertIsNone(self.c.exists(p + "/b"))
        # no zxid was consumed by the failed multis' effects
        self.assertEqual(self.c.exists(p), before)
        # ops see the effects of earlier ops in the same multi
        t = self.c.transaction()
        t.create(p + "/c")
        t.create(p + "/c/d")
        t.delete(p + "/c/d")
        t.create(p + "/c/d", b"again")
        r = t.commit()
        self.assertEqual(r, [p + "/c", p + "/c/d", True, p + "/c/d"])
        self.assertEqual(self.c.get(p + "/c/d")[0], b"again")
        t = self.c.transaction()
        t.create(p + "/c")
        r = t.commit()
        self.assertIsInstance(r[0], NodeExistsError)

    # --------------------------------------------------------- big data
    def test_data_size_limit(self):
        p = self.base + "/big"
        ok = os.urandom(1024 * 1024 - 1024)
        self.c.create(p, ok)
        data, st = self.c.get(p)
        self.assertEqual(data, ok)
        self.assertEqual(st.dataLength, len(ok))
        # over jute.maxbuffer: rejected (error or connection loss)
        with self.assertRaises((ConnectionLoss, ZookeeperError)):
            self.c.create_async(p + "2", b"z" * (1024 * 1024 + 1024)) \
                .get(timeout=20)
        wait_for(lambda: self.c.state == KazooState.CONNECTED, 20,
                 "client reconnected after an oversized request")
        other = self.client()
        self.assertIsNone(other.exists(p + "2"))
        self.assertEqual(other.get(p)[0], ok)

    # ----------------------------------------------------------- watches
    def test_exists_watch_fires_created(self):
        ev = Events()
        p = self.base + "/w"
        self.assertIsNone(self.c.exists(p, watch=ev.cb("x")))
        other = self.client()
        other.create(p)
        ev.wait_tag("x")
        other.set(p, b"1")  # one-time: no second event
        self.marker(ev)
        self.assertEqual(ev.snapshot()[0], ("x", EventType.CREATED, p))
        self.assertEqual([e for e in ev.snapshot() if e[0] == "x"],
                         [("x", EventType.CREATED, p)])

    def test_data_watch_fires_once(self):
        ev = Events()
        p = self.base + "/w"
        self.c.create(p, b"0")
        self.c.get(p, watch=ev.cb("d"))
        self.c.exists(p, watch=ev.cb("e"))
        other = self.client()
        other.set(p, b"1")
        other.set(p, b"2")
        self.marker(ev)
        got = sorted(e for e in ev.snapshot() if e[0] != "marker")
        self.assertEqual(got, [("d", EventType.CHANGED, p),
                               ("e", EventType.CHANGED, p)])

    def test_delete_fires_deleted_and_parent_child(self):
        ev = Events()
        parent = self.base + "/par"
        p = parent + "/n"
        self.c.create(p, makepath=True)
        self.c.get(p, watch=ev.cb("data"))
        self.c.get_children(p, watch=ev.cb("kids"))
        self.c.get_children(parent, watch=ev.cb("parent"))
        # a second and third session: child watch alone, data watch alone
        ev2, ev3 = Events(), Events()
        c2, c3 = self.client(), self.client()
        c2.get_children(p, watch=ev2.cb("kids"))
        c3.exists(p, watch=ev3.cb("exists"))
        other = self.client()
        other.delete(p)
        self.marker(ev)
        got = sorted(e for e in ev.snapshot() if e[0] != "marker")
        self.assertEqual(got, [("data", EventType.DELETED, p),
                               ("kids", EventType.DELETED, p),
                               ("parent", EventType.CHILD, parent)])
        ev2.wait_tag("kids")
        ev3.wait_tag("exists")
        self.marker(ev2, c2)
        self.marker(ev3, c3)
        self.assertEqual([e for e in ev2.snapshot() if e[0] != "marker"],
                         [("kids", EventType.DELETED, p)])
        self.assertEqual([e for e in ev3.snapshot() if e[0] != "marker"],
                         [("exists", EventType.DELETED, p)])

    def test_set_does_not_fire_child_watch(self):
        ev = Events()
        p = self.base + "/cw"
        self.c.create(p + "/k", makepath=True)
        self.c.get_children(p, watch=ev.cb("kids"))
        self.c.get_children(p + "/k", watch=ev.cb("kidkids"))
        other = self.client()
        other.set(p, b"data change")
        other.set(p + "/k", b"child data change")
        self.marker(ev)
        self.assertEqual([e for e in ev.snapshot() if e[0] != "marker"], [])
        other.create(p + "/k2")
        ev.wait_tag("kids")
        other.create(p + "/k3")  # one-time
        self.marker(ev)
        self.assertEqual([e for e in ev.snapshot() if e[0] != "marker"],
                         [("kids", EventType.CHILD, p)])

    def test_child_watch_on_create_and_delete_child(self):
        ev = Events()
        p = self.base + "/cw2"
        self.c.create(p)
        self.c.get_children(p, watch=ev.cb("a"))
        self.c.create(p + "/x", ephemeral=True)
        ev.wait_tag("a")
        self.c.get_children(p, watch=ev.cb("b"))
        self.c.delete(p + "/x")
        ev.wait_tag("b")
        self.marker(ev)
        self.assertEqual([e for e in ev.snapshot() if e[0] != "marker"],
                         [("a", EventType.CHILD, p),
                          ("b", EventType.CHILD, p)])

    def raw_session(self):
        raw = harness.RawClient(self.server.port)
        self.addCleanup(raw.close)
        self.assertGreater(raw.handshake(timeout_ms=10000), 0)
        return raw

    def raw_resume(self, old):
        raw = harness.RawClient(self.server.port)
        self.addCleanup(raw.close)
        sid = raw.handshake(timeout_ms=10000, session_id=old.session_id,
                            passwd=old.passwd, last_zxid=old.last_zxid)
        self.assertEqual(sid, old.session_id)
        self.assertGreater(raw.timeout_ms, 0)
        raw.last_zxid = old.last_zxid
        return raw

    def test_setwatches_after_restart(self):
        """Watches set before a server restart, re-sent by the client with
        SetWatches on its resumed session, fire for later changes."""
        p = self.base + "/rw"
        self.c.create(p, b"0")
        self.c.create(p + "/k")
        raw = self.raw_session()
        ops = [(harness.OP_GETDATA, p), (harness.OP_GETCHILDREN, p),
               (harness.OP_EXISTS, p + "/new"), (harness.OP_EXISTS, p + "/k")]
        for i, (op, path) in enumerate(ops):
            _, _, err, _ = raw.request(harness.path_request(i + 1, op, path,
                                                            True))
            self.assertIn(err, (harness.ZOK, harness.ZNONODE))
        self.assertGreater(raw.last_zxid, 0)
        raw.close()
        self.server.restart()
        raw2 = self.raw_resume(raw)
        # like a real client: exists() on an existing node is a data
        # watch; the exist list holds the ones on missing nodes
        _, _, err, _ = raw2.request(harness.set_watches_request(
            raw.last_zxid, data=[p, p + "/k"], exist=[p + "/new"],
            child=[p]))
        self.assertEqual(err, harness.ZOK)
        self.assertEqual(raw2.events, [])
        other = self.client()
        other.set(p, b"1")
        other.create(p + "/new")
        other.delete(p + "/k")
        other.create(p + "/after")  # child watch already used: no event
        other.set(p, b"2")          # data watch already used: no event
        raw2.wait_events(4)
        self.assertEqual(sorted(raw2.events),
                         sorted([(harness.EV_DATA_CHANGED, p),
                                 (harness.EV_CREATED, p + "/new"),
                                 (harness.EV_CHILDREN_CHANGED, p),
                                 (harness.EV_DELETED, p + "/k")]))
        # fence: a fresh exists watch fires after anything queued before
        m = self.base + "/fence"
        raw2.request(harness.path_request(50, harness.OP_EXISTS, m, True))
        other.create(m)
        raw2.wait_events(5)
        self.assertEqual(raw2.events[4], (harness.EV_CREATED, m))

    def test_setwatches_changes_while_disconnected(self):
        """SetWatches with an old relativeZxid fires at once for what
        changed since: data changed, node created, node deleted, child
        added."""
        p = self.base + "/rw2"
        self.c.create(p, b"0")
        self.c.create(p + "/gone")
        self.c.create(p + "/same", b"s")
        raw = self.raw_session()
        raw.request(harness.path_request(1, harness.OP_GETDATA, p, True))
        raw.close()
        rel = raw.last_zxid
        self.assertGreater(rel, 0)
        self.c.set(p, b"changed")
        self.c.create(p + "/born")
        self.c.delete(p + "/gone")
        raw2 = self.raw_resume(raw)
        raw2.request(harness.set_watches_request(
            rel, data=[p, p + "/gone", p + "/same"],
            exist=[p + "/born", p + "/never"], child=[p]))
        raw2.wait_events(4)
        self.assertEqual(sorted(raw2.events),
                         sorted([(harness.EV_DATA_CHANGED, p),
                                 (harness.EV_CREATED, p + "/born"),
                                 (harness.EV_DELETED, p + "/gone"),
                                 (harness.EV_CHILDREN_CHANGED, p)]))
        # the unchanged ones stay registered and fire later
        self.c.set(p + "/same", b"t")
        self.c.create(p + "/never")
        raw2.wait_events(6)
        self.assertEqual(sorted(raw2.events[4:]),
                         sorted([(harness.EV_DATA_CHANGED, p + "/same"),
                                 (harness.EV_CREATED, p + "/never")]))

    def test_kazoo_datawatch_survives_restart(self):
        """kazoo's DataWatch recipe re-arms after a reconnect; the session
        survives a server restart (sessions are durable)."""
        seen = []
        states = []
        p = self.base + "/dw"
        self.c.create(p, b"0")
        w = self.client()
        w.add_listener(lambda s: states.append(s))
        sid = w.client_id[0]
        w.DataWatch(p, lambda data, stat: seen.append(data))
        wait_for(lambda: seen == [b"0"], 10, "first DataWatch call")
        eph = w.create(self.base + "/eph", ephemeral=True)
        self.server.restart()
        wait_for(lambda: KazooState.SUSPENDED in states
                 and w.state == KazooState.CONNECTED, 30,
                 "watching client reconnected")
        self.assertEqual(w.client_id[0], sid)
        self.assertNotIn(KazooState.LOST, states)
        self.assertEqual(self.c.exists(eph).ephemeralOwner, sid)
        self.c.set(p, b"after")
        wait_for(lambda: seen[-1:] == [b"after"], 15,
                 "DataWatch saw the change after restart (seen %r)" % seen)

    # ---------------------------------------------------------- sessions
    def test_session_expiry_removes_ephemerals(self):
        p = self.base + "/eph"
        self.c.create(p)
        code = (
            "import sys, logging\n"
            "logging.basicConfig(level=logging.CRITICAL)\n"
            "from kazoo.client import KazooClient\n"
            "c = KazooClient(hosts=sys.argv[1], timeout=3.0)\n"
            "c.start(timeout=15)\n"
            "c.create(sys.argv[2] + '/a', b'x', ephemeral=True)\n"
            "c.create(sys.argv[2] + '/s-', ephemeral=True, sequence=True)\n"
            "print(c.client_id[0], flush=True)\n"
            "sys.stdin.read()\n")
        proc = harness.Proc([harness.PYTHON, "-c", code, self.server.hosts,
                             p], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
        self.addCleanup(proc.close)
        sid = int(proc.p.stdout.readline())
        ev = Events()
        st = self.c.exists(p + "/a", watch=ev.cb("a"))
        self.assertEqual(st.ephemeralOwner, sid)
        self.assertEqual(len(self.c.get_children(p, watch=ev.cb("p"))), 2)
        proc.kill(signal.SIGKILL)
        proc.p.wait(timeout=10)
        # the owner is gone but its session lives until the timeout
        self.assertIsNotNone(self.c.exists(p + "/a"))
        ev.wait_tag("a", timeout=20)
        ev.wait_tag("p", timeout=5)
        self.assertIn(("a", EventType.DELETED, p + "/a"), ev.snapshot())
        self.assertIn(("p", EventType.CHILD, p), ev.snapshot())
        self.assertEqual(self.c.get_children(p), [])

    def test_wrong_password_expires(self):
        sid, passwd = self.c.client_id
        wrong = bytes(b ^ 0xff for b in passwd)
        # on the wire: a refused session is a ConnectResponse with
        # timeout 0 (and session id 0), then the server closes
        with harness.RawClient(self.server.port) as raw:
            got = raw.handshake(session_id=sid, passwd=wrong)
            self.assertEqual(raw.timeout_ms, 0)
            self.assertEqual(got, 0)
            self.assertTrue(raw.wait_closed(10))
        # an unknown session id is refused the same way
        with harness.RawClient(self.server.port) as raw:
            raw.handshake(session_id=sid + 12345, passwd=passwd)
            self.assertEqual(raw.timeout_ms, 0)
            self.assertTrue(raw.wait_closed(10))
        # the right password resumes the very session
        with harness.RawClient(self.server.port) as raw:
            self.assertEqual(raw.handshake(session_id=sid, passwd=passwd),
                             sid)
            self.assertGreater(raw.timeout_ms, 0)
        # kazoo with the wrong password: expired, then a new session
        bad = self.server.client(start=False, client_id=(sid, wrong))
        self.addCleanup(self._close_client, bad)
        bad.start(timeout=15)
        # the real session is untouched
        self.c.create(self.base + "/still", ephemeral=True)
        self.assertEqual(self.c.client_id[0], sid)
        self.assertEqual(self.c.exists(self.base + "/still").ephemeralOwner,
                         sid)
        # kazoo then opens a new session, with a different id
        wait_for(lambda: bad.state == KazooState.CONNECTED, 15,
                 "new session after the expired one")
        self.assertNotEqual(bad.client_id[0], sid)


if __name__ == "__main__":
    harness.main()
