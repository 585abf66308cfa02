#!/bin/sh
# A real campaign with mip6sec-campaign and mip6sec-handoff: 2 keying
# configurations x 2 replications of 8 simulated seconds, one handoff each.
#
#  - run with --jobs=1, SIGINT once the first run's database is complete:
#    the campaign exits 130 and leaves that run complete;
#  - run again: the completed runs are skipped, and all 4 databases end
#    'complete';
#  - merge, then mip6sec-analysis --csv reports per configuration n equal
#    to the included handoffs in the campaign database (2), and a 95%
#    confidence interval that contains the mean;
#  - a scenario that exits non-zero is reported with its exit status and
#    log, and the campaign exits 1; a bad campaign line names file and line.
# The scenario is a wrapper that sleeps 1 s before it executes
# mip6sec-handoff, because a run takes under 0.1 s of wall time and the
# SIGINT must arrive while the campaign is still running.
# Usage: check_campaign.sh CAMPAIGN HANDOFF ANALYSIS OUTDIR
set -u
campaign=$1
handoff=$2
analysis=$3
dir=$4

. "$(dirname "$0")/lib.sh"

status_of() {
	sqlite3 "$1" "SELECT status FROM run" 2>/dev/null
}

if ! command -v sqlite3 >/dev/null; then
	echo "sqlite3 (the command-line shell) is missing; install the Debian package sqlite3"
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
cat >"$dir/slow-handoff.sh" <<WRAPPER
#!/bin/sh
sleep 1
exec "$handoff" "\$@"
WRAPPER
chmod +x "$dir/slow-handoff.sh"
cat >"$dir/small.campaign" <<CAMPAIGN
# keying x 2 replications, one handoff per run
scenario = $dir/slow-handoff.sh
replications = 2
seed = 1
fixed = --duration=8
grid keying = manual ikev2
CAMPAIGN

expect "run count" "$("$campaign" count "$dir/small.campaign")" 4

# ---- interrupt after the first run ----
"$campaign" run "$dir/small.campaign" --dir="$dir/runs" --jobs=1 2>"$dir/interrupted.err" &
pid=$!
tries=0
while [ "$(status_of "$dir/runs/config0-run1.db")" != complete ] && [ $tries -lt 200 ]; do
	sleep 0.05
	tries=$((tries + 1))
done
kill -INT $pid
wait $pid
expect "exit status after SIGINT" $? 130
expect "first run complete after SIGINT" "$(status_of "$dir/runs/config0-run1.db")" complete
complete=0
for db in "$dir"/runs/config*-run*.db; do
	[ "$(status_of "$db")" = complete ] && complete=$((complete + 1))
