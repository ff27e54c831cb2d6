#!/usr/bin/python3
"""kazoo recipes on top of the server: Lock, Election, Queue, DataWatch,
ChildrenWatch, Barrier, Counter.  They exercise sequential ephemerals,
child watches on predecessors and versioned writes together."""

import logging
import threading
import warnings

import harness
from harness import wait_for

logging.basicConfig(level=logging.CRITICAL)
warnings.simplefilter("ignore", DeprecationWarning)  # kazoo's isSet()


class RecipeTest(harness.ServerTestCase):

    def test_lock_mutual_exclusion(self):
        path = self.base + "/lock"
        clients = [self.client() for _ in range(3)]
        inside = []
        max_inside = [0]
        counter = [0]
        mu = threading.Lock()
        errors = []

        def worker(c, n):
            lock = c.Lock(path, "w%d" % n)
            try:
                for _ in range(5):
                    with lock:
                        with mu:
                            inside.append(n)
                            max_inside[0] = max(max_inside[0], len(inside))
                        v = counter[0]
                        # lost update if two were inside at once
                        c.exists(path)
                        counter[0] = v + 1
                        with mu:
                            inside.remove(n)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(c, i))
              for i, c in enumerate(clients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in ts), "lock workers hung")
        self.assertEqual(errors, [])
        self.assertEqual(max_inside[0], 1)
        self.assertEqual(counter[0], 15)
        # every lock node is gone
        self.assertEqual(clients[0].get_children(path), [])

    def test_lock_fifo_release_order(self):
        path = self.base + "/lockfifo"
        holder = self.client()
        first = holder.Lock(path, "holder")
        self.assertTrue(first.acquire(timeout=10))
        order = []
        threads = []
        waiters = []
        for i in range(3):
            c = self.client()
            lk = c.Lock(path, "waiter%d" % i)
            waiters.append(lk)

            def run(lk=lk, i=i):
                lk.acquire(timeout=30)
                order.append(i)
                lk.release()
            t = threading.Thread(target=run)
            t.start()
            threads.append(t)
            # each waiter's node is in before the next one starts
            wait_for(lambda i=i: len(first.contenders()) == i + 2, 10,
                     "waiter %d queued" % i)
        self.assertEqual(first.contenders(),
                         ["holder", "waiter0", "waiter1", "waiter2"])
        self.assertEqual(order, [])
        first.release()
        for t in threads:
            t.join(30)
        self.assertEqual(order, [0, 1, 2])

    def test_lock_released_when_holder_session_ends(self):
        path = self.base + "/lockdead"
        a = self.client()
        la = a.Lock(path, "a")
        self.assertTrue(la.acquire(timeout=10))
        b = self.client()
        lb = b.Lock(path, "b")
        self.assertFalse(lb.acquire(blocking=False))
        got = threading.Event()
        t = threading.Thread(target=lambda: lb.acquire(timeout=30)
                             and got.set())
        t.start()
        wait_for(lambda: len(lb.contenders()) == 2, 10, "b queued")
        a.stop()  # closes the session: its ephemeral lock node goes
        self.assertTrue(got.wait(15), "b did not get the lock")
        t.join(5)
        lb.release()

    def test_election(self):
        path = self.base + "/election"
        c1, c2 = self.client(), self.client()
        e1, e2 = c1.Election(path, "one"), c2.Election(path, "two")
        leader = []
        release1 = threading.Event()
        release2 = threading.Event()

        def lead(name, ev):
            leader.append(name)
            ev.wait(30)

        t1 = threading.Thread(target=e1.run, args=(lead, "one", release1))
        t1.start()
        wait_for(lambda: leader == ["one"], 10, "one elected")
        t2 = threading.Thread(target=e2.run, args=(lead, "two", release2))
        t2.start()
        wait_for(lambda: e1.contenders() == ["one", "two"], 10,
                 "two contending")
        self.assertEqual(leader, ["one"])
        release1.set()  # one steps down
        wait_for(lambda: leader == ["one", "two"], 10, "two elected")
        release2.set()
        t1.join(10)
        t2.join(10)
        self.assertEqual(e1.contenders(), [])

    def test_queue_order(self):
        c = self.client()
        q = c.Queue(self.base + "/queue")
        items = [b"item%02d" % i for i in range(20)]
        for it in items:
            q.put(it)
        self.assertEqual(len(q), 20)
        other = self.client()
        q2 = other.Queue(self.base + "/queue")
        got = [q2.get() for _ in range(20)]
        self.assertEqual(got, items)
        self.assertIsNone(q2.get())
        # priorities: lower first, FIFO within a priority
        q.put(b"late", priority=50)
        q.put(b"first", priority=10)
        q.put(b"second", priority=10)
        self.assertEqual([q2.get(), q2.get(), q2.get()],
                         [b"first", b"second", b"late"])

    def test_datawatch_sees_each_change(self):
        c = self.client()
        p = self.base + "/dw"
        seen = []
        versions = []

        def cb(data, stat):
            seen.append(data)
            versions.append(stat.version if stat else None)

        c.DataWatch(p, cb)
        wait_for(lambda: seen == [None], 10, "DataWatch on missing node")
        writer = self.client()
        writer.create(p, b"v0", makepath=True)
        wait_for(lambda: seen[-1:] == [b"v0"], 10, "create seen")
        for i in range(1, 6):
            writer.set(p, b"v%d" % i)
            # wait for each change before the next: each one is seen
            wait_for(lambda i=i: seen[-1:] == [b"v%d" % i], 10,
                     "v%d seen" % i)
        writer.delete(p)
        wait_for(lambda: seen[-1:] == [None], 10, "delete seen")
        self.assertEqual(seen, [None, b"v0", b"v1", b"v2", b"v3", b"v4",
                                b"v5", None])
        self.assertEqual(versions, [None, 0, 1, 2, 3, 4, 5, None])

    def test_childrenwatch_sees_each_change(self):
        c = self.client()
        p = self.base + "/cw"
        c.create(p, makepath=True)
        seen = []
        c.ChildrenWatch(p, lambda kids: seen.append(sorted(kids)))
        wait_for(lambda: seen == [[]], 10, "first ChildrenWatch call")
        writer = self.client()
        expect = [[]]
        names = []
        for i in range(4):
            names.append("k%d" % i)
            writer.create(p + "/k%d" % i)
            expect.append(sorted(names))
            wait_for(lambda: seen == expect, 10, "children %r" % names)
        writer.set(p, b"data")      # no child change: no call
        writer.set(p + "/k0", b"x")
        writer.delete(p + "/k1")
        expect.append(["k0", "k2", "k3"])
        wait_for(lambda: seen == expect, 10, "delete seen")
        eph = self.client()
        eph.create(p + "/e", ephemeral=True)
        expect.append(["e", "k0", "k2", "k3"])
        wait_for(lambda: seen == expect, 10, "ephemeral seen")
        eph.stop()
        expect.append(["k0", "k2", "k3"])
        wait_for(lambda: seen == expect, 10, "ephemeral gone with session")

    def test_barrier(self):
        c1, c2 = self.client(), self.client()
        p = self.base + "/barrier"
        b1 = c1.Barrier(p)
        b1.create()
        passed = threading.Event()
        t = threading.Thread(target=lambda: c2.Barrier(p).wait(30)
                             and passed.set())
        t.start()
        wait_for(lambda: c1.exists(p) is not None, 5, "barrier node")
        self.assertFalse(passed.is_set())
        b1.remove()
        self.assertTrue(passed.wait(10), "barrier waiter not released")
        t.join(5)

    def test_counter(self):
        p = self.base + "/counter"
        clients = [self.client() for _ in range(3)]

        def bump(c):
            ctr = c.Counter(p)
            for _ in range(10):
                ctr += 1

        ts = [threading.Thread(target=bump, args=(c,)) for c in clients]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(clients[0].Counter(p).value, 30)
        self.assertEqual(clients[0].get(p)[1].version, 30)


if __name__ == "__main__":
    harness.main()
