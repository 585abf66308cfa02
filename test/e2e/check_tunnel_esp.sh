#!/bin/sh
# Run the handoff scenario in real ns-3 with ESP tunnel mode between
# mobile node and home agent (RFC 3776 sections 3.2 and 3.4) and check
# the captures with tshark and the database with sqlite3.
#
# Run 1, --routeOptimization=true with the default --tunnelEsp=rr: every
# HoTI leaves the mobile node as IPv6 (care-of address -> home agent) ->
# ESP (SA3) -> IPv6 (home address -> correspondent) -> Mobility Header,
# every HoT arrives the same way under SA4 at the current care-of
# address, tshark decrypts all of them with the exported keys and finds
# every ICV good, no capture has a malformed packet, no HoTI or HoT
# travels in clear at the mobile node, and route optimization completes
# after each handoff.
# Run 2, --tunnelEsp=all: UDP travels inside ESP both ways.
# Run 3: with --tunnelEsp=all the largest accepted UDP payload arrives.
# Run 4: an invalid --tunnelEsp value, and a payload too large for ESP,
# are rejected.
# Usage: check_tunnel_esp.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir/ro" "$dir/all"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# load_keys RUNDIR: put the run's exported SAs into the tshark profile.
load_keys() {
	mkdir -p "$profile/profiles/mip6sec"
	cp "$1/handoff-esp_sa" "$profile/profiles/mip6sec/esp_sa"
}

shark() {
	WIRESHARK_CONFIG_DIR=$profile tshark -C mip6sec \
		-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE "$@" \
		2>/dev/null
}

# check_captures RUNDIR: tshark reads every capture, finds no malformed
# packet and no bad ICV.
check_captures() {
	for pcap in "$1"/handoff-*.pcap; do
		name=$(basename "$pcap")
		expect_at_least "packets in $name" "$(shark -r "$pcap" | wc -l)" 1
		expect "malformed packets in $name" "$(shark -r "$pcap" -Y _ws.malformed | wc -l)" 0
		expect "ESP packets with a bad ICV in $name" \
			"$(shark -r "$pcap" -Y 'esp.icv_bad == 1' | wc -l)" 0
	done
}

# ---- run 1: return routability inside ESP ----

ro=$dir/ro
"$scenario" --routeOptimization=true --pcap=true --output="$ro/handoff.db" >"$ro/log" 2>&1
expect "scenario exit status with route optimization" "$?" 0
load_keys "$ro"
check_captures "$ro"

db=$ro/handoff.db
mn=$(query "$db" "SELECT id FROM node WHERE name = 'mn'")
ha=$(query "$db" "SELECT id FROM node WHERE name = 'ha'")
mn_pcap=$(ls "$ro"/handoff-"$mn"-*.pcap | head -n 1)
ha_addr=2001:1:0:1::1
hoa=$(head -n 1 "$ro/handoff-esp_sa" | cut -d, -f2 | tr -d '"')
# SA3 and SA4 are the SAs of the tunnel-mode ESP the mobile node and the
# home agent sent (chain ipv6>esp, without a Home Address option or routing
# header); the export names tunnel SAs "*", so tshark finds them by SPI.
spi_of() {
	sqlite3 -batch -noheader "$ro/handoff.db" "SELECT DISTINCT printf('0x%08x', spi)
		FROM packet_events_v WHERE node_name = '$1' AND kind = 'esp_protect'
		AND chain = 'ipv6>esp'"
}
sa3=$(spi_of mn)
sa4=$(spi_of ha)
expect "SA3 and SA4 exported with any address" "$(grep -c -e "\"\\*\",\"\\*\",\"$sa3\"" \
	-e "\"\\*\",\"\\*\",\"$sa4\"" "$ro/handoff-esp_sa")" 2

# RFC 3776 section 3.2: outer care-of address -> home agent, ESP under SA3,
# inner home address -> correspondent, and no Home Address option.
hotis=$(shark -r "$mn_pcap" -Y 'mip6.mhtype == 1' -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.src -e ipv6.dst -e esp.spi -e esp.icv_good)
expect "HoTIs in the mobile node's capture" "$(printf '%s\n' "$hotis" | grep -c .)" 2
printf '%s\n' "$hotis" | while read -r chain src dst spi icv; do
	outer_src=${src%%,*}
	inner_src=${src#*,}
	[ "$chain" = "eth:ethertype:ipv6:esp:ipv6:mipv6" ] && [ "$spi" = "$sa3" ] &&
		[ "$icv" = 1 ] && [ "${dst%%,*}" = "$ha_addr" ] && [ "$inner_src" = "$hoa" ] &&
		[ "$outer_src" != "$hoa" ] ||
		echo "bad HoTI: $chain $src $dst $spi $icv"
done >"$profile/bad-hoti"
expect "HoTIs without the RFC 3776 tunnel layout" "$(cat "$profile/bad-hoti")" ""

# The HoT comes from the home agent to the current care-of address under
# SA4; after the second handoff that address is a new one (RFC 3776 section 4.3).
hots=$(shark -r "$mn_pcap" -Y 'mip6.mhtype == 3' -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.src -e ipv6.dst -e esp.spi -e esp.icv_good)
expect "HoTs in the mobile node's capture" "$(printf '%s\n' "$hots" | grep -c .)" 2
printf '%s\n' "$hots" | while read -r chain src dst spi icv; do
	[ "$chain" = "eth:ethertype:ipv6:esp:ipv6:mipv6" ] && [ "$spi" = "$sa4" ] &&
		[ "$icv" = 1 ] && [ "${src%%,*}" = "$ha_addr" ] && [ "${dst#*,}" = "$hoa" ] ||
		echo "bad HoT: $chain $src $dst $spi $icv"
done >"$profile/bad-hot"
expect "HoTs without the RFC 3776 tunnel layout" "$(cat "$profile/bad-hot")" ""
expect "care-of addresses the HoTs went to" "$(printf '%s\n' "$hots" |
	awk '{ split($3, a, ","); print a[1] }' | sort -u | wc -l)" 2
