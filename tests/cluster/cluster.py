"""Cluster test harness: run an N-node ensemble (corral or Apache ZooKeeper)
on 127.0.0.1 with free ports in a fresh temp dir, inject faults, and always
clean up every process it started.

Target (env CORRAL_TEST_TARGET):
  corral     (default)  <CORRAL_BUILD>/bin/corral --config nodeI/zoo.cfg
                        (CORRAL_BUILD defaults to <repo>/build)
  zookeeper             Apache ZooKeeper 3.8 (Debian `zookeeper`), launched
                        like ../shared/bench/zk-ensemble.sh does (same class
                        path, same zoo.cfg keys); extra JVM flags from
                        ZK_JVMFLAGS and from Cluster(jvm_flags=...).
The same tests run against both: ZooKeeper is the reference.

Nodes are numbered 1..N (= myid).  Each node is started in its own session
(process group) with PR_SET_PDEATHSIG=SIGKILL, so a dying test runner takes
them along; processes are signalled by PID only, after checking that the PID
still has the start time it had when we saw it.  Synchronization is
wait_for(cond, timeout, what): poll with a deadline, never a bare sleep.

Environment: CORRAL_TEST_KEEP=1 keeps the temp dir (logs) after the run;
CLUSTER_READY_TIMEOUT (s, default 60).
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TARGET = os.environ.get("CORRAL_TEST_TARGET", "corral")
BUILD = os.environ.get("CORRAL_BUILD", os.path.join(REPO, "build"))
PYTHON = "/usr/bin/python3"
READY_TIMEOUT = float(os.environ.get("CLUSTER_READY_TIMEOUT", "60"))
ZK_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

sys.path.insert(0, os.path.dirname(HERE))
from zkjava import zk_classpath  # noqa: E402
# shared with integration/harness.py; the tests also reach some through here
from testproc import (WaitTimeout, free_ports, port_free,  # noqa: E402,F401
                      libc, preexec_pdeathsig, proc_children,
                      proc_descendants, proc_starttime, proc_alive,
                      name_matches, signal_snapshot, four_letter, live_add,
                      live_discard)
from testproc import wait_for as _wait_for  # noqa: E402

CHILD_ROLES = {
    "store": "corral-store",
    "election": "corral-election",
    "replicator": "corral-replicator",
    "frontend": "corral-frontend",
}

# kazoo reconnect policy: retry forever, quickly (servers come and go)
CONN_RETRY = {"max_tries": -1, "delay": 0.05, "backoff": 1.5,
              "max_delay": 0.5}


import collections  # noqa: E402
import logging  # noqa: E402


class _RecentLog(logging.Handler):
    """The last kazoo records, shown only when a test fails: which server
    a client dropped, and why, explains a ConnectionLoss."""

    def __init__(self, n=60):
        super().__init__(logging.INFO)
        self.records = collections.deque(maxlen=n)
        self.setFormatter(logging.Formatter(
            "%(asctime)s.%(msecs)03d %(threadName)s %(message)s", "%H:%M:%S"))

    def emit(self, record):
        self.records.append(self.format(record))

    def text(self):
        return "\n".join(self.records)


KAZOO_RECENT = _RecentLog()
_kazoo_log = logging.getLogger("kazoo")
_kazoo_log.setLevel(logging.INFO)
_kazoo_log.addHandler(KAZOO_RECENT)
if not os.environ.get("CLUSTER_VERBOSE"):
    # kazoo warns on every dropped connection: expected noise on stderr
    _kazoo_log.propagate = False


def is_zookeeper():
    return TARGET == "zookeeper"


def skip_unless_corral(reason="corral only (child processes)"):
    return unittest.skipIf(is_zookeeper(), reason)


def log(msg):
    sys.stderr.write("[cluster %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def wait_for(cond, timeout=10.0, what="condition", interval=0.05):
    """testproc.wait_for, polling less often: each poll of a cluster asks
    several nodes."""
    return _wait_for(cond, timeout, what, interval)


# ------------------------------------------------------------ processes

# PR_SET_CHILD_SUBREAPER: a node's children orphaned by a kill -9 of its
# supervisor are re-parented to this process (not to a pid 1 that may never
# reap them), and _reap_orphans() collects them by pid
libc.prctl(36, 1, 0, 0, 0)


def _reap_orphans(pids):
    for p in pids:
        try:
            os.waitpid(p, os.WNOHANG)
        except ChildProcessError:
            pass
        except OSError:
            pass


# -------------------------------------------------------- four letters

def parse_srvr(text):
    out = {}
    for line in text.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k.strip()] = v.strip()
    return out


def zxid_of(srvr):
    z = srvr.get("Zxid")
    return int(z, 16) if z else None


def _zk_classpath():
    return zk_classpath()


# ------------------------------------------------------------------ node

class Node:
    def __init__(self, cluster, i, client_port, quorum_port, election_port):
        self.cluster = cluster
        self.i = i
        self.client_port = client_port
        self.quorum_port = quorum_port
        self.election_port = election_port
        self.dir = os.path.join(cluster.tmp, "node%d" % i)
        self.data_dir = os.path.join(self.dir, "data")
        self.cfg_path = os.path.join(self.dir, "zoo.cfg")
        self.log_path = os.path.join(
            self.dir, "zookeeper.log" if cluster.target == "zookeeper"
            else "corral.log")
        self.proc = None
        self.stopped = False        # SIGSTOPped by us
        os.makedirs(self.data_dir)
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write("%d\n" % i)

    @property
    def host(self):
        return "127.0.0.1:%d" % self.client_port

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        if self.proc is None:
            return False
        try:
            r = os.waitid(os.P_PID, self.proc.pid,
                          os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return r is None

    def snapshot(self):
        """[(pid, starttime)] of the node's whole process tree."""
        if self.proc is None:
            return []
        pids = [self.proc.pid] + proc_descendants(self.proc.pid)
        return [(p, proc_starttime(p)) for p in pids]

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=30):
        return "\n".join(self.log_text().splitlines()[-n:])


