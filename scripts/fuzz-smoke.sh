#!/bin/sh
# Build the libFuzzer targets with clang in build-fuzz/ and fuzz each one
# for a bounded time, starting from its seed corpus in fuzz/corpus/.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default 15)
#
# Targets run as many at a time as there are CPUs.  New inputs go to
# build-fuzz/fuzz-corpus/<target>/, so the committed corpus never
# changes; logs and crashing inputs go to build-fuzz/fuzz-logs/.  Prints
# one summary line per target and exits 1 when any target found a crash,
# a leak or a sanitizer error.  Needs clang with libFuzzer (Debian
# package clang).
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-15}
case $seconds in
'' | *[!0-9]*)
	echo "fuzz-smoke: invalid time '$seconds': give whole seconds per target" >&2
	exit 2
	;;
esac
build="build-fuzz"
logs=$build/fuzz-logs
jobs=$(nproc 2>/dev/null || echo 2)

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz-smoke: clang not found; install the Debian package clang" >&2
	exit 2
fi

echo "== building the fuzz targets with clang in $build/"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIP6SEC_WITH_NS3=OFF \
	-DMIP6SEC_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
# The configure step writes MIP6SEC_FUZZ_TARGETS, ';'-separated.
targets=$(tr ';' ' ' <"$build/fuzz-targets.txt")
build_targets=""
for t in $targets; do
	build_targets="$build_targets fuzz_$t"
done
# shellcheck disable=SC2086 # one word per target
cmake --build "$build" -j "$jobs" --target $build_targets >/dev/null

rm -rf "$logs"
mkdir -p "$logs"

# Fuzz one target in the background; its exit status goes to $logs/<t>.status.
start() {
	t=$1
	mkdir -p "$build/fuzz-corpus/$t"
	# cmdline_parse prints help and errors for most inputs.
	quiet=""
	if [ "$t" = cmdline ]; then
		quiet="-close_fd_mask=3"
	fi
	(
		status=0
		"$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
			-artifact_prefix="$logs/$t-" $quiet \
			"$build/fuzz-corpus/$t" "fuzz/corpus/$t" >"$logs/$t.log" 2>&1 || status=$?
		echo "$status" >"$logs/$t.status"
	) &
}

# Print the summary line of one finished target; returns 1 on a failure.
summarize() {
	t=$1
	log=$logs/$t.log
	status=$(cat "$logs/$t.status" 2>/dev/null || echo 255)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(sed -n 's/.*DONE *cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p' "$log")
	if [ "$status" -eq 0 ]; then
		printf 'fuzz_%-13s ok      %s runs, %s/s, %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}"
		return 0
	fi
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
	reason=$(grep -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|oracle failed' "$log" || true)
	printf 'fuzz_%-13s FAILED  exit %s: %s\n' "$t" "$status" "${reason:-see $log}"
	printf '                   input: %s, log: %s\n' "${artifact:-none saved}" "$log"
	return 1
}

echo "== fuzzing each target for $seconds s, $jobs at a time"
failed=0
running=""
count=0
for t in $targets; do
	start "$t"
	running="$running $t"
	count=$((count + 1))
	if [ "$count" -ge "$jobs" ]; then
		wait
		for r in $running; do
			summarize "$r" || failed=1
		done
		running=""
		count=0
	fi
done
wait
for r in $running; do
	summarize "$r" || failed=1
done

if [ "$failed" -ne 0 ]; then
	echo "fuzz-smoke: FAILED; replay an input with $build/fuzz_<target> INPUT" >&2
	exit 1
fi
echo "fuzz-smoke: all targets ran ${seconds} s without a failure"
