"""Concurrent workload recorder and end-of-run checks.

Workload: several kazoo sessions (one thread each, every one connected to
all hosts) that
  - create unique znodes  PREFIX/c/w<worker>-<seq>  with unique data, and
  - act on a few registers PREFIX/r<k> (initially b"init", version 0):
      cas:   getData (not recorded: a plain ZooKeeper read may be stale),
             then setData(new, version=seen) -> recorded as cas
             ((seen, new)), ok (out = new version) or fail (BadVersion)
      write: setData(new, version=-1) -> ok (out = new version)
      read:  sync + getData -> ok (out = (value, version)); ZooKeeper reads
             are only sequentially consistent, sync first makes them see
             every write completed before the read was invoked
every op recorded with invoke/complete times (time.monotonic) and a result:
ok, fail (definite: BadVersion, NodeExists, NoNode) or info (indeterminate:
connection loss, session expiry, timeout: it may or may not have happened).

Checks (Workload.check(cluster) -> list of problems, empty = good):
  - every up node converges to the same registers and create set;
  - no acknowledged write lost: every create acked ok exists with its data;
    nothing exists that was never attempted; each register's final version
    is at least the highest acked version, and equal to it only with that
    write's value;
  - the register history plus a final sync+read per register is
    linearizable (VersionedRegister model, key by key).
"""

import itertools
import random
import threading
import time

import linearizability as lin
from cluster import CONN_RETRY, _close_client, log, wait_for


class Op:
    __slots__ = ("process", "key", "f", "value", "type", "out", "call",
                 "ret", "error")

    def __init__(self, process, key, f, value=None, type=None, out=None,
                 call=None, ret=None, error=None):
        self.process = process
        self.key = key
        self.f = f
        self.value = value
        self.type = type
        self.out = out
        self.call = call
        self.ret = ret
        self.error = error

    def __repr__(self):
        return "Op(p%s %s %s %r -> %s %r%s)" % (
            self.process, self.key, self.f, self.value, self.type, self.out,
            (" [%s]" % self.error) if self.error else "")


class History:
    """Thread-safe op log."""

    def __init__(self):
        self.ops = []
        self._lock = threading.Lock()

    def invoke(self, process, key, f, value=None):
        op = Op(process, key, f, value, call=time.monotonic())
        with self._lock:
            self.ops.append(op)
        return op

    @staticmethod
    def complete(op, type, out=None, error=None):
        op.ret = time.monotonic() if type != "info" else None
        op.type = type
        op.out = out
        op.error = error

    def of(self, f=None, type=None):
        with self._lock:
            ops = list(self.ops)
        return [o for o in ops if (f is None or o.f == f)
                and (type is None or o.type == type)]


def _definite(e):
    from kazoo.exceptions import (BadVersionError, NodeExistsError,
                                  NoNodeError)
    return isinstance(e, (BadVersionError, NodeExistsError, NoNodeError))


