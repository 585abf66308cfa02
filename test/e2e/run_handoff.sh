#!/bin/sh
# Run the handoff scenario in real ns-3 for the end-to-end tests: default
# movement (two handoffs), uplink traffic through the reverse tunnel, and
# pcap files with the ESP keys.  Usage: run_handoff.sh SCENARIO OUTDIR
set -eu
scenario=$1
outdir=$2
shift 2
rm -rf "$outdir"
mkdir -p "$outdir"
status=0
"$scenario" --output="$outdir/handoff.db" --pcap=true --uplinkInterval=100 "$@" \
	>"$outdir/scenario.log" 2>&1 || status=$?
cat "$outdir/scenario.log"
exit "$status"
