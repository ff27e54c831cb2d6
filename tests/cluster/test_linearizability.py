#!/usr/bin/python3
"""Unit tests of the linearizability checker and of the end-of-run
durability checks (no cluster needed)."""

import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import linearizability as lin  # noqa: E402
from history import Op, Workload  # noqa: E402


def op(f, value=None, out=None, call=0, ret=None, type="ok", key="x", p=0):
    return Op(p, key, f, value, type=type, out=out, call=call, ret=ret)


def R(out, call, ret, **kw):
    return op("read", None, out, call, ret, **kw)


def W(v, call, ret, **kw):
    return op("write", v, None, call, ret, **kw)


def CAS(exp, new, call, ret, **kw):
    return op("cas", (exp, new), None, call, ret, **kw)


def lin_ok(ops, init=0, model=lin.Register):
    return not lin.check(ops, model, init=init)


class RegisterTest(unittest.TestCase):
    def test_empty_and_sequential(self):
        self.assertTrue(lin_ok([]))
        self.assertTrue(lin_ok([W(1, 0, 1), R(1, 2, 3), W(2, 4, 5),
                                R(2, 6, 7), CAS(2, 3, 8, 9), R(3, 10, 11)]))

    def test_concurrent_write_read_either_value(self):
        # a read overlapping a write may see the old or the new value
        self.assertTrue(lin_ok([W(1, 0, 10), R(0, 1, 2)]))
        self.assertTrue(lin_ok([W(1, 0, 10), R(1, 1, 2)]))

    def test_stale_read_after_completed_write(self):
        self.assertFalse(lin_ok([W(1, 0, 1), R(0, 2, 3)]))

    def test_sequential_writes_read_in_wrong_order(self):
        # W1 then W2 (sequential); reads see 2 then 1
        self.assertFalse(lin_ok([W(1, 0, 1), W(2, 2, 3), R(2, 4, 5),
                                 R(1, 6, 7)]))
        # two concurrent writes may be ordered either way, but consistently
        self.assertTrue(lin_ok([W(1, 0, 3), W(2, 1, 4), R(1, 5, 6),
                                R(1, 7, 8)]))
        self.assertFalse(lin_ok([W(1, 0, 3), W(2, 1, 4), R(1, 5, 6),
                                 R(2, 7, 8), R(1, 9, 10)]))

    def test_cas_against_never_current_value(self):
        self.assertFalse(lin_ok([W(1, 0, 1), CAS(5, 6, 2, 3)]))
        self.assertTrue(lin_ok([W(1, 0, 1), CAS(1, 6, 2, 3), R(6, 4, 5)]))

    def test_failed_cas_needs_another_value(self):
        self.assertFalse(lin_ok([W(1, 0, 1), CAS(1, 2, 2, 3, type="fail")]))
        self.assertTrue(lin_ok([W(1, 0, 1), CAS(0, 2, 2, 3, type="fail")]))

    def test_two_cas_from_same_value_both_succeed(self):
        # only one of two cas(0 -> x) can win
        self.assertFalse(lin_ok([CAS(0, 1, 0, 5), CAS(0, 2, 1, 6)]))
        self.assertTrue(lin_ok([CAS(0, 1, 0, 5), CAS(0, 2, 1, 6,
                                                     type="fail")]))

    def test_lost_acknowledged_write(self):
        # W2 acked, later every read sees the older 1
        self.assertFalse(lin_ok([W(1, 0, 1), W(2, 2, 3), R(1, 10, 11)]))

    def test_indeterminate_write_may_have_happened(self):
        # info write, later seen: fine, even long after
        self.assertTrue(lin_ok([W(7, 0, None, type="info"), R(0, 1, 2),
                                R(7, 50, 51)]))

    def test_indeterminate_write_may_never_happen(self):
        self.assertTrue(lin_ok([W(7, 0, None, type="info"), R(0, 1, 2),
                                R(0, 50, 51)]))

    def test_indeterminate_write_not_before_invocation(self):
        # a read completed before the info write was invoked cannot see it
        self.assertFalse(lin_ok([R(7, 0, 1), W(7, 2, None, type="info")]))

    def test_indeterminate_write_happens_once(self):
        # seen, then overwritten, then seen again: it cannot take effect twice
        self.assertFalse(lin_ok([W(7, 0, None, type="info"), R(7, 1, 2),
                                 W(8, 3, 4), R(7, 5, 6)]))

    def test_indeterminate_cas(self):
        self.assertTrue(lin_ok([CAS(0, 1, 0, None, type="info"),
                                R(1, 5, 6)]))
        self.assertTrue(lin_ok([CAS(0, 1, 0, None, type="info"),
                                R(0, 5, 6)]))
        # its precondition still holds: cas(5 -> 1) cannot produce 1
        self.assertFalse(lin_ok([CAS(5, 1, 0, None, type="info"),
                                 R(1, 5, 6)]))

    def test_keys_are_checked_separately(self):
        h = [W(1, 0, 1, key="a"), W(2, 0, 1, key="b"), R(1, 2, 3, key="a"),
             R(0, 2, 3, key="b")]
        bad = lin.check(h, lin.Register, init=0)
        self.assertEqual([r.key for r in bad], ["b"])


