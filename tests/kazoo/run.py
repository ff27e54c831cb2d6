#!/usr/bin/python3
"""Run kazoo's own test suite (Debian python3-kazoo: the package kazoo.tests)
against corral, or against Apache ZooKeeper 3.8 to learn the reference.

    /usr/bin/python3 tests/kazoo/run.py --mode standalone|ensemble
        [--server corral|zookeeper] [--only PATTERN] [--write-reference]
        [--results FILE.tsv] [--test-timeout S] [--reruns N] [--strict] [-v]

kazoo's suite starts its servers through kazoo.testing.harness, which builds
a kazoo.testing.common.ZookeeperCluster (a list of ManagedZooKeeper: .address,
.running, .run(), .stop(), .reset(), .destroy(); the cluster: iteration,
[i], .start(), .stop(), .terminate(), .reset()).  This runner replaces the
ZookeeperCluster class the harness instantiates, and nothing else: the
harness's own get_global_cluster() still decides when to (re)build the
cluster (e.g. test_sasl.py sets ZOOKEEPER_JAAS_AUTH=digest, which rebuilds it
with a JAAS file), and passes the same inputs it passes to Java ZooKeeper:

  --server corral     CorralCluster: one `corral --config zoo.cfg` per node
                      on free 127.0.0.1 ports; zoo.cfg mirrors what
                      ManagedZooKeeper writes (tickTime=2000, maxClientCnxns=0,
                      authProvider.1=...SASLAuthenticationProvider,
                      4lw.commands.whitelist=*, reconfigEnabled=true,
                      initLimit=4, syncLimit=2, server.N lines, peerType), the
                      harness's -Dzookeeper.DigestAuthenticationProvider.
                      superDigest as the zoo.cfg key ZooKeeper maps it from,
                      and its JAAS text as a file named by
                      java.security.auth.login.config; plus
                      clientPortAddress=127.0.0.1 and
                      metricsProvider.httpPort=0.
  --server zookeeper  kazoo's own ZookeeperCluster (stock ManagedZooKeeper),
                      classpath of the Debian package `zookeeper` (as in
                      ../shared/bench/zk-ensemble.sh), free port block, and
                      only these additions: clientPortAddress=127.0.0.1,
                      admin.enableServer=false, a 512 MB heap, the server log
                      in its temp dir.

Every process this runner starts runs in its own session with
PR_SET_PDEATHSIG, is stopped by PID (SIGTERM, then SIGKILL of the recorded
process tree), and every temp dir is removed, on success, failure, timeout,
SIGTERM or Ctrl-C.

Verdicts (corral): the tests listed in reference-MODE.txt (those that pass
against ZooKeeper 3.8 on this machine) must pass, except those listed in
EXCEPTIONS.md for this mode, which are expected failures; an exception that
passes is reported loudly ("unexpected pass, remove it from EXCEPTIONS.md";
an error with --strict).  A reference test that fails is re-run alone
(--reruns, default 1) before it counts.  Exit status: 0 green, 1 a reference
test failed, 2 usage/infrastructure error.
"""

import argparse
import collections
import ctypes
import datetime
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("CORRAL_BUILD", os.path.join(REPO, "build"))
sys.path.insert(0, os.path.join(REPO, "tests", "cluster"))
sys.path.insert(0, os.path.join(REPO, "tests"))

import cluster as ch  # noqa: E402  (process and port helpers)
from zkjava import zk_classpath  # noqa: E402

try:
    import pytest  # kazoo.tests imports pytest, mock and objgraph
    import mock  # noqa: F401
    import objgraph  # noqa: F401
except ImportError as _e:
    sys.stderr.write("run.py: %s; kazoo.tests needs the Debian packages "
                     "python3-pytest python3-mock python3-objgraph\n" % _e)
    sys.exit(2)

# cluster.py turns SIGTERM into SystemExit; pytest would report that as one
# failed test and go on.  Here SIGTERM/SIGINT clean up and exit at once.

ZK_VERSION = "3.8.0"   # Debian bookworm's zookeeper 3.8.0-11
MODES = {"standalone": 1, "ensemble": 3}
EXCEPTIONS_MD = os.path.join(HERE, "EXCEPTIONS.md")


def reference_path(mode):
    return os.path.join(HERE, "reference-%s.txt" % mode)


