#!/usr/bin/python3
"""A full disk (the data dir on a small tmpfs): writes stop being
acknowledged, no process crashes and the node stays up, a session that
has nothing pending still reads, and once there is room again the stalled
write completes and every acknowledged write is there, byte for byte."""

import logging
import os
import subprocess
import tempfile
import unittest

import harness
from harness import wait_for

from kazoo.exceptions import ConnectionLoss, SessionExpiredError
from kazoo.handlers.threading import KazooTimeoutError

logging.basicConfig(level=logging.CRITICAL)

SMALL = "40m"
LARGE = "512m"
VALUE = 256 * 1024


def mount(args):
    return subprocess.run(["mount"] + args, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE).returncode == 0


@harness.skip_unless_corral("corral-specific (store process, its log)")
class FullDiskTest(unittest.TestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a small tmpfs needs root")
        self.disk = tempfile.mkdtemp(prefix="corral-full-disk-")
        self.addCleanup(os.rmdir, self.disk)
        if not mount(["-t", "tmpfs", "-o", "size=" + SMALL, "tmpfs",
                      self.disk]):
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(subprocess.run, ["umount", "-l", self.disk])
        self.server = harness.Server(extra_cfg={"dataDir": self.disk})
        self.addCleanup(self.server.close)

    def client(self):
        c = self.server.client()
        self.addCleanup(c.stop)
        return c

    def log(self):
        with open(self.server.log_path, errors="replace") as f:
            return f.read()

    def test_full_disk_stalls_writes_and_loses_nothing(self):
        self.server.start()
        writer = self.client()
        reader = self.client()  # its session exists before the disk fills
        writer.create("/full")
        acked, stalled = {}, None
        for i in range(1000):   # 250 MB: far more than the disk holds
            path = "/full/n%04d" % i
            data = bytes([i % 251]) * VALUE
            pending = writer.create_async(path, data)
            try:
                pending.get(timeout=5)
            except KazooTimeoutError:
                stalled = (path, data, pending)
                break
            acked[path] = data
        self.assertIsNotNone(stalled, "the disk never filled")
        self.assertGreater(len(acked), 10)
        wait_for(lambda: "waiting for disk space" in self.log(), timeout=30,
                 what="the store to say it waits for space")

        # the node is up and reads go on while writes wait
        self.assertTrue(self.server.running())
        self.assertEqual(set(reader.get_children("/full")),
                         {p.rsplit("/", 1)[1] for p in acked})
        first = sorted(acked)[0]
        self.assertEqual(reader.get(first)[0], acked[first])

        self.assertTrue(mount(["-o", "remount,size=" + LARGE, self.disk]))
        path, data, pending = stalled
        try:
            pending.get(timeout=60)
            acked[path] = data
        except (ConnectionLoss, SessionExpiredError):
            # its pings queue behind it; a write never acknowledged may
            # or may not have happened, and is checked below either way
            pass
        self.client().create("/full/after", b"room again")

        reader.sync("/full")
        for p, d in acked.items():
            self.assertEqual(reader.get(p)[0], d, p)
        if path not in acked and reader.exists(path):
            self.assertEqual(reader.get(path)[0], data)
        log = self.log()
        self.assertNotIn("killed by signal", log)
        self.assertNotIn("giving up", log)
        self.assertIn("has room again", log)

    def test_unfinished_snapshot_table_is_room(self):
        """A snapshot table a failed run left behind fills the disk; the
        store deletes it when it opens, so it counts as room, or the
        store would wait for space it holds itself."""
        st = os.statvfs(self.disk)
        junk = os.path.join(self.disk, "store.snapshot.sst")
        with open(junk, "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - (1 << 20)))
        self.server.start()
        self.client().create("/after-junk", b"x")
        self.assertFalse(os.path.exists(junk))
        self.assertNotIn("waiting for disk space", self.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
