#!/bin/sh
# Draw the plots of mip6sec-plot from real runs and check what they
# contain: the data files hold exactly the recorded datagrams and SAs,
# the scripts mark every handoff milestone, and gnuplot wrote a PNG, an
# SVG and a PDF of each.  Bad arguments exit 2 with a message.
# The campaign plots draw a merged 2 x 2 campaign of short runs.  A
# one-run campaign at 10000 datagrams/s, whose first BA is lost, checks
# that the components split the latency in the plot and in the campaign
# statistics of mip6sec-analysis.
# Usage: check_plots.sh SCENARIO PLOT CAMPAIGN ANALYSIS OUTDIR
set -u
scenario=$1
plot=$2
campaign=$3
analysis=$4
dir=$5

. "$(dirname "$0")/lib.sh"

# The data lines of the gnuplot data block named $2 in file $1: those
# after the comment line that starts with the name, up to a blank line.
block() {
	awk -v name="# $2" 'index($0, name) == 1 {b = 1; next}
		/^$/ {b = 0}
		b && !/^#/' "$1"
}

# The first bytes of each picture: PNG signature, PDF header, SVG element.
pictures_ok() {
	png=$(head -c 4 "$1.png" | od -An -tx1 | tr -d ' \n')
	pdf=$(head -c 5 "$1.pdf")
	svg=$(grep -c '<svg' "$1.svg")
	echo "$png $pdf $svg"
}

rm -rf "$dir"
mkdir -p "$dir/out"
"$scenario" --duration=20 --output="$dir/udp.db" >"$dir/udp.log" 2>&1
expect "UDP run exit status" "$?" 0
"$scenario" --duration=20 --keying=ikev2 --saSoftLifetime=6 --saHardLifetime=8 \
	--output="$dir/ike.db" >"$dir/ike.log" 2>&1
expect "IKEv2 run exit status" "$?" 0

# ---- timeline of the whole run and around the first handoff ----
"$plot" timeline "$dir/udp.db" --out="$dir/out" >"$dir/timeline.log" 2>&1
expect "timeline exit status" "$?" 0
expect "timeline pictures" "$(pictures_ok "$dir/out/timeline")" "89504e47 %PDF- 1"
expect "timeline: no gnuplot warnings" "$(grep -c -i 'warning' "$dir/timeline.log")" 0
# The data blocks hold the datagrams sent to the mobile node, delivered
# to it and never delivered, and the handoff milestones.
expect "timeline sent datagrams" "$(block "$dir/out/timeline.dat" "[sent]" | wc -l)" \
	"$(query "$dir/udp.db" "SELECT count(*) FROM packet_event WHERE node != 0 AND kind = 1
		AND protocol = 17 AND app_seq IS NOT NULL")"
expect "timeline deliveries" "$(block "$dir/out/timeline.dat" "[delivered]" | wc -l)" \
	"$(query "$dir/udp.db" "SELECT count(*) FROM packet_event WHERE node = 0 AND kind = 4
		AND protocol = 17 AND app_seq IS NOT NULL")"
lost_sql="SELECT count(*) FROM packet_event s WHERE s.node != 0 AND s.kind = 1
	AND s.protocol = 17 AND s.app_seq IS NOT NULL AND NOT EXISTS (SELECT 1
	FROM packet_event d WHERE d.node = 0 AND d.kind = 4 AND d.app_seq = s.app_seq)"
expect "timeline lost datagrams" "$(block "$dir/out/timeline.dat" "[lost]" | wc -l)" \
	"$(query "$dir/udp.db" "$lost_sql")"
expect "timeline has losses to show" "$(query "$dir/udp.db" "$lost_sql" | awk '{print ($1 > 0)}')" 1
milestones_sql="SELECT count(*) FROM mobility_event WHERE node = 0 AND kind IN (1, 3, 4, 5, 6, 53)"
expect "timeline strip has every milestone" "$(block "$dir/out/timeline.dat" "[milestones]" | wc -l)" \
	"$(query "$dir/udp.db" "$milestones_sql")"
expect "timeline guide line per milestone" "$(grep -c '^set arrow' "$dir/out/timeline.gp")" \
	"$(query "$dir/udp.db" "$milestones_sql")"
