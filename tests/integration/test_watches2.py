#!/usr/bin/python3
"""Persistent and persistent-recursive watches (addWatch, opcode 106),
removeWatches (18), checkWatches (17) and setWatches2 (105) after a server
restart, over raw sockets (kazoo 2.8 has no addWatch).  The expected
events are ZooKeeper 3.8.0's: WatchManager.triggerWatch with WatcherMode,
DataTree.addWatch/removeWatch/containsWatcher/setWatches."""

import logging
import socket

import harness
from harness import (ConnectionClosed, Jute, RawClient, create_request,
                     path_request, wait_for)

logging.basicConfig(level=logging.CRITICAL)

OP_CHECKWATCHES = 17
OP_REMOVEWATCHES = 18
OP_SETWATCHES2 = 105
OP_ADDWATCH = 106
PERSISTENT, RECURSIVE = 0, 1
CHILDREN, DATA, ANY = 1, 2, 3
ZNOWATCHER = -121

CREATED, DELETED, CHANGED, CHILD = (harness.EV_CREATED, harness.EV_DELETED,
                                    harness.EV_DATA_CHANGED,
                                    harness.EV_CHILDREN_CHANGED)


def add_watch(xid, path, mode):
    return Jute().int(xid).int(OP_ADDWATCH).ustring(path).int(mode).bytes()


def remove_watches(xid, op, path, typ):
    return Jute().int(xid).int(op).ustring(path).int(typ).bytes()


def set_data(xid, path, data):
    return (Jute().int(xid).int(harness.OP_SETDATA).ustring(path)
            .buffer(data).int(-1).bytes())


def delete(xid, path):
    return (Jute().int(xid).int(harness.OP_DELETE).ustring(path).int(-1)
            .bytes())


def set_watches2(rel, data=(), exist=(), child=(), persistent=(),
                 recursive=()):
    j = Jute().int(harness.XID_SETWATCHES).int(OP_SETWATCHES2).long(rel)
    for lst in (data, exist, child, persistent, recursive):
        j.int(len(lst))
        for p in lst:
            j.ustring(p)
    return j.bytes()


class Conn(RawClient):
    """A raw session with an xid counter and event draining."""

    def __init__(self, port, **kw):
        super().__init__(port)
        self.xid = 0
        self.handshake(**kw)

    def call(self, payload_fn, *args):
        self.xid += 1
        xid, zxid, err, body = self.request(payload_fn(self.xid, *args))
        return err, body

    def drain(self, quiet=0.3):
        """Events that arrived, waiting until none came for `quiet` s."""
        self.sock.settimeout(quiet)
        try:
            while True:
                self._read_reply()
        except socket.timeout:
            pass
        ev, self.events = self.events, []
        return ev


class WatchBase(harness.ServerTestCase):

    def conn(self, **kw):
        c = Conn(self.server.port, **kw)
        self.addCleanup(c.close)
        return c

    def setUp(self):
        super().setUp()
        self.w = self.conn()        # the writer
        self.assertEqual(self.w.call(create_request, self.base)[0], 0)

    def write(self, fn, *args):
        err, _ = self.w.call(fn, *args)
        self.assertEqual(err, 0, "%s%r" % (fn.__name__, args))

    def mntr(self, key):
        for ln in self.server.four_letter("mntr").splitlines():
            k, _, v = ln.partition("\t")
            if k == key:
                return int(v)
        raise KeyError(key)


