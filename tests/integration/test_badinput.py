#!/usr/bin/python3
"""Foreign input on the client port, over raw sockets: random bytes,
truncated frames, oversized length prefixes, garbage after a valid
handshake, malformed and unknown requests, and invalid paths in raw
jute CreateRequests.  After each one the server must still serve a
normal kazoo client.  Also the four-letter words."""

import logging
import random
import socket
import struct

import harness
from harness import (ConnectionClosed, Jute, RawClient, create_request,
                     connect_request, wait_for)

logging.basicConfig(level=logging.CRITICAL)


class BadInputTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.k = self.client()
        self.rnd = random.Random(self._testMethodName)

    def tearDown(self):
        # the server survived: a new session works end to end
        c = self.client()
        p = c.create("/alive", b"x", ephemeral=True, sequence=True)
        self.assertEqual(c.get(p)[0], b"x")
        c.delete(p)
        super().tearDown()

    def raw(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        return r

    def rand(self, n):
        return bytes(self.rnd.getrandbits(8) for _ in range(n))

    def assert_closed(self, r, what, timeout=10):
        self.assertTrue(r.wait_closed(timeout),
                        "server did not close the connection after " + what)

    # ---------------------------------------------------------- framing
    def test_random_first_packet(self):
        for n in (1, 3, 17, 256, 4096):
            r = self.raw()
            data = self.rand(n)
            if data[:4] in (b"ruok", b"srvr", b"stat", b"mntr"):
                continue
            r.send_raw(data)
            r.sock.shutdown(socket.SHUT_WR)
            self.assert_closed(r, "%d random bytes" % n)

    def test_random_framed_connect(self):
        for n in (0, 1, 12, 40, 200):
            r = self.raw()
            r.send_raw(struct.pack(">i", n) + self.rand(n))
            r.sock.shutdown(socket.SHUT_WR)
            self.assert_closed(r, "a framed random connect of %d" % n)

    def test_truncated_frames(self):
        # length says 100, 10 bytes come, then EOF
        r = self.raw()
        r.send_raw(struct.pack(">i", 100) + b"x" * 10)
        r.sock.shutdown(socket.SHUT_WR)
        self.assert_closed(r, "a truncated frame")
        # a truncated length prefix
        r = self.raw()
        r.send_raw(b"\0\0")
        r.sock.shutdown(socket.SHUT_WR)
        self.assert_closed(r, "a 2-byte length prefix")
        # a whole frame holding a truncated ConnectRequest
        r = self.raw()
        r.send_frame(connect_request()[:10])
        self.assert_closed(r, "a truncated ConnectRequest")
        # a valid session, then a truncated request frame and EOF
        r = self.raw()
        r.handshake()
        r.send_raw(struct.pack(">i", 64) + struct.pack(">ii", 7, 4))
        r.sock.shutdown(socket.SHUT_WR)
        self.assert_closed(r, "a truncated request")

    def test_oversized_length_prefix(self):
        for length in (0x7fffffff, 2 * 1024 * 1024,
                       harness.JUTE_MAXBUFFER + 4096, -1, -0x80000000):
            r = self.raw()
            r.send_raw(struct.pack(">i", length))
            # no more bytes are sent: the length alone must be refused
            self.assert_closed(r, "length prefix %d" % length)
        r = self.raw()
        r.handshake()
        r.send_raw(struct.pack(">i", 0x7fffffff))
        self.assert_closed(r, "length 0x7fffffff after a handshake")
        r = self.raw()
        r.handshake()
        r.send_raw(struct.pack(">i", 2 * 1024 * 1024) + b"\0" * 8192)
        self.assert_closed(r, "length 2 MB after a handshake")

    def test_garbage_after_connect(self):
        r = self.raw()
        self.assertGreater(r.handshake(), 0)
        r.send_frame(struct.pack(">ii", 9, 0x5a5a5a5a) + self.rand(40))
        try:
            xid, _, err, _ = r._read_reply()
            self.assertNotEqual(err, 0)
        except (ConnectionClosed, OSError):
            pass
        self.assert_closed(r, "an unknown request type")
        r = self.raw()
        r.handshake()
        r.send_raw(self.rand(300))
        r.sock.shutdown(socket.SHUT_WR)
        self.assert_closed(r, "unframed garbage after a handshake")

    def test_unknown_opcode(self):
        r = self.raw()
        r.handshake()
        r.send_frame(Jute().int(5).int(77).bytes())
        try:
            xid, _, err, _ = r._read_reply()
            self.assertEqual((xid, err), (5, -6))  # ZUNIMPLEMENTED
        except (ConnectionClosed, OSError):
            pass

    def test_truncated_request_body(self):
        """A CreateRequest whose path length runs past the frame: a
        marshalling error (-5) or a closed connection, nothing created."""
        r = self.raw()
        r.handshake()
        r.send_frame(Jute().int(5).int(harness.OP_CREATE).int(1000)
                     .bytes() + b"/trunc")
        try:
            xid, _, err, _ = r._read_reply()
            self.assertEqual((xid, err), (5, harness.ZMARSHALLINGERROR))
        except (ConnectionClosed, OSError):
            pass
        self.assertIsNone(self.k.exists("/trunc"))

    # ------------------------------------------------------------ paths
    def create_raw(self, path, flags=0):
        """Returns the error code, or None if the server closed."""
        r = self.raw()
        r.handshake()
        try:
            _, _, err, body = r.request(create_request(1, path, b"d",
                                                       flags=flags))
        except (ConnectionClosed, OSError):
            return None, None
        return err, body

    def test_invalid_paths_rejected(self):
        base = self.base
        self.k.create(base)
        bad = ["//a", base + "/", "a", "", base + "/.", base + "/..",
               base + "/x\0y", base + "/\x01", base + "/\x1f", "/",
               "//"]
        for path in bad:
            err, _ = self.create_raw(path)
            if path == "/":
                # ZooKeeper: the root exists (-110) before the path check
                self.assertIn(err, (harness.ZBADARGUMENTS, -110, None),
                              repr(path))
                continue
            self.assertIn(err, (harness.ZBADARGUMENTS, None),
                          "create %r: expected ZBADARGUMENTS or a closed "
                          "connection, got %r" % (path, err))
        # a relative or empty element whose parent cannot exist: ZooKeeper
        # answers ZNONODE (it looks the parent up first)
        for path in (base + "/./b", base + "/../b", base + "//b"):
            err, _ = self.create_raw(path)
            self.assertIn(err, (harness.ZBADARGUMENTS, harness.ZNONODE, None),
                          "create %r gave %r" % (path, err))
        self.assertEqual(self.k.get_children(base), [])
        # sequential: the suffix makes "/base/" and "/base/." valid names
        err, body = self.create_raw(base + "/", flags=2)
        self.assertEqual(err, 0)
        self.assertEqual(harness.JuteReader(body).ustring(),
                         base + "/0000000000")
        err, body = self.create_raw(base + "/.", flags=2)
        self.assertEqual(err, 0)
        self.assertEqual(harness.JuteReader(body).ustring(),
                         base + "/.0000000001")
        err, _ = self.create_raw("//", flags=2)
        self.assertIn(err, (harness.ZBADARGUMENTS, None))
        self.assertEqual(sorted(self.k.get_children(base)),
                         [".0000000001", "0000000000"])

    # ------------------------------------------------ four-letter words
    def test_ruok(self):
        self.assertEqual(self.server.four_letter("ruok"), "imok")

    def test_srvr_and_stat(self):
        out = self.server.four_letter("srvr")
        self.assertIn("Zookeeper version: 3.8", out)
        self.assertIn("Mode: standalone", out)
        self.assertRegex(out, r"(?m)^Node count: \d+$")
        self.assertRegex(out, r"(?m)^Zxid: 0x[0-9a-f]+$")
        out = self.server.four_letter("stat")
        self.assertIn("Zookeeper version: 3.8", out)
        self.assertIn("Mode: standalone", out)
        self.assertIn("Clients:", out)
        self.assertRegex(out, r"(?m)^Node count: \d+$")

    def mntr(self):
        out = self.server.four_letter("mntr")
        kv = {}
        for ln in out.splitlines():
            if "\t" in ln:
                k, v = ln.split("\t", 1)
                kv[k] = v
        return kv

    def test_mntr(self):
        kv = self.mntr()
        self.assertTrue(kv["zk_version"].startswith("3.8"), kv["zk_version"])
        self.assertEqual(kv["zk_server_state"], "standalone")
        n0 = int(kv["zk_znode_count"])
        self.assertGreaterEqual(n0, 2)  # "/" and "/zookeeper" at least
        self.k.create(self.base)
        self.k.create(self.base + "/x")
        self.assertEqual(int(self.mntr()["zk_znode_count"]), n0 + 2)
        self.k.delete(self.base + "/x")
        self.assertEqual(int(self.mntr()["zk_znode_count"]), n0 + 1)
        self.assertGreaterEqual(int(kv["zk_num_alive_connections"]), 1)

    def test_envi(self):
        out = self.server.four_letter("envi")
        self.assertIn("Environment:", out)
        self.assertRegex(out, r"(?m)^zookeeper\.version=3\.8")

    def test_srvr_zxid_tracks_writes(self):
        st = self.k.create(self.base, include_data=True)[1]

        def zxid():
            out = self.server.four_letter("srvr")
            for ln in out.splitlines():
                if ln.startswith("Zxid: "):
                    return int(ln.split()[1], 16)
        self.assertGreaterEqual(zxid(), st.czxid)
        st2 = self.k.set(self.base, b"y")
        wait_for(lambda: zxid() >= st2.mzxid, 5, "srvr Zxid >= last write")


if __name__ == "__main__":
    harness.main()
