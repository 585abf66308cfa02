#!/bin/sh
# Check the campaign statistics of a handoff whose first BA is lost, from a
# one-run campaign in real ns-3 at 10000 datagrams/s.  The access router's
# address resolution queue drops the BA, so the first data arrives before
# the BA that answers the retransmitted BU.  The components must still
# split the latency: "BA received to first data" is 0, and "BU sent to BA
# received" ends at the first data.  The lost packets get their own row,
# equal to the merged handoff's count.
# Usage: check_late_ba.sh SCENARIO CAMPAIGN ANALYSIS OUTDIR
set -u
scenario=$1
campaign=$2
analysis=$3
dir=$4

. "$(dirname "$0")/lib.sh"

# The mean of quantity $1 in the campaign CSV.
mean_of() {
	awk -F, -v q="$1" '$3 == q { print $5 }' "$dir/late-ba.csv"
}

rm -rf "$dir"
mkdir -p "$dir"
cat >"$dir/late-ba.txt" <<CAMPAIGN
scenario = $scenario
replications = 1
fixed = --duration=8 --interval=0.1
CAMPAIGN
"$campaign" run "$dir/late-ba.txt" --dir="$dir/runs" --jobs=1 >"$dir/campaign.log" 2>&1 &&
	"$campaign" merge "$dir/late-ba.txt" --dir="$dir/runs" --output="$dir/late-ba.db" \
		>>"$dir/campaign.log" 2>&1
expect "campaign exit status" "$?" 0
expect "the BA came after the first data" \
	"$(query "$dir/late-ba.db" "SELECT count(*) FROM handoff WHERE included
		AND ba_received_s > first_data_s")" 1

"$analysis" --csv "$dir/late-ba.db" >"$dir/late-ba.csv" 2>&1
expect "analysis exit status" "$?" 0
expect "BA received to first data" "$(mean_of "BA received to first data")" 0
expect "BU sent to BA received ends at the first data" \
	"$(mean_of "BU sent to BA received" | awk '{ printf "%.6f", $1 }')" \
	"$(query "$dir/late-ba.db" "SELECT printf('%.6f', first_data_s - bu_sent_s) FROM handoff
		WHERE included")"
expect "components add up to the latency" \
	"$(awk -F, 'NR > 1 && $3 ~ / to / && $3 !~ /latency/ { s += $5 } END { printf "%.6f", s }' \
		"$dir/late-ba.csv")" \
	"$(query "$dir/late-ba.db" "SELECT printf('%.6f', latency_s) FROM handoff WHERE included")"
expect "lost packets" "$(mean_of "lost packets (count)")" \
	"$(query "$dir/late-ba.db" "SELECT lost_packets FROM handoff WHERE included")"
expect "lost packets in the table" \
	"$("$analysis" "$dir/late-ba.db" | grep -c '^lost packets (count) ')" 1

echo "check_late_ba: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