class PersistentWatchTest(WatchBase):

    def test_add_watch_reply(self):
        a = self.conn()
        err, body = a.call(add_watch, self.base, PERSISTENT)
        self.assertEqual((err, body), (0, b"\0\0\0\0"))  # ErrorResponse(0)
        # a path that does not exist is fine too
        self.assertEqual(a.call(add_watch, self.base + "/no", RECURSIVE),
                         (0, b"\0\0\0\0"))

    def test_persistent_fires_every_time(self):
        a = self.conn()
        p = self.base + "/p"
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        self.write(create_request, p)
        self.write(set_data, p, b"1")
        self.write(set_data, p, b"2")
        self.write(create_request, p + "/c")
        self.write(set_data, p + "/c", b"x")     # not a descendant's data
        self.write(delete, p + "/c")
        self.write(delete, p)
        self.write(create_request, p)            # survives the delete
        self.assertEqual(a.drain(), [
            (CREATED, p), (CHANGED, p), (CHANGED, p), (CHILD, p),
            (CHILD, p), (DELETED, p), (CREATED, p)])

    def test_recursive_whole_subtree_without_child_events(self):
        a = self.conn()
        r = self.base + "/r"
        self.write(create_request, r)
        self.write(create_request, r + "x")      # a sibling, not below r
        self.assertEqual(a.call(add_watch, r, RECURSIVE)[0], 0)
        self.write(create_request, r + "/a")
        self.write(create_request, r + "/a/b")
        self.write(set_data, r + "/a/b", b"1")
        self.write(set_data, r + "x", b"1")
        self.write(create_request, r + "x/y")
        self.write(delete, r + "/a/b")
        self.write(set_data, r, b"1")
        self.assertEqual(a.drain(), [
            (CREATED, r + "/a"), (CREATED, r + "/a/b"),
            (CHANGED, r + "/a/b"), (DELETED, r + "/a/b"), (CHANGED, r)])

    def test_recursive_on_root(self):
        a = self.conn()
        self.assertEqual(a.call(add_watch, "/", RECURSIVE)[0], 0)
        self.write(create_request, self.base + "/q")
        self.assertEqual(a.drain(), [(CREATED, self.base + "/q")])
        self.assertEqual(a.call(remove_watches, OP_REMOVEWATCHES, "/", ANY),
                         (0, b""))

    def test_order_and_one_event_per_trigger(self):
        a = self.conn()
        r = self.base + "/o"
        self.write(create_request, r)
        self.assertEqual(a.call(add_watch, r, RECURSIVE)[0], 0)
        self.assertEqual(a.call(add_watch, r + "/a", PERSISTENT)[0], 0)
        self.write(create_request, r + "/a")
        # NodeCreated (data table) before NodeChildrenChanged of the parent
        self.write(create_request, r + "/a/b")
        self.assertEqual(a.drain(), [(CREATED, r + "/a"),
                                     (CREATED, r + "/a/b"),
                                     (CHILD, r + "/a")])
        # a one-time data watch on a recursively watched node: one event
        self.assertEqual(a.call(path_request, harness.OP_GETDATA,
                                r + "/a/b", True)[0], 0)
        self.write(set_data, r + "/a/b", b"1")
        self.assertEqual(a.drain(), [(CHANGED, r + "/a/b")])
        # exists + getChildren on one node, delete: NodeDeleted once
        self.assertEqual(a.call(path_request, harness.OP_EXISTS, r + "/a/b",
                                True)[0], 0)
        self.assertEqual(a.call(path_request, harness.OP_GETCHILDREN,
                                r + "/a/b", True)[0], 0)
        self.write(delete, r + "/a/b")
        self.assertEqual(a.drain(), [(DELETED, r + "/a/b"),
                                     (CHILD, r + "/a")])

    def test_standard_watch_replaces_persistent_mode(self):
        # WatcherModeManager: one mode per (table, path, connection); a
        # getData watch makes the data side of a persistent watch one-time
        a = self.conn()
        p = self.base + "/m"
        self.write(create_request, p)
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        self.assertEqual(a.call(path_request, harness.OP_GETDATA, p,
                                True)[0], 0)
        self.write(set_data, p, b"1")
        self.write(set_data, p, b"2")
        self.write(create_request, p + "/c")    # child side still persistent
        self.write(create_request, p + "/d")
        self.assertEqual(a.drain(), [(CHANGED, p), (CHILD, p), (CHILD, p)])

    def test_other_sessions_unaffected(self):
        a, b = self.conn(), self.conn()
        p = self.base + "/s"
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        self.assertEqual(b.call(path_request, harness.OP_EXISTS, p,
                                True)[0], harness.ZNONODE)
        self.write(create_request, p)
        self.write(set_data, p, b"1")
        self.assertEqual(a.drain(), [(CREATED, p), (CHANGED, p)])
        self.assertEqual(b.drain(), [(CREATED, p)])


