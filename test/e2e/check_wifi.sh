#!/bin/sh
# Run the handoff scenario in real ns-3 with WiFi access (--access=wifi):
# 802.11a access points on the home agent and both access routers, and a
# station on the mobile node that moves at 10 m/s.
#
# Runs passive and active scan passively and actively.  In both the mobile
# node registers twice, first through ar1 and then through ar2.  At each
# handoff the station loses its access point after missing beacons, which
# the database records as wifi_disassoc with link_down at the same time.
# It then associates with the next access point (wifi_assoc with
# link_up), and only after that does a router advertisement reveal the
# movement.  The station notices the loss about 1 s (10 beacons of
# 102.4 ms) after the last beacon.  Association takes about 0.12 s
# passive and 0.05 s active, so the bounds below are loose.
# mip6sec-analysis prints one row per handoff.
# Run rs, --routerSolicitation=true --rsMaxDelay=0: a Router Solicitation
# follows every association (its link up) at once.
# Run repeat: the same seed and run number give the same events.
# Run csma: the WiFi options are rejected without --access=wifi.
# Usage: check_wifi.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

# expect_between WHAT VALUE LOW HIGH: LOW <= VALUE <= HIGH, as decimals.
expect_between() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" \
		'BEGIN { exit !(v != "" && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: got '$2', expected between $3 and $4"
	fi
}

rm -rf "$dir"
mkdir -p "$dir"

q() {
	sqlite3 -batch -noheader "$db" "$1"
}

# The mobile node's mobility events of one kind, as a comma-separated list.
events() {
	q "SELECT group_concat($2, ',') FROM (SELECT * FROM mobility_events_v
		WHERE node_name = 'mn' AND kind = '$1' ORDER BY time_ns)"
}

count_events() {
	q "SELECT count(*) FROM mobility_events_v WHERE node_name = 'mn' AND kind = '$1'"
}

# The time in seconds of the mobile node's Nth (from 1) event of a kind.
nth() {
	q "SELECT time_s FROM mobility_events_v WHERE node_name = 'mn' AND kind = '$1'
		ORDER BY time_ns LIMIT 1 OFFSET $(($2 - 1))"
}

digest() {
	sqlite3 -batch -noheader "$1" "SELECT * FROM packet_events_v ORDER BY rowid;
		SELECT * FROM mobility_events_v ORDER BY rowid" | cksum
}

