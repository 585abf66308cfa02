#!/bin/sh
# Check the timing rules of the handoff scenario in real ns-3 from the
# events each run recorded, with sqlite3:
#
# - router advertisements: every access router and the home agent send
#   them at intervals between --raMin and --raMax (RFC 4861 section
#   6.2.4, with the 30-70 ms that RFC 6275 section 7.5 allows);
# - duplicate address detection: the care-of address becomes usable
#   --dadTimeout after the router advertisement that created it (RFC
#   4862 section 5.4), for the default 1 s and for 500 ms, and on links
#   the mobile node visits again (scenarios/traces/ping-pong.ns_movements);
# - BU retransmission: with IKE made slow (--dhCost), the first BU waits
#   for its SAs, and its retransmission timer fires 1.5 s after the
#   care-of address is ready (InitialBindackTimeoutFirstReg, RFC 6275
#   section 13) and then after doubling timeouts (section 11.8), each
#   bu_timeout giving the next timeout in value.
#
# Usage: check_timing.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"

# ---- router advertisement intervals ----

"$scenario" --raMin=30 --raMax=70 --output="$dir/ra.db" >/dev/null 2>&1
expect "exit status of the RA run" "$?" 0
# Nodes 3 (ha), 4 (ar1) and 5 (ar2) advertise; kind 1 is send.
for node in 3 4 5; do
	gaps="WITH ra AS (SELECT time_ns, row_number() OVER (ORDER BY time_ns) AS n
		FROM packet_event WHERE node = $node AND kind = 1 AND icmp_type = 134)
		SELECT b.time_ns - a.time_ns AS gap FROM ra a JOIN ra b ON b.n = a.n + 1"
	expect "RA intervals of node $node counted" \
		"$(query "$dir/ra.db" "SELECT count(*) > 300 FROM ($gaps)")" 1
	expect "RA intervals of node $node below 30 ms" \
		"$(query "$dir/ra.db" "SELECT count(*) FROM ($gaps) WHERE gap < 30000000")" 0
	expect "RA intervals of node $node above 70 ms" \
		"$(query "$dir/ra.db" "SELECT count(*) FROM ($gaps) WHERE gap > 70000000")" 0
done

# ---- duplicate address detection ----

# movement is recorded at the first RA of the new prefix, which is when
# ns-3 adds the tentative address.
for dad in 1000 500; do
	"$scenario" --dadTimeout="$dad" --output="$dir/dad-$dad.db" >/dev/null 2>&1
	expect "exit status with --dadTimeout=$dad" "$?" 0
	expect "care-of addresses ready --dadTimeout=$dad ms after movement" \
		"$(query "$dir/dad-$dad.db" "SELECT group_concat(round((c.time_ns - m.time_ns) / 1e6), ',')
			FROM mobility_event m JOIN mobility_event c ON c.node = m.node AND c.kind = 4
			AND c.time_ns = (SELECT min(time_ns) FROM mobility_event WHERE node = m.node
			AND kind = 4 AND time_ns > m.time_ns) WHERE m.node = 0 AND m.kind = 3")" \
		"$dad.0,$dad.0"
done

# A link visited before: ns-3 does not configure the address again from
# the advertisement, so the mobile node adds it itself, and it must still
# be ready one DAD time after movement (seven handoffs back and forth).
traces=$(dirname "$0")/../../scenarios/traces
"$scenario" --trace="$traces/ping-pong.ns_movements" --duration=40 --hysteresis=2 \
	--output="$dir/ping-pong.db" >/dev/null 2>&1
expect "exit status of the ping-pong run" "$?" 0
expect "care-of addresses ready 1 s after movement, revisited links included" \
	"$(query "$dir/ping-pong.db" "SELECT group_concat(round((c.time_ns - m.time_ns) / 1e6), ',')
		FROM mobility_event m JOIN mobility_event c ON c.node = m.node AND c.kind = 4
		AND c.time_ns = (SELECT min(time_ns) FROM mobility_event WHERE node = m.node
		AND kind = 4 AND time_ns > m.time_ns) WHERE m.node = 0 AND m.kind = 3")" \
	"1000.0,1000.0,1000.0,1000.0,1000.0,1000.0,1000.0"

# ---- BU retransmission schedule ----

# With 3 s of Diffie-Hellman work at each end, IKE takes about 6 s, so
# the first BU waits and its timer fires twice before the first
# registration, which still comes before the second handoff at 15.26 s.
"$scenario" --keying=ikev2 --dhCost=3000000 --output="$dir/bu.db" >/dev/null 2>&1
expect "exit status of the slow IKE run" "$?" 0
timeouts="SELECT t.time_ns, t.value FROM mobility_event t WHERE t.node = 0 AND t.kind = 13
	AND t.time_ns < (SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = 14)"
expect "first BU timeout after the care-of address is ready (ms)" \
	"$(query "$dir/bu.db" "SELECT round(((SELECT min(time_ns) FROM ($timeouts))
		- (SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = 4)) / 1e6)")" \
	"1500.0"
expect "next timeouts recorded before the first registration (ms)" \
	"$(query "$dir/bu.db" "SELECT group_concat(value, ',') FROM ($timeouts ORDER BY time_ns)")" \
	"3000,6000"
expect "gap between the first two BU timeouts (ms)" \
	"$(query "$dir/bu.db" "SELECT round((max(time_ns) - min(time_ns)) / 1e6) FROM ($timeouts)")" \
	"3000.0"
expect "registrations despite the slow IKE" \
	"$(query "$dir/bu.db" "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 14")" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
