#!/bin/sh
# Run every attack of mip6sec-attack in real ns-3, with manual keys and
# with IKEv2, and check each database with sqlite3:
#   - the run completed, and the database names the attack and the attacker;
#   - each attack packet the attacker sent has events at the home agent,
#     which dropped it for the expected reason (or, for the tunnel packet
#     of replay-esp with manual keys, decapsulated it);
#   - the home agent's binding for the victim kept the victim's care-of
#     address: no BU for the victim's home address registered another one,
#     and the binding was never deleted;
#   - foreign-hoa: the ESP check passed before the selector check failed;
#   - clear-bu, unknown-spi, bad-icv: no BU reached Mobile IPv6 processing;
#   - replays with manual keys: the BA with status 135 carried the last
#     accepted sequence number, and the victim did not take it as a reply.
# Then invalid options must fail with exit status 2 before a database
# exists.  docs/attacks.md explains the expected outcomes.
# Usage: check_attacks.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

# expect_same WHAT GOT EXPECTED: like expect, for an expected value that
# a query computes, so an empty value (no row) fails instead of matching.
expect_same() {
	if [ -n "$3" ]; then
		expect "$1" "$2" "$3"
	else
		failed=$((failed + 1))
		echo "FAIL $1: the expected value is empty (got '$2')"
	fi
}

rm -rf "$dir"
mkdir -p "$dir"

# q SQL: one query against the current run's database $db.
q() {
	sqlite3 -batch -noheader "$db" "$1"
}

# Rows that the queries below share.  attack_uids: the packets the
# attacker sent at the attack times.  victim_binding: the home agent's
# binding events for the victim's home address, found through the
# bu_received event (address = home address) of the same BU.
ha="(SELECT id FROM node WHERE name = 'ha')"
victim="(SELECT id FROM node WHERE name = 'victim')"
cn="(SELECT id FROM node WHERE name = 'cn')"
param() {
	echo "(SELECT value FROM param WHERE name = 'attack.$1')"
}
attack_ns="CAST($(param time_ns) AS INTEGER)"
attack_uids="SELECT uid FROM packet_event WHERE node = (SELECT id FROM node WHERE name = 'attacker')
	AND kind = 1 AND time_ns IN (SELECT CAST(value AS INTEGER) FROM param
	WHERE name IN ('attack.time_ns', 'attack.old_replay_time_ns'))"
victim_binding="SELECT b.time_ns, b.kind, c.text AS coa FROM mobility_event b
	JOIN mobility_event r ON r.node = b.node AND r.time_ns = b.time_ns AND r.kind = 7
	AND r.value = b.value JOIN address h ON h.id = r.address JOIN address c ON c.id = b.address
	WHERE b.node = $ha AND b.kind IN (9, 10) AND h.text = $(param victim_hoa)"

# run_attack NAME KEYING PACKETS: run one attack and check what every
# attack must show; PACKETS is the number of packets the attack sends.
run_attack() {
	run="$1 --keying=$2"
	db=$dir/$1-$2.db
	"$scenario" --attack="$1" --keying="$2" --output="$db" >"$dir/$1-$2.log" 2>&1
	expect "$run: exit status" "$?" 0
	expect "$run: run status" "$(q "SELECT status FROM run")" complete
	expect "$run: attack.name" "$(q "SELECT value FROM param WHERE name = 'attack.name'")" "$1"
	expect "$run: attacker node" "$(q "SELECT count(*) FROM node WHERE name = 'attacker'")" 1
	expect "$run: attack packets sent" "$(q "SELECT count(*) FROM ($attack_uids)")" "$3"
	expect "$run: attack packets seen at the home agent" "$(q "SELECT count(DISTINCT uid)
		FROM packet_event WHERE node = $ha AND uid IN ($attack_uids)")" "$3"

	expect_same "$run: victim binding before the attack" "$(q "SELECT coa FROM ($victim_binding)
		WHERE time_ns < $attack_ns ORDER BY time_ns DESC LIMIT 1")" \
		"$(q "SELECT $(param victim_coa)")"
	expect "$run: victim binding events with another care-of address" \
		"$(q "SELECT count(*) FROM ($victim_binding) WHERE coa <> $(param victim_coa)")" 0
	expect "$run: victim binding events with the attacker's care-of address" \
		"$(q "SELECT count(*) FROM ($victim_binding) WHERE coa = $(param attacker_coa)")" 0
	expect "$run: deletions of the victim's binding" "$(q "SELECT count(*) FROM mobility_event m
		JOIN address a ON a.id = m.address WHERE m.node = $ha AND m.kind = 11
		AND a.text = $(param victim_hoa)")" 0
	# The victim's next refresh after the attack is still accepted.
	expect_at_least "$run: victim registrations after the attack" "$(q "SELECT count(*)
		FROM mobility_event WHERE node = $victim AND kind = 14 AND time_ns > $attack_ns")" 1
}

