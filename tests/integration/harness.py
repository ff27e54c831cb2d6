"""Integration test harness: start one server (corral or Apache ZooKeeper)
on free loopback ports in a fresh temp dir, drive it, and always stop it.

Target selection (env CORRAL_TEST_TARGET):
  corral    (default)  <CORRAL_BUILD>/bin/corral --config <tmp>/zoo.cfg
                       (CORRAL_BUILD defaults to <repo>/build)
  zookeeper            Apache ZooKeeper 3.8 standalone (Debian `zookeeper`)
The same test files run against both, so ZooKeeper is the reference.

Processes are started in their own session (process group == pid) with
PR_SET_PDEATHSIG=SIGKILL, are stopped by PID (never by name) and the whole
group is swept before the leader is reaped.  Every server and client made
here is registered for cleanup at class teardown and at exit, even when a
test or setUpClass fails.

Synchronization is wait_for(cond, timeout, what): poll with a deadline.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TARGET = os.environ.get("CORRAL_TEST_TARGET", "corral")
BUILD = os.environ.get("CORRAL_BUILD", os.path.join(REPO, "build"))
PYTHON = "/usr/bin/python3"
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"

sys.path.insert(0, os.path.dirname(HERE))
from zkjava import zk_classpath  # noqa: E402
# shared with cluster/cluster.py; the tests also reach some through here
from testproc import (WaitTimeout, wait_for, free_ports,  # noqa: E402,F401
                      preexec_pdeathsig, proc_children, proc_descendants,
                      proc_starttime, proc_alive, name_matches,
                      signal_snapshot, four_letter, live_add, live_discard)

CORRAL_CHILDREN = ("corral-store", "corral-election", "corral-replicator",
                   "corral-frontend")

# kazoo reconnect policy: retry forever, quickly (servers restart in tests)
CONN_RETRY = {"max_tries": -1, "delay": 0.05, "backoff": 1.5,
              "max_delay": 0.5}

# jute.maxbuffer default in ZooKeeper 3.8: 0xfffff bytes
JUTE_MAXBUFFER = 0xfffff


def is_zookeeper():
    return TARGET == "zookeeper"


def skip_unless_corral(reason="corral-specific (child processes)"):
    return unittest.skipIf(is_zookeeper(), reason)


# --------------------------------------------------------------- server

def _zk_classpath():
    return zk_classpath(lib_dirs=False)


class Server:
    """One standalone server on 127.0.0.1 in a fresh temp dir.

    port, metrics_port, data_dir, pid; start(), stop(), restart(),
    kill9_all(), children(), kill_child(), wait_child_restarted(),
    client(), four_letter(), close() (stop + remove temp dir)."""

    def __init__(self, target=None, tick_time=500, extra_cfg=None,
                 keep_dir=False):
        self.target = target or TARGET
        if self.target not in ("corral", "zookeeper"):
            raise ValueError("CORRAL_TEST_TARGET must be corral or zookeeper")
        self.tick_time = tick_time
        self.extra_cfg = dict(extra_cfg or {})
        self.keep_dir = keep_dir or bool(os.environ.get("CORRAL_TEST_KEEP"))
        self.tmp = tempfile.mkdtemp(prefix="corral-it-%s-" % self.target)
        self.data_dir = os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir)
        self.cfg_path = os.path.join(self.tmp, "zoo.cfg")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.port, self.metrics_port = free_ports(2)
        self.proc = None
        self._clients = []
        self._closed = False
        live_add(self)
        self._write_cfg()

    # -- config and launch
    def _write_cfg(self):
        cfg = [
            ("tickTime", self.tick_time),
            ("initLimit", 10),
            ("syncLimit", 5),
            ("dataDir", self.data_dir),
            ("clientPort", self.port),
            ("clientPortAddress", "127.0.0.1"),
            ("4lw.commands.whitelist", "*"),
            ("maxClientCnxns", 0),
            ("metricsProvider.httpPort", self.metrics_port),
        ]
        if self.target == "zookeeper":
            cfg.append(("admin.enableServer", "false"))
        # extra_cfg replaces a default (duplicate keys are an error)
        cfg = [(k, v) for k, v in cfg if k not in self.extra_cfg]
        for k, v in self.extra_cfg.items():
            cfg.append((k, v))
        with open(self.cfg_path, "w") as f:
            f.write("# written by tests/integration/harness.py\n")
            for k, v in cfg:
                f.write("%s=%s\n" % (k, v))

    def _argv(self):
        if self.target == "corral":
            exe = os.path.join(BUILD, "bin", "corral")
            if not os.access(exe, os.X_OK):
                raise RuntimeError("corral binary not found: %s (set "
                                   "CORRAL_BUILD, or CORRAL_TEST_TARGET="
                                   "zookeeper)" % exe)
            return [exe, "--config", self.cfg_path]
        java = shutil.which("java") or "/usr/bin/java"
        # a JVM property for ZooKeeper, a zoo.cfg key for corral
        jaas = self.extra_cfg.get("java.security.auth.login.config")
        props = ["-Djava.security.auth.login.config=%s" % jaas] if jaas \
            else []
        return [java, "-Xmx512m", "-Djava.net.preferIPv4Stack=true"] + \
            props + [
                "-Dzookeeper.admin.enableServer=false",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", _zk_classpath(),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                self.cfg_path]

    @property
    def hosts(self):
        return "127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self._leader_alive()

    def _leader_alive(self):
        try:
            r = os.waitid(os.P_PID, self.proc.pid,
                          os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return r is None

    def start(self, timeout=60):
        assert self.proc is None, "already started"
        log = open(self.log_path, "ab")
        log.write(("===== %s start\n" % time.strftime("%F %T")).encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(
                self._argv(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.tmp,
                start_new_session=True, preexec_fn=preexec_pdeathsig)
        finally:
            log.close()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop(graceful=False)
            raise
        return self

    def wait_ready(self, timeout=60):
        def ready():
            if not self._leader_alive():
                raise RuntimeError("server exited during startup:\n"
                                   + self.log_tail())
            if self.four_letter("ruok", timeout=1.0) != "imok":
                return False
            return self._kazoo_probe()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return
            except RuntimeError:
                raise
            except Exception:  # noqa: BLE001 - not yet
                pass
            if time.monotonic() >= deadline:
                raise WaitTimeout("server not ready after %ss:\n%s"
                                  % (timeout, self.log_tail()))
            time.sleep(0.05)

    def _kazoo_probe(self):
        from kazoo.client import KazooClient
        c = KazooClient(hosts=self.hosts, timeout=5.0,
                        connection_retry={"max_tries": 0})
        try:
            c.start(timeout=3)
            c.exists("/")
            return True
        except Exception:  # noqa: BLE001
            return False
        finally:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001
                pass

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    # -- stopping
    def _group_snapshot(self):
        pids = [self.proc.pid] + proc_descendants(self.proc.pid)
        return [(p, proc_starttime(p)) for p in pids]

    def stop(self, graceful=True, timeout=20):
        """Stop the server and its whole process tree; reap the leader."""
        if self.proc is None:
            return
        pid = self.proc.pid
        snap = self._group_snapshot()
        if graceful and self._leader_alive():
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._leader_alive():
                time.sleep(0.02)
        # the leader is not reaped yet, so its pid (== pgid) is still ours
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        signal_snapshot(snap, signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        # descendants that left the group (setsid) are swept by pid too
        wait_for(lambda: not any(proc_alive(p) and proc_starttime(p) == st
                                 for p, st in snap[1:]),
                 10, "server child processes to exit")
        self.proc = None

    def kill9_all(self):
        """SIGKILL the supervisor and every child at once (power loss)."""
        if self.proc is None:
            return
        snap = self._group_snapshot()
        signal_snapshot(snap, signal.SIGKILL)
        self.stop(graceful=False)

    def restart(self, kill=False, timeout=60):
        """Stop (gracefully, or SIGKILL everything if kill) and start again
        on the same data dir and ports."""
        if kill:
            self.kill9_all()
        else:
            self.stop()
        self._start_retry_bind(timeout)
        return self

    def _start_retry_bind(self, timeout):
        # a port can linger briefly after a kill; retry a failed start
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start(timeout=max(5, deadline - time.monotonic()))
            except (RuntimeError, WaitTimeout):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients = []
        try:
            self.stop()
        finally:
            live_discard(self)
            if not self.keep_dir:
                shutil.rmtree(self.tmp, ignore_errors=True)

    # -- corral child processes
    def children(self):
        """{name: pid} of the supervisor's direct children, by name."""
        out = {}
        if self.proc is None:
            return out
        for c in proc_children(self.proc.pid):
            if not proc_alive(c):
                continue
            for n in CORRAL_CHILDREN:
                if name_matches(c, n):
                    out[n] = c
        return out

    def child_pid(self, name):
        return self.children().get(name)

    def kill_child(self, name, sig=signal.SIGKILL):
        pid = wait_for(lambda: self.child_pid(name), 10,
                       "child %s to exist" % name)
        os.kill(pid, sig)
        return pid

    def wait_child_restarted(self, name, old_pid, timeout=30):
        def new_pid():
            p = self.child_pid(name)
            return p if p and p != old_pid else None
        return wait_for(new_pid, timeout, "%s restarted" % name)

    # -- clients
    def client(self, timeout=10.0, start=True, **kw):
        """A KazooClient on this server, stopped and closed at cleanup."""
        from kazoo.client import KazooClient
        kw.setdefault("connection_retry", dict(CONN_RETRY))
        c = KazooClient(hosts=self.hosts, timeout=timeout, **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=15)
        return c

    def four_letter(self, cmd, timeout=5.0, **kw):
        return four_letter(self.port, cmd, timeout, **kw)


