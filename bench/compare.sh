#!/usr/bin/env bash
# compare-standalone.sh -- corral vs Apache ZooKeeper, standalone, same
# machine, same client (zkbench), same run: each workload runs alternately
# against both (A B A B ...), REPS times, and the median ratio is reported.
#
#   bench/compare-standalone.sh [OUTDIR]
#
# Environment: REPS (3), DURATION (10 s), WARMUP (2 s), CLIENTS (32),
# DEPTH (16), OPS ("create set get mixed"), BUILD (build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared/bench}
BUILD=${BUILD:-$REPO/build}
OUT=${1:-$(mktemp -d /tmp/corral-bench.XXXXXX)}
REPS=${REPS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-32}; DEPTH=${DEPTH:-16}
OPS=${OPS:-create set get mixed}
ZKPORT=${ZKPORT:-32181}; CPORT=${CPORT:-32281}
mkdir -p "$OUT"
BENCH=$OUT/zkbench
cc -O2 -o "$BENCH" "$SHARED/zkbench.c" -lzookeeper_mt -lpthread

# ZooKeeper standalone
"$SHARED/zk-ensemble.sh" start "$OUT/zk" 1 $((ZKPORT - 1)) >/dev/null
# corral standalone
mkdir -p "$OUT/corral/data"
cat > "$OUT/corral/zoo.cfg" <<CFG
tickTime=2000
dataDir=$OUT/corral/data
clientPort=$CPORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
metricsProvider.httpPort=0
CFG
"$BUILD/bin/corral" --config "$OUT/corral/zoo.cfg" >"$OUT/corral/corral.log" 2>&1 &
CPID=$!
cleanup() {
	kill "$CPID" 2>/dev/null || true
	wait "$CPID" 2>/dev/null || true
	"$SHARED/zk-ensemble.sh" stop "$OUT/zk" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for i in $(seq 1 100); do
	if [ "$(exec 3<>/dev/tcp/127.0.0.1/$CPORT && printf ruok >&3 && cat <&3)" = imok ]; then
		break
	fi
	sleep 0.1
done

run() { # target port op
	local t=$1 port=$2 op=$3 extra=""
	[ "$op" = mixed ] && extra="--read-ratio 0.9 --keys 10000"
	"$BENCH" --hosts 127.0.0.1:$port --clients "$CLIENTS" --depth "$DEPTH" \
	    --op "$op" --size 100 --duration "$DURATION" --warmup "$WARMUP" \
	    --root "/bench-$op" $extra 2>/dev/null | grep '^RESULT' |
	    sed "s/^/$t\t$op\t$(cut -d' ' -f1 /proc/loadavg)\t/"
}
: > "$OUT/results.tsv"
for rep in $(seq 1 "$REPS"); do
	for op in $OPS; do
		run zookeeper $ZKPORT "$op" >> "$OUT/results.tsv"
		run corral $CPORT "$op" >> "$OUT/results.tsv"
	done
done
# unloaded latency: one client, one request in flight
for rep in $(seq 1 "$REPS"); do
	for op in create get; do
		CLIENTS=1 DEPTH=1 run zookeeper $ZKPORT "$op" | sed "s/\t$op\t/\t$op-c1d1\t/" >> "$OUT/results.tsv"
		CLIENTS=1 DEPTH=1 run corral $CPORT "$op" | sed "s/\t$op\t/\t$op-c1d1\t/" >> "$OUT/results.tsv"
	done
done
ZKPID=$("$SHARED/zk-ensemble.sh" pid "$OUT/zk" 1)
echo "RSS after the runs: zookeeper $(ps -o rss= -p "$ZKPID") kB," \
    "corral $(ps -o rss= --ppid "$CPID" -p "$CPID" | awk '{s+=$1} END {print s}') kB (all processes)" \
    | tee "$OUT/rss.txt"
/usr/bin/python3 "$HERE/ratios.py" "$OUT/results.tsv" | tee "$OUT/ratios.md"
