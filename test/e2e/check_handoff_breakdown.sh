#!/bin/sh
# Run the handoff scenario in real ns-3 with route optimization, with IKEv2
# (K bit off and on) and with TCP.  Check the per-handoff breakdown of
# mip6sec-analysis --csv against the raw events of each database.  It has
# the return routability and correspondent registration times, the first
# route-optimized datagram, the IKE times, the TCP recovery time, and the
# duplicated and reordered datagrams.  No scenario delivers a datagram
# twice, so the duplicate count is checked on a copy of the route
# optimization database with one delivery row added.  A campaign merge of
# the route optimization run checks the new columns of its handoff table.
# Usage: check_handoff_breakdown.sh SCENARIO ANALYSIS CAMPAIGN OUTDIR
set -u
scenario=$1
analysis=$2
campaign=$3
dir=$4

. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "sqlite3 (the command-line shell) is missing; install the Debian package sqlite3"
	exit 1
fi

# field CSV HANDOFF COLUMN: one column of a handoff row of mip6sec-analysis --csv
field() {
	awk -F, -v handoff="$2" -v column="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) index_of[$i] = i; next }
		$3 == handoff { print $(index_of[column]) }' "$1"
}

# seconds SQL: the time in ns that SQL returns, as mip6sec-analysis prints it
seconds() {
	query "$1" "SELECT CASE WHEN v IS NULL THEN '-' ELSE printf('%.3f', v / 1e9) END
		FROM (SELECT ($2) AS v)"
}

rm -rf "$dir"
mkdir -p "$dir"

# ---- route optimization ----
"$scenario" --routeOptimization=true --output="$dir/ro.db" >"$dir/ro.log" 2>&1
expect "route optimization run exit status" $? 0
"$analysis" --csv "$dir/ro.db" >"$dir/ro.csv"
expect "route optimization analysis exit status" $? 0
for n in 1 2; do
	down=$(query "$dir/ro.db" "SELECT time_ns FROM mobility_event WHERE node = 0 AND kind = 1
		ORDER BY time_ns LIMIT 1 OFFSET $((n - 1))")
	ba=$(query "$dir/ro.db" "SELECT min(time_ns) FROM mobility_event WHERE node = 0
		AND kind = 6 AND value < 128 AND time_ns > $down")
	tokens="max((SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = 28
		AND time_ns >= $ba), (SELECT min(time_ns) FROM mobility_event WHERE node = 0
		AND kind = 29 AND time_ns >= $ba))"
	expect "handoff $n rr_s" "$(field "$dir/ro.csv" $n rr_s)" "$(seconds "$dir/ro.db" "$tokens - $ba")"
	expect "handoff $n cn_registration_s" "$(field "$dir/ro.csv" $n cn_registration_s)" \
		"$(seconds "$dir/ro.db" "(SELECT min(time_ns) FROM mobility_event WHERE node = 0
		AND kind = 31 AND value = 0 AND time_ns >= $tokens) - $ba")"
	expect "handoff $n first_ro_data_s" "$(field "$dir/ro.csv" $n first_ro_data_s)" \
		"$(seconds "$dir/ro.db" "SELECT min(time_ns) FROM packet_event WHERE node = 0
		AND kind = 2 AND rh2 IS NOT NULL AND protocol = 17 AND time_ns > $down")"
done

# Reordering: the window runs from the last UDP delivery before link down
# to 1 s after the first route-optimized datagram, which is never before
# the first data.  Window functions recount it from the raw deliveries.
order_sql() {
	n=$1
	echo "WITH h AS (SELECT (SELECT time_ns FROM mobility_event WHERE node = 0 AND kind = 1
		ORDER BY time_ns LIMIT 1 OFFSET $((n - 1))) AS down),
	d AS (SELECT time_ns, app_seq, rowid AS r FROM packet_event WHERE node = 0 AND kind = 4
		AND protocol = 17 AND app_seq IS NOT NULL),
	w AS (SELECT d.*, max(app_seq) OVER (ORDER BY time_ns, r ROWS BETWEEN UNBOUNDED PRECEDING
		AND 1 PRECEDING) AS highest, (SELECT count(*) FROM d e WHERE e.app_seq = d.app_seq
		AND (e.time_ns < d.time_ns OR (e.time_ns = d.time_ns AND e.r < d.r))) AS earlier
		FROM d, h WHERE time_ns >= (SELECT max(time_ns) FROM d WHERE time_ns < h.down)
		AND time_ns < (SELECT min(time_ns) FROM packet_event WHERE node = 0 AND kind = 2
		AND rh2 IS NOT NULL AND protocol = 17 AND time_ns > h.down) + 1000000000)
	SELECT sum(earlier > 0), sum(earlier = 0 AND app_seq < highest) FROM w
	WHERE highest IS NOT NULL"
}
for n in 1 2; do
	expect "handoff $n duplicates and reordered" \
		"$(field "$dir/ro.csv" $n duplicates)|$(field "$dir/ro.csv" $n reordered)" \
		"$(query "$dir/ro.db" "$(order_sql $n)")"