# ------------------------------------------------------------ test base

class ServerTestCase(unittest.TestCase):
    """One server per test class, started in setUpClass and always closed
    (addClassCleanup runs even if setUpClass fails)."""

    tick_time = 500
    extra_cfg = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(tick_time=cls.tick_time, extra_cfg=cls.extra_cfg)
        cls.addClassCleanup(cls.server.close)
        cls.server.start()

    def setUp(self):
        self._test_clients = []
        # a per-test namespace so tests sharing a server do not collide
        self.base = "/t_%s_%d" % (self._testMethodName, os.getpid())

    def client(self, **kw):
        c = self.server.client(**kw)
        self.addCleanup(self._close_client, c)
        return c

    @staticmethod
    def _close_client(c):
        try:
            c.stop()
            c.close()
        except Exception:  # noqa: BLE001
            pass


# ----------------------------------------------------------- raw jute

OP_NOTIFICATION = 0
OP_CREATE = 1
OP_DELETE = 2
OP_EXISTS = 3
OP_GETDATA = 4
OP_SETDATA = 5
OP_GETCHILDREN = 8
OP_SYNC = 9
OP_PING = 11
OP_GETCHILDREN2 = 12
OP_CHECK = 13
OP_MULTI = 14
OP_CREATE2 = 15
OP_SETWATCHES = 101
OP_CLOSE = -11

