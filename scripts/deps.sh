#!/bin/sh
# Install the Debian packages corral needs to build, test and run, when any
# is missing. Idempotent and quiet when everything is there.
set -e
PKGS="build-essential cmake pkg-config libzmq3-dev libnanopb-dev nanopb \
librocksdb-dev libsystemd-dev libcmocka-dev libzookeeper-mt-dev \
python3-kazoo zookeeper default-jre-headless libssl-dev libsasl2-dev \
libsasl2-modules procps iproute2 \
python3-pytest python3-mock python3-objgraph python3-gevent python3-eventlet \
python3-pure-sasl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
