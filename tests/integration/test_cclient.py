#!/usr/bin/python3
"""Runs test_cclient (the ZooKeeper C client, libzookeeper_mt) against a
server.  The binary comes from $CORRAL_CCLIENT (set by ctest), else
$CORRAL_BUILD/tests/test_cclient, else it is compiled here with the
project's warning flags into the test's temp dir."""

import logging
import os
import shutil
import subprocess
import unittest

import harness

logging.basicConfig(level=logging.CRITICAL)

SRC = os.path.join(harness.HERE, "test_cclient.c")
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes",
          "-Wmissing-prototypes", "-Wmissing-declarations", "-Wshadow",
          "-Wpointer-arith", "-Wcast-qual", "-Wsign-compare", "-Wformat=2",
          "-D_GNU_SOURCE", "-DTHREADED"]


def find_or_build(tmp):
    for exe in (os.environ.get("CORRAL_CCLIENT"),
                os.path.join(harness.BUILD, "tests", "test_cclient")):
        if exe and os.access(exe, os.X_OK) and \
                os.path.getmtime(exe) >= os.path.getmtime(SRC):
            return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc or not os.path.exists("/usr/include/zookeeper/zookeeper.h"):
        raise unittest.SkipTest("no C compiler or libzookeeper-mt-dev")
    exe = os.path.join(tmp, "test_cclient")
    subprocess.run([cc] + CFLAGS + ["-o", exe, SRC, "-lzookeeper_mt",
                                    "-lpthread"], check=True)
    return exe


class CClientTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exe = find_or_build(cls.server.tmp)

    def run_cclient(self, base):
        r = subprocess.run([self.exe, self.server.hosts, base],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0,
                         "test_cclient failed:\n%s\n%s"
                         % (r.stdout, r.stderr[-4000:]))
        self.assertEqual(r.stdout.strip().splitlines()[-1], "OK")

    def test_cclient(self):
        self.run_cclient(self.base)
        # what the C client did is visible to kazoo; its ephemerals went
        # with its closed session
        k = self.client()
        kids = sorted(k.get_children(self.base))
        self.assertEqual(kids, ["c", "later", "s-0000000003"])
        self.assertEqual(k.get(self.base)[0], b"parent data")

    def test_cclient_twice_in_parallel(self):
        procs = [harness.Proc([self.exe, self.server.hosts,
                               "%s_%d" % (self.base, i)],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
                 for i in range(3)]
        for pr in procs:
            self.addCleanup(pr.close)
        for pr in procs:
            out, _ = pr.p.communicate(timeout=120)
            self.assertEqual(pr.p.returncode, 0, out.decode(errors="replace"))


if __name__ == "__main__":
    harness.main()
