#!/bin/sh
# Run the handoff scenario in real ns-3 with --keying=ikev1 (IKEv1 as RFC
# 3776 section 4.4 describes it between mobile node and home agent) and
# check the database with sqlite3 and the captures with tshark.
#
# Run 1, defaults: each end records one ike_sa_up event with value 1 (the
# IKE version) and the mobile node registers twice, the first time after
# its ike_sa_up.  The mobile node's capture contains aggressive mode
# (exchange type 4, three messages) and then three quick modes (32, three
# messages each) for the BU/BA, prefix discovery and return routability
# pairs.  With the logged ikev1_decryption_table tshark decrypts every
# encrypted message.  Phase-1 identities are ID_FQDN, and IDci is the home
# address with protocols 135, 58 and 135.  No IKE packet is malformed or
# warned, and every ESP packet has a good ICV with the logged esp_sa.
# Run 2, --kBit=false: a second aggressive mode runs from the second
# care-of address.  Then an Informational exchange (5) deletes the old
# ISAKMP SA and its pairs, so 6 SAs remain at each end.
# Run 3, short child SA lifetimes: each rekey is a quick mode followed by
# an Informational exchange with a Delete payload, and every ESP packet,
# those of the rekeyed SAs included, has a good ICV.
# Run 4: --keying=ikev1 with --dhGroup=31 exits with status 2 and a
# message that names the value, before the database is touched.
# Run 5, --ikeLifetime=7: a new phase 1 and quick modes replace the ISAKMP
# SA twice without a dropped packet, and a child rekey in flight when
# a move replaces it is abandoned without esp_no_sa drops.
#
# Usage: check_ikev1.sh SCENARIO OUTDIR
# Exits 77 (skipped) when tshark or sqlite3 is not installed.
set -u
scenario=$1
dir=$2

for tool in tshark sqlite3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found; install the Debian package $tool to run this check"
		exit 77
	fi
done

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# The scenario's home agent and the mobile node's home address.
ha_addr=2001:1:0:1::1
hoa=2001:1:0:1:200:ff:fe00:c

# simulate RUN OPTION...: run the scenario with IKEv1 and pcap files into
# OUTDIR/RUN.  Copy the run's ESP and IKE keys to a tshark profile named RUN.
simulate() {
	run=$1
	shift
	mkdir -p "$dir/$run" "$profile/profiles/$run"
	"$scenario" --keying=ikev1 --pcap=true --output="$dir/$run/handoff.db" "$@" \
		>"$dir/$run/log" 2>&1
	status=$?
	cp "$dir/$run/handoff-esp_sa" "$profile/profiles/$run/esp_sa"
	cp "$dir/$run/handoff-ikev1_decryption_table" \
		"$profile/profiles/$run/ikev1_decryption_table"
	return "$status"
}

# shark RUN TSHARK_OPTION...: run tshark with the keys of RUN.
shark() {
	run=$1
	shift
	WIRESHARK_CONFIG_DIR=$profile tshark -C "$run" -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE -o udp.check_checksum:TRUE "$@" 2>/dev/null
}

# events RUN NODE KIND: print how many mobility events of KIND the node
# recorded.
events() {
	query "$dir/$1/handoff.db" "SELECT count(*) FROM mobility_events_v
		WHERE node_name = '$2' AND kind = '$3'"
}

# check_captures RUN: check the captures of the mobile node and of the home
# agent's home link.  Each ESP packet has a good ICV, and no IKE packet is
# malformed or has an expert warning, such as a bad UDP checksum.
check_captures() {
	for pcap in "$dir/$1"/handoff-0-1.pcap "$dir/$1"/handoff-3-1.pcap; do
		name="$1/$(basename "$pcap")"
		shark "$1" -r "$pcap" -Y esp -T fields -e esp.icv_good >"$profile/esp"
		expect_at_least "ESP packets in $name" "$(grep -c . "$profile/esp")" 4
		expect "ESP packets in $name without a good ICV" "$(grep -c -v -x 1 "$profile/esp")" 0
		expect "malformed or warned IKE packets in $name" "$(shark "$1" -r "$pcap" \
			-Y 'isakmp && (_ws.malformed || _ws.expert.severity >= warning)' | wc -l)" 0
	done
}