# Milestones at the same time (care-of address ready and BU sent) stay
# apart because each kind has its own strip row.
expect "timeline strip rows, one per milestone kind" \
	"$(block "$dir/out/timeline.dat" "[milestones]" | awk '{print $2}' | sort -u | wc -l)" \
	"$(query "$dir/udp.db" "SELECT count(DISTINCT kind) FROM mobility_event WHERE node = 0
		AND kind IN (1, 3, 4, 5, 6, 53)")"
expect "timeline strip rows are distinct" \
	"$(block "$dir/out/timeline.dat" "[milestones]" | awk '{print $2}' | sort -u | wc -l)" \
	"$(block "$dir/out/timeline.dat" "[milestones]" | awk -F '"' '{print $2}' | sort -u | wc -l)"
expect "timeline: CoA ready and BU sent coincide" \
	"$(query "$dir/udp.db" "SELECT count(*) FROM mobility_event a JOIN mobility_event b
		ON a.time_ns = b.time_ns WHERE a.node = 0 AND b.node = 0 AND a.kind = 4
		AND b.kind = 5" | awk '{print ($1 > 0)}')" 1
# A run that ends before the first handoff has no losses and no
# milestones: the timeline leaves out the empty series and the strip.
"$scenario" --duration=4 --output="$dir/short.db" >"$dir/short.log" 2>&1
mkdir -p "$dir/short"
"$plot" timeline "$dir/short.db" --out="$dir/short" >"$dir/short-plot.log" 2>&1
expect "timeline without handoffs: exit status" "$?" 0
expect "timeline without handoffs: nothing lost" "$(block "$dir/short/timeline.dat" "[lost]" | wc -l)" 0
expect "timeline without handoffs: no gnuplot warnings" \
	"$(grep -c -i 'warning' "$dir/short-plot.log")" 0
expect "timeline without handoffs: no strip" "$(grep -c "index '\[milestones\]'" \
	"$dir/short/timeline.gp")" 0
"$plot" timeline "$dir/udp.db" --out="$dir/out" --handoff=2 --window=0.5 >/dev/null 2>&1
expect "zoomed timeline exit status" "$?" 0
expect "zoomed timeline pictures" "$(pictures_ok "$dir/out/timeline-handoff")" "89504e47 %PDF- 1"
expect "zoomed timeline stays within 0.5 s of the second link down" \
	"$(awk -v down="$(query "$dir/udp.db" "SELECT time_ns / 1e9 FROM mobility_event
		WHERE node = 0 AND kind = 1 ORDER BY time_ns LIMIT 1 OFFSET 1")" \
		'NF == 2 && $1 !~ /^#/ && ($1 < down - 0.5 || $1 > down + 0.5) {n++}
		END {print n + 0}' "$dir/out/timeline-handoff.dat")" 0

# Titles name the node as the node table does, not by its number.
expect "timeline title names mn" "$(grep -c "^ *set title 'UDP datagrams to mn'" \
	"$dir/out/timeline.gp")" 1

# ---- throughput ----
"$plot" throughput "$dir/udp.db" --out="$dir/out" --bin=0.5 >"$dir/throughput.log" 2>&1
expect "throughput exit status" "$?" 0
expect "throughput pictures" "$(pictures_ok "$dir/out/throughput")" "89504e47 %PDF- 1"
expect "throughput title names mn" "$(grep -c "^set title 'Throughput at mn" \
	"$dir/out/throughput.gp")" 1
expect "throughput: no gnuplot warnings" "$(grep -c -i 'warning' "$dir/throughput.log")" 0
# Column 2 is the data stream (UDP datagrams with sequence numbers, TCP
# segments), column 3 every packet delivered to the mobile node.
column_bytes() {
	awk -v c="$2" 'NF == 3 && $1 !~ /^#/ {s += $c * 1e6 * 0.5 / 8} END {printf "%.0f", s}' "$1"
}
expect "throughput data bytes match the data deliveries" \
	"$(column_bytes "$dir/out/throughput.dat" 2)" \
	"$(query "$dir/udp.db" "SELECT sum(size) FROM packet_event WHERE node = 0 AND kind = 4
		AND (protocol = 6 OR (protocol = 17 AND app_seq IS NOT NULL))")"
expect "throughput bytes of all packets match the deliveries" \
	"$(column_bytes "$dir/out/throughput.dat" 3)" \
	"$(query "$dir/udp.db" "SELECT sum(size) FROM packet_event WHERE node = 0 AND kind = 4")"
# Inside the first handoff (link down 5.25 s, registered 6.29 s) the data
# stops while router advertisements still arrive.
expect "throughput: data is zero in the handoff, other packets arrive" \
	"$(awk '$1 == 5.5 {print ($2 == 0), ($3 > 0)}' "$dir/out/throughput.dat")" "1 1"
expect "throughput: the data curve is named UDP data" \
	"$(grep -c "title 'UDP data'" "$dir/out/throughput.gp")" 1

# ---- rekey ----
"$plot" rekey "$dir/ike.db" --out="$dir/out" >"$dir/rekey.log" 2>&1
expect "rekey exit status" "$?" 0
expect "rekey pictures" "$(pictures_ok "$dir/out/rekey")" "89504e47 %PDF- 1"
expect "rekey: no gnuplot warnings" "$(grep -c -i 'warning' "$dir/rekey.log")" 0
expect "rekey bars, one per SA of the mobile node" \
	"$(block "$dir/out/rekey.dat" "[sas]" | wc -l)" \
	"$(query "$dir/ike.db" "SELECT count(*) FROM sa_lifetimes_v WHERE node = 0")"
expect "rekey rows, one per SA kind and direction" \
	"$(block "$dir/out/rekey.dat" "[sas]" | awk '{print $1}' | sort -u | wc -l)" \
	"$(query "$dir/ike.db" "SELECT count(DISTINCT name || direction) FROM sa_lifetimes_v
		WHERE node = 0")"
# Successive SAs of a row alternate between two lanes, so that an old and
# a new SA installed at the same time are two bars.
expect "rekey: successive SAs of a row alternate lanes" \
	"$(block "$dir/out/rekey.dat" "[sas]" | sort -k1,1n -k3,3n |
		awk '$1 == row && $2 == lane {n++} {row = $1; lane = $2} END {print n + 0}')" 0
