#!/usr/bin/python3
"""/zookeeper/config and reconfig in an ensemble (3 nodes): every node
shows the membership as ZooKeeper's QuorumVerifier prints it, and reconfig
is refused with ZRECONFIGDISABLED (-123) while reconfigEnabled is off (the
default), without changing anything."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from cluster import ClusterTestCase  # noqa: E402
from harness import Jute, RawClient  # noqa: E402

OP_RECONFIG = 16
ZRECONFIGDISABLED = -123


class ConfigTest(ClusterTestCase):
    nodes = 3

    def membership(self):
        c = self.cluster
        lines = ["server.%d=127.0.0.1:%d:%d:participant"
                 % (i, c.nodes[i].quorum_port, c.nodes[i].election_port)
                 for i in sorted(c.nodes)]
        return ("\n".join(lines) + "\nversion=0").encode()

    def test_config_node_on_every_node(self):
        c = self.cluster
        c.wait_ready(idxs=list(c.nodes))
        want = self.membership()
        for i in c.nodes:
            kc = self.client(hosts=c.host(i))
            data, stat = kc.get("/zookeeper/config")
            self.assertEqual(data, want, "node %d" % i)
            self.assertEqual(stat.version, -1)
            self.assertEqual(stat.aversion, -1)

    def test_reconfig_disabled(self):
        c = self.cluster
        c.wait_ready(idxs=list(c.nodes))
        raw = RawClient(c.nodes[1].client_port)
        self.addCleanup(raw.close)
        raw.handshake()
        req = (Jute().int(1).int(OP_RECONFIG).ustring(None)
               .ustring("3").ustring(None).long(-1).bytes())
        xid, zxid, err, body = raw.request(req)
        self.assertEqual(err, ZRECONFIGDISABLED)
        kc = self.client(hosts=c.host(1))
        self.assertEqual(kc.get("/zookeeper/config")[0], self.membership())


if __name__ == "__main__":
    unittest.main(verbosity=2)
