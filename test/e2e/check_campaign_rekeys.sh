#!/bin/sh
# Rekeys of a real campaign: 2 speeds x 2 replications of mip6sec-handoff
# with IKEv2 and child SAs that rekey after 8 s, 25 simulated seconds
# each.  At 12 m/s the second handoff falls 0.76 s before a rekey, so that
# configuration has rekeys with and without a coinciding handoff.
#
#  - the merged rekey table equals the union of the runs' rekeys_v rows,
#    column by column, and run.rekeys counts them;
#  - mip6sec-analysis --rekeys --csv prints per configuration and subset
#    (all, handoff, no_handoff) the n and mean duration that sqlite3
#    computes from the runs' rekeys_v, for --handoffWindow 1 and 0.5;
#  - a merge with a run missing leaves out its rekeys, and after the
#    campaign reruns that run a new merge has them all again, without
#    duplicates;
#  - a run recorded before rekeys_v gives the same rows through a TEMP
#    view, and one recorded before sa_event gives none and a note.
# Usage: check_campaign_rekeys.sh CAMPAIGN HANDOFF ANALYSIS OUTDIR
set -u
campaign=$1
handoff=$2
analysis=$3
dir=$4

. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null; then
	echo "sqlite3 (the command-line shell) is missing; install the Debian package sqlite3"
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
cat >"$dir/rekeys.campaign" <<CAMPAIGN
# rekeys over speed: at 12 m/s a handoff coincides with a rekey
scenario = $handoff
replications = 2
seed = 1
fixed = --keying=ikev2 --saSoftLifetime=8 --saHardLifetime=10 --duration=25
grid speed = 10 12
CAMPAIGN

# The columns of rekeys_v that the merge copies.
columns="node, node_name, rekey, kind, peer, old_spi, new_spi, start_ns, end_ns, duration_ns,
	ike_events, loss_end_ns, esp_drops, drops, ha_old_in, ha_new_in, ha_overlap_ns,
	mn_overlap_ns, last_link_down_ns"

# The rekeys_v rows of every run database, each prefixed with config and replication.
union_of_runs() {
	for c in 0 1; do
		for r in 1 2; do
			[ -f "$dir/runs/config$c-run$r.db" ] || continue
			sqlite3 -csv "$dir/runs/config$c-run$r.db" \
				"SELECT $c, $r, $columns FROM rekeys_v ORDER BY node, rekey"
		done
	done
}

merged_rows() {
	sqlite3 -csv "$1" "SELECT config, replication, $columns FROM rekey
		ORDER BY config, replication, node, rekey"
}

"$campaign" run "$dir/rekeys.campaign" --dir="$dir/runs" --jobs=2 2>"$dir/run.err"
expect "campaign exit status" $? 0
"$campaign" merge "$dir/rekeys.campaign" --dir="$dir/runs" --output="$dir/campaign.db" \
	>"$dir/merge.out"
expect "merge exit status" $? 0

# ---- the rekey table is the union of the runs' rekeys_v ----
union_of_runs >"$dir/union.csv"
merged_rows "$dir/campaign.db" >"$dir/merged.csv"
total=$(wc -l <"$dir/union.csv")
expect "every run has rekeys" "$([ "$total" -ge 8 ] && echo yes)" yes
expect "rekey table = union of rekeys_v" \
	"$(cmp -s "$dir/union.csv" "$dir/merged.csv" && echo same)" same
expect "merge line counts the rekeys" "$(grep -c " and $total rekeys$" "$dir/merge.out")" 1
for c in 0 1; do
	for r in 1 2; do
		expect "run.rekeys of config$c-run$r" \
			"$(sqlite3 "$dir/campaign.db" "SELECT rekeys FROM run WHERE config = $c AND replication = $r")" \
			"$(sqlite3 "$dir/runs/config$c-run$r.db" "SELECT count(*) FROM rekeys_v")"
	done
done
handoff_rekeys=$(sqlite3 "$dir/campaign.db" \
	"SELECT count(*) FROM rekey WHERE last_link_down_ns >= start_ns - 1000000000")
expect "some rekeys coincide with a handoff" "$([ "$handoff_rekeys" -ge 1 ] && echo yes)" yes
expect "some do not" "$([ "$handoff_rekeys" -lt "$total" ] && echo yes)" yes

# ---- the printed n and mean duration equal sqlite3's over the runs ----
# n and mean duration in ms of configuration $1, subset $2, window $3 ns, from the run databases.
runs_n_mean() {
	case $2 in
	all) where="1" ;;
	handoff) where="last_link_down_ns >= start_ns - $3" ;;
	no_handoff) where="NOT coalesce(last_link_down_ns >= start_ns - $3, 0)" ;;
	esac
	sqlite3 -separator , "$dir/runs/config$1-run1.db" "ATTACH '$dir/runs/config$1-run2.db' AS b;
		SELECT count(duration_ns),
		 CASE WHEN count(duration_ns) > 0 THEN printf('%.12g', avg(duration_ns) / 1e6) ELSE '' END
		 FROM (
		 SELECT duration_ns, start_ns, last_link_down_ns FROM main.rekeys_v UNION ALL
		 SELECT duration_ns, start_ns, last_link_down_ns FROM b.rekeys_v) WHERE $where"
}

# Compare the CSV row's n and mean (fields 5 and 6) with sqlite3's "n,mean", the mean to 1e-7 of it.
same_n_mean() {
	echo "$1" | awk -F, -v expected="$2" 'BEGIN { split(expected, e, ",") }
		{ same = $5 == e[1] && (e[2] == "" ? $6 == "" : ($6 - e[2]) ^ 2 <= (1e-7 * e[2]) ^ 2)
		  print same ? "same" : "n " $5 " mean " $6 ", sqlite3: n " e[1] " mean " e[2] }'
}