expect "HoTIs and HoTs in clear at the mobile node" "$(shark -r "$mn_pcap" \
	-Y '(mip6.mhtype == 1 || mip6.mhtype == 3) && !esp' | wc -l)" 0

# After each home registration the mobile node gets a HoT and the
# correspondent's accepting BA before the next movement.
for t in $(query "$db" "SELECT time_ns FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'registered' ORDER BY time_ns"); do
	next="(SELECT coalesce(min(time_ns), 1e18) FROM mobility_events_v WHERE node_name = 'mn'
		AND kind = 'movement' AND time_ns > $t)"
	expect "HoTs after the registration at $t ns" "$(query "$db" "SELECT count(*)
		FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'hot_received'
		AND time_ns > $t AND time_ns < $next")" 1
	expect "accepting correspondent BAs after the registration at $t ns" "$(query "$db" "SELECT
		count(*) FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'cn_ba_received'
		AND value = 0 AND time_ns > $t AND time_ns < $next")" 1
done
expect "home registrations" "$(query "$db" "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'registered'")" 2

# The model recorded ESP on both sides of each leg.
esp_events() {
	query "$db" "SELECT count(*) FROM packet_event WHERE node = $1 AND kind = $2
		AND spi = $(printf '%d' "$3")"
}
expect "esp_protect events under SA3 at the mobile node" "$(esp_events "$mn" 9 "$sa3")" 2
expect "esp_verify events under SA3 at the home agent" "$(esp_events "$ha" 10 "$sa3")" 2
expect "esp_protect events under SA4 at the home agent" "$(esp_events "$ha" 9 "$sa4")" 2
expect "esp_verify events under SA4 at the mobile node" "$(esp_events "$mn" 10 "$sa4")" 2
expect "model drops" "$(query "$db" "SELECT count(*) FROM packet_events_v WHERE node_name IN
	('mn', 'ha', 'cn') AND kind = 'drop' AND drop_reason NOT IN ('not_tunnelled', 'not_away')")" 0

# ---- run 2: payload inside ESP too ----

all=$dir/all
"$scenario" --tunnelEsp=all --uplinkInterval=100 --pcap=true --output="$all/handoff.db" \
	>"$all/log" 2>&1
expect "scenario exit status with --tunnelEsp=all" "$?" 0
load_keys "$all"
check_captures "$all"
mn_pcap=$(ls "$all"/handoff-"$mn"-*.pcap | head -n 1)
expect_at_least "UDP to the mobile node inside ESP" "$(shark -r "$mn_pcap" \
	-Y "frame.protocols contains \"ipv6:esp:ipv6:udp\" && esp.icv_good == 1
	&& ipv6.src == $ha_addr" | wc -l)" 500
expect_at_least "UDP from the mobile node inside ESP" "$(shark -r "$mn_pcap" \
	-Y "frame.protocols contains \"ipv6:esp:ipv6:udp\" && esp.icv_good == 1
	&& ipv6.dst == $ha_addr" | wc -l)" 100
# A plain tunnel packet has the chain ipv6:ipv6:..., unlike ipv6:ipv6.dstopts.
expect "plain IPv6-in-IPv6 at the mobile node" "$(shark -r "$mn_pcap" \
	-Y 'frame.protocols contains "ipv6:ipv6:"' | wc -l)" 0
expect_at_least "UDP decapsulated at the mobile node" "$(query "$all/handoff.db" "SELECT count(*)
	FROM packet_event WHERE node = $mn AND kind = 8 AND inner_protocol = 17")" 500

# ---- run 3: the largest UDP payload that --tunnelEsp=all accepts ----

# Its ESP packets just fit the 1500-byte links; one byte more would be
# fragmented and lost.
"$scenario" --tunnelEsp=all --packetSize=1374 --duration=8 --output="$dir/largest.db" \
	>"$dir/largest.log" 2>&1
expect "scenario exit status with --packetSize=1374" "$?" 0
expect_at_least "UDP of 1374 bytes decapsulated at the mobile node" "$(query "$dir/largest.db" \
	"SELECT count(*) FROM packet_event WHERE node = $mn AND kind = 8 AND inner_protocol = 17")" 50
expect "ns-3 drops with --packetSize=1374" "$(query "$dir/largest.db" "SELECT count(*)
	FROM packet_events_v WHERE kind = 'drop' AND drop_reason LIKE 'ns3_%'")" 0

# ---- run 4: option checks ----

"$scenario" --tunnelEsp=some --output="$dir/invalid.db" >"$dir/invalid.log" 2>&1
expect "exit status for --tunnelEsp=some" "$?" 2
expect "message for --tunnelEsp=some" "$(grep -c "invalid value 'some' for --tunnelEsp" \
	"$dir/invalid.log")" 1
"$scenario" --tunnelEsp=all --packetSize=1375 --output="$dir/invalid.db" >"$dir/invalid.log" 2>&1
expect "exit status for --packetSize=1375 with --tunnelEsp=all" "$?" 2
expect "message for --packetSize=1375 with --tunnelEsp=all" "$(grep -c \
	"packetSize=1375 is too large for --tunnelEsp=all" "$dir/invalid.log")" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
