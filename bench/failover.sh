#!/usr/bin/env bash
# failover.sh -- leader failover, corral vs Apache ZooKeeper, 3 nodes each,
# same machine, same probe: ../shared/bench/zkprobe.py failover (kill -9 of
# the leader until a setData through an already connected kazoo client
# succeeds), run alternately against both, REPS times each.
#
#   bench/failover.sh [OUTDIR]
#
# zkprobe drives a cluster through zk-ensemble.sh next to it; for corral it
# gets a copy of itself next to a shim of that name over scripts/local-cluster.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared/bench}
if [ ! -f "$SHARED/zkprobe.py" ]; then
	# a clone outside the team's tree has no ../shared next to it
	echo "failover.sh: no zkprobe.py in $SHARED; set SHARED to the shared bench folder" >&2
	exit 2
fi
BUILD=${BUILD:-$REPO/build}
OUT=${1:-$(mktemp -d /tmp/corral-failover.XXXXXX)}
REPS=${REPS:-3}
mkdir -p "$OUT/shim"
cp "$SHARED/zkprobe.py" "$OUT/shim/zkprobe.py"
cat > "$OUT/shim/zk-ensemble.sh" <<SHIM
#!/usr/bin/env bash
# zk-ensemble.sh's interface over corral's scripts/local-cluster (for zkprobe)
set -euo pipefail
LC="$REPO/scripts/local-cluster"
export CORRAL_BUILD="$BUILD"
cmd=\$1; dir=\$2
case \$cmd in
hosts) "\$LC" hosts "\$dir" ;;
pid) cat "\$dir/node\$3/pid" ;;
restart) "\$LC" restart "\$3" "\$dir" >/dev/null 2>&1 ;;
leader)
	for f in "\$dir"/node*/zoo.cfg; do
		i=\${f%/zoo.cfg}; i=\${i##*node}
		port=\$(sed -n 's/^clientPort=//p' "\$f")
		if exec 3<>/dev/tcp/127.0.0.1/\$port 2>/dev/null; then
			printf srvr >&3
			if grep -q "Mode: leader" <&3; then echo "\$i"; exit 0; fi
		fi
	done
	exit 1 ;;
*) echo "shim: unsupported \$cmd" >&2; exit 2 ;;
esac
SHIM
chmod +x "$OUT/shim/zk-ensemble.sh"

"$SHARED/zk-ensemble.sh" start "$OUT/zk" 3 35000 >/dev/null
CORRAL_BUILD=$BUILD BASEPORT=35300 "$REPO/scripts/local-cluster" start 3 \
    "$OUT/corral" >/dev/null
trap '"$REPO/scripts/local-cluster" stop "$OUT/corral" >/dev/null 2>&1 || true;
    "$SHARED/zk-ensemble.sh" stop "$OUT/zk" >/dev/null 2>&1 || true' EXIT
for rep in $(seq 1 "$REPS"); do
	/usr/bin/python3 "$SHARED/zkprobe.py" failover --dir "$OUT/zk" --reps 1 \
	    2>/dev/null | grep '^FAILOVER ' | sed 's/^/zookeeper /' | tee -a "$OUT/failover.txt"
	/usr/bin/python3 "$OUT/shim/zkprobe.py" failover --dir "$OUT/corral" \
	    --reps 1 2>/dev/null | grep '^FAILOVER ' | sed 's/^/corral /' | tee -a "$OUT/failover.txt"
done
for t in zookeeper corral; do
	grep "^$t " "$OUT/failover.txt" | sed 's/.*write_recovery_ms=\([0-9.]*\).*/\1/' |
	    sort -n | awk -v t=$t '{v[NR]=$1} END {printf "%s failover ms: min %s median %s max %s\n", t, v[1], v[int((NR+1)/2)], v[NR]}'
done | tee "$OUT/summary.txt"