XID_NOTIFICATION = -1
XID_PING = -2
XID_SETWATCHES = -8

EV_CREATED = 1
EV_DELETED = 2
EV_DATA_CHANGED = 3
EV_CHILDREN_CHANGED = 4

ZOK = 0
ZNONODE = -101
ZNODEEXISTS = -110
ZBADARGUMENTS = -8
ZMARSHALLINGERROR = -5

PERM_ALL = 31
OPEN_ACL_UNSAFE = [(PERM_ALL, "world", "anyone")]


class Jute:
    """Minimal jute (big-endian) encoder."""

    def __init__(self):
        self.parts = []

    def int(self, v):
        self.parts.append(struct.pack(">i", v))
        return self

    def long(self, v):
        self.parts.append(struct.pack(">q", v))
        return self

    def bool(self, v):
        self.parts.append(b"\1" if v else b"\0")
        return self

    def buffer(self, b):
        if b is None:
            return self.int(-1)
        self.int(len(b))
        self.parts.append(b)
        return self

    def ustring(self, s):
        return self.buffer(None if s is None else s.encode())

    def acl_list(self, acls):
        self.int(len(acls))
        for perms, scheme, ident in acls:
            self.int(perms).ustring(scheme).ustring(ident)
        return self

    def bytes(self):
        return b"".join(self.parts)


class JuteReader:
    def __init__(self, data):
        self.data = data
        self.off = 0

    def _take(self, n):
        if self.off + n > len(self.data):
            raise ValueError("short jute record")
        b = self.data[self.off:self.off + n]
        self.off += n
        return b

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def buffer(self):
        n = self.int()
        return None if n < 0 else self._take(n)

    def ustring(self):
        b = self.buffer()
        return None if b is None else b.decode()


def connect_request(timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                    last_zxid=0):
    return (Jute().int(0).long(last_zxid).int(timeout_ms).long(session_id)
            .buffer(passwd).bool(False).bytes())


