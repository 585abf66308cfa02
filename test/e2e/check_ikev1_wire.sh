#!/bin/sh
# Check the IKEv1 exchanges that ikev1_pcap writes with tshark.  There
# must be six ISAKMP version 1.0 messages over UDP port 500 between the
# care-of address and the home agent (RFC 3776 section 4.4).  The first
# three are aggressive mode (exchange type 4) and the last three quick
# mode (32).  Each must carry the payloads of RFC 2409 sections 5.4 and
# 5.5 and a correct UDP checksum, and none may be malformed or raise an
# expert warning.
#
# Wireshark 4.0 decrypts IKEv1 given the initiator cookie and the
# encryption key (its ikev1_decryption_table), so the quick mode
# payloads are checked after decryption.  IDci must be ID_IPV6_ADDR of
# the home address with protocol 135, and IDcr that of the home agent.
# With a wrong key the same messages must not decrypt, which shows that
# the check depends on the derived key.
#
# Usage: check_ikev1_wire.sh IKEV1_PCAP OUTDIR
# Exits 77 (skipped) when tshark is not installed.
set -u
program=$1
dir=$2

if ! command -v tshark >/dev/null 2>&1; then
	echo "tshark not found; install the Debian package tshark to run this check"
	exit 77
fi

. "$(dirname "$0")/lib.sh"

mkdir -p "$dir"
pcap=$dir/ikev1.pcap
if ! "$program" "$pcap" "$dir/ikev1_decryption_table" >"$dir/ikev1_pcap.out"; then
	echo "FAIL $program could not write the exchange; see its message above"
	exit 1
fi
value() {
	sed -n "s/^$1=//p" "$dir/ikev1_pcap.out"
}
coa=$(value care_of_address)
ha=$(value home_agent)
hoa=$(value home_address)
uat=$(cat "$dir/ikev1_decryption_table")

shark() {
	tshark -r "$pcap" -o udp.check_checksum:TRUE "$@" 2>/dev/null
}

# Header fields, addresses and checksums of each message, in clear.
fields=$(shark -T fields -E separator=' ' -e frame.number -e frame.protocols -e isakmp.version \
	-e isakmp.exchangetype -e isakmp.flag_e -e ipv6.src -e ipv6.dst -e udp.srcport \
	-e udp.dstport -e udp.checksum.status)
mn_to_ha="$coa $ha 500 500 1"
ha_to_mn="$ha $coa 500 500 1"
expect "message headers" "$fields" "1 ipv6:udp:isakmp 0x10 4 0 $mn_to_ha
2 ipv6:udp:isakmp 0x10 4 0 $ha_to_mn
3 ipv6:udp:isakmp 0x10 4 0 $mn_to_ha
4 ipv6:udp:isakmp 0x10 32 1 $mn_to_ha
5 ipv6:udp:isakmp 0x10 32 1 $ha_to_mn
6 ipv6:udp:isakmp 0x10 32 1 $mn_to_ha"
expect "malformed packets or expert warnings" \
	"$(shark -o "uat:ikev1_decryption_table:$uat" \
		-Y '_ws.malformed || _ws.expert.severity >= "Warning"' | wc -l)" 0

# Payload types after decryption: 1 SA, 2 Proposal, 3 Transform, 4 KE,
# 5 ID, 8 HASH, 10 Nonce.
payloads=$(shark -o "uat:ikev1_decryption_table:$uat" -T fields -E separator=' ' \
	-E aggregator=',' -e frame.number -e isakmp.typepayload)
expect "payloads of each message" "$payloads" "1 1,2,3,4,10,5
2 1,2,3,4,10,5,8
3 8
4 8,1,2,3,10,4,5,5
5 8,1,2,3,10,4,5,5
6 8"

# Phase 1 identities are FQDNs, never ID_IPV6_ADDR (RFC 3776 section 4.4).
phase1_ids=$(shark -Y 'isakmp.exchangetype == 4 && isakmp.id.type' -T fields -E separator=' ' \
	-e isakmp.id.type -e isakmp.id.data.fqdn)
expect "phase 1 identities" "$phase1_ids" "2 mn1.home.example
2 ha.home.example"

# Quick mode client identities: the home address and the home agent, for the Mobility Header.
quick_ids=$(shark -o "uat:ikev1_decryption_table:$uat" \
	-Y 'isakmp.exchangetype == 32 && isakmp.id.type' -T fields -E separator=' ' \
	-E aggregator=',' -e isakmp.id.type -e isakmp.id.protoid -e isakmp.id.data.ipv6_addr)
expect "quick mode IDci and IDcr" "$quick_ids" "5,5 135,135 $hoa,$ha
5,5 135,135 $hoa,$ha"

# The same check with the first hex digit of the key changed finds nothing.
key=${uat#*,}
case $key in
0*) digit=1 ;;
*) digit=0 ;;
esac
wrong_key="${uat%%,*},$digit${key#?}"
expect "quick mode identities found with a wrong key" \
	"$(shark -o "uat:ikev1_decryption_table:$wrong_key" -Y 'isakmp.id.type == 5' | wc -l)" 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
