#!/bin/sh
# Check the pcap files of the end-to-end handoff run with tshark: no
# packet is malformed, every BU leaves the mobile node as IPv6 ->
# destination options (Home Address option) -> ESP -> Mobility Header and
# every BA arrives as IPv6 -> type 2 routing header -> ESP -> Mobility
# Header (RFC 3776 section 3.1), and with the run's exported keys tshark
# decrypts every ESP packet and finds every ICV good.  tshark 4.0 does not
# verify Mobility Header checksums, so mh_checksum checks those of the
# decrypted BUs and BAs in the mobile node's and home agent's captures.
# Usage: check_wire.sh OUTDIR MH_CHECKSUM
# (OUTDIR contains handoff.db, handoff-*.pcap and handoff-esp_sa)
set -u
dir=$1
mh_checksum=$2

. "$(dirname "$0")/lib.sh"

# tshark reads the SA table from a profile folder of its own.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$profile/profiles/mip6sec"
cp "$dir/handoff-esp_sa" "$profile/profiles/mip6sec/esp_sa"

shark() {
	WIRESHARK_CONFIG_DIR=$profile tshark -C mip6sec \
		-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE "$@" \
		2>/dev/null
}

# The mobile node's home address is the source of its first SA (SA1).
hoa=$(head -n 1 "$dir/handoff-esp_sa" | cut -d, -f2 | tr -d '"')
mn_pcap=$(ls "$dir"/handoff-0-*.pcap | head -n 1)

for pcap in "$dir"/handoff-*.pcap; do
	name=$(basename "$pcap")
	expect_at_least "packets in $name" "$(shark -r "$pcap" | wc -l)" 1
	expect "malformed packets in $name" "$(shark -r "$pcap" -Y _ws.malformed | wc -l)" 0
	expect "ESP packets with a bad ICV in $name" "$(shark -r "$pcap" -Y 'esp.icv_bad == 1' |
		wc -l)" 0
done

bus=$(shark -r "$mn_pcap" -Y 'mip6.mhtype == 5' -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.opt.mipv6.home_address -e esp.icv_good -e ipv6.src \
	-e mip6.acoa.acoa)
expect_at_least "BUs in the mobile node's capture" "$(printf '%s\n' "$bus" | grep -c .)" 2
printf '%s\n' "$bus" | while read -r chain home icv src acoa; do
	[ "$chain" = "eth:ethertype:ipv6:ipv6.dstopts:esp:mipv6" ] &&
		[ "$home" = "$hoa" ] && [ "$icv" = 1 ] && [ "$acoa" = "$src" ] ||
		echo "bad BU: $chain $home $icv $src $acoa"
done >"$profile/bad-bu"
expect "BUs without the RFC 3776 layout" "$(cat "$profile/bad-bu")" ""

bas=$(shark -r "$mn_pcap" -Y 'mip6.mhtype == 6' -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.routing.type -e ipv6.routing.mipv6.home_address \
	-e esp.icv_good -e mip6.ba.status)
expect_at_least "BAs in the mobile node's capture" "$(printf '%s\n' "$bas" | grep -c .)" 2
printf '%s\n' "$bas" | while read -r chain type home icv status; do
	[ "$chain" = "eth:ethertype:ipv6:ipv6.routing:esp:mipv6" ] && [ "$type" = 2 ] &&
		[ "$home" = "$hoa" ] && [ "$icv" = 1 ] && [ "$status" = 0 ] ||
		echo "bad BA: $chain $type $home $icv $status"
done >"$profile/bad-ba"
expect "BAs without the RFC 3776 layout" "$(cat "$profile/bad-ba")" ""

# Print one mh_checksum input line per decrypted BU or BA of a capture.
# The fields are the frame, the IPv6 source and destination as sent, the
# Home Address option, the type 2 routing header address and the ESP
# payload.  In transport mode with Next Header 135 that payload is the
# whole Mobility Header.
mh_lines() {
	shark -r "$1" -Y 'esp.protocol == 135 && (mip6.mhtype == 5 || mip6.mhtype == 6)' \
		-T fields -E separator=/t -e frame.number -e ipv6.src -e ipv6.dst \
		-e ipv6.opt.mipv6.home_address -e ipv6.routing.mipv6.home_address \
		-e esp.contained_data | sed "s|^|$(basename "$1") frame |"
}

# check_mh_checksums NODE PCAP...: every BU and BA checksum of the node's
# captures is correct, and at least two of each were checked.
check_mh_checksums() {
	node=$1
	shift
	for pcap in "$@"; do
		mh_lines "$pcap"
	done >"$profile/mh-input"
	"$mh_checksum" <"$profile/mh-input" >"$profile/mh-output"
	status=$?
	expect "mh_checksum exit status for the $node captures" "$status" 0
	[ "$status" -eq 0 ] || grep -v ' is correct$' "$profile/mh-output"
	expect_at_least "BUs with a correct MH checksum in the $node captures" \
		"$(grep -c ': Binding Update checksum 0x[0-9a-f]* is correct$' "$profile/mh-output")" 2
	expect_at_least "BAs with a correct MH checksum in the $node captures" \
		"$(grep -c ': Binding Acknowledgement checksum 0x[0-9a-f]* is correct$' \
			"$profile/mh-output")" 2
}

ha_node=$(sqlite3 -batch -noheader "$dir/handoff.db" "SELECT id FROM node WHERE name = 'ha'")
expect_at_least "home agent captures" "$(ls "$dir"/handoff-"$ha_node"-*.pcap | wc -l)" 1
check_mh_checksums "mobile node" "$mn_pcap"
check_mh_checksums "home agent" "$dir"/handoff-"$ha_node"-*.pcap

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