# expect_drops TEXT: the home agent's drops of the attack packets, one
# "reason count" line per reason.
expect_drops() {
	expect "$run: drops of the attack packets at the home agent" "$(q "SELECT r.name || ' ' ||
		count(*) FROM packet_event p JOIN drop_reason r ON r.id = p.drop_reason
		WHERE p.node = $ha AND p.kind = 5 AND p.uid IN ($attack_uids)
		GROUP BY r.name ORDER BY r.name")" "$1"
}

# expect_not_processed: no attack packet passed ESP, so the home agent's
# Mobile IPv6 code never saw a BU at the moment one arrived.
expect_not_processed() {
	expect "$run: esp_verify of attack packets" "$(q "SELECT count(*) FROM packet_event
		WHERE node = $ha AND kind = 10 AND uid IN ($attack_uids)")" 0
	expect "$run: bu_received when an attack packet arrived" "$(q "SELECT count(*)
		FROM mobility_event m JOIN packet_event p ON p.node = m.node AND p.time_ns = m.time_ns
		WHERE m.node = $ha AND m.kind = 7 AND p.uid IN ($attack_uids)")" 0
}

# expect_ba_135 FIRST_SEQ_SQL: the replayed BU carried the sequence number
# that FIRST_SEQ_SQL selects.  The home agent sent a BA with status 135 and
# the last accepted number (RFC 6275 section 9.5.1).  The victim, with no
# BU outstanding, dropped that BA and went on counting from its own number.
expect_ba_135() {
	last_seq="(SELECT value FROM mobility_event WHERE node = $victim AND kind = 5
		AND time_ns < $attack_ns ORDER BY time_ns DESC LIMIT 1)"
	expect_same "$run: sequence number of the replayed BU" "$(q "SELECT value FROM mobility_event
		WHERE node = $ha AND kind = 7 AND time_ns > $attack_ns ORDER BY time_ns LIMIT 1")" \
		"$(q "SELECT $1")"
	expect "$run: BAs with status 135 and the last accepted sequence number" \
		"$(q "SELECT count(*) FROM mobility_event WHERE node = $ha AND kind = 8
		AND value = 135 AND value2 = $last_seq AND time_ns > $attack_ns")" 1
	expect "$run: BAs with status 135 at the victim" "$(q "SELECT count(*) FROM mobility_event
		WHERE node = $victim AND kind = 6 AND value = 135")" 1
	expect "$run: ba_unexpected drops at the victim" "$(q "SELECT count(*) FROM packet_event
		WHERE node = $victim AND kind = 5 AND drop_reason = 11")" 1
	expect_same "$run: the victim's next BU sequence number" "$(q "SELECT value FROM mobility_event
		WHERE node = $victim AND kind = 5 AND time_ns > $attack_ns ORDER BY time_ns LIMIT 1")" \
		"$(q "SELECT $last_seq + 1")"
}

expect_no_ba_135() {
	expect "$run: BAs with status 135" "$(q "SELECT count(*) FROM mobility_event
		WHERE node = $ha AND kind = 8 AND value = 135")" 0
}

