#!/usr/bin/env bash
# compare.sh -- corral vs Apache ZooKeeper, same shape (standalone or an
# N-node ensemble on loopback), same machine, same client (zkbench), same
# run: each workload runs alternately against both (A B A B ...), REPS
# times, and the median ratio is reported.
#
#   bench/compare.sh [OUTDIR]
#
# Environment: NODES (1), REPS (3), DURATION (10 s), WARMUP (2 s),
# CLIENTS (32), DEPTH (16), OPS ("create set get mixed"), BUILD (build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared/bench}
if [ ! -f "$SHARED/zkbench.c" ]; then
	# a clone outside the team's tree has no ../shared next to it
	echo "compare.sh: no zkbench.c in $SHARED; set SHARED to the shared bench folder" >&2
	exit 2
fi
BUILD=${BUILD:-$REPO/build}
OUT=${1:-$(mktemp -d /tmp/corral-bench.XXXXXX)}
REPS=${REPS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-32}; DEPTH=${DEPTH:-16}
OPS=${OPS:-create set get mixed}
NODES=${NODES:-1}
ZKBASE=${ZKBASE:-32180}; CBASE=${CBASE:-32480}
mkdir -p "$OUT"
BENCH=$OUT/zkbench
cc -O2 -o "$BENCH" "$SHARED/zkbench.c" -lzookeeper_mt -lpthread

# Apache ZooKeeper
ZKHOSTS=$("$SHARED/zk-ensemble.sh" start "$OUT/zk" "$NODES" "$ZKBASE" | tail -1)
# corral, the same shape
if [ "$NODES" = 1 ]; then
	mkdir -p "$OUT/corral/data"
	cat > "$OUT/corral/zoo.cfg" <<CFG
tickTime=2000
dataDir=$OUT/corral/data
clientPort=$((CBASE + 1))
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
metricsProvider.httpPort=0
CFG
	"$BUILD/bin/corral" --config "$OUT/corral/zoo.cfg" \
	    >"$OUT/corral/corral.log" 2>&1 &
	CPID=$!
	CHOSTS=127.0.0.1:$((CBASE + 1))
else
	CHOSTS=$(CORRAL_BUILD=$BUILD BASEPORT=$CBASE \
	    "$REPO/scripts/local-cluster" start "$NODES" "$OUT/corral" | tail -1)
fi
cleanup() {
	if [ "$NODES" = 1 ]; then
		kill "$CPID" 2>/dev/null || true
		wait "$CPID" 2>/dev/null || true
	else
		"$REPO/scripts/local-cluster" stop "$OUT/corral" >/dev/null 2>&1 || true
	fi
	"$SHARED/zk-ensemble.sh" stop "$OUT/zk" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for i in $(seq 1 100); do
	# stderr first: a refused connect while corral starts is expected
	if [ "$(exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/$((CBASE + 1)) &&
	    printf ruok >&3 && cat <&3)" = imok ]; then
		break
	fi
	sleep 0.1
done

run() { # target hosts op
	local t=$1 hosts=$2 op=$3 extra=""
	[ "$op" = mixed ] && extra="--read-ratio 0.9 --keys 10000"
	"$BENCH" --hosts "$hosts" --clients "$CLIENTS" --depth "$DEPTH" \
	    --op "$op" --size 100 --duration "$DURATION" --warmup "$WARMUP" \
	    --root "/bench-$op" $extra 2>/dev/null | grep '^RESULT' |
	    sed "s/^/$t\t$op\t$(cut -d' ' -f1 /proc/loadavg)\t/"
}
: > "$OUT/results.tsv"
for rep in $(seq 1 "$REPS"); do
	for op in $OPS; do
		run zookeeper "$ZKHOSTS" "$op" >> "$OUT/results.tsv"
		run corral "$CHOSTS" "$op" >> "$OUT/results.tsv"
	done
done
# unloaded latency: one client, one request in flight
for rep in $(seq 1 "$REPS"); do
	for op in create get; do
		CLIENTS=1 DEPTH=1 run zookeeper "$ZKHOSTS" "$op" | sed "s/\t$op\t/\t$op-c1d1\t/" >> "$OUT/results.tsv"
		CLIENTS=1 DEPTH=1 run corral "$CHOSTS" "$op" | sed "s/\t$op\t/\t$op-c1d1\t/" >> "$OUT/results.tsv"
	done
done
zkrss=0; crss=0
for i in $(seq 1 "$NODES"); do
	p=$("$SHARED/zk-ensemble.sh" pid "$OUT/zk" "$i")
	zkrss=$((zkrss + $(ps -o rss= -p "$p")))
done
for p in $(pgrep -f "corral --config $OUT/corral"); do
	crss=$((crss + $(ps -o rss= -p "$p" --ppid "$p" | awk '{s+=$1} END {print s}')))
done
echo "RSS after the runs (all nodes, all processes): zookeeper $zkrss kB, corral $crss kB" |
    tee "$OUT/rss.txt"
/usr/bin/python3 "$HERE/ratios.py" "$OUT/results.tsv" | tee "$OUT/ratios.md"
