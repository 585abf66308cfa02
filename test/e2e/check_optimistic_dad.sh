#!/bin/sh
# Check optimistic duplicate address detection (RFC 4429) of the mobile
# node's care-of address in real ns-3, from the events each run recorded:
#
# - with --optimisticDad=true the node records coa_optimistic and sends
#   its BU at the movement, and the registration completes within 100 ms
#   of it, not one DAD time (1 s) later;
# - the BA and the first tunnelled data reach the care-of address before
#   its DAD ends, so ns-3.37 sends from and delivers to a tentative
#   address;
# - coa_dad_done reports a unique address one DAD time after the movement,
#   1.0-1.1 s after the link came up;
# - mip6sec-analysis finds both handoffs and a latency under 100 ms;
# - the default run still waits for DAD: coa_ready 1 s after each
#   movement, no optimistic events, and latencies of about 1.04 s.
#
# Usage: check_optimistic_dad.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

# The first event of kind $1 at the mobile node (node 0) after movement m.
first_after_movement() {
	echo "(SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = $1
		AND time_ns >= m.time_ns AND time_ns < coalesce((SELECT min(time_ns)
		FROM mobility_event WHERE node = 0 AND kind = 3 AND time_ns > m.time_ns), 1e18))"
}

# Latencies (seconds) that mip6sec-analysis --csv reports for node 0.
latencies() {
	"$analysis" --csv "$1" | awk -F, '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "latency_s") col = i; next }
		$1 == 0 { printf "%s%s", sep, $col; sep = "," }'
}

rm -rf "$dir"
mkdir -p "$dir"

# ---- optimistic run ----

opt="$dir/optimistic.db"
"$scenario" --optimisticDad=true --output="$opt" >/dev/null 2>&1
expect "exit status with --optimisticDad=true" "$?" 0
expect "optimistic_dad parameter recorded" \
	"$(query "$opt" "SELECT value FROM param WHERE name = 'optimisticDad'")" "true"
expect "movements of the mobile node" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 3")" 2
expect "no coa_ready with optimistic DAD" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 4")" 0

# Kind 53 coa_optimistic, 5 bu_sent, 14 registered, 54 coa_dad_done.
expect "care-of address used within 1 ms of each movement (ms)" \
	"$(query "$opt" "SELECT group_concat(round(($(first_after_movement 53) - m.time_ns) / 1e6), ',')
		FROM mobility_event m WHERE m.node = 0 AND m.kind = 3")" "0.0,0.0"
expect "BU sent within 1 ms of each movement (ms)" \
	"$(query "$opt" "SELECT group_concat(round(($(first_after_movement 5) - m.time_ns) / 1e6), ',')
		FROM mobility_event m WHERE m.node = 0 AND m.kind = 3")" "0.0,0.0"
expect "registrations within 100 ms of their movement" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event m WHERE m.node = 0 AND m.kind = 3
		AND $(first_after_movement 14) - m.time_ns < 100000000")" 2

expect "DAD of each care-of address ended unique" \
	"$(query "$opt" "SELECT group_concat(value, ',') FROM mobility_event
		WHERE node = 0 AND kind = 54 ORDER BY time_ns")" "0,0"
expect "DAD ended 1 s after each movement (ms)" \
	"$(query "$opt" "SELECT group_concat(round(($(first_after_movement 54) - m.time_ns) / 1e6), ',')
		FROM mobility_event m WHERE m.node = 0 AND m.kind = 3")" "1000.0,1000.0"
expect "DAD ended 1.0-1.1 s after each link up" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event d WHERE d.node = 0 AND d.kind = 54
		AND d.time_ns - (SELECT max(time_ns) FROM mobility_event WHERE node = 0 AND kind = 2
		AND time_ns < d.time_ns) BETWEEN 1000000000 AND 1100000000")" 2

# The BA (kind 6) and the correspondent's UDP decapsulated at the mobile
# node (packet kind 8) arrive on the care-of address while it is tentative.
expect "BAs received before DAD ended" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event d WHERE d.node = 0 AND d.kind = 54
		AND EXISTS (SELECT 1 FROM mobility_event b WHERE b.node = 0 AND b.kind = 6
		AND b.value = 0 AND b.address = d.address AND b.time_ns < d.time_ns
		AND b.time_ns > d.time_ns - 1000000000)")" 2
expect "care-of addresses with data before DAD ended" \
	"$(query "$opt" "SELECT count(*) FROM mobility_event d WHERE d.node = 0 AND d.kind = 54
		AND EXISTS (SELECT 1 FROM packet_event p WHERE p.node = 0 AND p.kind = 8
		AND p.inner_protocol = 17 AND p.dst = d.address AND p.time_ns < d.time_ns
		AND p.time_ns > d.time_ns - 1000000000)")" 2
expect "handoff latencies under 100 ms in mip6sec-analysis" \
	"$(latencies "$opt" | awk -F, '{ for (i = 1; i <= NF; i++) if ($i != "" && $i < 0.1) n++; print n + 0 }')" 2

# ---- default run ----

def="$dir/default.db"
"$scenario" --output="$def" >/dev/null 2>&1
expect "exit status of the default run" "$?" 0
expect "no optimistic events by default" \
	"$(query "$def" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind IN (53, 54)")" 0
expect "default care-of addresses ready 1 s after movement (ms)" \
	"$(query "$def" "SELECT group_concat(round(($(first_after_movement 4) - m.time_ns) / 1e6), ',')
		FROM mobility_event m WHERE m.node = 0 AND m.kind = 3")" "1000.0,1000.0"
expect "default BUs sent after DAD (ms after movement)" \
	"$(query "$def" "SELECT group_concat(round(($(first_after_movement 5) - m.time_ns) / 1e6), ',')
		FROM mobility_event m WHERE m.node = 0 AND m.kind = 3")" "1000.0,1000.0"
expect "default handoff latencies (s)" "$(latencies "$def")" "1.040,1.080"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