# An SA still installed at the end ends in an arrowhead, not a removal tick.
expect "rekey: SAs still installed at the end" \
	"$(block "$dir/out/rekey.dat" "[sas]" | awk '$5 == 1' | wc -l)" \
	"$(query "$dir/ike.db" "SELECT count(*) FROM sa_lifetimes_v WHERE node = 0
		AND removed_ns IS NULL")"
expect "rekey: arrowheads for SAs still installed" \
	"$(grep -c 'using (\$5 != 0 ? .* with vectors head filled' "$dir/out/rekey.gp")" 1
expect "rekey: removal ticks only for removed SAs" \
	"$(grep -c 'using (\$5 != 0 ? NaN : \$4)' "$dir/out/rekey.gp")" 1
# Each rekey has its start and its end as separate marks in the zoom.
expect "rekey: one row of [rekeys] per rekey" "$(block "$dir/out/rekey.dat" "[rekeys]" | wc -l)" \
	"$(query "$dir/ike.db" "SELECT count(*) FROM rekeys_v WHERE node = 0")"
expect "rekey: every rekey ends after it starts" \
	"$(block "$dir/out/rekey.dat" "[rekeys]" | awk '$2 > $1' | wc -l)" \
	"$(query "$dir/ike.db" "SELECT count(*) FROM rekeys_v WHERE node = 0 AND end_ns > start_ns")"
# The zoom starts before the first rekey and reaches past the removal of
# the SA that it replaced, so the 20 ms overlap of old and new is in it.
expect "rekey: the zoom holds the first rekey and its overlap" \
	"$(awk '/^ *origin = / {o = $3} /^ *zoom_from = / {f = $3} /^ *zoom_to = / {t = $3}
		END {printf "%.6f %d", o, f < o}' "$dir/out/rekey.gp")" \
	"$(query "$dir/ike.db" "SELECT printf('%.6f', min(start_ns) / 1e9) || ' 1'
		FROM rekeys_v WHERE node = 0")"
expect "rekey: zoom reaches past the first overlap" \
	"$(awk -v end="$(query "$dir/ike.db" "SELECT (end_ns + mn_overlap_ns) / 1e9 FROM rekeys_v
		WHERE node = 0 ORDER BY start_ns LIMIT 1")" \
		'/^ *zoom_to = / {print ($3 > end)}' "$dir/out/rekey.gp")" 1
