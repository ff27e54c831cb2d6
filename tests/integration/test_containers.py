#!/usr/bin/python3
"""Container and TTL nodes (ZooKeeper 3.6+): the leader's ContainerManager
deletes an empty container once it has had a child, and a childless TTL
node once it is older than its TTL; both through ordinary replicated
deleteContainer commands.

Corral-only: Apache ZooKeeper takes znode.container.checkIntervalMs from a
JVM system property (default 60 s), not from zoo.cfg, so the same test
against it would wait minutes."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Jute, JuteReader, RawClient  # noqa: E402

OP_CREATE_CONTAINER = 19
OP_DELETE_CONTAINER = 20
OP_CREATE_TTL = 21
FLAG_PERSISTENT_TTL = 5
ZNONODE = -101


def create_ttl(xid, path, ttl_ms, flags=FLAG_PERSISTENT_TTL):
    return (Jute().int(xid).int(OP_CREATE_TTL).ustring(path).buffer(b"")
            .acl_list(harness.OPEN_ACL_UNSAFE).int(flags).long(ttl_ms)
            .bytes())


@harness.skip_unless_corral("znode.container.checkIntervalMs from zoo.cfg")
class ContainerTest(harness.ServerTestCase):
    extra_cfg = {"znode.container.checkIntervalMs": "100",
                 "extendedTypesEnabled": "true"}

    def setUp(self):
        super().setUp()
        self.c = self.client()
        self.raw = RawClient(self.server.port)
        self.addCleanup(self.raw.close)
        self.raw.handshake()
        self.xid = 0

    def req(self, payload):
        xid, zxid, err, body = self.raw.request(payload)
        return err, body

    def next_xid(self):
        self.xid += 1
        return self.xid

    def gone(self, path, what):
        harness.wait_for(lambda: self.c.exists(path) is None, 10, what)

    def test_container_deleted_once_emptied(self):
        err, body = self.req(harness.create_request(
            self.next_xid(), "/box", op=OP_CREATE_CONTAINER))
        self.assertEqual(err, 0)
        # clients see 0, as ZooKeeper's DataNode.getClientEphemeralOwner
        self.assertEqual(self.c.exists("/box").ephemeralOwner, 0)
        self.c.create("/box/item")
        # the check runs every 100 ms: a container with a child stays
        self.c.delete("/box/item")
        self.gone("/box", "the emptied container to be deleted")

    def test_container_without_children_stays(self):
        for p in ("/never", "/marker"):
            err, _ = self.req(harness.create_request(
                self.next_xid(), p, op=OP_CREATE_CONTAINER))
            self.assertEqual(err, 0)
        self.c.create("/marker/x")
        self.c.delete("/marker/x")
        # once the marker is gone a check has run after it was emptied
        self.gone("/marker", "the marker container to be deleted")
        self.assertIsNotNone(self.c.exists("/never"),
                             "a container that never had a child was "
                             "deleted")

    def test_ttl_node_expires(self):
        err, body = self.req(create_ttl(self.next_xid(), "/ttl", 300))
        self.assertEqual(err, 0, "createTTL")
        self.assertEqual(JuteReader(body).ustring(), "/ttl")
        self.gone("/ttl", "the TTL node to expire")

    def test_ttl_node_with_child_stays(self):
        err, _ = self.req(create_ttl(self.next_xid(), "/ttlp", 200))
        self.assertEqual(err, 0)
        self.c.create("/ttlp/kid")
        err, _ = self.req(create_ttl(self.next_xid(), "/ttlmark", 200))
        self.assertEqual(err, 0)
        self.gone("/ttlmark", "the marker TTL node to expire")
        self.assertIsNotNone(self.c.exists("/ttlp"),
                             "a TTL node with a child was deleted")

    def test_client_cannot_send_delete_container(self):
        err, _ = self.req(harness.create_request(
            self.next_xid(), "/box2", op=OP_CREATE_CONTAINER))
        self.assertEqual(err, 0)
        with self.assertRaises((harness.ConnectionClosed, OSError)):
            path = b"/box2"
            self.raw.request(Jute().int(self.next_xid())
                             .int(OP_DELETE_CONTAINER).bytes() + path)
            self.raw.recv_frame()
        self.assertIsNotNone(self.c.exists("/box2"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
