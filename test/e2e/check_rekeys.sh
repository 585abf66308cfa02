#!/bin/sh
# Check mip6sec-analysis --rekeys and --overhead against the raw events of
# two real ns-3 runs with short child SA lifetimes (IKEv2, and IKEv1 for
# --rekeys).  For each rekey: duration equals rekey_done - rekey_start, the
# overlap at the mobile node equals what sa_lifetimes_v gives, and the rows of
# rekeys_v equal the program's CSV.  --overhead: the tunnel bytes are 40 per
# encap event, and the ESP tunnel-mode bytes are esp_protect size minus encap
# size of the same packet.  A database without the views gets them.
# Usage: check_rekeys.sh SCENARIO ANALYSIS OUTDIR
set -u
scenario=$1
analysis=$2
dir=$3

. "$(dirname "$0")/lib.sh"

rm -rf "$dir"
mkdir -p "$dir"
v2=$dir/ikev2.db
v1=$dir/ikev1.db
"$scenario" --keying=ikev2 --tunnelEsp=all --saSoftLifetime=8 --saHardLifetime=10 \
	--output="$v2" >"$dir/ikev2.log" 2>&1 || { echo "FAIL ikev2 run"; exit 1; }
"$scenario" --keying=ikev1 --saSoftLifetime=8 --saHardLifetime=10 \
	--output="$v1" >"$dir/ikev1.log" 2>&1 || { echo "FAIL ikev1 run"; exit 1; }

for db in "$v2" "$v1"; do
	name=$(basename "$db" .db)
	"$analysis" --rekeys --csv "$db" >"$dir/$name.csv" 2>"$dir/$name.err"
	expect "$name --rekeys exit status" "$?" 0
	starts=$(sqlite3 "$db" "SELECT count(*) FROM mobility_event WHERE kind = 45")
	expect "$name rekey_start events" "$([ "$starts" -ge 4 ] && echo enough)" enough
	expect "$name CSV rows = rekey_start events" "$(($(wc -l <"$dir/$name.csv") - 1))" "$starts"

	# Durations from the raw events, to the microsecond as the CSV prints them.
	sqlite3 -csv "$db" "SELECT printf('%.6f', (d.time_ns - s.time_ns) / 1e6)
		FROM mobility_event s JOIN mobility_event d ON d.node = s.node AND d.kind = 46
		 AND d.value = s.value AND d.time_ns >= s.time_ns
		WHERE s.kind = 45 ORDER BY s.time_ns" >"$dir/$name.raw-duration"
	cut -d, -f9 "$dir/$name.csv" | tail -n +2 >"$dir/$name.csv-duration"
	expect "$name durations = rekey_done - rekey_start" \
		"$(cmp -s "$dir/$name.raw-duration" "$dir/$name.csv-duration" && echo same)" same

	# Overlap at the mobile node from sa_lifetimes_v: old removed minus new installed.
	sqlite3 -csv "$db" "SELECT printf('%.6f', (o.removed_ns - n.installed_ns) / 1e6)
		FROM mobility_event s JOIN mobility_event d ON d.node = s.node AND d.kind = 46
		 AND d.value = s.value AND d.time_ns >= s.time_ns
		JOIN sa_lifetimes_v o ON o.node = s.node AND o.spi = s.value AND o.direction = 'in'
		JOIN sa_lifetimes_v n ON n.node = s.node AND n.spi = d.value2 AND n.direction = 'in'
		WHERE s.kind = 45 ORDER BY s.time_ns" >"$dir/$name.raw-overlap"
	cut -d, -f14 "$dir/$name.csv" | tail -n +2 >"$dir/$name.csv-overlap"
	expect "$name mn overlap = sa_lifetimes_v" \
		"$(cmp -s "$dir/$name.raw-overlap" "$dir/$name.csv-overlap" && echo same)" same

	# The view gives the same rows as the CSV.
	sqlite3 -csv "$db" "SELECT node, rekey, kind, old_spi, new_spi,
		printf('%.6f', duration_ns / 1e6), ike_events, esp_drops, drops,
		printf('%.6f', ha_overlap_ns / 1e6), printf('%.6f', mn_overlap_ns / 1e6)
		FROM rekeys_v ORDER BY node, rekey" >"$dir/$name.view"
	tail -n +2 "$dir/$name.csv" | cut -d, -f1,3,4,5,6,9,10,11,12,13,14 >"$dir/$name.csv-cols"
	expect "$name rekeys_v = CSV" "$(cmp -s "$dir/$name.view" "$dir/$name.csv-cols" && echo same)" same

	ike=$(sqlite3 "$db" "SELECT min(ike_events) FROM rekeys_v")
	expect "$name every rekey has IKE events" "$([ "$ike" -ge 4 ] && echo yes)" yes
done

# --overhead: 40 tunnel bytes per encap event, ESP as recorded.
"$analysis" --overhead --csv "$v2" >"$dir/overhead.csv" 2>"$dir/overhead.err"
expect "--overhead exit status" "$?" 0
encaps=$(sqlite3 "$v2" "SELECT count(*) FROM packet_event WHERE kind = 7 AND node = 3")
tunnel=$(awk -F, '$1 == "overhead" && $2 == 3 { print $5 }' "$dir/overhead.csv")
expect "tunnel bytes = 40 per encap" "$tunnel" "$((40 * encaps))"
esp=$(sqlite3 "$v2" "SELECT sum(e.size - x.size) FROM packet_event e JOIN packet_event x
	ON x.node = e.node AND x.kind = 7 AND x.uid = e.uid WHERE e.kind = 9 AND e.node = 3")
expect "ESP tunnel bytes = esp_protect - encap" \
	"$(awk -F, '$1 == "overhead" && $2 == 3 { print $9 }' "$dir/overhead.csv")" "$esp"
bu=$(sqlite3 "$v2" "SELECT count(*) FROM mobility_event WHERE kind = 5")
expect "signalling BU = bu_sent" \
	"$(awk -F, '$1 == "signalling" && $4 == "mn" && $5 == "BU" { print $6 }' "$dir/overhead.csv")" "$bu"
expect "signalling_v = CSV" \
	"$(sqlite3 -csv "$v2" "SELECT 'signalling', node, node_name, sender, message, packets, bytes
		FROM signalling_v ORDER BY node, sender DESC, message" | md5sum)" \
	"$(awk -F, '$1 == "signalling" { print $1","$2","$3","$4","$5","$6","$7 }' "$dir/overhead.csv" | md5sum)"

# A database written before the views: the analysis adds them.
sqlite3 "$v1" "DROP VIEW rekeys_v; DROP VIEW signalling_v; DROP VIEW overhead_v"
"$analysis" --rekeys --csv "$v1" >"$dir/ikev1-again.csv" 2>/dev/null
expect "views recreated, same CSV" "$(cmp -s "$dir/ikev1.csv" "$dir/ikev1-again.csv" && echo same)" same
expect "views in file" "$(sqlite3 "$v1" "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN ('rekeys_v', 'signalling_v', 'overhead_v')")" 3

echo "check_rekeys: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
