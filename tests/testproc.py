"""What the test harnesses (integration/harness.py, cluster/cluster.py)
share: polling with a deadline, free loopback ports, processes seen through
/proc and signalled only while they are still the process a test started,
four-letter words, and one registry of live servers that is closed at exit,
on SIGTERM (a ctest timeout) too."""

import atexit
import ctypes
import os
import signal
import socket
import sys
import threading
import time

# --------------------------------------------------------------- waiting


class WaitTimeout(AssertionError):
    pass


def wait_for(cond, timeout=10.0, what="condition", interval=0.02):
    """Poll cond() until it returns a truthy value (returned) or the
    deadline passes (WaitTimeout naming `what`).  Exceptions from cond()
    count as "not yet" but the last one is reported."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise WaitTimeout(msg)
        time.sleep(interval)


# ------------------------------------------------------------------ ports

def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free loopback ports (bound to port 0 together, released)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # as the servers do: TIME_WAIT connections do not block a restart
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# -------------------------------------------------------------- processes

libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def preexec_pdeathsig():
    # if the test runner dies (even SIGKILL), the server dies with it
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def proc_children(pid):
    """Direct children of pid (all threads), via /proc."""
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return sorted(set(out))


def proc_descendants(pid):
    seen, todo = [], [pid]
    while todo:
        for c in proc_children(todo.pop()):
            if c not in seen:
                seen.append(c)
                todo.append(c)
    return seen


def _stat_fields(pid):
    """/proc/PID/stat after the command name, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rindex(")") + 2:].split()
    except (OSError, ValueError):
        return None


def proc_starttime(pid):
    f = _stat_fields(pid)
    return int(f[19]) if f and len(f) > 19 else None


def proc_state(pid):
    f = _stat_fields(pid)
    return f[0] if f else None


def proc_alive(pid):
    st = proc_state(pid)
    return st is not None and st not in ("Z", "X")


def proc_name(pid):
    """(argv0 basename, comm) of pid, or (None, None)."""
    argv0 = comm = None
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            a = f.read().split(b"\0")[0].decode(errors="replace")
            argv0 = os.path.basename(a) if a else None
    except OSError:
        pass
    try:
        with open("/proc/%d/comm" % pid) as f:
            comm = f.read().strip()
    except OSError:
        pass
    return argv0, comm


def name_matches(pid, name):
    argv0, comm = proc_name(pid)
    # comm is truncated to 15 bytes: corral-replicator -> corral-replicat
    return argv0 == name or comm == name or comm == name[:15]


def signal_snapshot(snap, sig):
    """Signal each (pid, starttime) of snap still carrying that start time
    (a pid the kernel gave to another process is left alone)."""
    for pid, st in snap:
        if st is not None and proc_starttime(pid) == st:
            try:
                os.kill(pid, sig)
            except OSError:
                pass


# ---------------------------------------------------------- four letters

def four_letter(port, cmd, timeout=5.0, payload=b"", half_close=False):
    """The answer to cmd (and payload, e.g. stmk's mask), read until the
    server closes; half_close shuts our side after sending."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(cmd.encode() + payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode(errors="replace")
    finally:
        s.close()


# --------------------------------------------------------------- registry

_live = set()
_live_lock = threading.Lock()


def live_add(obj):
    """obj.close() runs at exit unless live_discard(obj) came first."""
    with _live_lock:
        _live.add(obj)


def live_discard(obj):
    with _live_lock:
        _live.discard(obj)


def _cleanup_all():
    with _live_lock:
        objs = list(_live)
    for o in objs:
        try:
            o.close()
        except Exception as e:  # noqa: BLE001
            sys.stderr.write("test cleanup: %r\n" % (e,))


atexit.register(_cleanup_all)


def _sigterm(signum, frame):
    # make `kill <runner>` (ctest timeout) run the atexit cleanup
    raise SystemExit(128 + signum)


try:
    signal.signal(signal.SIGTERM, _sigterm)
except ValueError:
    pass  # not the main thread
