#!/bin/sh
# Check the database of the end-to-end handoff run: the run completed, the
# mobile node handed off twice, each home registration was accepted, and
# UDP to the home address was delivered again after each registration and
# travelled both ways through the tunnel.  Usage: check_database.sh DB ANALYSIS
set -u
db=$1
analysis=$2

. "$(dirname "$0")/lib.sh"

# query SQL: this script reads one database.
query() {
	sqlite3 -batch -noheader "$db" "$1"
}

mn="(SELECT id FROM node WHERE name = 'mn')"
ha="(SELECT id FROM node WHERE name = 'ha')"
cn="(SELECT id FROM node WHERE name = 'cn')"

expect "run status" "$(query "SELECT status FROM run")" complete
expect "link changes" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node = $mn AND kind = 'link_down'")" 2
expect "movements detected" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node = $mn AND kind = 'movement'")" 2
expect "BAs accepted" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node = $mn AND kind = 'ba_received' AND value = 0")" 2
expect "BAs rejected" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node = $mn AND kind = 'ba_received' AND value <> 0")" 0
expect "binding updated at the home agent" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node = $ha AND kind IN ('binding_add', 'binding_update')")" 2
expect "model drops" "$(query "SELECT count(*) FROM packet_events_v
	WHERE node IN ($mn, $ha) AND kind = 'drop'
	AND drop_reason NOT IN ('not_tunnelled', 'not_away')")" 0

# Delivery resumes after each accepted BA: UDP to the home address is
# delivered at the mobile node within 2 s of the BA.
for ba in $(query "SELECT time_ns FROM mobility_event
	WHERE node = $mn AND kind = 6 AND value = 0 ORDER BY time_ns"); do
	n=$(query "SELECT count(*) FROM packet_event
		WHERE node = $mn AND kind = 4 AND protocol = 17
		AND time_ns > $ba AND time_ns < $ba + 2000000000")
	expect_at_least "UDP delivered after the BA at $ba ns" "$n" 100
done

# Downlink went through the tunnel after the first handoff; uplink came
# out of the reverse tunnel at the home agent and reached the correspondent.
expect_at_least "tunnelled packets decapsulated at the mobile node" "$(query "SELECT count(*)
	FROM packet_event WHERE node = $mn AND kind = 8 AND inner_protocol = 17")" 500
expect_at_least "reverse-tunnelled packets decapsulated at the home agent" "$(query "SELECT
	count(*) FROM packet_event WHERE node = $ha AND kind = 8 AND inner_protocol = 17")" 50
expect_at_least "uplink UDP delivered at the correspondent" "$(query "SELECT count(*)
	FROM packet_event WHERE node = $cn AND kind = 4 AND protocol = 17")" 100

# BUs left protected by ESP with the Home Address option.
expect "chain of every BU leaving the mobile node" "$(query "SELECT DISTINCT chain FROM
	packet_events_v WHERE node_name = 'mn' AND kind = 'esp_protect'")" "$(query "SELECT DISTINCT
	chain FROM packet_events_v WHERE node_name = 'mn' AND kind = 'esp_protect' AND hoa IS NOT NULL")"
expect_at_least "BUs verified at the home agent" "$(query "SELECT count(*) FROM packet_events_v
	WHERE node_name = 'ha' AND kind = 'esp_verify'")" 2

# The analysis program finds both handoffs and gives each a latency.
out=$("$analysis" --csv "$db")
status=$?
expect "analysis exit status" "$status" 0
expect "handoffs with a latency in the analysis" "$(printf '%s\n' "$out" |
	awk -F, 'NR > 1 && $0 != "" { n++ } END { print n + 0 }')" 2

# Every datagram the correspondent sent and the mobile node never got is
# attributed to one of the two handoffs (none is lost elsewhere here).
sent=$(query "SELECT count(*) FROM packet_event WHERE node = $cn AND kind = 1 AND protocol = 17
	AND app_seq IS NOT NULL AND dst = (SELECT dst FROM packet_event WHERE node = $mn AND kind = 4
	AND protocol = 17 LIMIT 1)")
delivered=$(query "SELECT count(DISTINCT app_seq) FROM packet_event WHERE node = $mn AND kind = 4
	AND protocol = 17 AND app_seq IS NOT NULL")
expect "lost packets attributed to handoffs" "$(printf '%s\n' "$out" | awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == "lost_packets") col = i; next }
	$0 != "" { sum += $col } END { print sum + 0 }')" "$((sent - delivered))"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