# --------------------------------------------------------------- cluster

class Cluster:
    """An N-node ensemble on loopback.

    hosts, host(i), start(), wait_ready(), leader(), mode(i), srvr(i),
    kill9(i), sigterm(i), sigstop(i), sigcont(i), restart(i),
    kill_child(i, role), kill_all(), restart_all(), client(...), stop(),
    close() (stop + remove the temp dir; also run at exit)."""

    def __init__(self, n, target=None, tick_time=500, init_limit=10,
                 sync_limit=4, extra_cfg=None, jvm_flags=(), keep_dir=False):
        self.target = target or TARGET
        if self.target not in ("corral", "zookeeper"):
            raise ValueError("CORRAL_TEST_TARGET must be corral or zookeeper")
        self.n = n
        self.tick_time = tick_time
        self.init_limit = init_limit
        self.sync_limit = sync_limit
        self.extra_cfg = dict(extra_cfg or {})
        self.jvm_flags = list(jvm_flags)
        self.keep_dir = keep_dir or bool(os.environ.get("CORRAL_TEST_KEEP"))
        self._clients = []
        self._closed = False
        self.tmp = tempfile.mkdtemp(prefix="corral-cluster-%s-" % self.target)
        live_add(self)
        ports = free_ports(3 * n)
        self.nodes = {}
        for i in range(1, n + 1):
            self.nodes[i] = Node(self, i, *ports[3 * (i - 1):3 * i])
        for i in self.nodes:
            self._write_cfg(i)

    # -- config and launch
    def _write_cfg(self, i):
        nd = self.nodes[i]
        cfg = [("tickTime", self.tick_time), ("initLimit", self.init_limit),
               ("syncLimit", self.sync_limit), ("dataDir", nd.data_dir),
               ("clientPort", nd.client_port),
               ("clientPortAddress", "127.0.0.1"), ("maxClientCnxns", 0),
               ("4lw.commands.whitelist", "*")]
        if self.target == "zookeeper":
            cfg += [("admin.enableServer", "false"), ("forceSync", "yes")]
        else:
            cfg += [("metricsProvider.httpPort", 0)]
        cfg += list(self.extra_cfg.items())
        if self.n > 1:
            for k, o in self.nodes.items():
                cfg.append(("server.%d" % k, "127.0.0.1:%d:%d"
                            % (o.quorum_port, o.election_port)))
        with open(nd.cfg_path, "w") as f:
            f.write("# written by tests/cluster/cluster.py\n")
            for k, v in cfg:
                f.write("%s=%s\n" % (k, v))

    def _argv(self, i):
        nd = self.nodes[i]
        if self.target == "corral":
            exe = os.path.join(BUILD, "bin", "corral")
            if not os.access(exe, os.X_OK):
                raise RuntimeError("corral binary not found: %s (set "
                                   "CORRAL_BUILD or CORRAL_TEST_TARGET="
                                   "zookeeper)" % exe)
            return [exe, "--config", nd.cfg_path]
        java = os.environ.get("JAVA") or shutil.which("java") or "/usr/bin/java"
        flags = os.environ.get("ZK_JVMFLAGS", "").split() + self.jvm_flags
        return ([java, "-Xmx256m", "-XX:+UseSerialGC",
                 "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                 "-Dzookeeper.admin.enableServer=false",
                 "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                 "-Dorg.slf4j.simpleLogger.showDateTime=true",
                 "-Dorg.slf4j.simpleLogger.dateTimeFormat="
                 "yyyy-MM-dd HH:mm:ss,SSS"] + flags +
                ["-cp", _zk_classpath(), ZK_MAIN, nd.cfg_path])

    def _launch(self, i):
        nd = self.nodes[i]
        assert not nd.running(), "node %d already running" % i
        # a port can linger for a moment after a kill -9
        wait_for(lambda: all(port_free(p) for p in
                             (nd.client_port, nd.quorum_port,
                              nd.election_port)),
                 15, "ports of node %d to be free" % i)
        with open(nd.log_path, "ab") as lf:
            lf.write(("===== %s cluster.py: starting node %d\n"
                      % (time.strftime("%F %T"), i)).encode())
            lf.flush()
            nd.proc = subprocess.Popen(
                self._argv(i), stdin=subprocess.DEVNULL, stdout=lf,
                stderr=subprocess.STDOUT, cwd=nd.dir,
                start_new_session=True, preexec_fn=preexec_pdeathsig)
        nd.stopped = False

    def start(self, timeout=READY_TIMEOUT):
        for i in self.nodes:
            self._launch(i)
        self.wait_ready(timeout)
        return self

    # -- addressing
    @property
    def hosts(self):
        return ",".join(nd.host for nd in self.nodes.values())

    def host(self, i):
        return self.nodes[i].host

    def hosts_of(self, idxs):
        return ",".join(self.nodes[i].host for i in idxs)

    def up(self):
        """Indices of nodes that run and are not SIGSTOPped."""
        return [i for i, nd in self.nodes.items()
                if nd.running() and not nd.stopped]

    # -- state
    def four(self, i, cmd, timeout=2.0):
        return four_letter(self.nodes[i].client_port, cmd, timeout)

    def srvr(self, i, timeout=2.0):
        """srvr as a dict ({} if the node does not answer)."""
        nd = self.nodes[i]
        for attempt in range(3):        # a busy JVM can miss one
            if not nd.running() or nd.stopped:
                return {}
            try:
                return parse_srvr(self.four(i, "srvr", timeout))
            except OSError:
                pass
        return {}

    def mode(self, i):
        return self.srvr(i).get("Mode")

    def zxid(self, i):
        return zxid_of(self.srvr(i))

    def modes(self, idxs=None):
        return {i: self.mode(i) for i in (idxs or self.up())}

    def leader(self, idxs=None):
        """Index of the one node in Mode: leader among idxs (default: up
        nodes), or None."""
        ls = [i for i, m in self.modes(idxs).items() if m == "leader"]
        return ls[0] if len(ls) == 1 else None

    def followers(self):
        """Nodes that answer srvr with Mode: follower (a node that does not
        answer right now is left out)."""
        return [i for i, m in self.modes().items() if m == "follower"]

    def _check_alive(self, idxs):
        for i in idxs:
            if not self.nodes[i].running():
                raise AssertionError("node %d exited:\n%s"
                                     % (i, self.nodes[i].log_tail()))

    def ready_state(self, idxs):
        """(ok, modes): every node in idxs answers ruok/srvr as leader or
        follower and exactly one of them is leader."""
        modes = {}
        for i in idxs:
            try:
                if self.four(i, "ruok").strip() != "imok":
                    modes[i] = None
                    continue
            except OSError:
                modes[i] = None
                continue
            modes[i] = self.mode(i)
        ok = (all(m in ("leader", "follower") for m in modes.values())
              and list(modes.values()).count("leader") == 1)
        return ok, modes

    def wait_ready(self, timeout=READY_TIMEOUT, idxs=None):
        """Wait until the nodes idxs (default: all running, not stopped)
        serve with exactly one leader among them; return the leader."""
        idxs = list(idxs or self.up())
        last = [None]

        def cond():
            self._check_alive(idxs)
            ok, modes = self.ready_state(idxs)
            last[0] = modes
            return ok
        try:
            wait_for(cond, timeout, "nodes %s ready with one leader" % idxs,
                     interval=0.05)
        except WaitTimeout as e:
            raise WaitTimeout("%s; modes %s\n%s" % (e, last[0], self.tails(idxs)))
        return [i for i, m in last[0].items() if m == "leader"][0]

    def tails(self, idxs=None, n=15):
        return "\n".join("--- node %d log tail:\n%s" % (i, self.nodes[i].log_tail(n))
                         for i in (idxs or self.nodes))

    def wait_writable(self, timeout=60, hosts=None):
        """Wait until a write through `hosts` (default: all) succeeds;
        returns the seconds it took."""
        from kazoo.client import KazooClient
        t0 = time.monotonic()
        c = KazooClient(hosts=hosts or self.hosts, timeout=4.0,
                        connection_retry=dict(CONN_RETRY))
        try:
            c.start(timeout=timeout)

            def probe():
                c.create("/cluster-probe-", b"", sequence=True,
                         ephemeral=True)
                return True
            wait_for(probe, max(1.0, timeout - (time.monotonic() - t0)),
                     "a write to succeed", interval=0.02)
        finally:
            _close_client(c)
        return time.monotonic() - t0

    # -- faults
    def kill9(self, i):
        """SIGKILL node i and (corral) its whole process tree; reap it."""
        nd = self.nodes[i]
        if nd.proc is None:
            return
        snap = nd.snapshot()
        signal_snapshot(snap, signal.SIGKILL)
        self._reap(i, snap)

    def sigterm(self, i, timeout=30):
        """Graceful stop of node i (SIGTERM, SIGKILL after timeout)."""
        nd = self.nodes[i]
        if nd.proc is None:
            return
        snap = nd.snapshot()
        if nd.stopped:
            self.sigcont(i)
        try:
            os.kill(nd.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            wait_for(lambda: not nd.running(), timeout,
                     "node %d to exit on SIGTERM" % i)
        except WaitTimeout:
            log("node %d ignored SIGTERM for %ss; SIGKILL" % (i, timeout))
        signal_snapshot(nd.snapshot() or snap, signal.SIGKILL)
        self._reap(i, snap)

    def _reap(self, i, snap):
        nd = self.nodes[i]
        try:
            os.killpg(nd.proc.pid, signal.SIGKILL)  # leftovers in the group
        except OSError:
            pass
        try:
            nd.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        signal_snapshot(snap, signal.SIGKILL)
        wait_for(lambda: not any(proc_alive(p) and proc_starttime(p) == st
                                 for p, st in snap),
                 15, "processes of node %d to exit" % i)
        try:
            wait_for(lambda: (_reap_orphans([p for p, _ in snap[1:]]) or
                              not any(proc_starttime(p) == st
                                      for p, st in snap[1:])),
                     5, "orphans of node %d to be reaped" % i)
        except WaitTimeout:
            pass   # re-parented elsewhere: not ours to reap
        nd.proc = None
        nd.stopped = False

    def sigstop(self, i):
        nd = self.nodes[i]
        signal_snapshot(nd.snapshot(), signal.SIGSTOP)
        nd.stopped = True

    def sigcont(self, i):
        nd = self.nodes[i]
        signal_snapshot(nd.snapshot(), signal.SIGCONT)
        nd.stopped = False

    def start_node(self, i, wait=True, timeout=READY_TIMEOUT):
        self._launch(i)
        if wait:
            self.wait_node_serving(i, timeout)

    def restart(self, i, kill=False, wait=True, timeout=READY_TIMEOUT):
        """(Re)start node i with its data; stop it first if it runs (SIGTERM,
        or SIGKILL if kill).  With wait, until it serves as leader or
        follower."""
        if self.nodes[i].running():
            self.kill9(i) if kill else self.sigterm(i)
        self.start_node(i, wait, timeout)

    def wait_node_serving(self, i, timeout=READY_TIMEOUT):
        def cond():
            self._check_alive([i])
            return self.mode(i) in ("leader", "follower")
        try:
            wait_for(cond, timeout, "node %d serving" % i)
        except WaitTimeout as e:
            raise WaitTimeout("%s\n%s" % (e, self.tails([i])))

    def kill_all(self):
        """Power loss: SIGKILL every process of every node at once."""
        snaps = {i: nd.snapshot() for i, nd in self.nodes.items()}
        for snap in snaps.values():
            signal_snapshot(snap, signal.SIGKILL)
        for i, snap in snaps.items():
            if self.nodes[i].proc is not None:
                self._reap(i, snap)

    def stop_all(self):
        for i in self.nodes:
            if self.nodes[i].proc is not None and self.nodes[i].stopped:
                self.sigcont(i)
        for i, nd in self.nodes.items():
            if nd.proc is not None:
                try:
                    os.kill(nd.proc.pid, signal.SIGTERM)
                except OSError:
                    pass
        for i in self.nodes:
            self.sigterm(i)

    def restart_all(self, timeout=READY_TIMEOUT):
        """Start every node that is not running, wait for the ensemble."""
        for i, nd in self.nodes.items():
            if not nd.running():
                self._launch(i)
        return self.wait_ready(timeout)

    # -- corral child processes
    def children(self, i):
        """{role: pid} of node i's supervisor's children (corral)."""
        nd = self.nodes[i]
        out = {}
        if nd.proc is None:
            return out
        for c in proc_children(nd.proc.pid):
            if not proc_alive(c):
                continue
            for role, name in CHILD_ROLES.items():
                if name_matches(c, name):
                    out.setdefault(role, c)
        return out

    def kill_child(self, i, role, sig=signal.SIGKILL, timeout=30):
        """SIGKILL node i's child `role` (store, election, replicator,
        frontend) and wait until the supervisor has restarted it; returns
        (old_pid, new_pid)."""
        if self.target != "corral":
            raise unittest.SkipTest("child processes exist in corral only")
        old = wait_for(lambda: self.children(i).get(role), 10,
                       "node %d child %s to exist" % (i, role))
        st = proc_starttime(old)
        signal_snapshot([(old, st)], sig)
        new = wait_for(lambda: (lambda p: p if p and p != old else None)(
            self.children(i).get(role)), timeout,
            "node %d supervisor to restart %s" % (i, role))
        return old, new

    def signal_child(self, i, role, sig):
        """Send sig to node i's child `role` (corral only); returns its pid."""
        if self.target != "corral":
            raise unittest.SkipTest("child processes exist in corral only")
        pid = wait_for(lambda: self.children(i).get(role), 10,
                       "node %d child %s to exist" % (i, role))
        signal_snapshot([(pid, proc_starttime(pid))], sig)
        return pid

    # -- clients
    def client(self, hosts=None, timeout=10.0, start=True, **kw):
        """A KazooClient (default: all hosts), closed at cleanup."""
        from kazoo.client import KazooClient
        kw.setdefault("connection_retry", dict(CONN_RETRY))
        c = KazooClient(hosts=hosts or self.hosts, timeout=timeout, **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=30)
        return c

    def node_client(self, i, **kw):
        return self.client(hosts=self.host(i), **kw)

    def data_contains(self, i, needle):
        """True if any file under node i's data dir contains bytes needle
        (a txn logged by that node, whatever the storage format)."""
        for root, _, files in os.walk(self.nodes[i].data_dir):
            for f in files:
                p = os.path.join(root, f)
                try:
                    with open(p, "rb") as fh:
                        while True:
                            b = fh.read(1 << 22)
                            if not b:
                                break
                            if needle in b:
                                return True
                            if len(b) == 1 << 22:
                                fh.seek(-len(needle), os.SEEK_CUR)
                except OSError:
                    pass
        return False

    # -- teardown
    def stop(self):
        for c in self._clients:
            _close_client(c)
        self._clients = []
        try:
            self.stop_all()
        finally:
            for i in self.nodes:   # belt and braces
                if self.nodes[i].proc is not None:
                    self.kill9(i)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            live_discard(self)
            if not self.keep_dir:
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                log("kept %s" % self.tmp)


def _close_client(c):
    try:
        c.stop()
    except Exception:  # noqa: BLE001
        pass
    try:
        c.close()
    except Exception:  # noqa: BLE001
        pass


# ------------------------------------------------------------ test base

class ClusterTestCase(unittest.TestCase):
    """One cluster per test class (setUpClass), always closed."""

    nodes = 3
    tick_time = 500
    init_limit = 10
    sync_limit = 4
    extra_cfg = None
    jvm_flags = ()

    @classmethod
    def make_cluster(cls, n=None, **kw):
        kw.setdefault("tick_time", cls.tick_time)
        kw.setdefault("init_limit", cls.init_limit)
        kw.setdefault("sync_limit", cls.sync_limit)
        kw.setdefault("extra_cfg", cls.extra_cfg)
        kw.setdefault("jvm_flags", cls.jvm_flags)
        c = Cluster(n or cls.nodes, **kw)
        cls.addClassCleanup(c.close)
        return c

    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.make_cluster()
        cls.cluster.start()

    def setUp(self):
        KAZOO_RECENT.records.clear()
        self.addCleanup(self._report_failure, self._failures())

    def _failures(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return (len(getattr(result, "failures", ())) +
                len(getattr(result, "errors", ())))

    def _report_failure(self, before):
        """On failure, what the clients and nodes said last (the temp dir
        with the full logs is gone unless CORRAL_TEST_KEEP=1)."""
        if self._failures() == before:
            return
        c = self.cluster
        sys.stderr.write("\n=== %s failed: last kazoo messages (clients of "
                         "%s)\n%s\n=== node logs\n%s\n"
                         % (self.id(), ", ".join("node %d %s" % (i, n.host)
                                                 for i, n in c.nodes.items()),
                            KAZOO_RECENT.text() or "(none)", c.tails(n=25)))

    def client(self, **kw):
        c = self.cluster.client(**kw)
        self.addCleanup(_close_client, c)
        return c

    def node_client(self, i, **kw):
        c = self.cluster.node_client(i, **kw)
        self.addCleanup(_close_client, c)
        return c

    def ensure_all_up(self):
        """Bring every node back (after a test that left some down)."""
        for i, nd in self.cluster.nodes.items():
            if nd.stopped:
                self.cluster.sigcont(i)
        self.cluster.restart_all()
        self.cluster.wait_writable()


# ------------------------------------------------------------ raw jute

def connect_request(timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                    last_zxid=0):
    body = (struct.pack(">iqiq", 0, last_zxid, timeout_ms, session_id)
            + struct.pack(">i", len(passwd)) + passwd + b"\0")
    return struct.pack(">i", len(body)) + body


def raw_connect(port, last_zxid, timeout=5.0):
    """Send a ConnectRequest with lastZxidSeen=last_zxid; return the
    ConnectResponse's session id, or None if the server closed the
    connection without answering (refused)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(connect_request(last_zxid=last_zxid))
        buf = b""
        while len(buf) < 4:
            b = s.recv(4 - len(buf))
            if not b:
                return None
            buf += b
        n = struct.unpack(">i", buf)[0]
        body = b""
        while len(body) < n:
            b = s.recv(n - len(body))
            if not b:
                return None
            body += b
        _, _, sid = struct.unpack(">iiq", body[:16])
        return sid
    except ConnectionResetError:
        return None
    finally:
        s.close()


LOG_PATTERNS = {
    # leader-side and learner-side log lines naming a sync mode
    "zookeeper": {
        "DIFF": re.compile(r"Sending DIFF|Getting a diff from the leader"),
        "SNAP": re.compile(r"Sending snapshot|Getting a snapshot from leader"),
        "TRUNC": re.compile(r"Sending TRUNC|Truncating log to get in sync"),
    },
    "corral": {
        "DIFF": re.compile(r"\bDIFF\b"),
        "SNAP": re.compile(r"\bSNAP\b"),
        "TRUNC": re.compile(r"\bTRUNC\b"),
    },
}
