#!/bin/sh
# Run the campus scenario in real ns-3: 10 mobile nodes share one home
# agent for 30 simulated seconds, once with manual keys and once with
# IKEv2, and check the databases with sqlite3.
#
# For each keying:
#  - every care-of address that became usable more than 3 s before the end
#    was registered by its node (a `registered` event with that address),
#    and a node that left home registered at least once;
#  - no packet was dropped for a bad ICV, by IPsec policy or for an IKE
#    identity asking for another node's home address;
#  - every binding the home agent created or moved joins, on time and
#    sequence number, the BU it received, and the care-of address belongs
#    to the node whose home address the BU named;
#  - mip6sec-analysis reads the database and lists every node that moved.
# Then the same seed and run must give identical mobility_event tables,
# and another seed must not.  The uplink and line mobility must work.
# Invalid options must exit with status 2 before any database is written.
# Usage: check_campus.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"

# A small campus and fast nodes, so that most nodes hand off in 30 s.
campus="--nodes=10 --duration=30 --area=200 --speedMin=5 --speedMax=15"

# simulate NAME OPTION...: run the scenario into OUTDIR/NAME.db.
simulate() {
	name=$1
	shift
	# shellcheck disable=SC2086 # $campus is a list of options
	"$scenario" $campus --output="$dir/$name.db" "$@" >"$dir/$name.log" 2>&1
}

# query NAME SQL: one value from the database of run NAME.
query() {
	sqlite3 "$dir/$1.db" "$2"
}

# Kinds of mobility_event and drop reasons by name, as docs/database.md lists them.
coa_ready="(SELECT id FROM mobility_kind WHERE name = 'coa_ready')"
registered="(SELECT id FROM mobility_kind WHERE name = 'registered')"
link_down="(SELECT id FROM mobility_kind WHERE name = 'link_down')"
bu_received="(SELECT id FROM mobility_kind WHERE name = 'bu_received')"
binding_set="(SELECT id FROM mobility_kind WHERE name IN ('binding_add', 'binding_update'))"
deliver="(SELECT id FROM event_kind WHERE name = 'deliver')"
ha="(SELECT id FROM node WHERE name = 'ha')"

for keying in manual ikev2; do
	simulate "$keying" --keying="$keying"
	expect "$keying run exit status" "$?" 0
	expect "$keying run status" "$(query "$keying" "SELECT status FROM run")" complete
	expect "$keying mobile nodes named" \
		"$(query "$keying" "SELECT count(*) FROM node WHERE name GLOB 'mn[0-9]*'")" 10

	expect_at_least "$keying registrations" \
		"$(query "$keying" "SELECT count(*) FROM mobility_event WHERE kind = $registered")" 10
	expect "$keying care-of addresses never registered" "$(query "$keying" "
		SELECT count(*) FROM mobility_event c
		WHERE c.kind = $coa_ready AND c.value != -1 AND c.time_ns < 27000000000
		  AND NOT EXISTS (SELECT 1 FROM mobility_event r
		                  WHERE r.node = c.node AND r.kind = $registered
		                    AND r.address = c.address AND r.time_ns > c.time_ns)")" 0
	expect "$keying nodes that left home without registering" "$(query "$keying" "
		SELECT count(DISTINCT d.node) FROM mobility_event d
		WHERE d.kind = $link_down AND d.time_ns < 27000000000
		  AND NOT EXISTS (SELECT 1 FROM mobility_event r
		                  WHERE r.node = d.node AND r.kind = $registered)")" 0

	expect "$keying security drops" "$(query "$keying" "
		SELECT count(*) FROM packet_event p JOIN drop_reason d ON d.id = p.drop_reason
		WHERE d.name IN ('esp_icv', 'policy', 'ike_unauthorized')")" 0

	# The owner of a home address is the node that UDP to it is delivered
	# at.  The owner of a care-of address is the node that formed it.
	expect_at_least "$keying bindings at the home agent" "$(query "$keying" "
		SELECT count(*) FROM mobility_event WHERE node = $ha AND kind IN $binding_set")" 10
	expect "$keying bindings without their BU" "$(query "$keying" "
		SELECT count(*) FROM mobility_event b
		WHERE b.node = $ha AND b.kind IN $binding_set
		  AND (SELECT count(*) FROM mobility_event u
		       WHERE u.node = b.node AND u.kind = $bu_received
		         AND u.time_ns = b.time_ns AND u.value = b.value) != 1")" 0
	expect "$keying bindings to another node's care-of address" "$(query "$keying" "
		WITH hoa_owner AS (SELECT DISTINCT dst AS address, node FROM packet_event
		                   WHERE kind = $deliver AND protocol = 17
		                     AND node IN (SELECT id FROM node WHERE name GLOB 'mn[0-9]*')),
		     coa_owner AS (SELECT DISTINCT address, node FROM mobility_event
		                   WHERE kind = $coa_ready AND value != -1)
		SELECT count(*) FROM mobility_event b
		JOIN mobility_event u ON u.node = b.node AND u.kind = $bu_received
		                     AND u.time_ns = b.time_ns AND u.value = b.value
		WHERE b.node = $ha AND b.kind IN $binding_set
		  AND (SELECT group_concat(node) FROM hoa_owner WHERE address = u.address)
		      IS NOT (SELECT group_concat(node) FROM coa_owner WHERE address = b.address)")" 0
	# A node's addresses share one interface identifier, so it listens to
	# one solicited-node group; the others' solicitations stop below IPv6.
	expect "$keying solicited-node groups a mobile node received" "$(query "$keying" "
		SELECT max(groups) FROM (SELECT count(DISTINCT p.dst) AS groups
		FROM packet_event p JOIN address a ON a.id = p.dst
		WHERE p.kind = 2 AND a.text GLOB 'ff02::1:ff*'
		  AND p.node IN (SELECT id FROM node WHERE name GLOB 'mn[0-9]*') GROUP BY p.node)")" 1

	"$analysis" "$dir/$keying.db" >"$dir/$keying.analysis" 2>&1
	expect "$keying analysis exit status" "$?" 0
	expect "$keying nodes in the analysis" \
		"$(grep -c '^mobile node [0-9]* (mn[0-9]*)$' "$dir/$keying.analysis")" \
		"$(query "$keying" "SELECT count(DISTINCT node) FROM mobility_event
		                    WHERE kind = $link_down")"
