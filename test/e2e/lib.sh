# lib.sh - what the end-to-end check scripts share; each one sources it
# with . "$(dirname "$0")/lib.sh" and ends with its own summary line.
# passed and failed count the checks.

passed=0
failed=0

# expect NAME GOT EXPECTED: pass when the two strings are equal.
expect() {
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: got '$2', expected '$3'"
	fi
}

# expect_at_least NAME GOT MINIMUM: pass when GOT is a number of at least MINIMUM.
expect_at_least() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: got '$2', expected at least $3"
	fi
}

# query DB SQL: print the result rows without headers.
query() {
	sqlite3 -batch -noheader "$1" "$2"
}
