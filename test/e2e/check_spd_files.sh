#!/bin/sh
# Write the RFC 3776 section 5.2 presets that the handoff scenario
# installs to SPD files, load them back with --spdMobileNode and
# --spdHomeAgent, and check that the run records exactly the same events.
# Then check that a broken file is rejected with its line number and that
# an edited file takes effect (tunnel ESP policies removed: HoTI travels in
# plain IPv6-in-IPv6).  Usage: check_spd_files.sh SCENARIO OUTDIR
set -u
scenario=$1
dir=$2

. "$(dirname "$0")/lib.sh"

digest() {
	sqlite3 -batch -noheader "$1" "SELECT * FROM packet_events_v ORDER BY rowid;
		SELECT * FROM mobility_events_v ORDER BY rowid" | cksum
}

run() {
	"$scenario" --seed=5 --run=2 --routeOptimization=true --uplinkInterval=100 "$@" \
		>"$dir/log" 2>&1
}

rm -rf "$dir"
mkdir -p "$dir"
run --output="$dir/presets.db" --spdWrite="$dir/preset"
expect "run with presets" "$?" 0
expect "written files" "$(ls "$dir"/preset-mn.spd "$dir"/preset-ha.spd 2>/dev/null | wc -l)" 2
expect "written files readable by the owner only" "$(stat -c %a "$dir/preset-mn.spd")" 600

run --output="$dir/loaded.db" --spdMobileNode="$dir/preset-mn.spd" \
	--spdHomeAgent="$dir/preset-ha.spd"
expect "run with loaded files" "$?" 0
expect "loaded files give the same events" "$(digest "$dir/loaded.db")" \
	"$(digest "$dir/presets.db")"

# A line with an invalid SPI is rejected with the file and line named.
sed '4s/spi=0x[0-9a-f]*/spi=12/' "$dir/preset-mn.spd" >"$dir/broken-mn.spd"
run --output="$dir/broken.db" --spdMobileNode="$dir/broken-mn.spd" \
	--spdHomeAgent="$dir/preset-ha.spd"
expect "exit status with a broken file" "$?" 2
expect "error names file and line" "$(grep -c "broken-mn.spd:4" "$dir/log")" 1

# Without the tunnel policies on both sides, HoTI crosses the tunnel in clear.
grep -v "iface=tunnel" "$dir/preset-mn.spd" >"$dir/clear-mn.spd"
grep -v "iface=tunnel" "$dir/preset-ha.spd" >"$dir/clear-ha.spd"
run --output="$dir/clear.db" --spdMobileNode="$dir/clear-mn.spd" \
	--spdHomeAgent="$dir/clear-ha.spd"
expect "run with edited files" "$?" 0
expect "tunnel-mode ESP at the mobile node" "$(sqlite3 -batch -noheader "$dir/clear.db" \
	"SELECT count(*) FROM packet_events_v WHERE node_name = 'mn' AND kind = 'esp_protect'
	 AND chain = 'ipv6>esp'")" 0
expect "route optimization still completes" "$(sqlite3 -batch -noheader "$dir/clear.db" \
	"SELECT count(*) FROM mobility_events_v WHERE node_name = 'mn' AND kind = 'cn_ba_received'
	 AND value = 0")" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