class Workload:
    def __init__(self, cluster, prefix, workers=4, registers=3,
                 max_ops_per_key=200, session_timeout=10.0,
                 op_timeout=20.0, seed=None):
        self.cluster = cluster
        self.prefix = prefix
        self.workers = workers
        self.keys = ["%s/r%d" % (prefix, k) for k in range(registers)]
        self.max_ops_per_key = max_ops_per_key
        self.session_timeout = session_timeout
        self.op_timeout = op_timeout
        self.rng = random.Random(seed)
        self.history = History()
        self.creates = {}            # path -> Op
        self._stop = threading.Event()
        self._threads = []
        self._clients = []
        self._key_ops = {k: 0 for k in self.keys}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.errors = []

    # -- lifecycle
    def setup(self):
        c = self.cluster.client()
        try:
            c.ensure_path(self.prefix + "/c")
            for k in self.keys:
                c.create(k, b"init")
        finally:
            _close_client(c)

    def start(self):
        from kazoo.client import KazooClient
        for w in range(self.workers):
            c = KazooClient(hosts=self.cluster.hosts,
                            timeout=self.session_timeout,
                            connection_retry=dict(CONN_RETRY),
                            randomize_hosts=True)
            c.start(timeout=30)
            self._clients.append(c)
            t = threading.Thread(target=self._run, args=(w, c),
                                 name="workload-%d" % w, daemon=True)
            self._threads.append(t)
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout=60):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        stuck = [t.name for t in self._threads if t.is_alive()]
        for c in self._clients:
            _close_client(c)
        self._clients = []
        if stuck:
            raise AssertionError("workload threads did not stop: %s" % stuck)

    def acked(self):
        return sum(1 for o in self.history.of() if o.type == "ok")

    def wait_progress(self, n, timeout=60, what="acknowledged ops"):
        """Wait until n more ops have been acknowledged ok."""
        base = self.acked()
        wait_for(lambda: self.acked() >= base + n, timeout,
                 "%d more %s (workload)" % (n, what))

    # -- worker
    def _pick_key(self, rng):
        with self._lock:
            ks = [k for k in self.keys
                  if self._key_ops[k] < self.max_ops_per_key]
            if not ks:
                return None
            k = rng.choice(ks)
            self._key_ops[k] += 1
            return k

    def _call(self, fn, *a, **kw):
        return fn(*a, **kw).get(timeout=self.op_timeout)

    def _run(self, w, c):
        rng = random.Random(self.rng.random())
        h = self.history
        n = 0
        try:
            while not self._stop.is_set():
                n += 1
                key = self._pick_key(rng) if rng.random() < 0.6 else None
                if key is None:
                    path = "%s/c/w%d-%d" % (self.prefix, w, n)
                    data = ("w%d-%d" % (w, n)).encode()
                    op = h.invoke(w, path, "create", data)
                    with self._lock:
                        self.creates[path] = op
                    try:
                        self._call(c.create_async, path, data)
                        h.complete(op, "ok")
                    except Exception as e:  # noqa: BLE001
                        h.complete(op, "fail" if _definite(e) else "info",
                                   error=type(e).__name__)
                        if op.type == "info":
                            self._pause(c)
                    continue
                val = "w%d-%d" % (w, n)
                r = rng.random()
                if r < 0.5:
                    try:
                        _, st = self._call(c.get_async, key)
                    except Exception:  # noqa: BLE001 - unrecorded read
                        self._pause(c)
                        continue
                    op = h.invoke(w, key, "cas", (st.version, val))
                    try:
                        st2 = self._call(c.set_async, key, val.encode(),
                                         st.version)
                        h.complete(op, "ok", st2.version)
                    except Exception as e:  # noqa: BLE001
                        h.complete(op, "fail" if _definite(e) else "info",
                                   error=type(e).__name__)
                elif r < 0.75:
                    op = h.invoke(w, key, "write", val)
                    try:
                        st2 = self._call(c.set_async, key, val.encode(), -1)
                        h.complete(op, "ok", st2.version)
                    except Exception as e:  # noqa: BLE001
                        h.complete(op, "fail" if _definite(e) else "info",
                                   error=type(e).__name__)
                else:
                    op = h.invoke(w, key, "read")
                    try:
                        self._call(c.sync_async, key)
                        d, st = self._call(c.get_async, key)
                        h.complete(op, "ok", (d.decode(), st.version))
                    except Exception as e:  # noqa: BLE001
                        h.complete(op, "info", error=type(e).__name__)
                if op.type == "info":
                    self._pause(c)
        except BaseException as e:  # noqa: BLE001
            self.errors.append("worker %d crashed: %r" % (w, e))

    def _pause(self, c=None):
        # while the cluster is down, do not spin through many indeterminate
        # ops (each one multiplies the linearizability search): wait until
        # the session is connected again
        self._stop.wait(0.1)
        if c is not None:
            deadline = time.monotonic() + 60
            while (not c.connected and not self._stop.is_set()
                   and time.monotonic() < deadline):
                self._stop.wait(0.05)

    # -- checks
    def _node_state(self, i):
        """(registers {key: (value, version)}, {child: data}) read from node
        i alone, after sync."""
        from kazoo.client import KazooClient
        c = KazooClient(hosts=self.cluster.host(i), timeout=10.0,
                        connection_retry={"max_tries": 3, "delay": 0.1})
        try:
            c.start(timeout=15)
            c.sync(self.prefix)
            regs = {}
            for k in self.keys:
                d, st = c.get(k)
                regs[k] = (d.decode(), st.version)
            base = self.prefix + "/c"
            kids = c.get_children(base)
            rs = [(k, c.get_async(base + "/" + k)) for k in kids]
            data = {base + "/" + k: a.get(timeout=30)[0] for k, a in rs}
            return regs, data
        finally:
            _close_client(c)

    def check(self, require_ops=True):
        """All checks; returns a list of problem strings."""
        problems = list(self.errors)
        up = self.cluster.up()
        states = {}

        def converged():
            states.clear()
            for i in up:
                states[i] = self._node_state(i)
            first = states[up[0]]
            return all(s == first for s in states.values())
        try:
            wait_for(converged, 60, "every node to hold the same data")
        except AssertionError as e:
            problems.append("nodes disagree: %s" % e)
            for i, (regs, data) in states.items():
                problems.append("  node %d: registers %s, %d creates"
                                % (i, regs, len(data)))
        if not states:
            return problems + ["no node state could be read"]
        regs, data = states[up[0]]
        t_final = time.monotonic()

        # no acknowledged create lost, nothing that was never attempted
        for path, op in self.creates.items():
            if op.type == "ok":
                if path not in data:
                    problems.append("LOST acknowledged create %s" % path)
                elif data[path] != op.value:
                    problems.append("create %s has data %r, wrote %r"
                                    % (path, data[path], op.value))
            elif op.type == "fail":
                problems.append("create of fresh path %s failed definitely "
                                "(%s)" % (path, op.error))
        for path in data:
            if path not in self.creates:
                problems.append("phantom znode %s (never created)" % path)

        # no acknowledged set lost
        ops = [o for o in self.history.of() if o.key in regs]
        for k in self.keys:
            acked = [o for o in ops if o.key == k and o.type == "ok"
                     and o.f in ("write", "cas")]
            if not acked:
                continue
            best = max(acked, key=lambda o: o.out)
            value, version = regs[k]
            new = best.value if best.f == "write" else best.value[1]
            if version < best.out:
                problems.append("LOST acknowledged set: %s is at version %d, "
                                "set to %r was acked at version %d"
                                % (k, version, new, best.out))
            elif version == best.out and value != new:
                problems.append("%s at version %d holds %r, acked write "
                                "there was %r" % (k, version, value, new))

        # linearizability, with the final reads
        for k in self.keys:
            op = Op("final", k, "read", call=t_final, ret=t_final,
                    type="ok", out=regs[k])
            ops.append(op)
        try:
            bad = lin.check(ops, lin.VersionedRegister, init=("init", 0))
        except lin.CheckBudgetExceeded as e:
            bad = [str(e)]
        for r in bad:
            problems.append("NOT LINEARIZABLE: %r" % (r,))
            self._log_key_history(ops, getattr(r, "key", None))
        if require_ops:
            n_ok = sum(1 for o in self.history.of() if o.type == "ok")
            if n_ok == 0:
                problems.append("the workload completed no operation")
        return problems

    def _log_key_history(self, ops, key):
        """The failing key's ops in invocation order, for the test log: a
        verdict alone cannot be debugged after the run."""
        kops = sorted((o for o in ops if o.key == key), key=lambda o: o.call)
        if not kops:
            return
        t0 = kops[0].call
        log("history of %s (%d ops; times in s from the first call):"
            % (key, len(kops)))
        for o in kops:
            log("  %8.3f %8s  %r" % (o.call - t0, "-" if o.ret is None
                                     else "%.3f" % (o.ret - t0), o))

    def summary(self):
        ops = self.history.of()
        c = {}
        for o in ops:
            c[(o.f, o.type)] = c.get((o.f, o.type), 0) + 1
        return ", ".join("%s %s: %d" % (f, t, n) for (f, t), n in sorted(
            c.items(), key=lambda x: (x[0][0], str(x[0][1]))))