expect "rekey: first overlap is about 20 ms" \
	"$(query "$dir/ike.db" "SELECT mn_overlap_ns BETWEEN 10000000 AND 50000000 FROM rekeys_v
		WHERE node = 0 ORDER BY start_ns LIMIT 1")" 1
expect "rekey title names mn" "$(grep -c "^ *set multiplot title 'SAs of mn'" \
	"$dir/out/rekey.gp")" 1
mkdir -p "$dir/ha"
"$plot" rekey "$dir/ike.db" --node=3 --out="$dir/ha" >/dev/null 2>&1
expect "rekey of node 3: exit status" "$?" 0
expect "rekey of node 3: title names ha" "$(grep -c "^ *set multiplot title 'SAs of ha'" \
	"$dir/ha/rekey.gp")" 1
# IKEv1 with tunnel-mode ESP for payload has many SAs, yet one row per
# kind and direction: bu, mpd, rr and payload, in and out.
"$scenario" --duration=20 --keying=ikev1 --tunnelEsp=all --saSoftLifetime=3 \
	--saHardLifetime=5 --output="$dir/ikev1.db" >"$dir/ikev1.log" 2>&1
mkdir -p "$dir/ikev1"
"$plot" rekey "$dir/ikev1.db" --out="$dir/ikev1" >"$dir/ikev1-plot.log" 2>&1
expect "IKEv1 rekey: exit status" "$?" 0
expect "IKEv1 rekey: many SAs" \
	"$(block "$dir/ikev1/rekey.dat" "[sas]" | wc -l | awk '{print ($1 >= 30)}')" 1
expect "IKEv1 rekey: eight rows" \
	"$(block "$dir/ikev1/rekey.dat" "[sas]" | awk '{print $1}' | sort -u | wc -l)" 8