# the real stderr: pytest captures fd 2 while a test runs, and a message
# from the signal handler or the watchdog must not vanish into its capture
_ERR_FD = os.dup(2)


def say(msg):
    os.write(_ERR_FD, ("[kazoo-run %s] %s\n" % (time.strftime("%H:%M:%S"),
                                                  msg)).encode())


# ------------------------------------------------------------ processes

_libc = ctypes.CDLL(None, use_errno=True)


def _preexec_term():
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


_tmp_root = None
_live_clusters = []
_cleaning = threading.RLock()   # a signal may come during cleanup_all


def tmp_root():
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = tempfile.mkdtemp(prefix="corral-kazoo-")
    return _tmp_root


def stop_tree(proc, snap_fn, timeout=20.0):
    """SIGTERM proc, wait (then SIGKILL its recorded tree), reap."""
    if proc is None:
        return
    snap = snap_fn()
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            say("pid %d ignored SIGTERM for %.0fs; SIGKILL" % (proc.pid,
                                                            timeout))
    ch.signal_snapshot(snap, signal.SIGKILL)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    # children re-parented to us (cluster.py made us the subreaper)
    deadline = time.monotonic() + 5
    for pid, _ in snap:
        if pid == proc.pid:
            continue
        while time.monotonic() < deadline:
            try:
                r, _st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break  # not ours (reaped by its own parent)
            if r != 0 or not ch.proc_alive(pid):
                break
            time.sleep(0.02)


def cleanup_all():
    """Stop every server we started, remove every temp dir.  Idempotent."""
    with _cleaning:
        try:
            import kazoo.testing.harness as h
            if h.CLUSTER is not None and h.CLUSTER not in _live_clusters:
                _live_clusters.append(h.CLUSTER)
            h.CLUSTER = None
            h.CLUSTER_CONF = None
        except Exception:  # noqa: BLE001
            pass
        while _live_clusters:
            c = _live_clusters.pop()
            try:
                c.terminate()
            except Exception as e:  # noqa: BLE001
                say("cleanup: %r" % (e,))
        global _tmp_root
        if _tmp_root and not os.environ.get("CORRAL_TEST_KEEP"):
            shutil.rmtree(_tmp_root, True)
        elif _tmp_root:
            say("kept %s (CORRAL_TEST_KEEP)" % _tmp_root)
        _tmp_root = None


def _on_signal(signum, frame, status=None):
    say("signal %d: stopping servers, removing temp dirs" % signum)
    try:
        cleanup_all()
    finally:
        os._exit(128 + signum if status is None else status)


# ------------------------------------------------------------- corral

class CorralServer:
    """One corral node, with ManagedZooKeeper's interface."""

    def __init__(self, cluster, server_id, ports, peer_type):
        self.cluster = cluster
        self.server_id = server_id
        self.client_port, self.quorum_port, self.election_port = ports
        self.peer_type = peer_type
        self.host = "127.0.0.1"
        self.working_path = tempfile.mkdtemp(prefix="node%d-" % server_id,
                                             dir=cluster.tmp)
        self.data_path = os.path.join(self.working_path, "data")
        self.config_path = os.path.join(self.working_path, "zoo.cfg")
        self.log_path = os.path.join(self.working_path, "corral.log")
        self.process = None
        self._running = False

    @property
    def address(self):
        return "%s:%s" % (self.host, self.client_port)

    @property
    def running(self):
        return self._running

    def _write(self):
        os.makedirs(self.data_path, exist_ok=True)
        with open(os.path.join(self.data_path, "myid"), "w") as f:
            f.write("%d\n" % self.server_id)
        c = self.cluster
        lines = ["# written by tests/kazoo/run.py (mirrors kazoo's "
                 "ManagedZooKeeper)",
                 "tickTime=2000",
                 "dataDir=%s" % self.data_path,
                 "clientPort=%d" % self.client_port,
                 "clientPortAddress=127.0.0.1",
                 "maxClientCnxns=0",
                 "metricsProvider.httpPort=0",
                 "authProvider.1=org.apache.zookeeper.server.auth."
                 "SASLAuthenticationProvider"]
        lines += list(c.configuration_entries)
        lines += c.cfg_from_java_properties()
        if c.jaas_path:
            lines.append("java.security.auth.login.config=%s" % c.jaas_path)
        if len(c.servers) > 1:
            lines += ["initLimit=4", "syncLimit=2"]
            for s in c.servers:
                lines.append("server.%d=127.0.0.1:%d:%d:%s" % (
                    s.server_id, s.quorum_port, s.election_port,
                    s.peer_type))
            lines.append("peerType=%s" % self.peer_type)
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(self):
        if self.running:
            return
        exe = os.path.join(BUILD, "bin", "corral")
        if not os.access(exe, os.X_OK):
            raise RuntimeError("corral not found: %s (build it, or set "
                               "CORRAL_BUILD)" % exe)
        self._write()
        ch.wait_for(lambda: all(ch.port_free(p) for p in
                                (self.client_port, self.quorum_port,
                                 self.election_port)),
                    15, "ports of node %d to be free" % self.server_id)
        with open(self.log_path, "ab") as lf:
            lf.write(("===== %s run.py: starting node %d\n" % (
                time.strftime("%F %T"), self.server_id)).encode())
            lf.flush()
            self.process = subprocess.Popen(
                [exe, "--config", self.config_path],
                stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                cwd=self.working_path, start_new_session=True,
                preexec_fn=_preexec_term)
        self._running = True

    def _snapshot(self):
        if self.process is None:
            return []
        pids = [self.process.pid] + ch.proc_descendants(self.process.pid)
        return [(p, ch.proc_starttime(p)) for p in pids]

    def stop(self):
        if not self.running:
            return
        stop_tree(self.process, self._snapshot)
        self._running = False

    def reset(self):
        self.stop()
        shutil.rmtree(self.data_path, True)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.working_path, True)

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""


