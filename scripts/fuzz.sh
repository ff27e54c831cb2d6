#!/bin/sh
# Build the libFuzzer targets of tests/fuzz with clang and run each one.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 10: the short run ctest does under the label
# "fuzz"); the long run is `scripts/fuzz.sh 60`. TARGETs default to all of
# them. Every target first replays tests/fuzz/corpus-regressions/<target>/
# (inputs that once crashed), then fuzzes from tests/fuzz/corpus/<target>/
# plus what earlier runs found (build-fuzz/corpus/<target>/, not committed).
# Exits 1 on a finding and prints the crash file; reproduce it with
#   build-fuzz/<target> <crash file>
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (make -j).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-10}
[ $# -gt 0 ] && shift
TARGETS=${*:-"fuzz_jute fuzz_sm fuzz_sm_load fuzz_config fuzz_membership fuzz_peer fuzz_cmd"}
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
JOBS=${FUZZ_JOBS:-$(nproc)}

case $SECS in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# clang and its libFuzzer runtime, installed only when missing.
have_libfuzzer() {
	command -v clang >/dev/null 2>&1 &&
	    [ -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] ||
	    [ -f "$(clang -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer.a" ]
}
if ! have_libfuzzer; then
	if [ "$(id -u)" != 0 ]; then
		echo "fuzz: clang with libFuzzer is missing; as root:" \
		    "apt-get install -y clang libclang-rt-dev" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends clang
	have_libfuzzer || apt-get install -y -qq --no-install-recommends \
	    "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi

# Configure and build under a lock: two runs at once share the build.
mkdir -p "$BUILD"
(
	flock 9
	if [ ! -f "$BUILD/CMakeCache.txt" ]; then
		cmake -S "$ROOT/tests/fuzz" -B "$BUILD" \
		    -DCMAKE_C_COMPILER=clang \
		    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	fi
	cmake --build "$BUILD" -j "$JOBS" >/dev/null ||
		cmake --build "$BUILD" -j 1	# again, to show the error alone
) 9>"$BUILD/.lock"

status=0
for t in $TARGETS; do
	bin=$BUILD/$t
	seeds=$ROOT/tests/fuzz/corpus/$t
	regress=$ROOT/tests/fuzz/corpus-regressions/$t
	work=$BUILD/corpus/$t
	art=$BUILD/artifacts/$t
	log=$BUILD/logs/$t.log
	if [ ! -x "$bin" ]; then
		echo "fuzz: no target $t" >&2
		exit 2
	fi
	mkdir -p "$work" "$art" "$(dirname "$log")"
	rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*
	dirs="$work $seeds"
	[ -d "$regress" ] && dirs="$dirs $regress"
	dict=
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=-dict=$ROOT/tests/fuzz/$t.dict
	# shellcheck disable=SC2086
	if "$bin" $dirs $dict -max_len=65536 -max_total_time="$SECS" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$art/" >"$log" 2>&1; then
		stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
		execs=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' \
		    "$log")
		echo "fuzz: $t ok: ${stats#*DONE } (avg exec/s: ${execs:-?})"
		continue
	fi
	status=1
	echo "fuzz: $t FOUND A BUG (log: $log)"
	grep -E 'ERROR:|runtime error|Assertion|SUMMARY' "$log" | head -5
	for f in "$art"/*; do
		[ -f "$f" ] || continue
		echo "fuzz: $t crash file: $f (reproduce: $bin $f)"
		od -A d -t x1 "$f" | head -20
	done
done
exit $status