class RemoveWatchesTest(WatchBase):

    def test_remove_and_nowatcher(self):
        a = self.conn()
        p = self.base + "/rm"
        self.write(create_request, p)
        rm = OP_REMOVEWATCHES
        self.assertEqual(a.call(remove_watches, rm, p, ANY)[0], ZNOWATCHER)
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        # DATA removes the data side only: children events still come
        self.assertEqual(a.call(remove_watches, rm, p, DATA), (0, b""))
        self.assertEqual(a.call(remove_watches, rm, p, DATA)[0], ZNOWATCHER)
        self.write(set_data, p, b"1")
        self.write(create_request, p + "/c")
        self.assertEqual(a.drain(), [(CHILD, p)])
        self.assertEqual(a.call(remove_watches, rm, p, CHILDREN)[0], 0)
        self.assertEqual(a.call(remove_watches, rm, p, ANY)[0], ZNOWATCHER)
        self.write(create_request, p + "/d")
        self.assertEqual(a.drain(), [])
        # a one-time watch: ANY removes both sides
        self.assertEqual(a.call(path_request, harness.OP_GETCHILDREN, p,
                                True)[0], 0)
        self.assertEqual(a.call(path_request, harness.OP_GETDATA, p,
                                True)[0], 0)
        self.assertEqual(a.call(remove_watches, rm, p, ANY)[0], 0)
        self.write(set_data, p, b"2")
        self.write(delete, p + "/d")
        self.assertEqual(a.drain(), [])

    def test_remove_only_own(self):
        a, b = self.conn(), self.conn()
        p = self.base + "/own"
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        self.assertEqual(b.call(remove_watches, OP_REMOVEWATCHES, p, ANY)[0],
                         ZNOWATCHER)
        self.write(create_request, p)
        self.assertEqual(a.drain(), [(CREATED, p)])

    def test_check_watches(self):
        a, b = self.conn(), self.conn()
        p = self.base + "/chk"
        ck = OP_CHECKWATCHES
        self.assertEqual(a.call(remove_watches, ck, p, ANY)[0], ZNOWATCHER)
        self.assertEqual(a.call(path_request, harness.OP_EXISTS, p,
                                True)[0], harness.ZNONODE)
        self.assertEqual(a.call(remove_watches, ck, p, DATA), (0, b""))
        self.assertEqual(a.call(remove_watches, ck, p, ANY)[0], 0)
        self.assertEqual(a.call(remove_watches, ck, p, CHILDREN)[0],
                         ZNOWATCHER)
        # checking does not remove
        self.write(create_request, p)
        self.assertEqual(a.drain(), [(CREATED, p)])
        # ZooKeeper 3.8 WatchManager.containsWatcher: any watcher on the
        # path counts, the asking session's or another's
        self.assertEqual(a.call(add_watch, p, RECURSIVE)[0], 0)
        self.assertEqual(b.call(remove_watches, ck, p, DATA)[0], 0)
        # a recursive watch on a parent does not count for the child
        self.assertEqual(a.call(remove_watches, ck, p + "/x", DATA)[0],
                         ZNOWATCHER)

    def test_bad_mode_and_type(self):
        a = self.conn()
        p = self.base + "/bad"
        self.assertEqual(a.call(add_watch, p, 2), (harness.ZMARSHALLINGERROR,
                                                   b""))
        self.assertEqual(a.call(remove_watches, OP_REMOVEWATCHES, p, 7)[0],
                         harness.ZMARSHALLINGERROR)
        self.assertEqual(a.call(remove_watches, OP_CHECKWATCHES, p, 0)[0],
                         harness.ZMARSHALLINGERROR)
        # the session goes on
        self.assertEqual(a.call(path_request, harness.OP_EXISTS, p,
                                False)[0], harness.ZNONODE)