expect "IKEv1 rekey: rows in kind order, out before in" \
	"$(grep -o "ytics ('[^)]*)" "$dir/ikev1/rekey.gp" | head -1)" \
	"ytics ('bu out' 1, 'bu in' 2, 'mpd out' 3, 'mpd in' 4, 'rr out' 5, 'rr in' 6, 'payload out' 7, 'payload in' 8)"

# ---- latency CDF and components of a campaign ----
cat >"$dir/campaign.txt" <<CAMPAIGN
scenario = $scenario
replications = 2
fixed = --duration=8
grid optimisticDad = false true
grid keying = manual ikev2
CAMPAIGN
"$campaign" run "$dir/campaign.txt" --dir="$dir/runs" --jobs=2 >"$dir/campaign.log" 2>&1
expect "campaign exit status" "$?" 0
"$campaign" merge "$dir/campaign.txt" --dir="$dir/runs" --output="$dir/campaign.db" \
	>>"$dir/campaign.log" 2>&1
expect "merge exit status" "$?" 0
"$plot" cdf "$dir/campaign.db" --out="$dir/out" >"$dir/cdf.log" 2>&1
expect "cdf exit status" "$?" 0
expect "cdf pictures" "$(pictures_ok "$dir/out/cdf")" "89504e47 %PDF- 1"
expect "cdf: no gnuplot warnings" "$(grep -c -i 'warning' "$dir/cdf.log")" 0
# Each curve has its own dash type, so the curves stay apart in greyscale,
# and the key below names the configurations by their values.
expect "cdf: a dash type per curve" \
	"$(grep -o ' dt [0-9]' "$dir/out/cdf.gp" | sort -u | wc -l)" 4
expect "cdf: key below, titled with the grid parameters" \
	"$(grep -c "^set key below .*title 'configuration: optimisticDad, keying'" \
		"$dir/out/cdf.gp")" 1
expect "cdf: curves named by values" "$(grep -c "title 'false, manual (n = 2)'" "$dir/out/cdf.gp")" 1
expect "cdf: one curve per configuration, each ending at 1" \
	"$(awk '/^#/ {next} NF == 2 && $2 == 1 {n++} END {print n}' "$dir/out/cdf.dat")" 4
expect "cdf: the points are the included handoffs" \
	"$(awk '/^#/ {next} NF == 2 && $2 > 0 {n++} END {print n}' "$dir/out/cdf.dat")" \
	"$(query "$dir/campaign.db" "SELECT count(*) FROM handoff WHERE included
		AND latency_s IS NOT NULL")"
"$plot" components "$dir/campaign.db" --out="$dir/out" >"$dir/components.log" 2>&1
expect "components exit status" "$?" 0
expect "components pictures" "$(pictures_ok "$dir/out/components")" "89504e47 %PDF- 1"
expect "components: no gnuplot warnings" "$(grep -c -i 'warning' "$dir/components.log")" 0
# The key lists the parts in the order of the stack, top part first.
expect "components: key in stack order" \
	"$(grep -c '^set key .*invert' "$dir/out/components.gp")" 1
# The fill colours get lighter from the bottom of the stack to the top,
# so neighbouring parts differ in greyscale too (luminance, ITU-R BT.601).
expect "components: fills lighter up the stack" \
	"$(grep -o "using [0-9] lc rgb '#[0-9a-f]*'" "$dir/out/components.gp" |
		sed "s/.*'#\(..\)\(..\)\(..\)'/\1 \2 \3/" |
		while read -r r g b; do
			echo $((0x$r * 299 + 0x$g * 587 + 0x$b * 114))
		done | awk 'NR > 1 && $1 < last + 20000 {bad++} {last = $1; n++}
			END {print n, bad + 0}')" "6 0"
expect "components: axis names the configuration parameters" \
	"$(grep -c "^set xlabel 'configuration: optimisticDad, keying'" \
		"$dir/out/components.gp")" 1
expect "components: tic labels are the values" \
	"$(grep -c '^set xtics ("false[^=]*ikev2" 3)' "$dir/out/components.gp")" 1
# The components of a configuration add up to its mean latency.
expect "components add up to the mean latency" \
	"$(awk '/^#/ || /^configuration/ {next}
		{s = 0; for (i = NF - 5; i <= NF; i++) s += $i; printf "%.6f\n", s}' \
		"$dir/out/components.dat" | tr '\n' ' ')" \
	"$(query "$dir/campaign.db" "SELECT printf('%.6f', avg(latency_s)) FROM handoff
		WHERE included GROUP BY config ORDER BY config" | tr '\n' ' ')"
# At 10000 datagrams/s the first BA is lost, and data comes before the BA
# that acknowledges the retransmitted BU.  The parts still add up, and
# none is negative.
cat >"$dir/late-ba.txt" <<CAMPAIGN
scenario = $scenario
replications = 1
fixed = --duration=8 --interval=0.1
CAMPAIGN
mkdir -p "$dir/late-ba-out"
"$campaign" run "$dir/late-ba.txt" --dir="$dir/late-ba" --jobs=1 >"$dir/late-ba.log" 2>&1 &&
	"$campaign" merge "$dir/late-ba.txt" --dir="$dir/late-ba" --output="$dir/late-ba.db" \
		>>"$dir/late-ba.log" 2>&1 &&
	"$plot" components "$dir/late-ba.db" --out="$dir/late-ba-out" >/dev/null 2>&1
expect "late BA: campaign and plot exit status" "$?" 0
expect "late BA: the BA came after the first data" \
	"$(query "$dir/late-ba.db" "SELECT count(*) FROM handoff WHERE ba_received_s > first_data_s")" 1
expect "late BA: components add up to the latency, none negative" \
	"$(awk '/^#/ || /^configuration/ {next}
		{s = 0; for (i = NF - 5; i <= NF; i++) { s += $i; if ($i < 0) s = -1000 }
		 printf "%.6f\n", s}' "$dir/late-ba-out/components.dat")" \
	"$(query "$dir/late-ba.db" "SELECT printf('%.6f', avg(latency_s)) FROM handoff WHERE included")"
# The campaign statistics split the latency the same way and count the lost packets.
"$analysis" --csv "$dir/late-ba.db" >"$dir/late-ba.csv" 2>&1
expect "late BA: analysis exit status" "$?" 0
late_mean() {
	awk -F, -v q="$1" '$3 == q { print $5 }' "$dir/late-ba.csv"
}
expect "late BA: BA received to first data" "$(late_mean "BA received to first data")" 0
expect "late BA: BU sent to BA received ends at the first data" \
	"$(late_mean "BU sent to BA received" | awk '{ printf "%.6f", $1 }')" \
	"$(query "$dir/late-ba.db" "SELECT printf('%.6f', first_data_s - bu_sent_s) FROM handoff
		WHERE included")"
expect "late BA: statistics components add up to the latency" \
	"$(awk -F, 'NR > 1 && $3 ~ / to / && $3 !~ /latency/ { s += $5 } END { printf "%.6f", s }' \
		"$dir/late-ba.csv")" \
	"$(query "$dir/late-ba.db" "SELECT printf('%.6f', latency_s) FROM handoff WHERE included")"
expect "late BA: lost packets" "$(late_mean "lost packets (count)")" \
	"$(query "$dir/late-ba.db" "SELECT lost_packets FROM handoff WHERE included")"
expect "late BA: lost packets in the table" \
	"$("$analysis" "$dir/late-ba.db" | grep -c '^lost packets (count) ')" 1
# The timeline of that run (80000 datagrams) is thinned to the lowest and
# highest sequence number per time column, so the SVG stays small, but
# every column with a lost datagram keeps one.
fast="$dir/late-ba/config0-run1.db"
"$plot" timeline "$fast" --out="$dir/late-ba-out" >/dev/null 2>&1
expect "high-rate timeline: exit status" "$?" 0
expect "high-rate timeline: SVG under 1 MB" \
	"$(wc -c <"$dir/late-ba-out/timeline.svg" | awk '{print ($1 < 1000000)}')" 1
expect "high-rate timeline: data says it is thinned" \
	"$(grep -c '^# \[[a-z]*\] time_s .*thinned to the lowest and highest' \
		"$dir/late-ba-out/timeline.dat")" 3
for series in sent delivered lost; do
	expect "high-rate timeline: $series has at most 2 points per column" \
		"$(block "$dir/late-ba-out/timeline.dat" "[$series]" | wc -l |
			awk '{print ($1 > 0 && $1 <= 2000)}')" 1
