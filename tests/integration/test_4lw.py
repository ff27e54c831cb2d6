#!/usr/bin/python3
"""Every four-letter word ZooKeeper 3.8 answers (conf cons crst dump envi
dirs gtmk isro mntr ruok srst srvr stat stmk wchc wchp wchs), checked line
by line against ZooKeeper 3.8's texts with numbers, ids, times, paths and
the version left open; and 4lw.commands.whitelist with ZooKeeper's refusal
text (srvr is always allowed)."""

import logging
import os
import re
import signal
import socket
import struct
import time

import harness
from harness import (OP_EXISTS, RawClient, create_request, path_request,
                     wait_for)

logging.basicConfig(level=logging.CRITICAL)

N = r"\d+"
HEX = r"0x[0-9a-f]+"
FLOAT = r"\d+\.\d+"
ANY = r"[^\n]*"
DATE = r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \w+ \d{4}"
VERSION = r"3\.8\.\d+-[^\n]*, built on [^\n]*"
PEER = r"/127\.0\.0\.1:\d+"


class FourLetterTest(harness.ServerTestCase):

    def lw(self, word):
        return self.server.four_letter(word)

    def assert_lines(self, out, patterns, what):
        """out, split in lines (keeping the last newline), matches the
        regex list one line each."""
        lines = out.split("\n")
        self.assertEqual(len(lines), len(patterns),
                         "%s: %d lines, want %d:\n%s" % (what, len(lines),
                                                        len(patterns), out))
        for ln, pat in zip(lines, patterns):
            self.assertRegex(ln, "^" + pat + "$", what)

    def raw_session(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake(timeout_ms=10000)
        return r

    def test_outstanding_counts_every_request_in_process(self):
        """As ZooKeeper's getInProcess(): a read queued behind a write of
        its session is outstanding too, not only the write."""
        r = self.raw_session()
        pid = self.server.kill_child("corral-replicator", signal.SIGSTOP)
        try:
            r.send_frame(create_request(1, "/outstanding"))
            r.send_frame(path_request(2, OP_EXISTS, "/outstanding", False))
            wait_for(lambda: "Outstanding: 2\n" in self.lw("srvr"), 10,
                     "srvr to count the write and the read behind it")
            wait_for(lambda: "zk_outstanding_requests\t2\n" in
                     self.lw("mntr"), 10, "mntr to count both")
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertEqual([r._read_reply()[:3:2] for _ in range(2)],
                         [(1, 0), (2, 0)], "both answered, in order")
        wait_for(lambda: "Outstanding: 0\n" in self.lw("srvr"), 10,
                 "nothing outstanding once both are answered")

    def test_ruok(self):
        self.assertEqual(self.lw("ruok"), "imok")

    def test_isro(self):
        self.assertEqual(self.lw("isro"), "rw")

    def test_srvr(self):
        self.assert_lines(self.lw("srvr"), [
            "Zookeeper version: " + VERSION,
            "Latency min/avg/max: %s/%s/%s" % (N, FLOAT, N),
            "Received: " + N, "Sent: " + N, "Connections: " + N,
            "Outstanding: " + N, "Zxid: " + HEX, "Mode: standalone",
            "Node count: " + N, ""], "srvr")

    def test_stat_lists_clients_briefly(self):
        r = self.raw_session()
        out = self.lw("stat")
        port = r.sock.getsockname()[1]
        self.assertIn(" /127.0.0.1:%d[1](queued=0,recved=1,sent=1)\n" % port,
                      out)
        lines = out.split("\n")
        self.assertRegex(lines[0], "^Zookeeper version: " + VERSION + "$")
        self.assertEqual(lines[1], "Clients:")
        i = lines.index("")
        for ln in lines[2:i]:
            self.assertRegex(ln, r"^ %s\[[015]\]\(queued=%s,recved=%s,"
                             r"sent=%s\)$" % (PEER, N, N, N))
        self.assert_lines("\n".join(lines[i + 1:]), [
            "Latency min/avg/max: %s/%s/%s" % (N, FLOAT, N),
            "Received: " + N, "Sent: " + N, "Connections: " + N,
            "Outstanding: " + N, "Zxid: " + HEX, "Mode: standalone",
            "Node count: " + N, ""], "stat tail")

    def test_cons(self):
        r = self.raw_session()
        r.request(path_request(5, harness.OP_EXISTS, "/", False))
        out = self.lw("cons")
        port = r.sock.getsockname()[1]
        self.assertTrue(out.endswith(")\n\n"), out)
        mine = [ln for ln in out.split("\n") if ":%d[" % port in ln]
        self.assertEqual(len(mine), 1, out)
        self.assertRegex(mine[0], (
            r"^ /127\.0\.0\.1:%d\[1\]\(queued=0,recved=2,sent=2,"
            r"sid=0x%x,lop=EXIS,est=%s,to=10000,lcxid=0x5,lzxid=%s,"
            r"lresp=%s,llat=%s,minlat=%s,avglat=%s,maxlat=%s\)$")
            % (port, r.session_id, N, HEX, N, N, N, N, N))
        # the asking connection itself, no session yet
        self.assertRegex(out, r"(?m)^ %s\[0\]\(queued=0,recved=1,"
                         r"sent=0\)$" % PEER)

    def test_crst_resets_connection_stats(self):
        r = self.raw_session()
        r.request(path_request(5, harness.OP_EXISTS, "/", False))
        self.assertEqual(self.lw("crst"), "Connection stats reset.\n")
        port = r.sock.getsockname()[1]
        out = self.lw("cons")
        self.assertRegex(out, r"(?m)^ /127\.0\.0\.1:%d\[1\]\(queued=0,"
                         r"recved=0,sent=0,sid=0x%x," % (port, r.session_id))

    def test_srst_resets_server_stats(self):
        self.assertEqual(self.lw("srst"), "Server stats reset.\n")
        out = self.lw("srvr")
        self.assertIn("Latency min/avg/max: 0/0.0/0\n", out)

    def test_mntr(self):
        c = self.client()
        c.create(self.base, b"12345")
        c.create(self.base + "/e", ephemeral=True)
        out = self.lw("mntr")
        kv = {}
        for ln in out.rstrip("\n").split("\n"):
            self.assertRegex(ln, r"^zk_[a-z0-9_]+\t[^\t]+$")
            k, v = ln.split("\t")
            kv[k] = v
        self.assertRegex(kv["zk_version"], "^" + VERSION + "$")
        self.assertEqual(kv["zk_server_state"], "standalone")
        for k in ("zk_ephemerals_count", "zk_num_alive_connections",
                  "zk_outstanding_requests", "zk_znode_count",
                  "zk_global_sessions", "zk_packets_sent",
                  "zk_packets_received", "zk_watch_count", "zk_min_latency",
                  "zk_max_latency", "zk_max_file_descriptor_count",
                  "zk_approximate_data_size", "zk_open_file_descriptor_count",
                  "zk_uptime", "zk_local_sessions", "zk_connection_rejected"):
            self.assertRegex(kv[k], "^" + N + "$", k)
        self.assertRegex(kv["zk_avg_latency"], "^" + FLOAT + "$")
        self.assertGreaterEqual(int(kv["zk_ephemerals_count"]), 1)
        self.assertGreaterEqual(int(kv["zk_global_sessions"]), 1)
        self.assertGreaterEqual(int(kv["zk_approximate_data_size"]), 5)
        self.assertGreater(int(kv["zk_open_file_descriptor_count"]), 0)
        # ZooKeeper counts the root twice ("" and "/" in DataTree.nodes)
        def walk(p):
            return 1 + sum(walk(p.rstrip("/") + "/" + k)
                           for k in c.get_children(p))
        self.assertEqual(int(kv["zk_znode_count"]), walk("/") + 1)
        self.assertIn("Node count: %d\n" % (walk("/") + 1), self.lw("srvr"))

    def test_envi(self):
        out = self.lw("envi")
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(lines[0], "Environment:")
        self.assertRegex(lines[1], "^zookeeper.version=" + VERSION + "$")
        self.assertRegex(lines[2], r"^host\.name=\S+$")
        keys = [ln.split("=", 1)[0] for ln in lines[1:]]
        for k in ("os.name", "os.arch", "os.version", "user.name",
                  "user.home", "user.dir"):
            self.assertIn(k, keys)
        for ln in lines[1:]:
            self.assertIn("=", ln)

    def test_conf(self):
        self.assert_lines(self.lw("conf"), [
            "clientPort=%d" % self.server.port, "secureClientPort=-1",
            "dataDir=" + re.escape(self.server.data_dir) + "/" + ANY,
            "dataDirSize=" + N,
            "dataLogDir=" + re.escape(self.server.data_dir) + "/" + ANY,
            "dataLogSize=" + N, "tickTime=%d" % self.tick_time,
            "maxClientCnxns=0", "minSessionTimeout=%d" % (2 * self.tick_time),
            "maxSessionTimeout=%d" % (20 * self.tick_time),
            "clientPortListenBacklog=-1", "serverId=0", ""], "conf")

    def test_dirs(self):
        c = self.client()
        c.create(self.base, b"x" * 1000)
        out = self.lw("dirs")
        self.assert_lines(out, ["datadir_size: " + N, "logdir_size: " + N,
                                ""], "dirs")
        self.assertGreater(int(out.split("\n")[0].split()[1]), 0)

    def test_dump(self):
        c = self.client()
        c.create(self.base)
        c.create(self.base + "/e1", ephemeral=True)
        c.create(self.base + "/e2", ephemeral=True)
        sid = "0x%x" % c.client_id[0]
        out = self.lw("dump")
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(lines[0], "SessionTracker dump:")
        self.assertRegex(lines[1], r"^Session Sets \(\d+\)/\(\d+\):$")
        i = lines.index("ephemeral nodes dump:")
        for ln in lines[2:i]:
            self.assertRegex(ln, r"^(\d+ expire at %s:|\t%s)$" % (DATE, HEX))
        self.assertIn("\t" + sid, lines[2:i])
        self.assertRegex(lines[i + 1], r"^Sessions with Ephemerals \(\d+\):$")
        j = lines.index(sid + ":")
        self.assertEqual(sorted(lines[j + 1:j + 3]),
                         ["\t" + self.base + "/e1", "\t" + self.base + "/e2"])
        k = lines.index("Connections dump:")
        self.assertRegex(lines[k + 1], r"^Connections Sets \(\d+\)/\(\d+\):$")
        for ln in lines[k + 2:]:
            self.assertRegex(ln, r"^(\d+ expire at %s:|\tip: %s sessionId: "
                             r"%s)$" % (DATE, PEER, HEX))
        self.assertTrue(any(ln.endswith("sessionId: " + sid)
                            for ln in lines[k + 2:]), out)

    def test_watch_words(self):
        r = self.raw_session()
        p = self.base
        r.request(create_request(1, p))
        r.request(path_request(2, harness.OP_GETDATA, p, True))
        r.request(path_request(3, harness.OP_EXISTS, p + "/x", True))
        r.request(path_request(4, harness.OP_GETCHILDREN, p, True))
        sid = "0x%x" % r.session_id
        wchs = self.lw("wchs")
        self.assertRegex(wchs, r"^\d+ connections watching \d+ paths\n"
                         r"Total watches:\d+\n$")
        # the data table only (DataTree.dumpWatches), so not the child watch
        out = self.lw("wchc")
        self.assertIn("%s\n" % sid, out)
        i = out.index(sid + "\n")
        mine = out[i:].split("\n")[1:3]
        self.assertEqual(sorted(mine), ["\t" + p, "\t" + p + "/x"])
        self.assertTrue(out.endswith("\n\n"))
        out = self.lw("wchp")
        self.assertIn("%s\n\t%s\n" % (p, sid), out)
        self.assertIn("%s/x\n\t%s\n" % (p, sid), out)
        self.assertTrue(out.endswith("\n\n"))

    def stmk(self, payload, half_close=False):
        return self.server.four_letter("stmk", payload=payload,
                                       half_close=half_close)

    def test_trace_mask(self):
        """gtmk prints ZooTrace's mask, 306 by default; stmk sets it from
        the 8 big-endian bytes after the word and prints it; a stmk cut
        short gets nothing and changes nothing."""
        self.addCleanup(self.stmk, struct.pack(">q", 306))
        self.assertEqual(self.lw("gtmk"), "306")
        self.assertEqual(self.stmk(struct.pack(">q", 12345)), "12345")
        self.assertEqual(self.lw("gtmk"), "12345")
        self.assertEqual(self.stmk(struct.pack(">q", -2)), "-2")
        self.assertEqual(self.stmk(b"\x00\x01", half_close=True), "")
        self.assertEqual(self.lw("gtmk"), "-2")

    @harness.skip_unless_corral("ZooKeeper reads stmk's mask in one read")
    def test_stmk_waits_for_its_mask(self):
        s = socket.create_connection(("127.0.0.1", self.server.port),
                                     timeout=5)
        self.addCleanup(s.close)
        self.addCleanup(self.stmk, struct.pack(">q", 306))
        s.sendall(b"stmk\x00\x00")
        port = s.getsockname()[1]
        # the server has the connection (and may have read the first part)
        wait_for(lambda: ":%d[" % port in self.lw("cons"), 10,
                 "the stmk connection listed")
        s.sendall(b"\x00\x00\x00\x00\x01\x01")
        self.assertEqual(b"".join(iter(lambda: s.recv(65536), b"")), b"257")

    def test_unknown_word_is_a_length(self):
        # not a command: read as a length prefix, far over jute.maxbuffer
        self.assertEqual(self.lw("xyzw"), "")


class WhitelistTest(harness.ServerTestCase):
    extra_cfg = {"4lw.commands.whitelist": "ruok, stat"}

    def test_whitelist(self):
        four = self.server.four_letter
        self.assertEqual(four("ruok"), "imok")
        self.assertTrue(four("stat").startswith("Zookeeper version: "))
        # zkServer.sh depends on srvr: always allowed
        self.assertTrue(four("srvr").startswith("Zookeeper version: "))
        for w in ("conf", "cons", "crst", "dump", "envi", "dirs", "gtmk",
                  "isro", "mntr", "srst", "stmk", "wchc", "wchp", "wchs"):
            self.assertEqual(four(w), "%s is not executed because it is not "
                             "in the whitelist.\n" % w)


if __name__ == "__main__":
    harness.main()