# ike_fields RUN: write the IKE packets of the mobile node's capture to
# OUTDIR/RUN/ike.tsv, one a line.  The tab-separated columns are:
#  1 frame  2 IPv6 source  3 IPv6 destination  4 protocols  5 exchange type
#  6 Encryption flag  7 payload types  8 ID types  9 ID protocols
# 10 ID IPv6 addresses  11 ID FQDNs  12 Delete protocols
ike_fields() {
	shark "$1" -r "$dir/$1/handoff-0-1.pcap" -Y isakmp -T fields -E separator=/t \
		-e frame.number -e ipv6.src -e ipv6.dst -e frame.protocols \
		-e isakmp.exchangetype -e isakmp.flag_e -e isakmp.typepayload -e isakmp.id.type \
		-e isakmp.id.protoid -e isakmp.id.data.ipv6_addr -e isakmp.id.data.fqdn \
		-e isakmp.delete.protoid >"$dir/$1/ike.tsv"
}

# ike_count RUN CONDITION: print how many lines of ike.tsv match the awk
# CONDITION.
ike_count() {
	awk -F'\t' "$2 { n++ } END { print n + 0 }" "$dir/$1/ike.tsv"
}

# check_decrypted RUN: tshark decrypts every encrypted message to a HASH
# payload, with which quick mode and Informational exchanges start (RFC
# 2409 sections 5.5 and 5.7), and finds nothing malformed after it.  With a
# wrong key the decrypted bytes do not parse.
check_decrypted() {
	encrypted=$(ike_count "$1" '$6 == 1')
	expect_at_least "encrypted IKE messages at the mobile node in $1" "$encrypted" 6
	expect "decrypted IKE messages at the mobile node in $1" "$(shark "$1" \
		-r "$dir/$1/handoff-0-1.pcap" -Y 'isakmp.flag_e == 1 && isakmp.hash && !_ws.malformed' |
		wc -l)" "$encrypted"
}

# ---- run 1: defaults ----

simulate default
expect "scenario exit status with --keying=ikev1" "$?" 0
db=$dir/default/handoff.db
for node in mn ha; do
	expect "ike_sa_up events with value 1 at $node" "$(query "$db" "SELECT count(*)
		FROM mobility_events_v WHERE node_name = '$node' AND kind = 'ike_sa_up'
		AND value = 1")" 1
	expect "ike_failed events at $node" "$(events default "$node" ike_failed)" 0
done
expect "home registrations" "$(events default mn registered)" 2
expect "first BU at or after the mobile node's ike_sa_up" "$(query "$db" "SELECT
	(SELECT min(time_ns) FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'bu_sent')
	>= (SELECT min(time_ns) FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'ike_sa_up')")" 1
expect "IKE drops" "$(query "$db" "SELECT count(*) FROM packet_events_v
	WHERE kind = 'drop' AND drop_reason LIKE 'ike\_%' ESCAPE '\'")" 0
expect "SA events with another keying than ikev1" "$(query "$db" "SELECT count(*)
	FROM sa_events_v WHERE keying <> 'ikev1'")" 0

check_captures default
ike_fields default
expect "exchange types at the mobile node" \
	"$(awk -F'\t' '{ printf "%s ", $5 }' "$dir/default/ike.tsv")" \
	"4 4 4 32 32 32 32 32 32 32 32 32 "
expect "IKE packets the mobile node sent from its home address" \
	"$(ike_count default "\$3 == \"$ha_addr\" && \$2 == \"$hoa\"")" 0
expect "IKE packets at the mobile node other than IPv6 -> UDP -> ISAKMP" \
	"$(ike_count default '$4 != "eth:ethertype:ipv6:udp:isakmp"')" 0