class CorralCluster:
    """kazoo.testing.common.ZookeeperCluster's interface, corral nodes."""

    def __init__(self, install_path=None, classpath=None, size=3,
                 port_offset=20000, observer_start_id=-1,
                 configuration_entries=(), java_system_properties=(),
                 jaas_config=None):
        self.tmp = tempfile.mkdtemp(prefix="cluster-", dir=tmp_root())
        self.configuration_entries = list(configuration_entries)
        self.java_system_properties = list(java_system_properties)
        self.jaas_path = None
        if jaas_config:
            self.jaas_path = os.path.join(self.tmp, "jaas.conf")
            with open(self.jaas_path, "w") as f:
                f.write(jaas_config)
        ports = ch.free_ports(3 * size)
        self.servers = []
        for i in range(size):
            sid = i + 1
            pt = ("observer" if observer_start_id != -1 and
                  sid >= observer_start_id else "participant")
            self.servers.append(CorralServer(self, sid,
                                             ports[3 * i:3 * i + 3], pt))
        _live_clusters.append(self)

    def cfg_from_java_properties(self):
        """-Dzookeeper.X=V as the zoo.cfg key X=V (ZooKeeper sets unknown
        zoo.cfg keys as zookeeper.X system properties)."""
        out = []
        for p in self.java_system_properties:
            m = re.match(r"-Dzookeeper\.([^=]+)=(.*)$", p)
            if m:
                out.append("%s=%s" % (m.group(1), m.group(2)))
        return out

    def __getitem__(self, k):
        return self.servers[k]

    def __iter__(self):
        return iter(self.servers)

    def __len__(self):
        return len(self.servers)

    def start(self):
        for s in reversed(self.servers):   # as ZookeeperCluster.start
            s.run()
        self.wait_ready()

    def wait_ready(self, timeout=60):
        idx = [s for s in self.servers if s.running]

        def ready():
            modes = []
            for s in idx:
                if s.process.poll() is not None:
                    raise RuntimeError("corral node %d exited (%s):\n%s" % (
                        s.server_id, s.process.returncode, s.log_tail()))
                try:
                    if ch.four_letter(s.client_port, "ruok", 1.0) != "imok":
                        return False
                    srvr = ch.parse_srvr(ch.four_letter(s.client_port,
                                                        "srvr", 1.0))
                except OSError:
                    return False
                modes.append(srvr.get("Mode"))
            if len(self.servers) == 1:
                return modes == ["standalone"] or modes == ["leader"]
            return (all(m in ("leader", "follower", "observer")
                        for m in modes) and modes.count("leader") == 1)
        ch.wait_for(ready, timeout, "corral nodes ready")

    def stop(self):
        for s in self.servers:
            s.stop()

    def terminate(self):
        for s in self.servers:
            s.destroy()
        shutil.rmtree(self.tmp, True)
        if self in _live_clusters:
            _live_clusters.remove(self)

    def reset(self):
        for s in self.servers:
            s.reset()