def create_request(xid, path, data=b"", flags=0, acl=None, op=OP_CREATE):
    return (Jute().int(xid).int(op).ustring(path).buffer(data)
            .acl_list(OPEN_ACL_UNSAFE if acl is None else acl).int(flags)
            .bytes())


def path_request(xid, op, path, watch=None):
    """getData / exists / getChildren(2) / delete-less path requests."""
    j = Jute().int(xid).int(op).ustring(path)
    if watch is not None:
        j.bool(watch)
    return j.bytes()


def set_watches_request(rel_zxid, data=(), exist=(), child=()):
    j = Jute().int(XID_SETWATCHES).int(OP_SETWATCHES).long(rel_zxid)
    for lst in (data, exist, child):
        j.int(len(lst))
        for p in lst:
            j.ustring(p)
    return j.bytes()


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


class ConnectionClosed(Exception):
    pass


class RawClient:
    """A raw ZooKeeper wire client: length-prefixed jute frames."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.session_id = None
        self.last_zxid = 0
        self.events = []

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, b):
        self.sock.sendall(b)

    def send_frame(self, payload):
        self.sock.sendall(frame(payload))

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                b = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                b = b""
            if not b:
                raise ConnectionClosed("closed after %d/%d bytes"
                                       % (len(buf), n))
            buf += b
        return buf

    def recv_frame(self):
        n = struct.unpack(">i", self._recv_exact(4))[0]
        if n < 0 or n > 16 * 1024 * 1024:
            raise ValueError("bad frame length %d" % n)
        return self._recv_exact(n)

    def handshake(self, timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                  last_zxid=0):
        """Send a ConnectRequest; returns the session id (0 and timeout_ms
        0 when the server refuses the session, e.g. a wrong password)."""
        self.send_frame(connect_request(timeout_ms, session_id, passwd,
                                        last_zxid))
        r = JuteReader(self.recv_frame())
        r.int()  # protocolVersion
        self.timeout_ms = r.int()
        self.session_id = r.long()
        self.passwd = r.buffer()
        return self.session_id

    def _read_reply(self):
        r = JuteReader(self.recv_frame())
        xid, zxid, err = r.int(), r.long(), r.int()
        if xid == XID_NOTIFICATION:
            typ, state, path = r.int(), r.int(), r.ustring()
            self.events.append((typ, path))
        elif zxid > 0:
            self.last_zxid = max(self.last_zxid, zxid)
        return xid, zxid, err, r.data[r.off:]

    def request(self, payload):
        """Send one request, return (xid, zxid, err, body) of its reply;
        watch notifications (xid -1) met on the way go to self.events,
        pings (xid -2) are skipped."""
        self.send_frame(payload)
        want = struct.unpack(">i", payload[:4])[0]
        while True:
            rep = self._read_reply()
            if rep[0] == want:
                return rep

    def wait_events(self, n, timeout=10.0):
        """Read until self.events holds n notifications; returns them."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while len(self.events) < n:
            if time.monotonic() >= deadline:
                raise WaitTimeout("have %d of %d events: %r"
                                  % (len(self.events), n, self.events))
            self._read_reply()
        return self.events

    def wait_closed(self, timeout=10.0):
        """True once the peer closed the connection (reads EOF/reset)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                b = self.sock.recv(65536)
                if not b:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False


# ---------------------------------------------------------- subprocesses

class Proc:
    """A helper subprocess in its own process group, killed at cleanup."""

    def __init__(self, argv, **kw):
        self.p = subprocess.Popen(argv, start_new_session=True,
                                  preexec_fn=preexec_pdeathsig, **kw)
        live_add(self)

    @property
    def pid(self):
        return self.p.pid

    def kill(self, sig=signal.SIGKILL):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except OSError:
                pass

    def close(self):
        self.kill()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        live_discard(self)


def main():
    # kazoo 2.8 calls the deprecated Event.isSet()
    unittest.main(verbosity=2, warnings="ignore")


# ------------------------------------------------------------ write load

class WriteLoad:
    """Writer threads, one kazoo client each, that record every write only
    once it is acknowledged: creates (path -> data), sets of a per-client
    counter node (version, data) and sequential creates (paths).

    retry=True wraps each call in a KazooRetry for ConnectionLoss (a create
    retried after a lost ack may meet NodeExists: that is our own write)."""

    def __init__(self, server, base, nclients=3, retry=False,
                 session_timeout=10.0):
        from kazoo.client import KazooClient  # noqa: F401
        self.server = server
        self.base = base
        self.retry = retry
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.creates = {}
        self.sets = {}
        self.seqs = []
        self.errors = []
        self.states = []
        self.clients = []
        self.threads = []
        self.ephemerals = {}
        setup = server.client()
        setup.ensure_path(base + "/seq")
        for i in range(nclients):
            c = server.client(timeout=session_timeout)
            c.add_listener(lambda s, i=i: self.states.append((i, s)))
            setup.create("%s/c%d" % (base, i), b"")
            self.sets["%s/c%d" % (base, i)] = [(0, b"")]
            eph = c.create("%s/eph%d" % (base, i), b"%d" % i,
                           ephemeral=True)
            self.ephemerals[eph] = c.client_id[0]
            self.clients.append(c)
        setup.stop()
        setup.close()

    def count(self):
        with self.lock:
            return len(self.creates) + len(self.seqs) + sum(
                len(v) - 1 for v in self.sets.values())

    def start(self):
        for i, c in enumerate(self.clients):
            t = threading.Thread(target=self._run, args=(i, c), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self, timeout=60):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout)
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError("%d writer thread(s) hung" % len(alive))

    def wait_progress(self, n, timeout=30, what="writes acknowledged"):
        target = self.count() + n
        wait_for(lambda: self.count() >= target, timeout,
                 "%d more %s (errors %r)" % (n, what, self.errors[-3:]))

    def _call(self, fn, create_path=None):
        from kazoo.exceptions import (ConnectionLoss, NodeExistsError,
                                      OperationTimeoutError)
        from kazoo.retry import KazooRetry
        if not self.retry:
            return fn()
        tried = [False]

        def once():
            try:
                return fn()
            except NodeExistsError:
                if create_path and tried[0]:
                    return create_path  # our earlier attempt landed
                raise
            except (ConnectionLoss, OperationTimeoutError):
                tried[0] = True
                raise
        return KazooRetry(max_tries=-1, delay=0.05, backoff=1.5,
                          max_delay=0.5, deadline=60)(once)

    def _run(self, i, c):
        from kazoo.exceptions import (ConnectionLoss, SessionExpiredError,
                                      OperationTimeoutError)
        n = 0
        cpath = "%s/c%d" % (self.base, i)
        while not self.stop_ev.is_set():
            n += 1
            data = b"%d:%d" % (i, n)
            path = "%s/w%d-%06d" % (self.base, i, n)
            try:
                self._call(lambda: c.create(path, data), create_path=path)
                with self.lock:
                    self.creates[path] = data
                st = self._call(lambda: c.set(cpath, data))
                with self.lock:
                    self.sets[cpath].append((st.version, data))
                sp = self._call(lambda: c.create(self.base + "/seq/s-",
                                                 data, sequence=True))
                with self.lock:
                    self.seqs.append(sp)
            except (ConnectionLoss, SessionExpiredError,
                    OperationTimeoutError) as e:
                if self.retry:
                    self.errors.append(e)
                time.sleep(0.01)  # not acknowledged: not recorded
            except Exception as e:  # noqa: BLE001
                self.errors.append(e)
                time.sleep(0.01)

    def verify(self, tc, c):
        """Every acknowledged write is there with its data; returns the
        highest acknowledged sequence suffix."""
        with self.lock:
            creates = dict(self.creates)
            sets = {k: list(v) for k, v in self.sets.items()}
            seqs = list(self.seqs)
        for path, data in sorted(creates.items()):
            got = c.exists(path)
            tc.assertIsNotNone(got, "acknowledged create lost: " + path)
            tc.assertEqual(c.get(path)[0], data, path)
        for path, acks in sets.items():
            data, st = c.get(path)
            v, d = max(acks)
            tc.assertGreaterEqual(st.version, v,
                                  "acknowledged set of %s (version %d) lost"
                                  % (path, v))
            if st.version == v:
                tc.assertEqual(data, d, path)
        kids = set(c.get_children(self.base + "/seq"))
        for sp in seqs:
            tc.assertIn(sp.rsplit("/", 1)[1], kids,
                        "acknowledged sequential create lost: " + sp)
        return max([int(sp[-10:]) for sp in seqs] or [-1])
