#!/bin/sh
# Drive the mobile node along a road of four access routers and check
# that it registers once on each foreign link, in order, that UDP reaches
# it again after every handoff, and that each handoff costs one DAD time
# plus movement detection.  Then the same road of three access points
# with WiFi: the station associates with each access router in turn.
# Usage: check_road.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

query() {
	sqlite3 -batch -noheader "$dir/$1" "$2"
}

rm -rf "$dir"
mkdir -p "$dir"

# 10 m/s past access points 100 m apart: one handoff every 10 s.
"$scenario" --accessRouters=4 --duration=45 --output="$dir/road.db" >"$dir/road.log" 2>&1
expect "scenario exit status" "$?" 0
expect "access routers named in the node table" "$(query road.db "SELECT group_concat(name, ' ')
	FROM (SELECT name FROM node WHERE name LIKE 'ar%' ORDER BY id)")" "ar1 ar2 ar3 ar4"
expect "care-of addresses registered, in order" "$(query road.db "SELECT group_concat(p, ' ')
	FROM (SELECT substr(address, 1, 11) AS p FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'registered' ORDER BY time_ns)")" \
	"2001:1:0:2: 2001:1:0:3: 2001:1:0:4: 2001:1:0:5:"
expect "BAs that did not accept" "$(query road.db "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'ba_received' AND value <> 0")" 0
# Each handoff: from link up, movement detection (RAs every 30-70 ms) plus 1 s of DAD
# plus BU to BA over the backbone, so 1.0 s to 1.2 s in all.
expect "handoffs from link up to registration in [1.0 s, 1.2 s]" "$(query road.db "
	SELECT count(*) FROM mobility_event r WHERE r.node = 0 AND r.kind = 14
	AND r.time_ns - (SELECT max(m.time_ns) FROM mobility_event m WHERE m.node = 0
	AND m.kind = 2 AND m.time_ns < r.time_ns) BETWEEN 1000000000 AND 1200000000")" 4
expect "registrations followed by UDP within 100 ms" "$(query road.db "
	SELECT count(*) FROM mobility_event r WHERE r.node = 0 AND r.kind = 14
	AND EXISTS (SELECT 1 FROM packet_event p WHERE p.node = 0 AND p.kind = 4
	AND p.protocol = 17 AND p.time_ns BETWEEN r.time_ns AND r.time_ns + 100000000)")" 4

"$scenario" --accessRouters=3 --duration=35 --access=wifi --output="$dir/wifi.db" \
	>"$dir/wifi.log" 2>&1
expect "WiFi scenario exit status" "$?" 0
expect "WiFi associations, in order" "$(query wifi.db "SELECT group_concat(n.name, ' ')
	FROM (SELECT value2 FROM mobility_events_v WHERE kind = 'wifi_assoc' ORDER BY time_ns) a
	JOIN node n ON n.id = a.value2")" "ha ar1 ar2 ar3"
expect "WiFi registrations" "$(query wifi.db "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'registered'")" 3

"$scenario" --accessRouters=65 --output="$dir/bad.db" >"$dir/bad.log" 2>&1
expect "--accessRouters=65 exit status" "$?" 2
expect "--accessRouters=65 names the value" "$(grep -c "'65' for --accessRouters" "$dir/bad.log")" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
