#!/bin/sh
# Check router discovery with the model's router advertisement daemon
# (--radvd=model) in real ns-3, from the recorded events:
#
# - periodic advertisements of every router stay 30-70 ms apart (RFC 4861
#   section 6.2.4, RFC 6275 section 7.5) and carry the Advertisement
#   Interval option (90 ms: 70 ms plus 20 ms) and, from the home agent,
#   the Home Agent Information option, which tshark dissects;
# - with slow advertisements (1.5-2 s), solicitations at each link up
#   (--routerSolicitation) and fast responses (--minDelayBetweenRas=30
#   --maxRaDelay=20), each router responds within 20 ms and the mobile node
#   detects each move within 40 ms of the link up;
# - with RFC 4861's delays (up to 1 s before a solicitation), each
#   solicitation leaves within 1 s of its link up, and the delays differ;
# - with WiFi and --raLossIntervals=3, the mobile node notices the silence
#   of its router before the station gives up on the access point, and
#   probes the router (RFC 6275 section 11.5.1, RFC 4861 section 7.3.3);
# - options that would have no effect are rejected.
#
# Usage: check_router_discovery.sh SCENARIO PING_PONG_TRACE OUTDIR
set -u
scenario=$1
trace=$2
dir=$3

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"

# ---- periodic advertisements and their options ----

"$scenario" --radvd=model --duration=17 --pcap=true --output="$dir/ra.db" >"$dir/ra.log" 2>&1
expect "exit status of the RA run" "$?" 0
# Nodes 3 (ha), 4 (ar1) and 5 (ar2) advertise; kind 1 is send.
for node in 3 4 5; do
	gaps="WITH ra AS (SELECT time_ns, row_number() OVER (ORDER BY time_ns) AS n
		FROM packet_event WHERE node = $node AND kind = 1 AND icmp_type = 134)
		SELECT b.time_ns - a.time_ns AS gap FROM ra a JOIN ra b ON b.n = a.n + 1"
	expect "RA intervals of node $node counted" \
		"$(query "$dir/ra.db" "SELECT count(*) > 200 FROM ($gaps)")" 1
	expect "RA intervals of node $node outside 30-70 ms" \
		"$(query "$dir/ra.db" "SELECT count(*) FROM ($gaps)
			WHERE gap < 30000000 OR gap > 70000000")" 0
done
expect "handoffs registered with the model's advertisements" \
	"$(query "$dir/ra.db" "SELECT count(*) FROM mobility_events_v
		WHERE node_name = 'mn' AND kind = 'registered'")" 2

# The home agent's home link capture (node 3, interface 2).
pcap="$dir/ra-3-2.pcap"
expect "home agent advertisements dissected" \
	"$(tshark -r "$pcap" -Y 'icmpv6.type == 134' 2>/dev/null | wc -l | awk '{print ($1 > 100)}')" 1
expect "advertisements without the 90 ms Advertisement Interval option" \
	"$(tshark -r "$pcap" -Y 'icmpv6.type == 134 && !(icmpv6.opt.advertisement_interval == 90)' \
		2>/dev/null | wc -l)" 0
expect "home agent advertisements without H flag or Home Agent Information" \
	"$(tshark -r "$pcap" -Y 'icmpv6.type == 134 && !(icmpv6.nd.ra.flag.h == 1 &&
		icmpv6.opt.type == 8)' 2>/dev/null | wc -l)" 0
expect "advertisements with hop limit other than 255" \
	"$(tshark -r "$pcap" -Y 'icmpv6.type == 134 && ipv6.hlim != 255' 2>/dev/null | wc -l)" 0
expect "malformed packets" "$(tshark -r "$pcap" -Y '_ws.malformed' 2>/dev/null | wc -l)" 0

# ---- fast responses to solicitations ----

"$scenario" --radvd=model --raMin=1500 --raMax=2000 --routerSolicitation=true --rsMaxDelay=0 \
	--minDelayBetweenRas=30 --maxRaDelay=20 --output="$dir/fast.db" >"$dir/fast.log" 2>&1
expect "exit status of the fast run" "$?" 0
expect "solicitations at the two links up, at once" \
	"$(query "$dir/fast.db" "SELECT count(*) FROM mobility_event s WHERE s.node = 0
		AND s.kind = 50 AND s.value < 1000000 AND s.time_ns > 2000000000")" 2
# Every response (ra_solicited, kind 55) of an access router comes within
# MAX_RA_DELAY_TIME, and an advertisement of the router leaves then.
expect "responses scheduled within 20 ms" \
	"$(query "$dir/fast.db" "SELECT count(*) FROM mobility_event WHERE node IN (4, 5)
		AND kind = 55 AND value <= 20000000")" 2
expect "advertisements sent within 20 ms of each solicitation" \
	"$(query "$dir/fast.db" "SELECT count(*) FROM mobility_event a WHERE a.node IN (4, 5)
		AND a.kind = 55 AND EXISTS (SELECT 1 FROM packet_event p WHERE p.node = a.node
			AND p.kind = 1 AND p.icmp_type = 134
			AND p.time_ns BETWEEN a.time_ns AND a.time_ns + 20000000)")" 2
