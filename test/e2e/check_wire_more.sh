#!/bin/sh
# Run the handoff scenario with route optimization and a home prefix
# lifetime change, and check with tshark the messages that check_wire.sh
# does not:
# - every Mobile Prefix Solicitation (ICMPv6 146) leaves the mobile node
#   as IPv6 -> destination options (Home Address option) -> ESP -> ICMPv6
#   and every Mobile Prefix Advertisement (ICMPv6 147) arrives as IPv6 ->
#   type 2 routing header -> ESP -> ICMPv6 (RFC 3776 section 3.3), with a
#   good ICV, in the mobile node's and the home agent's captures;
# - CoTI and CoT travel in clear between a care-of address and the
#   correspondent (RFC 6275 return routability);
# - the BU to the correspondent carries the Home Address option and a
#   Binding Authorization Data option (RFC 6275);
# - the correspondent's BA carries a type 2 routing header with the home
#   address (RFC 6275);
# - no capture has a malformed packet;
# - every Mobility Header message in the mobile node's capture, decrypted
#   or clear, has a correct checksum (mh_checksum, because tshark 4.0 does
#   not verify it).
# Usage: check_wire_more.sh SCENARIO MH_CHECKSUM OUTDIR
set -u
if [ $# -ne 3 ]; then
	echo "usage: $0 SCENARIO MH_CHECKSUM OUTDIR" >&2
	exit 2
fi
scenario=$1
mh_checksum=$2
dir=$3

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"
"$scenario" --routeOptimization=true --prefixChangeAt=10 --pcap=true \
	--output="$dir/handoff.db" >"$dir/scenario.log" 2>&1
status=$?
expect "scenario exit status" "$status" 0
if [ "$status" -ne 0 ]; then
	cat "$dir/scenario.log"
	echo "$passed passed, $failed failed"
	exit 1
fi

# tshark reads the SA table from a profile folder of its own.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/profiles/mip6sec"
cp "$dir/handoff-esp_sa" "$work/profiles/mip6sec/esp_sa"

shark() {
	WIRESHARK_CONFIG_DIR=$work tshark -C mip6sec \
		-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE "$@" \
		2>/dev/null
}

db_value() {
	sqlite3 -batch -noheader "$dir/handoff.db" "$1"
}

# The first SA (SA1) runs from the mobile node's home address to the home
# agent.  The database names the nodes, the correspondent (the
# destination of the first CoTI) and every care-of address.
hoa=$(head -n 1 "$dir/handoff-esp_sa" | cut -d, -f2 | tr -d '"')
ha_address=$(head -n 1 "$dir/handoff-esp_sa" | cut -d, -f3 | tr -d '"')
mn_node=$(db_value "SELECT id FROM node WHERE name = 'mn'")
ha_node=$(db_value "SELECT id FROM node WHERE name = 'ha'")
cn_address=$(db_value "SELECT address FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'coti_sent' ORDER BY time_ns LIMIT 1")
db_value "SELECT DISTINCT address FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'coa_ready'" >"$work/coas"
expect_at_least "care-of addresses in the database" "$(grep -c . "$work/coas")" 2
expect_at_least "correspondent address in the database" "${#cn_address}" 3

mn_pcap=$(ls "$dir"/handoff-"$mn_node"-*.pcap 2>/dev/null | head -n 1)
expect_at_least "mobile node captures" "$(ls "$dir"/handoff-"$mn_node"-*.pcap | wc -l)" 1
expect_at_least "home agent captures" "$(ls "$dir"/handoff-"$ha_node"-*.pcap | wc -l)" 1

is_coa() {
	grep -qxF "$1" "$work/coas"
}

for pcap in "$dir"/handoff-*.pcap; do
	name=$(basename "$pcap")
	expect "malformed packets in $name" "$(shark -r "$pcap" -Y _ws.malformed | wc -l)" 0
done

# check_prefix_messages NODE LINK PCAP...: every MPS and MPA in the
# node's captures has the RFC 3776 layout behind the link layer LINK
# (the protocols that tshark lists before "ipv6").
check_prefix_messages() {
	node=$1
	link=$2
	shift 2
	for pcap in "$@"; do
		shark -r "$pcap" -Y 'icmpv6.type == 146' -T fields -E separator=' ' \
			-e frame.protocols -e ipv6.opt.mipv6.home_address -e esp.icv_good \
			-e icmpv6.type -e ipv6.src -e ipv6.dst
	done >"$work/mps"
	expect_at_least "MPSs in the $node captures" "$(grep -c . "$work/mps")" 1
	while read -r chain home icv type src dst; do
		[ "$chain" = "$link:ipv6:ipv6.dstopts:esp:icmpv6" ] && [ "$home" = "$hoa" ] &&
			[ "$icv" = 1 ] && [ "$type" = 146 ] && is_coa "$src" &&
			[ "$dst" = "$ha_address" ] ||
			echo "bad MPS: $chain $home $icv $type $src $dst"
	done <"$work/mps" >"$work/bad-mps"
	expect "MPSs without the RFC 3776 layout in the $node captures" "$(cat "$work/bad-mps")" ""

	for pcap in "$@"; do
		shark -r "$pcap" -Y 'icmpv6.type == 147' -T fields -E separator=' ' \
			-e frame.protocols -e ipv6.routing.type -e ipv6.routing.mipv6.home_address \
			-e esp.icv_good -e icmpv6.type -e ipv6.src -e ipv6.dst
	done >"$work/mpa"
	expect_at_least "MPAs in the $node captures" "$(grep -c . "$work/mpa")" 1
	while read -r chain rtype home icv type src dst; do
		[ "$chain" = "$link:ipv6:ipv6.routing:esp:icmpv6" ] && [ "$rtype" = 2 ] &&
			[ "$home" = "$hoa" ] && [ "$icv" = 1 ] && [ "$type" = 147 ] &&
			[ "$src" = "$ha_address" ] && is_coa "$dst" ||
			echo "bad MPA: $chain $rtype $home $icv $type $src $dst"
	done <"$work/mpa" >"$work/bad-mpa"
	expect "MPAs without the RFC 3776 layout in the $node captures" "$(cat "$work/bad-mpa")" ""
}

# The mobile node sits on CSMA (Ethernet) links.  The home agent's
# point-to-point capture has raw IPv6 frames and its home link capture
# has none of these messages while the mobile node is away.
check_prefix_messages "mobile node" "eth:ethertype" "$mn_pcap"
check_prefix_messages "home agent" "raw" "$dir"/handoff-"$ha_node"-*.pcap

# Return routability and binding with the correspondent, in the mobile
# node's capture.  Each row is checked field by field, and every failing
# row is printed.
shark -r "$mn_pcap" -Y 'mip6.mhtype == 2 || mip6.mhtype == 4' -T fields -E separator=' ' \
	-e mip6.mhtype -e frame.protocols -e ipv6.src -e ipv6.dst >"$work/care-of-tests"
expect_at_least "CoTIs in the mobile node's capture" "$(grep -c '^2 ' "$work/care-of-tests")" 2
expect_at_least "CoTs in the mobile node's capture" "$(grep -c '^4 ' "$work/care-of-tests")" 2
while read -r mhtype chain src dst; do
	if [ "$mhtype" = 2 ]; then
		coa=$src
		peer=$dst
	else
		coa=$dst
		peer=$src
	fi
	[ "$chain" = "eth:ethertype:ipv6:mipv6" ] && is_coa "$coa" && [ "$peer" = "$cn_address" ] ||
		echo "bad CoTI or CoT: $mhtype $chain $src $dst"
done <"$work/care-of-tests" >"$work/bad-care-of-tests"
expect "CoTIs and CoTs not in clear between care-of address and correspondent" \
	"$(cat "$work/bad-care-of-tests")" ""

shark -r "$mn_pcap" -Y "mip6.mhtype == 5 && ipv6.dst == $cn_address" -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.src -e ipv6.opt.mipv6.home_address -e mip6.bad.auth >"$work/cn-bu"
expect_at_least "BUs to the correspondent" "$(grep -c . "$work/cn-bu")" 2
while read -r chain src home auth; do
	[ "$chain" = "eth:ethertype:ipv6:ipv6.dstopts:mipv6" ] && is_coa "$src" &&
		[ "$home" = "$hoa" ] && [ -n "$auth" ] ||
		echo "bad BU to the correspondent: $chain $src $home $auth"
done <"$work/cn-bu" >"$work/bad-cn-bu"
expect "BUs to the correspondent without HAO or Binding Authorization Data" \
	"$(cat "$work/bad-cn-bu")" ""

shark -r "$mn_pcap" -Y "mip6.mhtype == 6 && ipv6.src == $cn_address" -T fields -E separator=' ' \
	-e frame.protocols -e ipv6.dst -e ipv6.routing.type -e ipv6.routing.mipv6.home_address \
	-e mip6.ba.status >"$work/cn-ba"
expect_at_least "BAs from the correspondent" "$(grep -c . "$work/cn-ba")" 2
while read -r chain dst rtype home status; do
	[ "$chain" = "eth:ethertype:ipv6:ipv6.routing:mipv6" ] && is_coa "$dst" &&
		[ "$rtype" = 2 ] && [ "$home" = "$hoa" ] && [ "$status" = 0 ] ||
		echo "bad BA from the correspondent: $chain $dst $rtype $home $status"
done <"$work/cn-ba" >"$work/bad-cn-ba"
expect "BAs from the correspondent without a type 2 routing header" "$(cat "$work/bad-cn-ba")" ""

# Mobility Header checksums of every MH message in the mobile node's
# capture.  tshark -T json -x puts the bytes of each Mobility Header in a
# "mipv6_raw" member: at the top of the packet for one decrypted from
# ESP transport mode, and inside the IPv6 header that carries it
# otherwise.  The JSON has duplicate "ipv6" keys for a tunnelled packet,
# and jq keeps the last, the inner header.  The addresses come from
# -T fields with the last occurrence of each field, so a tunnelled HoTI
# or HoT gets its inner source and destination.
shark -r "$mn_pcap" -Y mipv6 -T json -x |
	jq -r '.[]._source.layers |
		[.frame["frame.number"], ([.. | objects | .mipv6_raw? // empty | .[0]] | last)] |
		@tsv' >"$work/mh-bytes"
shark -r "$mn_pcap" -Y mipv6 -T fields -E separator=/t -E occurrence=l -e frame.number \
	-e ipv6.src -e ipv6.dst -e ipv6.opt.mipv6.home_address -e ipv6.routing.mipv6.home_address \
	>"$work/mh-addresses"
mh_messages=$(grep -c . "$work/mh-addresses")
expect_at_least "MH messages in the mobile node's capture" "$mh_messages" 12
expect "MH messages with bytes from tshark -T json -x" "$(cut -f2 "$work/mh-bytes" | grep -c .)" \
	"$mh_messages"

# Join the two by frame number into mh_checksum's six fields.
awk -F '\t' -v OFS='\t' -v pcap="$(basename "$mn_pcap")" '
	NR == FNR { bytes[$1] = $2; next }
	{ print pcap " frame " $1, $2, $3, $4, $5, bytes[$1] }
' "$work/mh-bytes" "$work/mh-addresses" >"$work/mh-input"
"$mh_checksum" <"$work/mh-input" >"$work/mh-output"
status=$?
expect "mh_checksum exit status for the mobile node's capture" "$status" 0
[ "$status" -eq 0 ] || grep -v ' is correct$' "$work/mh-output"
expect "MH messages checked by mh_checksum" "$(grep -c ' is correct$' "$work/mh-output")" \
	"$mh_messages"
for type in "Home Test Init" "Home Test" "Care-of Test Init" "Care-of Test" "Binding Update" \
	"Binding Acknowledgement"; do
	expect_at_least "${type}s with a correct MH checksum in the mobile node's capture" \
		"$(grep -c ": $type checksum 0x[0-9a-f]* is correct$" "$work/mh-output")" 2
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