done
if [ $complete -ge 1 ] && [ $complete -lt 4 ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL interrupted campaign: $complete of 4 runs complete, expected 1 to 3"
	cat "$dir/interrupted.err"
fi

# ---- resume ----
"$campaign" run "$dir/small.campaign" --dir="$dir/runs" --jobs=2 2>"$dir/resumed.err"
expect "exit status of the resumed campaign" $? 0
expect "resumed campaign skipped the complete runs" \
	"$(grep -c "4/4 done ($complete skipped)" "$dir/resumed.err")" 1
for c in 0 1; do
	for r in 1 2; do
		expect "config$c-run$r status" "$(status_of "$dir/runs/config$c-run$r.db")" complete
		[ -s "$dir/runs/config$c-run$r.log" ] && passed=$((passed + 1)) ||
			{ failed=$((failed + 1)); echo "FAIL config$c-run$r.log is missing or empty"; }
	done
done

# ---- merge and report ----
"$campaign" merge "$dir/small.campaign" --dir="$dir/runs" --output="$dir/campaign.db" >"$dir/merge.out"
expect "merge exit status" $? 0
expect "runs in the campaign database" "$(sqlite3 "$dir/campaign.db" \
	"SELECT count(*) FROM run WHERE status = 'complete'")" 4
expect "configuration labels" "$(sqlite3 "$dir/campaign.db" \
	"SELECT group_concat(label, ',') FROM (SELECT label FROM configuration ORDER BY config)")" \
	"keying=manual,keying=ikev2"
"$analysis" --csv "$dir/campaign.db" >"$dir/report.csv"
expect "campaign analysis exit status" $? 0
for c in 0 1; do
	handoffs=$(sqlite3 "$dir/campaign.db" \
		"SELECT count(*) FROM handoff WHERE config = $c AND included = 1")
	expect "config $c has one handoff per run" "$handoffs" 2
	row=$(grep "^$c,keying=[a-z0-9]*,latency (down to data)," "$dir/report.csv")
	expect "config $c latency n" "$(echo "$row" | cut -d, -f4)" "$handoffs"
	inside=$(echo "$row" | awk -F, '{ print ($10 <= $5 && $5 <= $11 && $10 < $11) ? "yes" : "no" }')
	expect "config $c CI [low, high] contains the mean" "$inside" yes
done
"$analysis" "$dir/campaign.db" >"$dir/report.txt"
expect "table names configuration 1" "$(grep -c '^configuration 1: keying=ikev2$' "$dir/report.txt")" 1
expect "CDF rows" "$("$analysis" --cdf "$dir/campaign.db" | grep -c ',1$')" 2

# ---- a failing scenario and a bad campaign file ----
cat >"$dir/failing.campaign" <<CAMPAIGN
scenario = $handoff
fixed = --noSuchOption=1
CAMPAIGN
"$campaign" run "$dir/failing.campaign" --dir="$dir/failing" 2>"$dir/failing.err"
expect "exit status with a failed run" $? 1
expect "failure names exit status and log" \
	"$(grep -c "config0-run1 failed: exit status 2, .*log: $dir/failing/config0-run1.log" \
		"$dir/failing.err")" 1
cat >"$dir/rejected.campaign" <<CAMPAIGN
scenario = $handoff
replications = 10
fixed = --noSuchOption=1
CAMPAIGN
"$campaign" run "$dir/rejected.campaign" --dir="$dir/rejected" --jobs=1 2>"$dir/rejected.err"
expect "exit status when the scenario rejects the options" $? 1
expect "runs started after the scenario rejected the options" \
	"$(ls "$dir/rejected" | grep -c '\.log$')" 1
expect "rejection names the configuration" \
	"$(grep -c "rejected the options of config0, so its other runs are not started" \
		"$dir/rejected.err")" 1
expect "rejected runs count as failed" "$(grep -c "10 of 10 runs failed" "$dir/rejected.err")" 1
expect "failure quotes the scenario's message" \
	"$(grep -c "config0-run1 failed: .*unknown option '--noSuchOption'" "$dir/failing.err")" 1
"$campaign" merge "$dir/failing.campaign" --dir="$dir/no-such-dir" --output="$dir/none.db" \
	2>"$dir/merge-dir.err"
expect "exit status of a merge without its run directory" $? 2
expect "merge names the missing directory" \
	"$(grep -c "no-such-dir: not a directory" "$dir/merge-dir.err")" 1
expect "merge without its run directory writes nothing" "$(ls "$dir/none.db" 2>/dev/null | wc -l)" 0
"$campaign" merj "$dir/failing.campaign" 2>"$dir/typo.err"
expect "exit status of a mistyped command" $? 2
expect "mistyped command gets the nearest" "$(grep -c "(did you mean merge?)" "$dir/typo.err")" 1
printf 'scenario = %s\nreplications = many\n' "$handoff" >"$dir/bad.campaign"
"$campaign" count "$dir/bad.campaign" 2>"$dir/bad.err"
expect "exit status of a bad campaign file" $? 2
expect "bad line named" "$(grep -c "bad.campaign:2: invalid replications 'many'" "$dir/bad.err")" 1

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