# Kind 2 is link_up, 3 movement.
expect "moves detected within 40 ms of the link up" \
	"$(query "$dir/fast.db" "SELECT count(*) FROM mobility_event m WHERE m.node = 0
		AND m.kind = 3 AND m.time_ns - (SELECT max(u.time_ns) FROM mobility_event u
			WHERE u.node = 0 AND u.kind = 2 AND u.time_ns <= m.time_ns) < 40000000")" 2

# ---- RFC 4861's solicitation delay ----

"$scenario" --radvd=model --raMin=1500 --raMax=2000 --routerSolicitation=true \
	--trace="$trace" --duration=40 --hysteresis=2 \
	--output="$dir/delay.db" >"$dir/delay.log" 2>&1
expect "exit status of the delay run" "$?" 0
first="SELECT value FROM mobility_event WHERE node = 0 AND kind = 50 AND value2 = 1"
# An advertisement that arrives before the delay ends cancels the solicitation.
expect "first solicitations after links up, at least 5" \
	"$(query "$dir/delay.db" "SELECT count(*) >= 5 FROM ($first)")" 1
expect "first solicitations later than 1 s after their link up" \
	"$(query "$dir/delay.db" "SELECT count(*) FROM ($first) WHERE value < 0 OR value > 1000000000")" 0
expect "solicitation delays spread over more than 300 ms" \
	"$(query "$dir/delay.db" "SELECT max(value) - min(value) > 300000000 FROM ($first)")" 1
expect "each solicitation sent to all routers at its event" \
	"$(query "$dir/delay.db" "SELECT count(*) FROM mobility_event s WHERE s.node = 0
		AND s.kind = 50 AND NOT EXISTS (SELECT 1 FROM packet_event p WHERE p.node = 0
			AND p.kind = 1 AND p.icmp_type = 133 AND p.time_ns = s.time_ns)")" 0

# ---- the watch on the default router, with WiFi ----

# Out of its access point's range the station keeps its association until
# 10 beacons are missed (about 1 s), but the advertisements stop at once:
# after three 90 ms intervals the node records the loss and probes the
# router, and the next router's advertisement ends the probing.
"$scenario" --radvd=model --access=wifi --raLossIntervals=3 --output="$dir/loss.db" \
	>"$dir/loss.log" 2>&1
expect "exit status of the loss run" "$?" 0
expect "losses, one before each disassociation" \
	"$(query "$dir/loss.db" "SELECT count(*) FROM mobility_event l WHERE l.node = 0
		AND l.kind = 56 AND l.value BETWEEN 270000000 AND 280000000 AND l.value2 = 90
		AND EXISTS (SELECT 1 FROM mobility_event d WHERE d.node = 0 AND d.kind = 49
			AND d.time_ns BETWEEN l.time_ns AND l.time_ns + 1000000000)")" 2
expect "probes of the lost router, unicast to its link-local address" \
	"$(query "$dir/loss.db" "SELECT count(*) FROM mobility_event l WHERE l.node = 0
		AND l.kind = 56 AND EXISTS (SELECT 1 FROM packet_event p JOIN address a
			ON a.id = p.dst WHERE p.node = 0 AND p.kind = 1 AND p.icmp_type = 135
			AND a.text GLOB 'fe80::*' AND p.time_ns = l.time_ns)")" 2
expect "probing abandoned at the next router's advertisement" \
	"$(query "$dir/loss.db" "SELECT group_concat(value, ',') FROM mobility_event
		WHERE node = 0 AND kind = 57")" "2,2"
expect "no losses without the option: the default run" \
	"$(query "$dir/ra.db" "SELECT count(*) FROM mobility_event WHERE kind IN (56, 57)")" 0

# ---- options that would have no effect ----

"$scenario" --maxRaDelay=20 --output="$dir/bad1.db" >"$dir/bad1.log" 2>&1
expect "--maxRaDelay without --radvd=model: exit status" "$?" 2
expect "--maxRaDelay without --radvd=model: message" \
	"$(grep -c 'acts only with --radvd=model' "$dir/bad1.log")" 1
"$scenario" --rsMaxDelay=10 --output="$dir/bad2.db" >"$dir/bad2.log" 2>&1
expect "--rsMaxDelay without --routerSolicitation: exit status" "$?" 2
"$scenario" --radvd=quagga --output="$dir/bad3.db" >"$dir/bad3.log" 2>&1
expect "--radvd=quagga: exit status" "$?" 2
expect "--radvd=quagga: message names the value" "$(grep -c "'quagga' for --radvd" "$dir/bad3.log")" 1
"$scenario" --raLossIntervals=3 --output="$dir/bad4.db" >"$dir/bad4.log" 2>&1
expect "--raLossIntervals without --radvd=model: exit status" "$?" 2
expect "no database from rejected options" "$(ls "$dir"/bad*.db 2>/dev/null | wc -l)" 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
