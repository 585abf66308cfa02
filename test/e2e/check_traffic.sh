#!/bin/sh
# Run the handoff scenario with TCP and ICMPv6 echo traffic instead of UDP
# and check the database.  TCP data and echo replies get through before
# the first handoff and after each of the two.  The echo round trip
# through the home agent's tunnel is longer than at home, and the summary
# line agrees with the recorded packets.  Options for traffic that the
# run does not send, and values that do not fit, exit with status 2
# before the database is created.
#
# The TCP runs use 10 Mbit/s backbone links: TCP fills whatever rate the
# links have, and at the default 100 Mbit/s each run records about 20
# times as many packets as the UDP default and takes several seconds.
# Usage: check_traffic.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

expect_at_most() {
	if [ "$2" -le "$3" ] 2>/dev/null; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: got '$2', expected at most $3"
	fi
}

# expect_contains NAME TEXT WORD: TEXT contains WORD.
expect_contains() {
	case "$2" in
	*"$3"*) passed=$((passed + 1)) ;;
	*)
		failed=$((failed + 1))
		echo "FAIL $1: '$3' not in '$2'"
		;;
	esac
}

# The times of the mobile node's first and second link down and BA, in ns.
handoff_times() {
	down1=$(query "$1" "SELECT min(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'link_down'")
	down2=$(query "$1" "SELECT max(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'link_down'")
	ba1=$(query "$1" "SELECT min(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'ba_received' AND value = 0")
	ba2=$(query "$1" "SELECT max(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'ba_received' AND value = 0")
}

# TCP segments with data (over 100 bytes) handed to TCP at NODE (0 mn,
# 1 cn) from or to the home prefix (COLUMN src or dst), between two times.
# Usage: tcp_data DB NODE COLUMN FROM_NS TO_NS
tcp_data() {
	query "$1" "SELECT count(*) FROM packet_event p JOIN address a ON a.id = p.$3
		WHERE p.node = $2 AND p.kind = 4 AND p.protocol = 6 AND p.size > 100
		AND a.text LIKE '2001:1:0:1:%' AND p.time_ns > $4 AND p.time_ns < $5"
}

rm -rf "$dir"
mkdir -p "$dir"

# ---- TCP from the correspondent to the home address ----
db=$dir/tcp.db
"$scenario" --traffic=tcp --tcpSegmentSize=1000 --backboneRate=10 --output="$db" >"$dir/tcp.log" 2>&1
expect "TCP run exit status" "$?" 0
handoff_times "$db"
expect "two accepted BAs in the TCP run" "$(query "$db" "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'ba_received' AND value = 0")" 2
# The analysis follows UDP only: it says so once, and still times the
# signalling of both handoffs.
"$analysis" "$db" >"$dir/tcp.analysis" 2>&1
expect "analysis of the TCP run: exit status" "$?" 0
expect "analysis of the TCP run: no-UDP note" \
	"$(grep -c 'the run sent no UDP stream' "$dir/tcp.analysis")" 1
expect "analysis of the TCP run: BU to BA timed for both handoffs" \
	"$(awk '/^BU sent to BA received/ {print $6}' "$dir/tcp.analysis")" 2
expect "analysis of the TCP run: handoffs excluded" \
	"$(grep -c 'excluded from the statistics' "$dir/tcp.analysis")" 0
expect_at_least "TCP data at the home address before the first handoff" \
	"$(tcp_data "$db" 0 dst 0 "$down1")" 500
expect_at_least "TCP data at the home address after the first handoff" \
	"$(tcp_data "$db" 0 dst "$ba1" "$down2")" 500
expect_at_least "TCP data at the home address after the second handoff" \
	"$(tcp_data "$db" 0 dst "$ba2" 25000000000)" 500
expect_at_least "TCP data through the tunnel after the first BA" "$(query "$db" "SELECT count(*)
	FROM packet_event WHERE node = 0 AND kind = 8 AND inner_protocol = 6 AND size > 140
	AND time_ns > $ba1")" 1000