check_decrypted default
# RFC 3776 section 4.4: phase-1 identities are names, never ID_IPV6_ADDR.
expect "phase-1 identities" "$(awk -F'\t' '$5 == 4 && $8 != "" { print $8, $11 }' \
	"$dir/default/ike.tsv" | tr '\n' ';')" "2 mn0.home.example;2 ha.home.example;"
# Quick mode message 1: IDci the home address, IDcr the home agent or ::/0.
expect "quick mode client identities" "$(awk -F'\t' -v ha="$ha_addr" \
	'$5 == 32 && $3 == ha && $8 != "" { print $8, $9, $10 }' "$dir/default/ike.tsv" |
	tr '\n' ';')" \
	"5,5 135,135 $hoa,$ha_addr;5,5 58,58 $hoa,$ha_addr;5,6 135,135 $hoa,::;"

# ---- run 2: no K bit, so phase 1 runs again after the second handoff ----

simulate no-k-bit --kBit=false
expect "scenario exit status with --kBit=false" "$?" 0
db=$dir/no-k-bit/handoff.db
for node in mn ha; do
	expect "ike_sa_up events at $node with --kBit=false" "$(events no-k-bit "$node" ike_sa_up)" 2
	expect "ike_sa_down events at $node with --kBit=false" \
		"$(events no-k-bit "$node" ike_sa_down)" 1
	expect "live SAs at $node at the end with --kBit=false" "$(query "$db" "SELECT count(*)
		FROM sa_lifetimes_v WHERE removed_ns IS NULL
		AND node = (SELECT id FROM node WHERE name = '$node')")" 6
done
expect "home registrations with --kBit=false" "$(events no-k-bit mn registered)" 2
check_captures no-k-bit
ike_fields no-k-bit
check_decrypted no-k-bit
expect "aggressive mode messages at the mobile node with --kBit=false" \
	"$(ike_count no-k-bit '$5 == 4')" 6
# The Delete names the pairs (ESP, 3) and the ISAKMP SA (1).
expect "Informational exchanges with --kBit=false" \
	"$(awk -F'\t' '$5 == 5 { print $7, $12 }' "$dir/no-k-bit/ike.tsv")" "8,12,12 3,1"

# ---- run 3: rekeying every 4 s with payload inside ESP ----

simulate rekey --saSoftLifetime=4 --saHardLifetime=8 --tunnelEsp=all --uplinkInterval=20
expect "scenario exit status with rekeying" "$?" 0
db=$dir/rekey/handoff.db
rekeys=$(events rekey mn rekey_done)
rekeys=${rekeys:-0}
expect_at_least "rekey_done events at the mobile node" "$rekeys" 1
expect "rekey_start events at the mobile node" "$(events rekey mn rekey_start)" "$rekeys"
expect "hard_expire events" "$(query "$db" "SELECT count(*) FROM sa_events_v
	WHERE event = 'hard_expire'")" 0
check_captures rekey
ike_fields rekey
check_decrypted rekey
expect "Informational exchanges with an ESP Delete" \
	"$(ike_count rekey '$5 == 5 && $7 == "8,12" && $12 == 3')" "$rekeys"
expect "esp_sa records" "$(grep -c . "$dir/rekey/handoff-esp_sa")" "$(query "$db" "SELECT
	count(*) FROM sa_events_v WHERE node_name = 'mn' AND event = 'install'")"

# ---- run 4: IKEv1 takes MODP group 14 only ----

rm -f "$dir/invalid.db"
"$scenario" --keying=ikev1 --dhGroup=31 --output="$dir/invalid.db" >"$dir/invalid.log" 2>&1
expect "exit status for --keying=ikev1 --dhGroup=31" "$?" 2
expect "message for --dhGroup=31 names the value" "$(grep -c -w 31 "$dir/invalid.log")" 1
expect "database left untouched by --dhGroup=31" \
	"$(ls "$dir/invalid.db" 2>/dev/null | wc -l)" 0

