#!/bin/sh
# Run the handoff scenario with an ns-2 trace that takes the mobile node
# to the first foreign link and back home, and check the return: the
# de-registration BU leaves from the home address with ESP right after
# the IPv6 header (no Home Address option) and the BA comes back to the
# home address without a type 2 routing header (RFC 3776 section 3.1),
# the home agent deletes the binding, and UDP is delivered again directly
# on the home link.  Usage: check_return_home.sh SCENARIO ANALYSIS TRACE OUTDIR
set -u
scenario=$1
analysis=$2
trace=$3
dir=$4

. "$(dirname "$0")/lib.sh"

query() {
	sqlite3 -batch -noheader "$dir/handoff.db" "$1"
}

rm -rf "$dir"
mkdir -p "$dir"
"$scenario" --trace="$trace" --pcap=true --uplinkInterval=100 --output="$dir/handoff.db" \
	>"$dir/log" 2>&1
expect "scenario exit status" "$?" 0

expect "returns home" "$(query "SELECT count(*) FROM mobility_events_v WHERE node_name = 'mn'
	AND kind = 'returned_home'")" 1
expect "de-registration BUs (lifetime 0)" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'mn' AND kind = 'bu_sent' AND value2 = 0")" 1
expect "bindings deleted at the home agent" "$(query "SELECT count(*) FROM mobility_events_v
	WHERE node_name = 'ha' AND kind = 'binding_delete'")" 1
home_ba=$(query "SELECT max(time_ns) FROM mobility_event WHERE node = 0 AND kind = 6 AND
	value = 0")
expect_at_least "UDP delivered on the home link within 2 s of the last BA" "$(query "SELECT
	count(*) FROM packet_event WHERE node = 0 AND kind = 4 AND protocol = 17
	AND time_ns > $home_ba AND time_ns < $home_ba + 2000000000")" 150
expect "UDP tunnelled to the mobile node after the return" "$(query "SELECT count(*)
	FROM packet_event WHERE node = 0 AND kind = 8 AND time_ns > $home_ba")" 0

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$profile/profiles/mip6sec"
cp "$dir/handoff-esp_sa" "$profile/profiles/mip6sec/esp_sa"
hoa=$(head -n 1 "$dir/handoff-esp_sa" | cut -d, -f2 | tr -d '"')
dereg=$(WIRESHARK_CONFIG_DIR=$profile tshark -C mip6sec -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -r "$dir/handoff-0-1.pcap" \
	-Y 'mip6.bu.lifetime == 0 || (mip6.mhtype == 6 && mip6.ba.lifetime == 0)' \
	-T fields -E separator=' ' -e mip6.mhtype -e frame.protocols -e ipv6.src -e ipv6.dst \
	-e esp.icv_good 2>/dev/null)
expect "de-registration BU on the wire" "$(printf '%s\n' "$dereg" | grep '^5 ')" \
	"5 eth:ethertype:ipv6:esp:mipv6 $hoa 2001:1:0:1::1 1"
expect "its BA on the wire" "$(printf '%s\n' "$dereg" | grep '^6 ')" \
	"6 eth:ethertype:ipv6:esp:mipv6 2001:1:0:1::1 $hoa 1"

expect "handoffs in the analysis, the second one home" "$("$analysis" --csv "$dir/handoff.db" |
	awk -F, 'NR > 1 && $0 != "" { printf "%s%s", sep, $15; sep = " " }')" "0 1"

# With route optimization the mobile node also deletes the correspondent's
# binding from home once its home registration is gone.
"$scenario" --trace="$trace" --routeOptimization=true --output="$dir/ro.db" >"$dir/ro.log" 2>&1
expect "scenario exit status with route optimization" "$?" 0
expect "correspondent bindings deleted after the return" "$(sqlite3 -batch -noheader \
	"$dir/ro.db" "SELECT count(*) FROM mobility_events_v WHERE node_name = 'cn'
	 AND kind = 'cn_binding_delete' AND time_ns > (SELECT time_ns FROM mobility_events_v
	 WHERE node_name = 'mn' AND kind = 'returned_home')")" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