done
expect "handoff 1 has a reordered datagram" "$(field "$dir/ro.csv" 1 reordered)" 1

# Duplicates: deliver the last datagram before the first route-optimized
# one a second time, 1 ms after that one.  The scenario itself delivers
# no datagram twice.
cp "$dir/ro.db" "$dir/ro-duplicate.db"
query "$dir/ro-duplicate.db" "INSERT INTO packet_event (time_ns, node, iface, kind, uid, src,
	dst, protocol, chain, app_seq, size, partial)
	SELECT time_ns + 1000000, node, iface, kind, uid + 1000000000, src, dst, protocol, chain,
	app_seq, size, partial FROM packet_event WHERE node = 0 AND kind = 4 AND protocol = 17
	AND app_seq IS NOT NULL AND time_ns < (SELECT min(time_ns) FROM packet_event WHERE node = 0
	AND kind = 2 AND rh2 IS NOT NULL AND protocol = 17) ORDER BY time_ns DESC LIMIT 1"
"$analysis" --csv "$dir/ro-duplicate.db" >"$dir/ro-duplicate.csv"
expect "handoff 1 duplicates with one added delivery" \
	"$(field "$dir/ro-duplicate.csv" 1 duplicates)" "$(($(field "$dir/ro.csv" 1 duplicates) + 1))"
expect "handoff 1 reordered with one added delivery" \
	"$(field "$dir/ro-duplicate.csv" 1 reordered)" "$(field "$dir/ro.csv" 1 reordered)"
expect "handoff 2 duplicates with one added delivery" \
	"$(field "$dir/ro-duplicate.csv" 2 duplicates)" "$(field "$dir/ro.csv" 2 duplicates)"

# ---- the campaign database has the same values ----
cat >"$dir/ro.campaign" <<CAMPAIGN
scenario = $scenario
replications = 1
seed = 1
fixed = --routeOptimization=true --duration=10
CAMPAIGN
"$campaign" run "$dir/ro.campaign" --dir="$dir/runs" --jobs=1 >"$dir/campaign.log" 2>&1
expect "campaign run exit status" $? 0
"$campaign" merge "$dir/ro.campaign" --dir="$dir/runs" --output="$dir/campaign.db" \
	>>"$dir/campaign.log" 2>&1
expect "campaign merge exit status" $? 0
"$analysis" --csv "$dir/runs/config0-run1.db" >"$dir/campaign-run.csv"
for column in duplicates reordered rr_s cn_registration_s first_ro_data_s; do
	expect "campaign handoff column $column" "$(query "$dir/campaign.db" "SELECT CASE
		WHEN typeof($column) = 'real' THEN printf('%.3f', $column) ELSE $column END
		FROM handoff WHERE handoff = 1")" "$(field "$dir/campaign-run.csv" 1 $column)"
done
"$analysis" --csv "$dir/campaign.db" >"$dir/campaign-report.csv"
expect "campaign statistics row BA received to CN BA" \
	"$(grep -c '^0,(no grid),BA received to CN BA,1,' "$dir/campaign-report.csv")" 1

