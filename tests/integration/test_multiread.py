#!/usr/bin/python3
"""multiRead (opcode 22, ZooKeeper 3.6+): getData and getChildren ops read
together; not atomic like multi: each op gets its own result or error."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Jute, JuteReader, RawClient  # noqa: E402

OP_MULTIREAD = 22
OP_GETDATA = 4
OP_GETCHILDREN = 8
ZNONODE = -101
ZNOAUTH = -102


def multiread(xid, ops):
    j = Jute().int(xid).int(OP_MULTIREAD)
    for op, path in ops:
        j.int(op).bool(False).int(-1).ustring(path).bool(False)
    return j.int(-1).bool(True).int(-1).bytes()


def parse(body):
    r = JuteReader(body)
    out = []
    while True:
        typ, done, err = r.int(), r._take(1)[0], r.int()
        if done:
            return out
        if typ == -1:
            out.append(("error", r.int()))
        elif typ == OP_GETDATA:
            data = r.buffer()
            stat = [r.long(), r.long(), r.long(), r.long(), r.int(),
                    r.int(), r.int(), r.long(), r.int(), r.int(), r.long()]
            out.append(("data", data, stat[4]))
        elif typ == OP_GETCHILDREN:
            n = r.int()
            out.append(("children", sorted(r.ustring() for _ in range(n))))
        else:
            raise AssertionError("unexpected result type %d" % typ)


class MultiReadTest(harness.ServerTestCase):

    def test_results_and_errors_per_op(self):
        c = self.client()
        base = "/mr_%d" % os.getpid()
        c.create(base, b"top")
        c.create(base + "/a", b"alpha")
        c.set(base + "/a", b"alpha2")
        c.create(base + "/b")
        raw = RawClient(self.server.port)
        self.addCleanup(raw.close)
        raw.handshake()
        xid, zxid, err, body = raw.request(multiread(1, [
            (OP_GETDATA, base + "/a"),
            (OP_GETCHILDREN, base),
            (OP_GETDATA, base + "/missing"),
            (OP_GETCHILDREN, base + "/b"),
        ]))
        self.assertEqual(err, 0)
        self.assertEqual(parse(body), [
            ("data", b"alpha2", 1),
            ("children", ["a", "b"]),
            ("error", ZNONODE),
            ("children", []),
        ])


    def test_acl_checked_per_op(self):
        from kazoo.security import make_digest_acl
        c = self.client()
        base = "/mra_%d" % os.getpid()
        c.create(base, b"open")
        c.create(base + "/secret", b"s",
                 acl=[make_digest_acl("u", "p", all=True)])
        raw = RawClient(self.server.port)
        self.addCleanup(raw.close)
        raw.handshake()
        xid, zxid, err, body = raw.request(multiread(1, [
            (OP_GETDATA, base + "/secret"),
            (OP_GETDATA, base),
        ]))
        self.assertEqual(err, 0)
        self.assertEqual(parse(body), [("error", ZNOAUTH),
                                       ("data", b"open", 0)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
