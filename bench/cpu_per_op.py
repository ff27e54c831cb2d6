#!/usr/bin/python3
"""cpu_per_op.py -- where corral's CPU goes, in microseconds per operation.

    bench/cpu_per_op.py [--nodes 3] [--op set] [--clients 32] [--depth 16]
                        [--duration 8] [--reps 1] [OUTDIR]

Starts an N-node pseudo-cluster (scripts/local-cluster) in OUTDIR, runs
zkbench (../shared/bench) against all nodes, and reads every corral
thread's user and system time from /proc before and after a window inside
the measured run. Prints, per process role, the CPU per operation split by
thread kind: main (the event loop), io (ZeroMQ's I/O threads), rocksdb
(its flush and compaction threads) and other, summed over the nodes; and
the client's CPU per operation (zkbench's client_cpu). On two cores the
sum of all of it bounds the throughput, so a change that cuts CPU per
operation shows here before it shows through the noise of ops/s.

Only processes this script started are read and stopped.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("SHARED", os.path.join(REPO, "..", "shared", "bench"))
TICK = os.sysconf("SC_CLK_TCK")


def thread_kind(name):
    if name.startswith("ZMQbg"):
        return "io"
    if name.startswith("rocksdb"):
        return "rocksdb"
    if name.startswith("corral-"):
        return "main"
    return "other"


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def read_stat(path):
    """(comm, utime, stime) in ticks from a /proc stat file, or None."""
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    fields = s[s.rindex(")") + 2:].split()
    return comm, int(fields[11]), int(fields[12])


def snapshot(supervisors):
    """{(role, kind, tid): (utime, stime)} over every child's threads."""
    snap = {}
    for sup in supervisors:
        for child in children(sup):
            proc = read_stat("/proc/%d/stat" % child)
            if proc is None:
                continue
            role = proc[0]
            try:
                tids = os.listdir("/proc/%d/task" % child)
            except OSError:
                continue
            for tid in tids:
                st = read_stat("/proc/%d/task/%s/stat" % (child, tid))
                if st is None:
                    continue
                kind = "main" if int(tid) == child else thread_kind(st[0])
                snap[(role, kind, int(tid))] = (st[1], st[2])
    return snap


def per_op(before, after, ops):
    """{(role, kind): [user_us, sys_us]} per operation."""
    out = {}
    for key, (u1, s1) in after.items():
        u0, s0 = before.get(key, (0, 0))
        acc = out.setdefault(key[:2], [0.0, 0.0])
        acc[0] += (u1 - u0) * 1e6 / TICK / ops
        acc[1] += (s1 - s0) * 1e6 / TICK / ops
    return out


def run_once(args, hosts, supervisors, bench, rep):
    warmup = 1.0
    cmd = [bench, "--hosts", hosts, "--clients", str(args.clients),
           "--depth", str(args.depth), "--op", args.op, "--size", "100",
           "--duration", str(args.duration + 2), "--warmup", str(warmup),
           "--root", "/cpu-%s-%d-%d" % (args.op, os.getpid(), rep)]
    if args.op == "mixed":
        cmd += ["--read-ratio", "0.9", "--keys", "10000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    # the window lies inside the measured run: past the warm-up and the
    # setup, ending a second before the run does
    time.sleep(warmup + 1)
    t0, before = time.monotonic(), snapshot(supervisors)
    time.sleep(args.duration - 1)
    t1, after = time.monotonic(), snapshot(supervisors)
    out, _ = proc.communicate(timeout=args.duration + 120)
    result = [l for l in out.splitlines() if l.startswith("RESULT ")]
    if proc.returncode != 0 or not result:
        sys.exit("zkbench failed (exit %d)" % proc.returncode)
    kv = dict(t.split("=", 1) for t in result[-1].split()[1:] if "=" in t)
    rate = float(kv["ops_per_sec"])
    table = per_op(before, after, rate * (t1 - t0))
    client = float(kv["client_cpu"]) * 1e6 / rate
    return rate, client, table


def print_table(rate, client, table):
    print("%.0f ops/s; client %.1f us/op" % (rate, client))
    roles = sorted({r for r, _ in table})
    total = 0.0
    for role in roles:
        kinds = {k: v for (r, k), v in table.items() if r == role}
        u = sum(v[0] for v in kinds.values())
        s = sum(v[1] for v in kinds.values())
        total += u + s
        if u + s < 0.05:
            continue
        parts = "  ".join("%s %.1f+%.1f" % (k, v[0], v[1])
                          for k, v in sorted(kinds.items())
                          if v[0] + v[1] >= 0.05)
        print("  %-16s %5.1f us/op (user %.1f, sys %.1f)   %s" % (
            role, u + s, u, s, parts))
    print("  %-16s %5.1f us/op; with the client %.1f" % (
        "corral, all", total, total + client))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--op", default="set")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--depth", type=int, default=16)
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    if args.duration < 2:
        ap.error("--duration must be at least 2 s")
    out = args.outdir or tempfile.mkdtemp(prefix="corral-cpu.")
    os.makedirs(out, exist_ok=True)
    bench = os.path.join(out, "zkbench")
    subprocess.run(["cc", "-O2", "-o", bench,
                    os.path.join(SHARED, "zkbench.c"), "-lzookeeper_mt",
                    "-lpthread"], check=True)
    lc = os.path.join(REPO, "scripts", "local-cluster")
    cdir = os.path.join(out, "corral")
    env = dict(os.environ)
    env.setdefault("CORRAL_BUILD", os.path.join(REPO, "build"))
    env.setdefault("BASEPORT", "32780")
    started = subprocess.run([lc, "start", str(args.nodes), cdir], env=env,
                             capture_output=True, text=True)
    try:
        if started.returncode != 0:
            sys.exit("local-cluster start failed:\n" + started.stderr)
        hosts = started.stdout.split()[-1]
        supervisors = []
        for i in range(1, args.nodes + 1):
            with open(os.path.join(cdir, "node%d" % i, "pid")) as f:
                supervisors.append(int(f.read()))
        for rep in range(args.reps):
            print_table(*run_once(args, hosts, supervisors, bench, rep))
    finally:
        subprocess.run([lc, "stop", cdir], env=env,
                       capture_output=True)


if __name__ == "__main__":
    main()
