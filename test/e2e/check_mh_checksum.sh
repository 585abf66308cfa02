#!/bin/sh
# Check that mh_checksum accepts correct Mobility Header checksums and
# rejects wrong ones.  The two good messages are the Binding Update with
# an Alternate Care-of Address and the accepted Binding Acknowledgement
# of test/unit/test_mh.c, whose checksums were computed by a separate
# script.  Usage: check_mh_checksum.sh MH_CHECKSUM
set -u
program=$1
passed=0
failed=0

tab=$(printf '\t')
ha=2001:db8:1::1
hoa=2001:db8:1::100
coa=2001:db8:2::100
# BU from the care-of address with a Home Address option: CoA -> HA, HAO = HoA.
bu_hex=3b0305006f770007c00000960100031020010db8000200000000000000000100
# BA to the care-of address with a type 2 routing header: HA -> CoA, RH2 = HoA.
ba_hex=3b010600605300000007009601020000
good_bu="1$tab$coa$tab$ha$tab$hoa$tab$tab$bu_hex"
good_ba="2$tab$ha$tab$coa$tab$tab$hoa$tab$ba_hex"

# run NAME EXPECTED_EXIT EXPECTED_SUMMARY LINES...
run() {
	name=$1
	want_status=$2
	want_summary=$3
	shift 3
	output=$(printf '%s\n' "$@" | "$program")
	status=$?
	summary=$(printf '%s\n' "$output" | tail -n 1)
	if [ "$status" = "$want_status" ] && [ "$summary" = "$want_summary" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name: exit $status and '$summary', expected exit $want_status and" \
			"'$want_summary'"
		printf '%s\n' "$output"
	fi
}

run "good BU and BA" 0 "2 passed, 0 failed" "$good_bu" "$good_ba"

# Sequence number 7 -> 8 in the BU: the checksum no longer matches.
corrupt_bu=$(printf '%s' "$good_bu" | sed 's/6f770007/6f770008/')
run "corrupted BU" 1 "1 passed, 1 failed" "$good_ba" "$corrupt_bu"

# The same bytes checked over the care-of address instead of the home
# address: a checker that ignored the Home Address option or the routing
# header would let these pass.
no_hao="3$tab$coa$tab$ha$tab$tab$tab$bu_hex"
no_rh2="4$tab$ha$tab$coa$tab$tab$tab$ba_hex"
run "BU without its Home Address option" 1 "0 passed, 1 failed" "$no_hao"
run "BA without its routing header" 1 "0 passed, 1 failed" "$no_rh2"

run "Header Len that disagrees with the length" 1 "0 passed, 1 failed" \
	"5$tab$ha$tab$coa$tab$tab$hoa${tab}3b010600605300000007009601020000aaaa"
run "line with five fields" 1 "0 passed, 1 failed" "6$tab$coa$tab$ha$tab$hoa$tab$bu_hex"
run "invalid hex" 1 "0 passed, 1 failed" "7$tab$coa$tab$ha$tab$hoa$tab${tab}3b0z"
run "no input" 1 "0 passed, 0 failed" ""

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