# ---------------------------------------------------------- zookeeper


def free_port_block(size):
    """A port_offset for ZookeeperCluster: ports base+10*i+{0..3} free.
    Below the ephemeral range (ip_local_port_range starts at 32768)."""
    import random
    for _ in range(200):
        base = random.randrange(20000, 32000 - 10 * size, 10)
        if all(ch.port_free(base + 10 * i + k)
               for i in range(size) for k in range(4)):
            return base
    raise RuntimeError("no free port block for ZooKeeper")


def zookeeper_cluster_factory():
    import kazoo.testing.common as common

    class _Popen(subprocess.Popen):
        # ManagedZooKeeper.run(): subprocess.Popen(args=args); here with
        # its own session, PDEATHSIG, and output into its temp dir
        def __init__(self, args, **kw):
            wd = os.path.dirname(args[-1])   # .../zoo.cfg
            kw.setdefault("stdin", subprocess.DEVNULL)
            out = open(os.path.join(wd, "zookeeper.out"), "ab")
            kw.setdefault("stdout", out)
            kw.setdefault("stderr", subprocess.STDOUT)
            kw["start_new_session"] = True
            kw["preexec_fn"] = _preexec_term
            try:
                super().__init__(args, **kw)
            finally:
                out.close()

    common.subprocess = types.SimpleNamespace(Popen=_Popen)
    real = common.ZookeeperCluster

    def factory(**kw):
        kw["port_offset"] = free_port_block(kw.get("size", 3))
        kw["classpath"] = kw.get("classpath") or zk_classpath()
        kw["configuration_entries"] = list(kw.get(
            "configuration_entries", ())) + [
            "clientPortAddress=127.0.0.1", "admin.enableServer=false"]
        kw["java_system_properties"] = [
            "-Xmx512m", "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true",
            "-Dzookeeper.admin.enableServer=false"] + list(
            kw.get("java_system_properties", ()))
        c = real(**kw)
        for s in c:
            # tempfile.mkdtemp() of ManagedZooKeeper: move under our root
            shutil.rmtree(s.working_path, True)
            s.working_path = tempfile.mkdtemp(prefix="zk%d-" %
                                              s.server_info.server_id,
                                              dir=tmp_root())
            s.java_system_properties = list(s.java_system_properties) + [
                "-Dorg.slf4j.simpleLogger.logFile=%s" %
                os.path.join(s.working_path, "zookeeper.log")]
        _live_clusters.append(c)
        return c
    return factory


# -------------------------------------------------------------- pytest

class TestTimeout(Exception):
    pass


def one_line(s, n=160):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n - 3] + "..."


