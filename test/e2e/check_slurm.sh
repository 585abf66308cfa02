#!/bin/sh
# Run a campaign as a Slurm job array on a single-node cluster started
# for this test by scripts/slurm-cluster.sh in a temporary folder:
# - the cluster starts, and slurmctld and slurmd listen on 127.0.0.1 only;
# - scripts/campaign-slurm.sh runs a 4-run campaign through
#   campaign_test_double.sh (a stand-in for mip6sec-campaign) and exits 0;
# - each of the 4 runs wrote a database whose run status is 'complete',
#   and the 4 runs used 4 different RngRun values (param 'run');
# - in a 3-run campaign whose index 1 gets an unknown option,
#   campaign-slurm.sh exits non-zero and names index 1 and no other;
# - stop shuts every daemon down and is safe to call a second time.
# The cluster is stopped on every exit.
# Usage: check_slurm.sh HANDOFF OUTDIR
# Exits 77 (skipped) when not root or when a Slurm or munge package is
# missing.
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 HANDOFF OUTDIR" >&2
	exit 2
fi
handoff=$1
dir=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
cluster_script=$source_dir/scripts/slurm-cluster.sh

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir" || exit 1

# A cluster left behind by a killed earlier run keeps the Slurm ports busy.
pointer=$(dirname "$dir")/slurm-cluster-state
if [ -s "$pointer" ]; then
	sh "$cluster_script" stop "$(cat "$pointer")"
	rm -rf "$(cat "$pointer")"
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/mip6sec-slurm.XXXXXX") || exit 1
echo "$state" >"$pointer"
# munged runs as user munge and must reach the state folder.
chmod 0755 "$state"

cleanup() {
	sh "$cluster_script" stop "$state/cluster"
	rm -rf "$state" "$pointer"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Another build directory may run this test at the same time, so take
# the first pair of free ports from the Slurm defaults 6817 and 6818 up.
port_in_use() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
base=6817
while port_in_use "$base" || port_in_use $((base + 1)); do
	base=$((base + 2))
	if [ "$base" -gt 6857 ]; then
		echo "FAIL no free pair of TCP ports from 6817 to 6858"
		exit 1
	fi
done
export SLURM_CLUSTER_CTLD_PORT=$base SLURM_CLUSTER_SLURMD_PORT=$((base + 1))

start_ms=$(date +%s%3N)
sh "$cluster_script" start "$state/cluster" >"$dir/start.out" 2>"$dir/start.err"
start_status=$?
if [ "$start_status" -eq 3 ] || [ "$start_status" -eq 4 ]; then
	echo "SKIP: the Slurm test cluster cannot start here:"
	cat "$dir/start.err"
	exit 77
fi
if [ "$start_status" -ne 0 ]; then
	echo "FAIL slurm-cluster.sh start exited with $start_status:"
	cat "$dir/start.err"
	exit 1
fi
echo "cluster started in $(($(date +%s%3N) - start_ms)) ms on ports $base and $((base + 1))"
expect "start prints SLURM_CONF" "$(cat "$dir/start.out")" \
	"export SLURM_CONF=$state/cluster/slurm.conf"
eval "$(cat "$dir/start.out")"

# Loopback only: every listening socket of the daemons is on 127.0.0.1.
for daemon in slurmctld slurmd; do
	pid=$(cat "$state/cluster/run/$daemon.pid")
	addresses=$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' |
		sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
	expect "$daemon listens on" "$addresses" "127.0.0.1 "
done

export MIP6SEC_CAMPAIGN="$source_dir/test/e2e/campaign_test_double.sh"
export MIP6SEC_HANDOFF="$handoff"

# A campaign of 4 runs with the double's default options.
printf '\n\n\n\n' >"$dir/good.campaign"
sh "$source_dir/scripts/campaign-slurm.sh" "$dir/good.campaign" "$dir/good" \
	--time=5 >"$dir/good.out" 2>&1
expect "4-run campaign exit status" "$?" 0
rng_runs=""
for index in 0 1 2 3; do
	db=$dir/good/$index.db
	if [ ! -f "$db" ]; then
		failed=$((failed + 1))
		echo "FAIL run $index: no database $db"
		continue
	fi
	expect "run $index status" "$(sqlite3 "$db" 'SELECT status FROM run')" complete
	rng_runs="$rng_runs $(sqlite3 "$db" "SELECT value FROM param WHERE name = 'run'")"
done
expect "distinct RngRun values" \
	"$(echo "$rng_runs" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" 4

# A campaign of 3 runs in which index 1 fails on an unknown option.
printf '\n--noSuchOption=1\n\n' >"$dir/bad.campaign"
sh "$source_dir/scripts/campaign-slurm.sh" "$dir/bad.campaign" "$dir/bad" \
	>"$dir/bad.out" 2>&1
bad_status=$?
if [ "$bad_status" -eq 0 ]; then
	failed=$((failed + 1))
	echo "FAIL campaign with a failing run exited 0"
fi
expect "failed indices named" \
	"$(sed -n 's/.*indices: \([0-9 ]*\) (from.*/\1/p' "$dir/bad.out")" 1
for index in 0 2; do
	expect "run $index beside the failing one" \
		"$(sqlite3 "$dir/bad/$index.db" 'SELECT status FROM run' 2>&1)" complete
done

sh "$cluster_script" stop "$state/cluster"
expect "first stop exit status" "$?" 0
for file in run/slurmctld.pid run/slurmd.pid munge/munged.pid; do
	pid=$(cat "$state/cluster/$file" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		failed=$((failed + 1))
		echo "FAIL $file: process $pid still runs after stop"
	fi
done
sh "$cluster_script" stop "$state/cluster"
expect "second stop exit status" "$?" 0

if [ "$failed" -ne 0 ]; then
	echo "campaign outputs: $dir/good.out $dir/bad.out"
fi
echo "slurm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
