#!/bin/sh
# Check that the packets ns-3's neighbor cache discards are recorded as drops
# with their reason, from the events of real ns-3 runs:
#
# - at 10000 datagrams/s the access router's address resolution queue for the
#   new care-of address (3 packets, RFC 4861 section 7.2.2) overflows, so the
#   BA is lost and the BU times out;
# - every packet that the router sent towards the care-of address and that
#   never reached the mobile node is an ns3_nd_queue_full drop, and no drop
#   is of a packet that arrived;
# - the home agent's queue for the home address overflows the same way when
#   traffic starts, before the mobile node leaves home;
# - --ndQueue=100 holds them all: no such drop, the first BU gets its BA;
# - when the mobile node stays away without registering, the home agent's
#   resolution of the home address fails and the packets it held are
#   ns3_nd_failed drops.
#
# Usage: check_nd_queue.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

# Packets that node $2 sent to the destination of its drops of reason $3 before
# $4 ns and that node 0 never saw, as "lost dropped lost-but-not-dropped
# dropped-but-arrived".
compare_losses() {
	query "$1" "WITH target AS (SELECT DISTINCT dst FROM packet_event
			WHERE node = $2 AND kind = 5 AND drop_reason = $3),
		sent AS (SELECT t.uid FROM packet_event t WHERE t.node = $2 AND t.kind = 6
			AND t.dst IN (SELECT dst FROM target) AND t.time_ns < $4),
		lost AS (SELECT uid FROM sent s WHERE NOT EXISTS
			(SELECT 1 FROM packet_event r WHERE r.node = 0 AND r.uid = s.uid)),
		dropped AS (SELECT uid FROM packet_event WHERE node = $2 AND kind = 5
			AND drop_reason = $3 AND time_ns < $4)
		SELECT (SELECT count(*) FROM lost) || ' ' || (SELECT count(*) FROM dropped) || ' '
			|| (SELECT count(*) FROM lost WHERE uid NOT IN (SELECT uid FROM dropped)) || ' '
			|| (SELECT count(*) FROM dropped WHERE uid IN
				(SELECT uid FROM packet_event WHERE node = 0))"
}

rm -rf "$dir"
mkdir -p "$dir"
small=$dir/queue3.db
large=$dir/queue100.db
away=$dir/away.db
"$scenario" --interval=0.1 --duration=8 --output="$small" >"$dir/queue3.log" 2>&1 ||
	{ echo "FAIL run with the default queue"; exit 1; }
"$scenario" --interval=0.1 --duration=8 --ndQueue=100 --output="$large" >"$dir/queue100.log" 2>&1 ||
	{ echo "FAIL run with --ndQueue=100"; exit 1; }
"$scenario" --dadTimeout=45000 --duration=60 --output="$away" >"$dir/away.log" 2>&1 ||
	{ echo "FAIL run away from home"; exit 1; }

# The comparisons look packets up by uid.
for db in "$small" "$large" "$away"; do
	query "$db" "CREATE INDEX packet_event_uid ON packet_event(uid, node)"
done

expect "reason names" "$(query "$small" "SELECT name FROM drop_reason WHERE id IN (120, 121) ORDER BY id" | tr '\n' ' ')" \
	"ns3_nd_queue_full ns3_nd_failed "

# Access router ar1 (node 4): the BA and the first tunnelled datagrams.
ba_dropped=$(query "$small" "SELECT count(*) FROM packet_event d JOIN packet_event s
	ON s.uid = d.uid AND s.node = 3 AND s.kind = 1
	JOIN mobility_event b ON b.node = 3 AND b.kind = 8 AND b.time_ns = s.time_ns
	WHERE d.node = 4 AND d.kind = 5 AND d.drop_reason = 120")
expect "BA dropped at ar1" "$ba_dropped" 1
expect "BU timed out" "$(query "$small" "SELECT count(*) > 0 FROM mobility_event WHERE node = 0 AND kind = 13")" 1
set -- $(compare_losses "$small" 4 120 7900000000)
expect "ar1 drops recorded" "$([ "${1:-0}" -gt 10 ] && echo many)" many
expect "ar1 lost = dropped" "$1" "$2"
expect "ar1 lost but not dropped" "$3" 0
expect "ar1 dropped but arrived" "$4" 0

# Home agent (node 3) on the home link, before the mobile node leaves at 5.25 s.
set -- $(compare_losses "$small" 3 120 5250000000)
expect "ha drops recorded" "$([ "${1:-0}" -gt 10 ] && echo many)" many
expect "ha lost = dropped" "$1" "$2"
expect "ha lost but not dropped" "$3" 0
expect "ha dropped but arrived" "$4" 0

expect "ndQueue recorded" "$(query "$large" "SELECT value FROM param WHERE name = 'ndQueue'")" 100
expect "no queue drops with 100" "$(query "$large" "SELECT count(*) FROM packet_event WHERE kind = 5 AND drop_reason >= 120")" 0
expect "no BU timeout with 100" "$(query "$large" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 13")" 0
expect "first BU answered with 100" \
	"$(query "$large" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 6 AND value2 = (SELECT min(value) FROM mobility_event WHERE node = 0 AND kind = 5)")" 1

# Away without a binding: the home agent keeps resolving the home address.
failures=$(query "$away" "SELECT count(*) FROM packet_event WHERE node = 3 AND kind = 5 AND drop_reason = 121")
expect "resolution failures recorded" "$([ "$failures" -ge 3 ] && echo yes)" yes
expect "each packet dropped once" "$(query "$away" "SELECT max(c) FROM (SELECT count(*) AS c FROM packet_event WHERE kind = 5 GROUP BY uid)")" 1
expect "failed drops not at the mobile node" \
	"$(query "$away" "SELECT count(*) FROM packet_event WHERE node = 0 AND uid IN (SELECT uid FROM packet_event WHERE drop_reason = 121)")" 0

echo "check_nd_queue: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
