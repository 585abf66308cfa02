#!/bin/sh
# Check the IKEv2 codec on the wire with tshark.  ikev2_pcap writes an
# exchange between a mobile node and its home agent (IKE_SA_INIT,
# IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL, described in
# test/e2e/ikev2_pcap.c) and the IKE SA's keys.  With those keys tshark
# must dissect every message as ISAKMP version 2.0 with the expected
# exchange type and flags.  It must find no malformed packet, no expert
# warning and no bad UDP checksum.  It must decrypt the six SK payloads
# with every Integrity Checksum Data [correct], and show the IDi, IDr,
# TS, Notify and Delete fields that ikev2_pcap.c writes.  With a wrong
# SK_ai the three requests must fail the integrity check, which shows
# that the check above can fail.
# Usage: check_ikev2_wire.sh IKEV2_PCAP OUTDIR
# Exits 77 (skipped) when tshark is not installed.
set -u
program=$1
dir=$2

if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark not found; install the Debian package tshark to run this test"
	exit 77
fi

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"
if ! "$program" "$dir"; then
	echo "FAIL: $program did not write the capture"
	exit 1
fi
pcap=$dir/ikev2.pcap

# tshark reads the IKEv2 decryption table from a profile folder of its own.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$profile/profiles/good" "$profile/profiles/bad_sk_ai"
cp "$dir/ikev2_decryption_table" "$profile/profiles/good/"
# Field 6 is SK_ai: change its first hex digit.
awk -F, 'BEGIN { OFS = "," } { $6 = (substr($6, 1, 1) == "0" ? "1" : "0") substr($6, 2); print }' \
	"$dir/ikev2_decryption_table" >"$profile/profiles/bad_sk_ai/ikev2_decryption_table"

shark() {
	name=$1
	shift
	WIRESHARK_CONFIG_DIR=$profile tshark -C "$name" -r "$pcap" -o udp.check_checksum:TRUE "$@" \
		2>/dev/null
}

# field FRAME FIELD: the field's values in one frame, comma-separated.
field() {
	shark good -Y "frame.number == $1" -T fields -e "$2"
}

expect "frames" "$(shark good | wc -l)" 8
expect "ISAKMP version 2.0" "$(shark good -Y 'isakmp.version == 0x20' | wc -l)" 8
expect "exchange types" "$(shark good -T fields -e isakmp.exchangetype | tr '\n' ' ')" \
	"34 34 35 35 36 36 37 37 "
expect "Initiator flags" "$(shark good -T fields -e isakmp.flag_i | tr '\n' ' ')" \
	"1 0 1 0 1 0 1 0 "
expect "Response flags" "$(shark good -T fields -e isakmp.flag_r | tr '\n' ' ')" \
	"0 1 0 1 0 1 0 1 "
expect "message IDs" "$(shark good -T fields -e isakmp.messageid | tr '\n' ' ')" \
	"0x00000000 0x00000000 0x00000001 0x00000001 0x00000002 0x00000002 0x00000003 0x00000003 "
expect "good UDP checksums" "$(shark good -Y 'udp.checksum.status == 1' | wc -l)" 8
expect "malformed or warned packets" \
	"$(shark good -Y '_ws.malformed || _ws.expert.severity >= warning' | wc -l)" 0

# IKE_SA_INIT in clear: Key Length 128, group 31, 32-byte nonces.
expect "request Key Length" "$(field 1 isakmp.ike2.attr.key_length)" 128
expect "request DH transform" "$(field 1 isakmp.tf.id.dh)" 31
expect "request KE group" "$(field 1 isakmp.key_exchange.dh_group)" 31
expect "response KE group" "$(field 2 isakmp.key_exchange.dh_group)" 31
expect "request nonce length" "$(field 1 isakmp.nonce | tr -d '\n' | wc -c)" 64

# The SK payloads decrypt, and every ICV checks.
expect "decrypted SK payloads" "$(shark good -Y 'isakmp.enc.decrypted' | wc -l)" 6
expect "correct Integrity Checksum Data" \
	"$(shark good -V | grep -c 'Integrity Checksum Data: .*\[correct\]')" 6
expect "integrity checksum errors" \
	"$(shark good -Y 'isakmp.ikev2.integrity_checksum' | wc -l)" 0

# IKE_AUTH: identities, the ESP proposal and the Mobility Header selectors
# of RFC 4877 §4.3 (MH type in the high byte of the ports).
expect "IDi" "$(field 3 isakmp.id.data.fqdn)" "mn.example.org"
expect "IDr" "$(field 4 isakmp.id.data.fqdn)" "ha.example.org"
expect "AUTH method" "$(field 3 isakmp.auth.method)" 2
expect "IKE_AUTH notify" "$(field 3 isakmp.notify.msgtype)" 16391
expect "ESP SPI of the request" "$(field 3 isakmp.spi)" "00001000"
expect "TS addresses" "$(field 3 isakmp.ts.start_ipv6)" "2001:db8:1::10,2001:db8:1::1"
expect "TS end addresses" "$(field 3 isakmp.ts.end_ipv6)" "2001:db8:1::10,2001:db8:1::1"
expect "TS protocols" "$(field 3 isakmp.ts.protoid)" "135,135"
expect "TS start ports" "$(field 3 isakmp.ts.start_port)" "1280,1536"
expect "TS end ports" "$(field 3 isakmp.ts.end_port)" "1535,1791"

# CREATE_CHILD_SA with N(REKEY_SA) for the old SPI, INFORMATIONAL with Deletes.
expect "REKEY_SA notify" "$(field 5 isakmp.notify.msgtype)" 16393
expect "rekeyed SPI" "$(field 5 isakmp.spi)" "00001000,00001001"
expect "delete SPI of the request" "$(field 7 isakmp.delete.spi)" "00001000"
expect "delete SPI of the response" "$(field 8 isakmp.delete.spi)" "00002000"

# A wrong SK_ai fails the initiator's three SK messages and no other.
expect "ICV errors with a wrong SK_ai" \
	"$(shark bad_sk_ai -Y 'isakmp.ikev2.integrity_checksum' -T fields -e frame.number |
		tr '\n' ' ')" "3 5 7 "

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