# With timestamps the TCP header is 32 bytes, at most 60.
largest=$(query "$db" "SELECT max(size) FROM packet_event WHERE node = 1 AND kind = 1
	AND protocol = 6")
expect_at_least "largest segment with --tcpSegmentSize=1000" "$largest" 1060
expect_at_most "largest segment with --tcpSegmentSize=1000" "$largest" 1100
recorded=$(query "$db" "SELECT name || '=' || value FROM param WHERE name IN ('traffic',
	'tcpVariant', 'tcpSegmentSize', 'tcpUplink') ORDER BY name" | tr '\n' ' ')
expect "TCP parameters recorded" "$recorded" \
	"tcpSegmentSize=1000 tcpUplink=false tcpVariant=NewReno traffic=tcp "
# The sink's byte count against the payload of the delivered segments
# (IPv6 40 and TCP 32 bytes of header), which also counts the few
# retransmitted segments that arrived twice.
summary=$(sed -n 's/.*TCP to the home address: \([0-9]*\) bytes received.*/\1/p' "$dir/tcp.log")
payload=$(query "$db" "SELECT sum(size - 72) FROM packet_event WHERE node = 0 AND kind = 4
	AND protocol = 6 AND size > 72")
expect_at_least "TCP bytes in the summary line" "${summary:-0}" 1000000
expect_at_most "TCP payload delivered beyond the summary line's bytes" \
	"$((${payload:-0} - ${summary:-0}))" 50000
expect_at_least "TCP payload delivered at least the summary line's bytes" \
	"$((${payload:-0} - ${summary:-0}))" 0

# ---- TCP from the home address to the correspondent, too ----
db=$dir/uplink.db
"$scenario" --traffic=tcp --tcpUplink=true --backboneRate=10 --output="$db" >"$dir/uplink.log" 2>&1
expect "TCP uplink run exit status" "$?" 0
handoff_times "$db"
expect_at_least "TCP data from the home address before the first handoff" \
	"$(tcp_data "$db" 1 src 0 "$down1")" 500
expect_at_least "TCP data from the home address after the first handoff" \
	"$(tcp_data "$db" 1 src "$ba1" "$down2")" 500
expect_at_least "TCP data from the home address after the second handoff" \
	"$(tcp_data "$db" 1 src "$ba2" 25000000000)" 500
expect_at_least "TCP data to the home address after the second handoff in the uplink run" \
	"$(tcp_data "$db" 0 dst "$ba2" 25000000000)" 500
expect_at_least "TCP uplink bytes in the summary line" "$(sed -n \
	's/.*TCP from the home address: \([0-9]*\) bytes received.*/\1/p' "$dir/uplink.log")" 1000000

# ---- the largest segment that --tunnelEsp=all accepts goes through ESP ----
db=$dir/esp.db
"$scenario" --traffic=tcp --tunnelEsp=all --tcpSegmentSize=1322 --backboneRate=10 --duration=12 \
	--output="$db" >"$dir/esp.log" 2>&1
expect "TCP ESP run exit status" "$?" 0
handoff_times "$db"
expect_at_least "1322-byte segments at the home address through the ESP tunnel" \
	"$(query "$db" "SELECT count(*) FROM packet_event WHERE node = 0 AND kind = 4
	AND protocol = 6 AND size = 1322 + 72 AND time_ns > $ba1")" 500
expect "dropped packets in the ESP run" "$(query "$db" "SELECT count(*) FROM packet_event
	WHERE kind = 5 AND time_ns > $ba1")" 0

# ---- ICMPv6 echo from the correspondent to the home address ----
db=$dir/ping.db
"$scenario" --traffic=ping --pingInterval=50 --output="$db" >"$dir/ping.log" 2>&1
expect "ping run exit status" "$?" 0
handoff_times "$db"
replies() {
	query "$db" "SELECT count(*) FROM packet_event WHERE node = 1 AND kind = 4
		AND protocol = 58 AND icmp_type = 129 AND time_ns > $1 AND time_ns < $2"
}
expect_at_least "echo replies before the first handoff" "$(replies 0 "$down1")" 80
expect_at_least "echo replies after the first handoff" "$(replies "$ba1" "$down2")" 160
expect_at_least "echo replies after the second handoff" "$(replies "$ba2" 25000000000)" 120
expect_at_least "echo requests at the home address through the tunnel" "$(query "$db" "SELECT
	count(*) FROM packet_event WHERE node = 0 AND kind = 8 AND inner_protocol = 58
	AND time_ns > $ba1")" 280
# With a request every 50 ms and round trips under 50 ms, each reply
# belongs to the last request that the correspondent sent before it.
rtt_ms() {
	query "$db" "WITH req AS (SELECT time_ns AS t FROM packet_event WHERE node = 1 AND kind = 1
		AND protocol = 58 AND icmp_type = 128)
		SELECT CAST(avg(p.time_ns - (SELECT max(t) FROM req WHERE t < p.time_ns)) / 1e6 AS INT)
		FROM packet_event p WHERE p.node = 1 AND p.kind = 4 AND p.protocol = 58
		AND p.icmp_type = 129 AND p.time_ns > $1 AND p.time_ns < $2"
}
home_rtt=$(rtt_ms 0 "$down1")
away_rtt=$(rtt_ms "$ba1" 25000000000)
# The tunnel adds the home agent's backbone link (5 ms) twice each way.
expect_at_least "mean echo RTT via the tunnel minus at home, in ms" \
	"$((${away_rtt:-0} - ${home_rtt:-0}))" 15
sent=$(query "$db" "SELECT count(*) FROM packet_event WHERE node = 1 AND kind = 1
	AND protocol = 58 AND icmp_type = 128")
replied=$(replies 0 25000000000)
expect_contains "ping counts in the summary line" "$(cat "$dir/ping.log")" \
	"ping of the home address: $sent sent, $replied replied"
expect_at_most "echoes lost in two handoffs" "$((sent - replied))" 50
expect_at_least "echoes lost in two handoffs" "$((sent - replied))" 2

# ---- rejected options: exit status 2, a message naming the value, no database ----
# Usage: rejects NAME WORD ARGS...: the scenario with ARGS exits 2 naming WORD.
rejects() {
	name=$1
	word=$2
	shift 2
	rm -f "$dir/bad.db"
	message=$("$scenario" "$@" --output="$dir/bad.db" 2>&1)
	expect "$name: exit status" "$?" 2
	expect_contains "$name: message" "$message" "$word"
	expect "$name: database" "$(ls "$dir/bad.db" 2>/dev/null)" ""
}
rejects "unknown traffic kind" "'voice'" --traffic=udp,voice
rejects "unknown TCP variant" "'Renoo'" --traffic=tcp --tcpVariant=Renoo
rejects "segment too large for the tunnel" "--tcpSegmentSize=1360 or less" \
	--traffic=tcp --tcpSegmentSize=1361
rejects "segment too large for the ESP tunnel" "--tcpSegmentSize=1322 or less" \
	--traffic=tcp --tunnelEsp=all --tcpSegmentSize=1323
rejects "TCP option without TCP" "--tcpUplink" --traffic=udp,ping --tcpUplink=true
rejects "ping option without ping" "--pingInterval" --traffic=tcp --pingInterval=50
rejects "UDP option without UDP" "--interval" --traffic=tcp --interval=5

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