class Collector:
    """pytest plugin: outcome per test, per-phase SIGALRM timeout."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.results = collections.OrderedDict()

    def _arm(self, what, nodeid):
        def fire(signum, frame):
            raise TestTimeout("%s of %s exceeded %ss" % (what, nodeid,
                                                         self.timeout))
        signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)

    @staticmethod
    def _disarm():
        signal.setitimer(signal.ITIMER_REAL, 0)

    def _wrap(self, what, item):
        self._arm(what, item.nodeid)
        try:
            yield
        finally:
            self._disarm()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._wrap("setup", item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._wrap("call", item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._wrap("teardown", item)

    def pytest_runtest_logstart(self, nodeid, location):
        self._t0 = time.monotonic()

    @staticmethod
    def _message(report):
        lr = report.longrepr
        if isinstance(lr, tuple) and len(lr) == 3:   # skip
            return one_line(lr[2])
        crash = getattr(lr, "reprcrash", None)
        if crash is not None:
            return one_line(crash.message)
        return one_line(str(lr).strip().splitlines()[-1] if lr else "")

    def pytest_runtest_logreport(self, report):
        r = self.results.setdefault(report.nodeid,
                                    {"outcome": None, "msg": "", "dur": 0.0})
        r["dur"] += report.duration
        if report.when in ("setup", "call"):
            if report.passed:
                if report.when == "call":
                    r["outcome"] = "pass"
            elif report.skipped:
                r["outcome"] = "skip"
                r["msg"] = self._message(report)
            else:
                r["outcome"] = "error" if report.when == "setup" else "fail"
                r["msg"] = self._message(report)
        elif report.failed and r["outcome"] in (None, "pass"):
            r["outcome"] = "error"
            r["msg"] = "teardown: " + self._message(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        r = self.results.get(nodeid)
        if r is not None:
            sys.stderr.write("  %-5s %6.1fs  %s%s\n" % (
                r["outcome"], r["dur"], nodeid,
                ("  -- " + r["msg"]) if r["outcome"] not in ("pass",)
                and r["msg"] else ""))
            sys.stderr.flush()


def run_pytest(tests_dir, selectors, keyword, timeout, verbose):
    coll = Collector(timeout)
    ini = os.path.join(HERE, "pytest.ini")
    args = ["-c", ini, "--rootdir", tests_dir, "-p", "no:cacheprovider",
            "-q", "-rN", "--tb=%s" % ("short" if verbose else "no"),
            "--disable-warnings", "-o", "console_output_style=classic"]
    if keyword:
        args += ["-k", keyword]
    args += selectors
    rc = pytest.main(args, plugins=[coll])
    return rc, coll.results


# ------------------------------------------------------------- verdicts

def read_reference(mode):
    p = reference_path(mode)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return [ln.strip() for ln in f
                if ln.strip() and not ln.lstrip().startswith("#")]


EXC_RE = re.compile(r"^\s*[-*]\s+`([^`]+)`\s*\((standalone|ensemble|both)"
                    r"\)\s*[:\-—]*\s*(.*)$")


def read_exceptions(mode):
    """{test id: reason} for `mode` from EXCEPTIONS.md: bullet lines
    - `file.py::Class::test` (standalone|ensemble|both): reason"""
    out = {}
    if not os.path.exists(EXCEPTIONS_MD):
        return out
    section = ""
    with open(EXCEPTIONS_MD) as f:
        for ln in f:
            if ln.startswith("#"):
                section = ln.strip("# \n")
                continue
            m = EXC_RE.match(ln)
            if m and m.group(2) in (mode, "both"):
                out[m.group(1)] = "[%s] %s" % (section, m.group(3).strip())
    return out


def merge_runs(runs):
    """One result per test over several runs of the suite: the outcome if
    every run agrees, else "flaky" (message: the outcome of each run)."""
    if len(runs) == 1:
        return runs[0]
    out = collections.OrderedDict()
    for t in runs[0]:
        rs = [r.get(t, {"outcome": "missing", "msg": "", "dur": 0.0})
              for r in runs]
        outs = [r["outcome"] for r in rs]
        if len(set(outs)) == 1:
            out[t] = dict(rs[0])
        else:
            bad = [r for r in rs if r["outcome"] != "pass"]
            out[t] = {"outcome": "flaky", "dur": rs[0]["dur"],
                      "msg": "runs: %s; %s" % ("/".join(outs),
                                               bad[0]["msg"] if bad else "")}
    return out


def write_reference(mode, results, elapsed, tests_dir, nruns):
    import kazoo
    counts = collections.Counter(r["outcome"] for r in results.values())
    passed = [t for t, r in results.items() if r["outcome"] == "pass"]
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    hdr = [
        "# kazoo.tests tests that PASS against Apache ZooKeeper %s, %s mode"
        % (ZK_VERSION, mode),
        "# (%d node%s), on this machine; one test id per line." % (
            MODES[mode], "" if MODES[mode] == 1 else "s"),
        "# Generated %s by:" % now,
        "#   /usr/bin/python3 tests/kazoo/run.py --server zookeeper "
        "--mode %s --write-reference --runs %d" % (mode, nruns),
        "# (a test is listed if it passed in all %d runs of the suite; one "
        "that passed" % nruns,
        "# only in some is \"flaky\" in the .tsv and is not listed)",
        "# (kazoo's own ZookeeperCluster/ManagedZooKeeper, Debian packages "
        "zookeeper 3.8.0, python3-kazoo %s," % kazoo.__version__,
        "# python3-pytest %s, Python %s; suite from %s)" % (
            __import__("pytest").__version__, sys.version.split()[0],
            tests_dir),
        "# ZooKeeper outcomes: %s; %d tests, %.0f s per run." % (
            ", ".join("%s %d" % (k, counts[k]) for k in
                      ("pass", "fail", "error", "skip", "flaky")
                      if counts[k]),
            len(results), elapsed),
        "# Every outcome with its message: zookeeper-%s.tsv." % mode,
        "# corral must pass all of these except the ones EXCEPTIONS.md "
        "lists for this mode.",
    ]
    with open(reference_path(mode), "w") as f:
        f.write("\n".join(hdr) + "\n" + "\n".join(passed) + "\n")
    write_tsv(os.path.join(HERE, "zookeeper-%s.tsv" % mode), results)
    say("wrote %s (%d passing tests)" % (reference_path(mode), len(passed)))


def write_tsv(path, results):
    with open(path, "w") as f:
        f.write("# test\toutcome\tseconds\tmessage\n")
        for t, r in results.items():
            f.write("%s\t%s\t%.1f\t%s\n" % (t, r["outcome"], r["dur"],
                                           r["msg"].replace("\t", " ")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=sorted(MODES), required=True)
    ap.add_argument("--server", choices=("corral", "zookeeper"),
                    default="corral")
    ap.add_argument("--only", metavar="PATTERN",
                    help="pytest -k expression (e.g. 'TestClient and acl')")
    ap.add_argument("--write-reference", action="store_true",
                    help="with --server zookeeper: write reference-MODE.txt"
                    " and zookeeper-MODE.tsv")
    ap.add_argument("--results", metavar="FILE.tsv",
                    help="write every outcome to this file")
    ap.add_argument("--test-timeout", type=float, default=90,
                    help="seconds per test phase (default 90)")
    ap.add_argument("--max-time", type=float, default=1100,
                    help="whole run, seconds, then clean up and exit 2")
    ap.add_argument("--runs", type=int, default=1,
                    help="run the suite N times (for --write-reference: a "
                    "test is in the reference if it passes every time)")
    ap.add_argument("--reruns", type=int, default=1,
                    help="re-run a failing reference test alone N times")
    ap.add_argument("--strict", action="store_true",
                    help="an unexpected pass of an exception is an error")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.write_reference and (a.server != "zookeeper" or a.only):
        ap.error("--write-reference needs --server zookeeper and no --only")

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    def watchdog():
        time.sleep(a.max_time)
        say("run exceeded --max-time %.0fs; giving up" % a.max_time)
        say("stopping servers, removing temp dirs")
        try:
            cleanup_all()
        finally:
            os._exit(2)
    threading.Thread(target=watchdog, daemon=True).start()

    # harness inputs: what get_global_cluster() reads from the environment
    for k in ("ZOOKEEPER_JAAS_AUTH", "ZOOKEEPER_OBSERVER_START_ID", "TRAVIS",
              "ZOOKEEPER_PATH", "ZOOKEEPER_CLASSPATH"):
        os.environ.pop(k, None)
    os.environ["ZOOKEEPER_CLUSTER_SIZE"] = str(MODES[a.mode])
    os.environ["ZOOKEEPER_VERSION"] = ZK_VERSION
    os.environ["ZOOKEEPER_PORT_OFFSET"] = "20000"   # replaced by free ports
    if a.server == "zookeeper":
        os.environ["ZOOKEEPER_CLASSPATH"] = zk_classpath()
    else:
        os.environ["ZOOKEEPER_PATH"] = "/nonexistent-corral-replaces-it"

    import logging
    logging.basicConfig(level=logging.CRITICAL)
    import kazoo.testing.harness as harness
    import kazoo.tests
    tests_dir = os.path.dirname(kazoo.tests.__file__)
    if a.server == "zookeeper":
        harness.ZookeeperCluster = zookeeper_cluster_factory()
    else:
        harness.ZookeeperCluster = CorralCluster

    t0 = time.monotonic()
    say("kazoo.tests (%s) against %s, %s mode (%d node%s)" % (
        tests_dir, a.server, a.mode, MODES[a.mode],
        "" if MODES[a.mode] == 1 else "s"))
    try:
        runs = []
        for n in range(a.runs):
            if a.runs > 1:
                say("run %d of %d" % (n + 1, a.runs))
            runs.append(run_pytest(tests_dir, [tests_dir], a.only,
                                   a.test_timeout, a.verbose)[1])
        results = merge_runs(runs)
        elapsed = (time.monotonic() - t0) / a.runs
        if not results:
            say("no tests ran")
            return 2
        if a.results:
            write_tsv(a.results, results)
        if a.write_reference:
            write_reference(a.mode, results, elapsed, tests_dir, a.runs)
        return verdict(a, results, elapsed, tests_dir)
    finally:
        cleanup_all()


def verdict(a, results, elapsed, tests_dir):
    ref = read_reference(a.mode)
    counts = collections.Counter(r["outcome"] for r in results.values())
    summary = ", ".join("%s %d" % (k, counts[k]) for k in
                        ("pass", "fail", "error", "skip") if counts[k])
    if a.server == "zookeeper" or ref is None:
        print("\n%s, %s mode: %d tests: %s; %.0f s" % (
            a.server, a.mode, len(results), summary, elapsed))
        if ref is None and a.server == "corral":
            print("no %s: run with --server zookeeper --write-reference"
                  % reference_path(a.mode))
            return 2
        return 0
    exc = read_exceptions(a.mode)
    refset = set(ref)

    # re-run reference tests that failed and are not excused, alone
    for attempt in range(a.reruns):
        again = [t for t in ref if t in results and t not in exc and
                 results[t]["outcome"] != "pass"]
        if not again:
            break
        say("re-running %d failed reference test(s) (attempt %d): %s" % (
            len(again), attempt + 1, " ".join(again)))
        _rc, more = run_pytest(tests_dir,
                               [os.path.join(tests_dir, t) for t in again],
                               None, a.test_timeout, True)  # tracebacks
        for t, r in more.items():
            if r["outcome"] == "pass":
                results[t] = dict(r, msg="passed on re-run (flaky?)")

    rows = []
    for t, r in results.items():
        o = r["outcome"]
        if t in refset:
            if o == "pass":
                v = "UNEXPECTED PASS" if t in exc else "ok"
            elif t in exc:
                v = "expected-fail " + exc[t].split("]")[0] + "]"
            else:
                v = "FAIL"
        else:
            v = "not-in-reference"
        rows.append((t, o, v, r))
    vc = collections.Counter(v.split(" [")[0] for _, _, v, _ in rows)
    missing = [t for t in ref if t not in results] if not a.only else []
    stale = [t for t in exc if t not in refset]

    print("\n(pytest's counts above include the tests outside the "
          "reference; the verdict is below)")
    print("\nkazoo.tests against corral, %s mode" % a.mode)
    print("%-78s %-6s %s" % ("test", "corral", "verdict"))
    for t, o, v, r in rows:
        if v == "ok" and not a.verbose:
            continue
        if v == "not-in-reference" and o != "pass" and not a.verbose:
            continue
        print("%-78s %-6s %s%s" % (t, o, v, ("  " + r["msg"][:100])
                                   if v not in ("ok",) and r["msg"] else ""))
    print("\ncorral: %d tests: %s; %.0f s" % (len(results), summary, elapsed))
    print("reference (%d tests pass on ZooKeeper): ok %d, expected-fail %d "
          "(EXCEPTIONS.md), FAIL %d, unexpected pass %d" % (
              len(ref), vc["ok"], vc["expected-fail"], vc["FAIL"],
              vc["UNEXPECTED PASS"]))
    if vc["not-in-reference"]:
        print("not in the reference (fail/skip on ZooKeeper): %d, of which "
              "corral passes %d" % (vc["not-in-reference"], sum(
                  1 for _, o, v, _ in rows
                  if v == "not-in-reference" and o == "pass")))
    bad = vc["FAIL"] > 0
    if vc["UNEXPECTED PASS"]:
        print("\n" + "!" * 78)
        for t, o, v, _ in rows:
            if v == "UNEXPECTED PASS":
                print("!!! unexpected pass, remove it from EXCEPTIONS.md: %s"
                      % t)
        print("!" * 78)
        bad = bad or a.strict
    if missing:
        print("\nreference tests that did not run (suite changed?): %s"
              % " ".join(missing))
        bad = True
    if stale:
        print("\nEXCEPTIONS.md lists tests not in reference-%s.txt: %s"
              % (a.mode, " ".join(stale)))
    print("\nRESULT: %s" % ("FAILED" if bad else "OK"))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        rc = main()
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 2
    except BaseException:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        cleanup_all()
        rc = 2
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)   # kazoo client threads must not keep us alive