# ---- IKEv2 without the K bit: IKE runs again after each move ----
"$scenario" --keying=ikev2 --kBit=false --output="$dir/ike.db" >"$dir/ike.log" 2>&1
expect "IKEv2 run exit status" $? 0
"$analysis" --csv "$dir/ike.db" >"$dir/ike.csv"
for n in 1 2; do
	down=$(query "$dir/ike.db" "SELECT time_ns FROM mobility_event WHERE node = 0 AND kind = 1
		ORDER BY time_ns LIMIT 1 OFFSET $((n - 1))")
	coa=$(query "$dir/ike.db" "SELECT min(time_ns) FROM mobility_event WHERE node = 0
		AND kind = 4 AND time_ns > $down")
	up=$(query "$dir/ike.db" "SELECT min(time_ns) FROM mobility_event WHERE node = 0
		AND kind = 41 AND time_ns >= $coa")
	expect "handoff $n ike_s" "$(field "$dir/ike.csv" $n ike_s)" "$(seconds "$dir/ike.db" "$up - $coa")"
	expect "handoff $n ike_start_s" "$(field "$dir/ike.csv" $n ike_start_s)" \
		"$(seconds "$dir/ike.db" "$up - (SELECT value2 FROM mobility_event WHERE node = 0
		AND kind = 41 AND time_ns = $up)")"
	# The child SAs: the bu pair in IKE_AUTH, mpd and rr by CREATE_CHILD_SA.
	expect "handoff $n sas_ready_s" "$(field "$dir/ike.csv" $n sas_ready_s)" \
		"$(seconds "$dir/ike.db" "SELECT max(time_ns) FROM sa_event WHERE node = 0 AND event = 1
		AND name = 'rr' AND time_ns >= $up AND time_ns < $up + 1000000000")"
	expect "handoff $n ike_sa_moved_s" "$(field "$dir/ike.csv" $n ike_sa_moved_s)" -
done
# The first IKE SA comes before the first BU, so it explains CoA ready to BU sent.
expect "handoff 1 bu_sent_s is ike_sa_up_s" "$(field "$dir/ike.csv" 1 bu_sent_s)" \
	"$(field "$dir/ike.csv" 1 ike_sa_up_s)"

# ---- IKEv2 with the K bit: the IKE SA moves at the second handoff ----
"$scenario" --keying=ikev2 --output="$dir/kbit.db" >"$dir/kbit.log" 2>&1
expect "IKEv2 K bit run exit status" $? 0
"$analysis" --csv "$dir/kbit.db" >"$dir/kbit.csv"
expect "K bit handoff 2 ike_sa_moved_s" "$(field "$dir/kbit.csv" 2 ike_sa_moved_s)" \
	"$(seconds "$dir/kbit.db" "SELECT time_ns FROM mobility_event WHERE node = 0 AND kind = 44
	ORDER BY time_ns LIMIT 1")"
expect "K bit handoff 2 ike_s" "$(field "$dir/kbit.csv" 2 ike_s)" -
"$analysis" "$dir/kbit.db" >"$dir/kbit.txt"
expect "K bit table marks the move" "$(grep -c '^  2 .*  moved$' "$dir/kbit.txt")" 1

# ---- IKEv1 with the K bit and --ikeLifetime=7: the ISAKMP SA replaced at
# 20.3 s, 4 s after handoff 2 moved it, is not that handoff's IKE ----
"$scenario" --keying=ikev1 --ikeLifetime=7 --output="$dir/lifetime.db" >"$dir/lifetime.log" 2>&1
expect "IKEv1 --ikeLifetime run exit status" $? 0
"$analysis" --csv "$dir/lifetime.db" >"$dir/lifetime.csv"
expect "replacement after handoff 2 recorded" "$(query "$dir/lifetime.db" "SELECT count(*) > 0
	FROM mobility_event WHERE node = 0 AND kind = 47")" 1
expect "handoff 2 ike_start_s with a later replacement" \
	"$(field "$dir/lifetime.csv" 2 ike_start_s)" -
expect "handoff 2 moved the IKE SA" "$(field "$dir/lifetime.csv" 2 ike_sa_moved_s | grep -c '^[0-9]')" 1

# ---- TCP: one handoff, recovery to 30% and to 90% of the rate before ----
"$scenario" --traffic=tcp --duration=10 --output="$dir/tcp.db" >"$dir/tcp.log" 2>&1
expect "TCP run exit status" $? 0
down=$(query "$dir/tcp.db" "SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = 1")
ba=$(query "$dir/tcp.db" "SELECT min(time_ns) FROM mobility_event WHERE node = 0 AND kind = 6
	AND value < 128 AND time_ns > $down")
# tcp_recovery FRACTION: the first delivery time at or after the BA whose
# window (t - 0.5 s, t] contains FRACTION of the bytes of [down - 0.5 s, down)
tcp_recovery() {
	seconds "$dir/tcp.db" "WITH d AS (SELECT time_ns, sum(size) OVER (ORDER BY time_ns RANGE
		BETWEEN 499999999 PRECEDING AND CURRENT ROW) AS bytes FROM packet_event WHERE node = 0
		AND kind = 4 AND protocol = 6 AND time_ns >= $down)
	SELECT min(time_ns) - $ba FROM d WHERE time_ns >= $ba AND bytes >= $1 * (SELECT sum(size)
		FROM packet_event WHERE node = 0 AND kind = 4 AND protocol = 6
		AND time_ns >= $down - 500000000 AND time_ns < $down)"
}
"$analysis" --csv --tcpFraction=0.3 "$dir/tcp.db" >"$dir/tcp-30.csv"
expect "TCP recovery to 30%" "$(field "$dir/tcp-30.csv" 1 tcp_recovery_s)" "$(tcp_recovery 0.3)"
expect "TCP recovery to 30% is recorded" "$(field "$dir/tcp-30.csv" 1 tcp_recovery_s)" \
	"$(field "$dir/tcp-30.csv" 1 tcp_recovery_s | grep -x '[0-9]*\.[0-9]*')"
# The tunnel carries about half the rate of the home link, so 90% is never reached.
"$analysis" --csv "$dir/tcp.db" >"$dir/tcp-90.csv"
expect "TCP recovery to 90%" "$(field "$dir/tcp-90.csv" 1 tcp_recovery_s)" "$(tcp_recovery 0.9)"
expect "TCP recovery to 90% never happens" "$(field "$dir/tcp-90.csv" 1 tcp_recovery_s)" -
"$analysis" --tcpFraction=1.5 "$dir/tcp.db" >/dev/null 2>"$dir/tcp-invalid.err"
expect "invalid --tcpFraction exit status" $? 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
