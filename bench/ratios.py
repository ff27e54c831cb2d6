#!/usr/bin/python3
"""ratios.py RESULTS.TSV: median ops/s and p99 per (op, target), and the
ratio corral / zookeeper, as a markdown table."""
import statistics
import sys


def main():
    rows = {}
    for line in open(sys.argv[1]):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        target, op, _load, res = parts[:4]
        kv = dict(t.split("=", 1) for t in res.split()[1:] if "=" in t)
        rows.setdefault((op, target), []).append(kv)
    ops = sorted({op for op, _ in rows}, key=lambda o: (("c1d1" in o), o))
    print("| op | zookeeper ops/s | corral ops/s | ratio | zk p99 ms | corral p99 ms | p99 ratio | zk p50 us | corral p50 us |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op in ops:
        z = rows.get((op, "zookeeper"), [])
        c = rows.get((op, "corral"), [])
        if not z or not c:
            continue
        med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
        zo, co = med(z, "ops_per_sec"), med(c, "ops_per_sec")
        zp, cp = med(z, "p99_us"), med(c, "p99_us")
        print("| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f | %.0f | %.0f |" % (
            op, zo, co, co / zo, zp / 1000, cp / 1000, cp / zp,
            med(z, "p50_us"), med(c, "p50_us")))


if __name__ == "__main__":
    main()