for window in 1 0.5; do
	window_ns=$(awk -v s="$window" 'BEGIN { printf "%d", s * 1e9 }')
	"$analysis" --rekeys --csv --handoffWindow="$window" "$dir/campaign.db" \
		>"$dir/report-$window.csv" 2>"$dir/report-$window.err"
	expect "--rekeys --csv exit status, window $window" $? 0
	expect "CSV rows, window $window" "$(wc -l <"$dir/report-$window.csv")" $((1 + 2 * 6 * 3))
	for c in 0 1; do
		for subset in all handoff no_handoff; do
			row=$(grep "^$c,speed=[0-9]*,duration_ms,$subset," "$dir/report-$window.csv")
			expect "config $c $subset duration n and mean, window $window" \
				"$(same_n_mean "$row" "$(runs_n_mean $c $subset "$window_ns")")" same
		done
	done
done

"$analysis" --rekeys "$dir/campaign.db" >"$dir/report.txt"
expect "--rekeys table exit status" $? 0
expect "table names configuration 1" "$(grep -c '^configuration 1: speed=12$' "$dir/report.txt")" 1
expect "table splits the rekeys" \
	"$(grep -c "rekeys: $handoff_rekeys coincided with a handoff" "$dir/report.txt")" 1

# ---- a missing run, then resume and merge again ----
mv "$dir/runs/config1-run2.db" "$dir/config1-run2.db.kept"
"$campaign" merge "$dir/rekeys.campaign" --dir="$dir/runs" --output="$dir/campaign.db" \
	>"$dir/merge-partial.out" 2>"$dir/merge-partial.err"
expect "merge with a missing run exit status" $? 0
union_of_runs >"$dir/union-partial.csv"
merged_rows "$dir/campaign.db" >"$dir/merged-partial.csv"
expect "rekey table without the missing run" \
	"$(cmp -s "$dir/union-partial.csv" "$dir/merged-partial.csv" && echo same)" same
expect "missing run has no rekeys" \
	"$(sqlite3 "$dir/campaign.db" "SELECT count(*) FROM rekey WHERE config = 1 AND replication = 2")" 0
expect "missing run's rekeys column is NULL" \
	"$(sqlite3 "$dir/campaign.db" "SELECT status, rekeys IS NULL FROM run WHERE config = 1 AND replication = 2")" \
	"missing|1"

"$campaign" run "$dir/rekeys.campaign" --dir="$dir/runs" --jobs=2 2>"$dir/resume.err"
expect "resumed campaign exit status" $? 0
expect "resumed campaign reran one run" "$(grep -c "4/4 done (3 skipped)" "$dir/resume.err")" 1
"$campaign" merge "$dir/rekeys.campaign" --dir="$dir/runs" --output="$dir/campaign.db" \
	>"$dir/merge-again.out"
expect "merge after resume exit status" $? 0
union_of_runs >"$dir/union-again.csv"
merged_rows "$dir/campaign.db" >"$dir/merged-again.csv"
expect "rekey table after resume = union of rekeys_v" \
	"$(cmp -s "$dir/union-again.csv" "$dir/merged-again.csv" && echo same)" same
expect "rerun gives the same rekeys" "$(cmp -s "$dir/union.csv" "$dir/union-again.csv" && echo same)" same

# ---- runs recorded before rekeys_v, and before the sa_event table ----
mkdir -p "$dir/old-runs"
cp "$dir"/runs/config*-run*.db "$dir/old-runs/"
sqlite3 "$dir/old-runs/config0-run1.db" "DROP VIEW rekeys_v"
sqlite3 "$dir/old-runs/config1-run1.db" "DROP VIEW rekeys_v; DROP VIEW signalling_v;
	DROP VIEW overhead_v; DROP VIEW sa_lifetimes_v; DROP VIEW sa_events_v; DROP TABLE sa_event"
"$campaign" merge "$dir/rekeys.campaign" --dir="$dir/old-runs" --output="$dir/old.db" \
	>"$dir/merge-old.out" 2>"$dir/merge-old.err"
expect "merge of old runs exit status" $? 0
expect "run without rekeys_v gives the same rows" \
	"$(sqlite3 -csv "$dir/old.db" "SELECT config, replication, $columns FROM rekey
		WHERE config = 0 AND replication = 1 ORDER BY node, rekey" | md5sum)" \
	"$(grep '^0,1,' "$dir/union.csv" | md5sum)"
expect "merge leaves the run database without rekeys_v" \
	"$(sqlite3 "$dir/old-runs/config0-run1.db" "SELECT count(*) FROM sqlite_master WHERE name = 'rekeys_v'")" 0
expect "run without sa_event has no rekeys" \
	"$(sqlite3 "$dir/old.db" "SELECT count(*), (SELECT rekeys IS NULL FROM run WHERE config = 1
		AND replication = 1) FROM rekey WHERE config = 1 AND replication = 1")" "0|1"
expect "merge notes the run without sa_event" \
	"$(grep -c "before the sa_event table (schema version 1), so without rekeys in the campaign database: 1;" "$dir/merge-old.err")" 1
"$analysis" --rekeys "$dir/old.db" >"$dir/report-old.txt"
expect "report notes the run without sa_event" \
	"$(grep -c "^note: complete runs recorded before the sa_event table, so without rekeys: 1;" "$dir/report-old.txt")" 1

echo "check_campaign_rekeys: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
