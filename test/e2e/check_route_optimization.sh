#!/bin/sh
# Run the handoff scenario with route optimization in real ns-3 and check
# its database: after each home registration the mobile node completes
# return routability (HoTI/HoT through the home agent, CoTI/CoT direct)
# and a correspondent registration, then data flows directly between
# correspondent and mobile node in both directions, with a type 2 routing
# header towards the mobile node.
# Usage: check_route_optimization.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

query() {
	sqlite3 -batch -noheader "$dir/ro.db" "$1"
}

rm -rf "$dir"
mkdir -p "$dir"
"$scenario" --routeOptimization=true --uplinkInterval=100 --output="$dir/ro.db" >"$dir/log" 2>&1
expect "scenario exit status" "$?" 0

for kind in hoti_sent coti_sent hot_received cot_received cn_bu_sent; do
	expect "$kind events at the mobile node" "$(query "SELECT count(*) FROM mobility_events_v
		WHERE node_name = 'mn' AND kind = '$kind'")" 2
done
expect "correspondent BAs accepted" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'cn_ba_received' AND value = 0")" 2
expect "HoTIs the correspondent got from the home address" "$(query "SELECT count(*)
	FROM mobility_events_v WHERE node_name = 'cn' AND kind = 'hoti_received'
	AND address = (SELECT address FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'returned_home' UNION SELECT hoa FROM packet_events_v WHERE node_name = 'mn'
	AND hoa IS NOT NULL LIMIT 1)")" 2

# After each correspondent BA, data reaches the mobile node directly (type 2
# routing header to the care-of address) within 1 s.
for ba in $(query "SELECT time_ns FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'cn_ba_received' AND value = 0 ORDER BY time_ns"); do
	expect_at_least "route-optimized UDP after the correspondent BA at $ba ns" "$(query "SELECT
		count(*) FROM packet_events_v WHERE node_name = 'mn' AND kind = 'receive'
		AND rh2 IS NOT NULL AND protocol = 17 AND time_ns > $ba AND time_ns < $ba + 1000000000")" \
		50
done
expect "route-optimized UDP from another source than the correspondent" "$(query "SELECT
	count(*) FROM packet_events_v WHERE node_name = 'mn' AND kind = 'receive' AND rh2 IS NOT NULL
	AND src <> '2001:1:0:100::2'")" 0
expect_at_least "uplink UDP from the home address delivered at the correspondent" "$(query "SELECT
	count(*) FROM packet_events_v WHERE node_name = 'cn' AND kind = 'deliver' AND protocol = 17")" \
	200
expect "tunnelled UDP at the mobile node once optimized" "$(query "SELECT count(*)
	FROM packet_event WHERE node = 0 AND kind = 8 AND inner_protocol = 17 AND time_ns > (SELECT
	min(time_ns) FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'cn_ba_received') +
	100000000 AND time_ns < 15000000000")" 0
expect "model drops" "$(query "SELECT count(*) FROM packet_events_v WHERE node_name IN
	('mn', 'ha', 'cn') AND kind = 'drop' AND drop_reason NOT IN ('not_tunnelled', 'not_away')")" 0

out=$("$analysis" --csv "$dir/ro.db")
expect "handoffs with a latency in the analysis" "$(printf '%s\n' "$out" |
	awk -F, 'NR > 1 && $0 != "" && $12 != "" { n++ } END { print n + 0 }')" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
