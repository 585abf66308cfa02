#!/bin/sh
# Run the handoff scenario twice with the same seed and run number, and a
# third time with another run number: the first two must record exactly
# the same packet and mobility events, the third must differ.
# Usage: check_reproducible.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

# digest DB: a checksum of every event row, in recording order.
digest() {
	sqlite3 -batch -noheader "$1" "SELECT * FROM packet_events_v ORDER BY rowid;
		SELECT * FROM mobility_events_v ORDER BY rowid" | cksum
}

rm -rf "$dir"
mkdir -p "$dir"
for name in a b; do
	"$scenario" --seed=7 --run=3 --routeOptimization=true --uplinkInterval=100 \
		--output="$dir/$name.db" >/dev/null 2>&1
	expect "exit status of run $name" "$?" 0
done
"$scenario" --seed=7 --run=4 --routeOptimization=true --uplinkInterval=100 \
	--output="$dir/c.db" >/dev/null 2>&1
expect "exit status of run c" "$?" 0

expect "same seed and run give the same events" "$(digest "$dir/a.db")" "$(digest "$dir/b.db")"
if [ "$(digest "$dir/a.db")" != "$(digest "$dir/c.db")" ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL another run number gave the same events"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