done

# The same seed and run give the same events; another seed does not.
mobility_table="SELECT e.time_ns, e.node, e.iface, e.kind, a.text, e.value, e.value2
                FROM mobility_event e LEFT JOIN address a ON a.id = e.address
                ORDER BY e.rowid"
simulate again --keying=manual
expect "repeated run exit status" "$?" 0
query manual "$mobility_table" >"$dir/manual.events"
query again "$mobility_table" >"$dir/again.events"
expect "same seed, same mobility events" \
	"$(cmp -s "$dir/manual.events" "$dir/again.events" && echo same)" same
simulate seed2 --keying=manual --seed=2
query seed2 "$mobility_table" >"$dir/seed2.events"
expect "another seed, other mobility events" \
	"$(cmp -s "$dir/manual.events" "$dir/seed2.events" || echo different)" different

# Uplink from every node, and movement along the line of access points.
simulate uplink --uplinkInterval=500
expect "uplink run exit status" "$?" 0
expect_at_least "uplink datagrams received" \
	"$(sed -n 's/.*uplink: [0-9]* sent, \([0-9]*\) received.*/\1/p' "$dir/uplink.log")" 400
simulate line --mobility=line
expect "line run exit status" "$?" 0
expect_at_least "line registrations" \
	"$(query line "SELECT count(*) FROM mobility_event WHERE kind = $registered")" 10

# Nodes that start away from home leave the home link at the first
# attachment check, 10 ms in, and register from where they are.
simulate random --start=random
expect "random start run exit status" "$?" 0
expect_at_least "random start: nodes that left home at once and registered" \
	"$(query random "SELECT count(*) FROM node n WHERE n.name GLOB 'mn[0-9]*'
		AND (SELECT min(time_ns) FROM mobility_event WHERE node = n.id AND kind = $link_down)
		  < 100000000
		AND EXISTS (SELECT 1 FROM mobility_event WHERE node = n.id AND kind = $registered)")" 5

# Invalid options: exit status 2, a message naming the value, no database.
for bad in "--mobility=walk:'walk'" "--keying=ikev1:'ikev1'" "--speedMin=9 --speedMax=3:--speedMin=9" \
	"--start=center:'center'" \
	"--nodes=1001:1001" "--mobility=line --pause=5:--pause"; do
	options=${bad%%:*}
	named=${bad#*:}
	# shellcheck disable=SC2086 # options is a list
	"$scenario" $options --output="$dir/bad.db" >"$dir/bad.log" 2>&1
	expect "$options exit status" "$?" 2
	expect "$options message names the value" \
		"$(grep -c -- "$named" "$dir/bad.log" | sed 's/^[1-9][0-9]*$/yes/')" yes
	expect "$options writes no database" "$(test -e "$dir/bad.db" && echo yes || echo no)" no
done

echo "check_campus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