for keying in manual ikev2; do
	# RFC 3776 section 4.2: the SA's selectors name the attacker's home address.
	run_attack foreign-hoa $keying 1
	expect_drops "policy 1"
	expect "$run: esp_verify of the attack packet" "$(q "SELECT count(*) FROM packet_event
		WHERE node = $ha AND kind = 10 AND uid IN ($attack_uids)")" 1
	expect_no_ba_135

	# RFC 3776 section 4.1: BUs to the home agent must use ESP.
	run_attack clear-bu $keying 1
	expect_drops "clear_text 1"
	expect_not_processed
	expect_no_ba_135

	# RFC 4303 section 3.4.2: no SA with this SPI.
	run_attack unknown-spi $keying 1
	expect_drops "esp_no_sa 1"
	expect_not_processed
	expect_no_ba_135

	# RFC 4303 section 3.4.4: the ICV does not verify.
	run_attack bad-icv $keying 1
	expect_drops "esp_icv 1"
	expect_not_processed
	expect_no_ba_135
done

# Manual keys have no anti-replay window (RFC 3776 section 4.4): the
# replayed BU passes ESP and meets the BU sequence number check, and the
# replayed tunnel packet is decapsulated and delivered to cn a second time.
run_attack replay-esp manual 2
expect_drops "seq_out_of_window 1"
expect_ba_135 "(SELECT value FROM mobility_event WHERE node = $victim AND kind = 5
	AND time_ns < $attack_ns ORDER BY time_ns DESC LIMIT 1)"
tunnel_uid="(SELECT uid FROM packet_event WHERE node = (SELECT id FROM node
	WHERE name = 'attacker') AND kind = 1 AND time_ns = CAST($(param old_replay_time_ns) AS INTEGER))"
expect "$run: decapsulations of the replayed tunnel packet" "$(q "SELECT count(*)
	FROM packet_event WHERE node = $ha AND kind = 8 AND uid = $tunnel_uid")" 1
expect "$run: deliveries at cn of the replayed datagram" "$(q "SELECT count(*) FROM packet_event
	WHERE node = $cn AND kind = 4 AND app_seq = (SELECT app_seq FROM packet_event
	WHERE node = $ha AND kind = 8 AND uid = $tunnel_uid)")" 2

# IKEv2 SAs have an anti-replay window of 64 (RFC 4303 section 3.4.3).
run_attack replay-esp ikev2 2
expect_drops "esp_replay 1
esp_replay_old 1"
expect_no_ba_135

run_attack replay-bu-old-seq manual 1
expect_drops "seq_out_of_window 1"
expect_ba_135 "(SELECT value FROM mobility_event WHERE node = $victim AND kind = 5
	ORDER BY time_ns LIMIT 1)"

run_attack replay-bu-old-seq ikev2 1
expect_drops "esp_replay 1"
expect_no_ba_135

# ---- invalid options: exit status 2, a message, no database ----

# expect_rejected WHAT MESSAGE ARGUMENT...: the scenario rejects the arguments.
expect_rejected() {
	what=$1
	message=$2
	shift 2
	rm -f "$dir/rejected.db"
	"$scenario" "$@" --output="$dir/rejected.db" >"$dir/rejected.log" 2>&1
	expect "exit status for $what" "$?" 2
	expect "message for $what" "$(grep -c -F -e "$message" "$dir/rejected.log")" 1
	expect "database for $what" "$(ls "$dir/rejected.db" 2>/dev/null)" ""
}
expect_rejected "no --attack" "missing --attack"
expect_rejected "--attack=spoof" "invalid value 'spoof' for --attack" --attack=spoof
expect_rejected "--keying=psk" "invalid value 'psk' for --keying" --attack=clear-bu --keying=psk
expect_rejected "replay-esp with --tunnelEsp=rr" "needs --tunnelEsp=all, not 'rr'" \
	--attack=replay-esp --tunnelEsp=rr
expect_rejected "--attackAt=11.5" "--attackAt=11.5 is less than 1 s before the end" \
	--attack=clear-bu --attackAt=11.5

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
