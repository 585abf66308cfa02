#!/bin/sh
# Run the handoff scenario with its movement from an ns-2 mobility trace
# and check that the two handoffs happen where the trace puts the node:
# it leaves x = 0 at 2 s at 10 m/s, so it crosses x = 50 (plus the 5 m
# hysteresis) at 7.25 s, pauses at x = 100 from 12 s to 14 s, and crosses
# x = 152.5 at 19.25 s.  A missing trace file must be rejected by name,
# and an invalid line by its number.
# Usage: check_ns2_trace.sh SCENARIO TRACE OUTDIR
set -u
scenario=$1
trace=$2
dir=$3

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"
"$scenario" --trace="$trace" --output="$dir/trace.db" >"$dir/log" 2>&1
expect "scenario exit status" "$?" 0
# The layer-2 model samples positions every 10 ms and moves only when the
# other access point is nearer by more than the hysteresis, so each change
# comes at most one sample after the crossing.
expect "link down times within one sample of the crossings" "$(sqlite3 -batch -noheader \
	"$dir/trace.db" "SELECT group_concat(ok, ' ') FROM (SELECT time_ns BETWEEN e - 1000000
	 AND e + 10000000 AS ok FROM (SELECT time_ns, CASE WHEN row_number() OVER (ORDER BY time_ns)
	 = 1 THEN 7250000000 ELSE 19250000000 END AS e FROM mobility_event WHERE node = 0 AND kind = 1
	 ORDER BY time_ns))")" "1 1"
expect "accepted registrations" "$(sqlite3 -batch -noheader "$dir/trace.db" \
	"SELECT count(*) FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'ba_received'
	 AND value = 0")" 2

"$scenario" --trace="$dir/no-such-file" --output="$dir/missing.db" >"$dir/log2" 2>&1
expect "exit status with a missing trace" "$?" 2
expect "error names the missing file" "$(grep -c "no-such-file" "$dir/log2")" 1

# ns-3 would skip the negative time without a word and leave the node still.
printf '$node_(0) set X_ 0.0\n$node_(0) set Y_ 0.0\n$ns_ at -2 "$node_(0) setdest 100 0 10"\n' \
	>"$dir/negative-time.ns_movements"
"$scenario" --trace="$dir/negative-time.ns_movements" --output="$dir/invalid.db" >"$dir/log3" 2>&1
expect "exit status with an invalid trace line" "$?" 2
expect "error names the line and the value" \
	"$(grep -c "negative-time.ns_movements:3: invalid time '-2'" "$dir/log3")" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