# check_run RUN MIN_ASSOC MAX_ASSOC: the checks every WiFi run must pass;
# MIN_ASSOC and MAX_ASSOC bound the association time in seconds.
check_run() {
	run=$1
	db="$dir/$run.db"

	expect "$run: registrations" "$(count_events registered)" 2
	expect "$run: BA statuses" "$(events ba_received value)" 0,0
	expect "$run: associations, the first one at the start" "$(count_events wifi_assoc)" 3
	expect "$run: access routers associated with" "$(events wifi_assoc address)" \
		2001:1:0:1::1,2001:1:0:2::1,2001:1:0:3::1
	expect "$run: access point nodes associated with" "$(events wifi_assoc value2)" 3,4,5
	expect "$run: access routers lost" "$(events wifi_disassoc address)" \
		2001:1:0:1::1,2001:1:0:2::1
	expect "$run: link downs at the disassociations" "$(events link_down time_ns)" \
		"$(events wifi_disassoc time_ns)"
	expect "$run: link ups at the later associations" "$(events link_up time_ns)" \
		"$(q "SELECT group_concat(time_ns, ',') FROM (SELECT time_ns FROM mobility_events_v
			WHERE node_name = 'mn' AND kind = 'wifi_assoc' ORDER BY time_ns LIMIT -1 OFFSET 1)")"

	for i in 1 2; do
		lost=$(nth wifi_disassoc "$i")
		assoc=$(nth wifi_assoc $((i + 1)))
		move=$(nth movement "$i")
		beacon=$(q "SELECT value2 / 1e9 FROM mobility_events_v WHERE node_name = 'mn'
			AND kind = 'wifi_disassoc' ORDER BY time_ns LIMIT 1 OFFSET $((i - 1))")
		expect_between "$run handoff $i: last beacon to disassociation [s]" \
			"$(awk -v a="$lost" -v b="$beacon" 'BEGIN { print a - b }')" 0.9 1.2
		expect_between "$run handoff $i: disassociation to association [s]" \
			"$(awk -v a="$assoc" -v b="$lost" 'BEGIN { print a - b }')" "$2" "$3"
		expect_between "$run handoff $i: association to movement detection [s]" \
			"$(awk -v a="$move" -v b="$assoc" 'BEGIN { print a - b }')" 0 0.2
	done

	csv=$("$analysis" --csv "$db")
	expect "$run: analysis exit status" "$?" 0
	expect "$run: analysis handoff rows" "$(printf '%s\n' "$csv" | grep -c '^0,mn,')" 2
	expect "$run: analysis link-down times match the disassociations" \
		"$(printf '%s\n' "$csv" | awk -F, '$2 == "mn" { printf "%s%s", s, $4; s = "," }')" \
		"$(events wifi_disassoc "printf('%.3f', time_s)")"
}

for run in passive active; do
	probing=false
	[ "$run" = active ] && probing=true
	"$scenario" --access=wifi --activeProbing=$probing --output="$dir/$run.db" \
		>"$dir/$run.log" 2>&1
	expect "exit status of run $run" "$?" 0
done
check_run passive 0.05 0.25
check_run active 0.01 0.15
# Both handoffs' link-layer gaps together, in ns; each run has two link
# downs, each followed by its link up.
link_gap() {
	db=$1
	q "SELECT (SELECT sum(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'link_up') - (SELECT sum(time_ns) FROM mobility_events_v
		WHERE node_name = 'mn' AND kind = 'link_down')"
}
active_gap=$(link_gap "$dir/active.db")
passive_gap=$(link_gap "$dir/passive.db")
if [ "${active_gap:-0}" -gt 0 ] && [ "$active_gap" -lt "${passive_gap:-0}" ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL active scanning associates sooner: active ${active_gap} ns," \
		"passive ${passive_gap} ns of link-layer gap"
fi

"$scenario" --access=wifi --routerSolicitation=true --rsMaxDelay=0 --output="$dir/rs.db" \
	>"$dir/rs.log" 2>&1
expect "exit status of run rs" "$?" 0
db="$dir/rs.db"
check_run rs 0.05 0.25
# The first association of the run has no link_up, so no solicitation.
expect "rs: solicitations, one per link up" "$(count_events rs_sent)" "$(count_events link_up)"
expect "rs: solicitations within 1 ms of a link up, sent to all routers" \
	"$(q "SELECT count(*) FROM mobility_events_v m WHERE m.node_name = 'mn'
		AND m.kind = 'rs_sent' AND EXISTS (SELECT 1 FROM mobility_events_v u
			WHERE u.node_name = 'mn' AND u.kind = 'link_up'
			AND m.time_ns - u.time_ns BETWEEN 0 AND 1000000)
		AND EXISTS (SELECT 1 FROM packet_events_v p
			WHERE p.node_name = 'mn' AND p.kind = 'send' AND p.dst = 'ff02::2'
			AND p.time_ns = m.time_ns)")" 2

"$scenario" --access=wifi --output="$dir/repeat.db" >"$dir/repeat.log" 2>&1
expect "exit status of run repeat" "$?" 0
expect "same seed and run give the same events" "$(digest "$dir/repeat.db")" \
	"$(digest "$dir/passive.db")"

"$scenario" --activeProbing=true --output="$dir/csma.db" >"$dir/csma.log" 2>&1
expect "--activeProbing without --access=wifi: exit status" "$?" 2
expect "--activeProbing without --access=wifi: message" \
	"$(grep -c 'add --access=wifi' "$dir/csma.log")" 1
"$scenario" --access=wifi --hysteresis=10 --output="$dir/csma.db" >"$dir/csma.log" 2>&1
expect "--hysteresis with --access=wifi: exit status" "$?" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
