#!/usr/bin/env bash
# run-standalone.sh BUILD_DIR -- what `make run` calls: one standalone corral
# node on 127.0.0.1:2181 in the foreground (Ctrl-C stops it).
#
# Layout: ROOT=$CORRAL_DATA if set, else ./var/standalone; ROOT/zoo.cfg
# (rewritten on every run), ROOT/data (dataDir, kept across runs).
# Environment: CORRAL_DATA, CORRAL_PORT (default 2181),
# CORRAL_METRICS_PORT (default 7000).
set -euo pipefail

PROG=$(basename "$0")
die() { echo "$PROG: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $PROG BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" 2>/dev/null && pwd -P) || die "no such build dir: $1"
CORRAL="$BUILD/bin/corral"
[ -x "$CORRAL" ] || die "$CORRAL not found; run 'make build' first"

ROOT=${CORRAL_DATA:-./var/standalone}
PORT=${CORRAL_PORT:-2181}
METRICS_PORT=${CORRAL_METRICS_PORT:-7000}
mkdir -p "$ROOT/data"
ROOT=$(cd "$ROOT" && pwd -P)
DATA="$ROOT/data"
CFG="$ROOT/zoo.cfg"

cat >"$CFG" <<CFG
# written by scripts/run-standalone.sh
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$DATA
clientPort=$PORT
clientPortAddress=127.0.0.1
maxClientCnxns=60
4lw.commands.whitelist=*
metricsProvider.httpPort=$METRICS_PORT
CFG

cat >&2 <<MSG
corral standalone: 127.0.0.1:$PORT  data: $DATA  config: $CFG
  connect:  /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$PORT
            $BUILD/bin/corralctl (if built)
  check:    echo ruok | nc 127.0.0.1 $PORT
  metrics:  curl http://127.0.0.1:$METRICS_PORT/metrics
MSG

exec "$CORRAL" --config "$CFG"