done
expect "high-rate timeline: lost datagrams from first to last" \
	"$(block "$dir/late-ba-out/timeline.dat" "[lost]" | sort -n |
		awk 'NR == 1 {first = $1} {last = $1} END {printf "%.6f %.6f", first, last}')" \
	"$(query "$fast" "SELECT printf('%.6f %.6f', min(s.time_ns) / 1e9, max(s.time_ns) / 1e9)
		FROM packet_event s WHERE s.node != 0 AND s.kind = 1 AND s.protocol = 17
		AND s.app_seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM packet_event d
		WHERE d.node = 0 AND d.kind = 4 AND d.app_seq = s.app_seq)")"
"$plot" cdf "$dir/udp.db" --out="$dir/out" >"$dir/bad5.log" 2>&1
expect "cdf of a single run: exit status" "$?" 2
expect "cdf of a single run: names the fix" "$(grep -c 'mip6sec-campaign merge' "$dir/bad5.log")" 1

# ---- bad arguments ----
"$plot" rekey "$dir/udp.db" --out="$dir/out" >"$dir/bad1.log" 2>&1
expect "rekey of a run without SA events: exit status" "$?" 2
expect "rekey of a run without SA events: says how to get them" \
	"$(grep -c 'keying=ikev2' "$dir/bad1.log")" 1
"$plot" timeline "$dir/udp.db" --out="$dir/missing" >"$dir/bad2.log" 2>&1
expect "--out that is not a folder: exit status" "$?" 2
"$plot" timeline "$dir/udp.db" --out="$dir/out" --handoff=9 >"$dir/bad3.log" 2>&1
expect "--handoff=9 with two handoffs: exit status" "$?" 2
expect "--handoff=9: message names it" "$(grep -c 'no handoff 9' "$dir/bad3.log")" 1
"$plot" histogram "$dir/udp.db" >"$dir/bad4.log" 2>&1
expect "unknown plot: exit status" "$?" 2
"$plot" timline "$dir/udp.db" >"$dir/bad4b.log" 2>&1
expect "mistyped plot gets the nearest" "$(grep -c '(did you mean timeline?)' "$dir/bad4b.log")" 1
"$plot" timeline "$dir/udp.db" --hanoff=1 >"$dir/bad4c.log" 2>&1
expect "mistyped option gets the nearest" "$(grep -c 'did you mean --handoff?' "$dir/bad4c.log")" 1