# ---- hard limits that end during a handoff ----

# A pair removed at its hard lifetime while the mobile node moves must be
# renewed from the new care-of address, with or without the K bit, and a
# pair the home agent removes at its hard byte limit is renewed after its
# Delete.
for kbit in true false; do
	"$scenario" --keying=ikev1 --kBit="$kbit" --saHardLifetime=5 \
		--output="$dir/hard-$kbit.db" >/dev/null 2>&1
	expect "exit status with --saHardLifetime=5 --kBit=$kbit" "$?" 0
	expect "registrations with --saHardLifetime=5 --kBit=$kbit" \
		"$(sqlite3 -batch -noheader "$dir/hard-$kbit.db" "SELECT count(*) FROM mobility_events_v
			WHERE kind = 'registered'")" 2
done
"$scenario" --keying=ikev1 --tunnelEsp=all --saHardBytes=150000 \
	--output="$dir/hard-bytes.db" >/dev/null 2>&1
expect "exit status with --saHardBytes=150000" "$?" 0
no_sa_drops=$(sqlite3 -batch -noheader "$dir/hard-bytes.db" "SELECT count(*)
	FROM packet_events_v WHERE kind = 'drop' AND drop_reason = 'esp_no_outbound_sa'")
if [ "$no_sa_drops" -le 50 ] 2>/dev/null; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL esp_no_outbound_sa drops with --saHardBytes=150000: got '$no_sa_drops', expected at most 50"
fi

# ---- run 5: the ISAKMP SA replaced every 7 s ----

# IKEv1 cannot rekey an ISAKMP SA, so at --ikeLifetime the mobile node runs
# a new aggressive mode and quick modes for every pair from the same
# address, then an Informational exchange deletes the old ISAKMP SA and its
# pairs.  Traffic must not notice: no drop, and the BA times of the run
# without it.
simulate isakmp --ikeLifetime=7
expect "scenario exit status with --ikeLifetime=7" "$?" 0
db=$dir/isakmp/handoff.db
expect "ike_sa_rekeyed events at the mobile node" "$(events isakmp mn ike_sa_rekeyed)" 2
expect "ike_sa_up events at the mobile node" "$(events isakmp mn ike_sa_up)" 3
expect "ike_sa_down events at the home agent" "$(events isakmp ha ike_sa_down)" 2
expect "rekeyed SPIs chain from the first IKE SA" "$(query "$db" "SELECT count(*)
	FROM mobility_events_v a JOIN mobility_events_v b ON b.kind = 'ike_sa_rekeyed'
	AND b.value = a.value2 AND b.time_ns > a.time_ns WHERE a.kind = 'ike_sa_rekeyed'")" 1
expect "drops with --ikeLifetime=7" "$(query "$db" "SELECT count(*) FROM packet_event
	WHERE kind = 5")" 0
expect "live SAs at the mobile node at the end with --ikeLifetime=7" "$(query "$db" "SELECT
	count(*) FROM sa_lifetimes_v WHERE removed_ns IS NULL
	AND node = (SELECT id FROM node WHERE name = 'mn')")" 6
expect "BA times with --ikeLifetime=7" "$(query "$db" "SELECT group_concat(time_ns, ' ') FROM
	mobility_event WHERE kind = 6")" "$(query "$dir/default/handoff.db" "SELECT
	group_concat(time_ns, ' ') FROM mobility_event WHERE kind = 6")"
check_captures isakmp
ike_fields isakmp
check_decrypted isakmp
expect "aggressive mode messages with --ikeLifetime=7" "$(ike_count isakmp '$5 == 4')" 9

# A child rekey in flight from the old care-of address when a move without
# the K bit replaces the ISAKMP SA is abandoned.  The Delete still reaches
# the home agent, so no packet arrives under a removed SA.
"$scenario" --keying=ikev1 --ikeLifetime=6 --saSoftLifetime=4 --saHardLifetime=6 \
	--tunnelEsp=all --kBit=false --output="$dir/abandoned.db" >/dev/null 2>&1
expect "exit status with a rekey in flight during a move" "$?" 0
expect "rekeys abandoned during the move" "$(sqlite3 -batch -noheader "$dir/abandoned.db" "SELECT
	(SELECT count(*) FROM mobility_event WHERE kind = 45)
	- (SELECT count(*) FROM mobility_event WHERE kind = 46)")" 1
expect "esp_no_sa drops with a rekey in flight during a move" \
	"$(sqlite3 -batch -noheader "$dir/abandoned.db" "SELECT count(*) FROM packet_event
		WHERE kind = 5 AND drop_reason = 2")" 0

# A hard lifetime close to the soft one: a pair that its rekey already
# replaced, or whose rekey is under way, may reach the hard limit first.
# That must not start a further pair of its kind, which filled the table of
# pairs and stalled later rekeys.
"$scenario" --keying=ikev1 --saSoftLifetime=3 --saHardLifetime=5 \
	--output="$dir/close-limits.db" >/dev/null 2>&1
expect "exit status with --saSoftLifetime=3 --saHardLifetime=5" "$?" 0
expect "unfinished rekeys with close limits" "$(sqlite3 -batch -noheader "$dir/close-limits.db" \
	"SELECT count(*) FROM rekeys_v WHERE end_ns IS NULL")" 0
expect "drops and IKE failures with close limits" "$(sqlite3 -batch -noheader \
	"$dir/close-limits.db" "SELECT (SELECT count(*) FROM packet_event WHERE kind = 5)
	+ (SELECT count(*) FROM mobility_event WHERE kind = 43)")" 0

# Soft lifetimes that end while --ikeLifetime replaces the ISAKMP SA: the
# pairs of the old SA are not rekeyed, because the new SA brings their
# successors, so no rekey is left unfinished and no packet is dropped.
"$scenario" --keying=ikev1 --ikeLifetime=7 --saSoftLifetime=3 --saHardLifetime=5 \
	--output="$dir/replaced-rekeys.db" >/dev/null 2>&1
expect "exit status with rekeys during an ISAKMP replacement" "$?" 0
expect "unfinished rekeys during an ISAKMP replacement" "$(sqlite3 -batch -noheader \
	"$dir/replaced-rekeys.db" "SELECT count(*) FROM rekeys_v WHERE end_ns IS NULL")" 0
expect "drops during an ISAKMP replacement" "$(sqlite3 -batch -noheader \
	"$dir/replaced-rekeys.db" "SELECT count(*) FROM packet_event WHERE kind = 5")" 0

# A rekey that outlasts the hard limit: 100 ms of Diffie-Hellman with PFS,
# and 50 ms between the limits.  Its pair ends first, and the new pair must
# still serve the kind.  So no handoff loses more datagrams than the 1 s of
# DAD costs, about 110 at the default rate.
"$scenario" --keying=ikev1 --pfs=true --dhCost=100 --saSoftLifetime=3 --saHardLifetime=3.05 \
	--tunnelEsp=all --output="$dir/slow-rekey.db" >/dev/null 2>&1
expect "exit status with a rekey slower than the hard limit" "$?" 0
expect "kinds with a live pair at the end with a slow rekey" "$(sqlite3 -batch -noheader \
	"$dir/slow-rekey.db" "SELECT count(DISTINCT name) FROM sa_lifetimes_v
	WHERE removed_ns IS NULL AND node = 0")" 4
expect "handoffs losing more than 130 datagrams with a slow rekey" "$(sqlite3 -batch -noheader \
	"$dir/slow-rekey.db" "WITH d AS (SELECT app_seq FROM packet_event WHERE node = 0 AND kind = 4
		AND app_seq IS NOT NULL AND protocol = 17),
	g AS (SELECT app_seq - lag(app_seq) OVER (ORDER BY app_seq) - 1 AS gap FROM d)
	SELECT count(*) FROM g WHERE gap > 130")" 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