class WatchAccountingTest(WatchBase):

    def test_counts_and_cleanup_on_close(self):
        w0 = self.mntr("zk_watch_count")
        a = self.conn()
        p = self.base + "/n"
        self.assertEqual(a.call(add_watch, p, RECURSIVE)[0], 0)
        self.assertEqual(a.call(add_watch, p + "/x", PERSISTENT)[0], 0)
        self.assertEqual(a.call(path_request, harness.OP_EXISTS, p + "/y",
                                True)[0], harness.ZNONODE)
        # addWatch fills both tables in 3.8.0: 2 + 2 + 1
        self.assertEqual(self.mntr("zk_watch_count"), w0 + 5)
        out = self.server.four_letter("wchp")
        sid = "0x%x" % a.session_id
        for path in (p, p + "/x", p + "/y"):
            self.assertIn("%s\n\t%s\n" % (path, sid), out)
        out = self.server.four_letter("wchc")
        self.assertIn(sid + "\n", out)
        a.close()
        wait_for(lambda: self.mntr("zk_watch_count") == w0, 10,
                 "watches of a closed connection gone")
        self.assertNotIn(sid, self.server.four_letter("wchc"))
        # the writer still hears nothing it did not ask for, and works
        self.write(create_request, p)
        self.assertEqual(self.w.drain(), [])


class SetWatches2RestartTest(WatchBase):

    def test_persistent_watches_come_back_after_restart(self):
        a = self.conn()
        p, r, d = (self.base + "/p", self.base + "/r", self.base + "/d")
        for path in (p, r, d):
            self.write(create_request, path)
        self.assertEqual(a.call(add_watch, p, PERSISTENT)[0], 0)
        self.assertEqual(a.call(add_watch, r, RECURSIVE)[0], 0)
        self.assertEqual(a.call(path_request, harness.OP_GETDATA, d,
                                True)[0], 0)
        sid, passwd = a.session_id, a.passwd
        seen = self.w.last_zxid
        a.close()
        self.w.close()
        self.server.restart()
        w = self.conn()
        self.write_conn = w
        # a change the client misses while it is away
        self.assertEqual(w.call(set_data, d, b"new")[0], 0)
        b = self.conn(session_id=sid, passwd=passwd, last_zxid=seen)
        self.assertEqual(b.session_id, sid)
        xid, _, err, _ = b.request(set_watches2(seen, data=[d],
                                                persistent=[p],
                                                recursive=[r]))
        self.assertEqual((xid, err), (harness.XID_SETWATCHES, 0))
        # the missed data change fires at once; persistent ones never do
        self.assertEqual(b.drain(), [(CHANGED, d)])
        for _ in range(2):
            self.assertEqual(w.call(set_data, p, b"x")[0], 0)
        self.assertEqual(w.call(create_request, p + "/c")[0], 0)
        self.assertEqual(w.call(create_request, r + "/a")[0], 0)
        self.assertEqual(w.call(create_request, r + "/a/b")[0], 0)
        self.assertEqual(w.call(set_data, d, b"again")[0], 0)
        self.assertEqual(b.drain(), [
            (CHANGED, p), (CHANGED, p), (CHILD, p),
            (CREATED, r + "/a"), (CREATED, r + "/a/b")])
        self.assertEqual(b.call(remove_watches, OP_REMOVEWATCHES, r,
                                DATA)[0], 0)


if __name__ == "__main__":
    harness.main()