# Each rejected input exits 2 with a message that names the problem and
# the fix, and leaves nothing in --out: no half-written data or script,
# no staging folder.
rejects() {
	name=$1
	pattern=$2
	shift 2
	rm -rf "$dir/empty"
	mkdir "$dir/empty"
	"$plot" "$@" --out="$dir/empty" >"$dir/reject.log" 2>&1
	expect "$name: exit status" "$?" 2
	expect "$name: message" "$(grep -c -- "$pattern" "$dir/reject.log")" 1
	expect "$name: nothing left in --out" "$(ls -A "$dir/empty" | wc -l)" 0
}
rejects "rekey without SA events" "keying=ikev2" rekey "$dir/udp.db"
for run_plot in timeline throughput rekey; do
	rejects "$run_plot of a campaign database" \
		"is a campaign database.*give a run database (mip6sec-handoff --output=FILE)" \
		"$run_plot" "$dir/campaign.db"
done
echo "not a database" >"$dir/text.db"
rejects "timeline of a text file" "text.db is not an SQLite database; give a run database" \
	timeline "$dir/text.db"
rejects "cdf of a text file" "text.db is not an SQLite database; give a campaign database" \
	cdf "$dir/text.db"
rejects "--node=7 with six nodes" "has no node 7; its nodes are 0 (mn), 1 (cn),.* 5 (ar2)" \
	timeline "$dir/udp.db" --node=7
rejects "--bin on cdf" "bin applies to the throughput plot only, not to cdf" \
	cdf "$dir/campaign.db" --bin=1
rejects "--bin on timeline" "bin applies to the throughput plot only, not to timeline" \
	timeline "$dir/udp.db" --bin=1
rejects "--handoff on rekey" "handoff applies to the timeline plot only" \
	rekey "$dir/ike.db" --handoff=1
rejects "--node on components" "node applies to the timeline, throughput and rekey plots" \
	components "$dir/campaign.db" --node=0
rejects "--window without --handoff" "give --handoff too" timeline "$dir/udp.db" --window=2

# A campaign whose runs all failed: both campaign plots reject it.
cat >"$dir/failed.txt" <<CAMPAIGN
scenario = $scenario
fixed = --noSuchOption=1
grid keying = manual ikev2
CAMPAIGN
"$campaign" run "$dir/failed.txt" --dir="$dir/failed" --jobs=2 >"$dir/failed.log" 2>&1
expect "failed campaign: run exit status" "$?" 1
"$campaign" merge "$dir/failed.txt" --dir="$dir/failed" --output="$dir/failed.db" \
	>>"$dir/failed.log" 2>&1
expect "failed campaign: merge exit status" "$?" 0
for campaign_plot in cdf components; do
	rejects "$campaign_plot of a failed campaign" "none of its 2 runs is complete" \
		"$campaign_plot" "$dir/failed.db"
done

# Without gnuplot the data and the script are written, but no pictures.
rm -rf "$dir/no-gnuplot"
mkdir "$dir/no-gnuplot"
PATH=/nonexistent "$plot" throughput "$dir/udp.db" --out="$dir/no-gnuplot" >"$dir/no-gnuplot.log" 2>&1
expect "missing gnuplot: exit status" "$?" 1
expect "missing gnuplot: message" "$(grep -c 'install gnuplot-nox' "$dir/no-gnuplot.log")" 1
expect "missing gnuplot: data and script only" "$(ls -A "$dir/no-gnuplot" | tr '\n' ' ')" \
	"throughput.dat throughput.gp "

# The usage text puts each option on the line of the plot that takes it.
"$plot" --help >"$dir/usage.log" 2>&1
expect "usage: --handoff and --window on the timeline line" \
	"$(grep -c '^usage: mip6sec-plot timeline RUN.db \[--handoff=N \[--window=S\]\]' \
		"$dir/usage.log")" 1
expect "usage: --bin on the throughput line" \
	"$(grep -c '^ *mip6sec-plot throughput RUN.db \[--bin=S\]' "$dir/usage.log")" 1
expect "usage: the campaign line takes only --out" \
	"$(grep -c '^ *mip6sec-plot cdf|components CAMPAIGN.db \[--out=DIR\]$' "$dir/usage.log")" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