class VersionedRegisterTest(unittest.TestCase):
    M = lin.VersionedRegister
    I = ("init", 0)

    def ok(self, ops):
        return lin_ok(ops, init=self.I, model=self.M)

    def test_cas_chain(self):
        self.assertTrue(self.ok([
            op("cas", (0, "a"), 1, 0, 1), op("cas", (1, "b"), 2, 2, 3),
            op("read", None, ("b", 2), 4, 5)]))

    def test_write_version_observation(self):
        # an unconditional set reports version 2, but only one write came
        # before: a lost (or phantom) write
        self.assertFalse(self.ok([op("write", "a", 2, 0, 1)]))
        self.assertTrue(self.ok([op("write", "a", 1, 0, 1),
                                 op("write", "b", 2, 2, 3)]))

    def test_badversion_after_concurrent_winner(self):
        self.assertTrue(self.ok([
            op("cas", (0, "a"), 1, 0, 10), op("cas", (0, "b"), None, 1, 11,
                                              type="fail"),
            op("read", None, ("a", 1), 12, 13)]))
        # both cas(0) cannot succeed
        self.assertFalse(self.ok([
            op("cas", (0, "a"), 1, 0, 10), op("cas", (0, "b"), 1, 1, 11)]))

    def test_lost_acked_cas(self):
        self.assertFalse(self.ok([
            op("cas", (0, "a"), 1, 0, 1), op("read", None, ("init", 0), 5, 6)]))

    def test_info_cas_then_badversion(self):
        # an indeterminate cas explains a later BadVersion for version 0
        self.assertTrue(self.ok([
            op("cas", (0, "a"), None, 0, None, type="info"),
            op("cas", (0, "b"), None, 5, 6, type="fail"),
            op("read", None, ("a", 1), 7, 8)]))
        self.assertFalse(self.ok([
            op("cas", (0, "a"), None, 0, None, type="info"),
            op("read", None, ("init", 0), 3, 4),
            op("cas", (0, "b"), None, 5, 6, type="fail"),
            op("read", None, ("init", 0), 7, 8)]))

    def test_random_sequential_histories_pass(self):
        rng = random.Random(7)
        for _ in range(30):
            ops, st, t = [], ("init", 0), 0.0
            for n in range(60):
                # overlapping ops, applied at their midpoint in time order
                r = rng.random()
                if r < 0.4:
                    o = op("read", None, st, t, t + 2)
                elif r < 0.7:
                    st = ("v%d" % n, st[1] + 1)
                    o = op("write", st[0], st[1], t, t + 2)
                else:
                    exp = st[1] if rng.random() < 0.7 else st[1] + 5
                    if exp == st[1]:
                        st = ("v%d" % n, exp + 1)
                        o = op("cas", (exp, st[0]), st[1], t, t + 2)
                    else:
                        o = op("cas", (exp, "v%d" % n), None, t, t + 2,
                               type="fail")
                ops.append(o)
                t += 1.0
            self.assertTrue(self.ok(ops))
            # corrupt one read: must be caught
            reads = [o for o in ops if o.f == "read" and o.out[1] > 0]
            if reads:
                victim = rng.choice(reads)
                victim.out = ("bogus", victim.out[1])
                self.assertFalse(self.ok(ops))

    def test_search_is_fast_for_a_few_hundred_concurrent_ops(self):
        # 5 processes, 300 ops, real concurrency, some info ops
        rng = random.Random(3)
        ops, st, t = [], ("init", 0), 0.0
        for n in range(300):
            call = t
            ret = t + rng.uniform(0.5, 6.0)
            r = rng.random()
            if r < 0.05:
                st = ("v%d" % n, st[1] + 1)
                ops.append(op("write", st[0], None, call, None, type="info"))
            elif r < 0.5:
                st = ("v%d" % n, st[1] + 1)
                ops.append(op("cas", (st[1] - 1, st[0]), st[1], call, ret))
            elif r < 0.8:
                ops.append(op("cas", (st[1] + 3, "x%d" % n), None, call,
                              ret, type="fail"))
            else:
                ops.append(op("read", None, st, call, ret))
            t += 1.0
        # ops take effect at their call time in this construction: fine
        self.assertTrue(self.ok(ops))


class DurabilityCheckTest(unittest.TestCase):
    """Workload.check's lost-write logic on a fake cluster."""

    class FakeCluster:
        def __init__(self, regs, data):
            self.state = (regs, data)

        def up(self):
            return [1]

    def run_check(self, regs, data, creates, ops):
        w = Workload.__new__(Workload)
        w.cluster = self.FakeCluster(regs, data)
        w.prefix = "/p"
        w.keys = list(regs)
        w.errors = []
        w.creates = creates
        from history import History
        w.history = History()
        w.history.ops = list(ops) + list(creates.values())
        w._node_state = lambda i: w.cluster.state
        return w.check()

    def test_good(self):
        c = {"/p/c/a": op("create", b"A", None, 0, 1, key="/p/c/a"),
             "/p/c/b": op("create", b"B", None, 0, None, type="info",
                          key="/p/c/b")}
        ops = [op("cas", (0, "x"), 1, 0, 1, key="/p/r0")]
        self.assertEqual(self.run_check({"/p/r0": ("x", 1)},
                                        {"/p/c/a": b"A"}, c, ops), [])

    def test_lost_create(self):
        c = {"/p/c/a": op("create", b"A", None, 0, 1, key="/p/c/a")}
        p = self.run_check({"/p/r0": ("init", 0)}, {}, c, [])
        self.assertTrue(any("LOST acknowledged create" in x for x in p), p)

    def test_phantom_create(self):
        p = self.run_check({"/p/r0": ("init", 0)}, {"/p/c/z": b"Z"}, {}, [])
        self.assertTrue(any("phantom" in x for x in p), p)

    def test_lost_set(self):
        ops = [op("write", "a", 1, 0, 1, key="/p/r0"),
               op("write", "b", 2, 2, 3, key="/p/r0")]
        p = self.run_check({"/p/r0": ("a", 1)}, {}, {}, ops)
        self.assertTrue(any("LOST acknowledged set" in x for x in p), p)
        self.assertTrue(any("NOT LINEARIZABLE" in x for x in p), p)


if __name__ == "__main__":
    unittest.main(verbosity=2)
