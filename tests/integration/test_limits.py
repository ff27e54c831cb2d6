#!/usr/bin/python3
"""Limits, as ZooKeeper 3.8 enforces them: maxClientCnxns per client
address (refused at accept, four-letter words included), jute.maxbuffer
(a longer packet closes the connection), and the session timeout clamp to
[minSessionTimeout, maxSessionTimeout] on connect and on reconnect."""

import logging
import socket
import struct

import harness
from harness import ConnectionClosed, Jute, RawClient, wait_for

logging.basicConfig(level=logging.CRITICAL)


def refused(port, source="127.0.0.1"):
    """True if the server closes a new connection from source without
    answering a ConnectRequest."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                 source_address=(source, 0))
    try:
        try:
            s.sendall(harness.frame(harness.connect_request()))
            return s.recv(4) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
    finally:
        s.close()


def mntr(server, key):
    for ln in server.four_letter("mntr").splitlines():
        k, _, v = ln.partition("\t")
        if k == key:
            return int(v)
    raise KeyError(key)


class MaxClientCnxnsTest(harness.ServerTestCase):
    extra_cfg = {"maxClientCnxns": 2}

    def session(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake()
        return r

    def test_per_address_limit(self):
        a = self.session()
        self.session()
        self.assertTrue(refused(self.server.port), "third connection served")
        # a four-letter word is a connection like any other
        try:
            out = self.server.four_letter("ruok")
        except OSError:
            out = ""
        self.assertEqual(out, "")
        # another address is counted on its own
        self.assertFalse(refused(self.server.port, "127.0.0.2"))
        a.close()
        wait_for(lambda: self.server.four_letter("ruok") == "imok", 10,
                 "a slot freed by a closed connection")
        self.assertGreaterEqual(mntr(self.server, "zk_connection_rejected"),
                                1)
        self.session()


class SessionTimeoutTest(harness.ServerTestCase):
    extra_cfg = {"minSessionTimeout": 3000, "maxSessionTimeout": 6000}

    def negotiate(self, want, **kw):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake(timeout_ms=want, **kw)
        return r

    def test_clamped_to_range(self):
        for want, got in ((1000, 3000), (2999, 3000), (3000, 3000),
                          (4500, 4500), (6000, 6000), (6001, 6000),
                          (600000, 6000), (0, 3000), (-5, 3000)):
            self.assertEqual(self.negotiate(want).timeout_ms, got,
                             "asked %d" % want)

    def test_reconnect_negotiates_again(self):
        a = self.negotiate(4000)
        self.assertEqual(a.timeout_ms, 4000)
        sid, passwd = a.session_id, a.passwd
        a.close()
        b = self.negotiate(100000, session_id=sid, passwd=passwd)
        self.assertEqual((b.session_id, b.timeout_ms), (sid, 6000))


class JuteMaxbufferTest(harness.ServerTestCase):
    """ZooKeeper reads jute.maxbuffer from a Java system property, not from
    zoo.cfg: its default, 0xfffff, is what both are tested with."""

    def set_data_frame(self, total):
        """A setData request whose packet (after the length) is total
        bytes long."""
        path = self.base
        fixed = 4 + 4 + 4 + len(path) + 4 + 4
        j = (Jute().int(1).int(harness.OP_SETDATA).ustring(path)
             .buffer(b"x" * (total - fixed)).int(-1))
        payload = j.bytes()
        assert len(payload) == total
        return payload

    def test_largest_packet_passes(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake()
        xid, _, err, _ = r.request(self.set_data_frame(harness.JUTE_MAXBUFFER))
        self.assertEqual((xid, err), (1, harness.ZNONODE))

    def test_one_byte_more_closes(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake()
        try:
            r.send_frame(self.set_data_frame(harness.JUTE_MAXBUFFER + 1))
        except (BrokenPipeError, ConnectionResetError):
            return
        with self.assertRaises(ConnectionClosed):
            r.recv_frame()


@harness.skip_unless_corral("corral reads jute.maxbuffer from zoo.cfg")
class ConfiguredMaxbufferTest(harness.ServerTestCase):
    extra_cfg = {"jute.maxbuffer": 2000}

    def test_configured_limit(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake()
        small = (Jute().int(1).int(harness.OP_SETDATA).ustring("/")
                 .buffer(b"x" * 1900).int(-1).bytes())
        self.assertEqual(r.request(small)[2], 0)
        big = (Jute().int(2).int(harness.OP_SETDATA).ustring("/")
               .buffer(b"x" * 2000).int(-1).bytes())
        r.send_frame(big)
        with self.assertRaises(ConnectionClosed):
            r.recv_frame()
        self.assertTrue(any("jute.maxbuffer 2000" in ln for ln in
                            self.server.log_tail(200).splitlines()))


if __name__ == "__main__":
    harness.main()
