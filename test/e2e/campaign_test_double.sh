#!/bin/sh
# Test double for the command-line interface of mip6sec-campaign, used by
# check_slurm.sh to test scripts/campaign-slurm.sh.  It is not the
# campaign runner and reads no real campaign file.
#
# Usage: campaign_test_double.sh count FILE
#        campaign_test_double.sh run-one FILE --dir=DIR --index=I
#
# FILE has one line per run.  Each line contains extra options for
# mip6sec-handoff and may be empty.  count prints the number of lines.
# run-one runs line I+1 (I counts from 0) as
#   $MIP6SEC_HANDOFF --run=I+1 --duration=6 --output=DIR/I.db OPTIONS
# and exits with the scenario's exit status.  MIP6SEC_HANDOFF must name
# the mip6sec-handoff program.
set -u

usage() {
	echo "usage: $0 count FILE | run-one FILE --dir=DIR --index=I" >&2
	exit 2
}

[ $# -ge 2 ] || usage
command=$1
file=$2
shift 2
[ -r "$file" ] || {
	echo "campaign_test_double: cannot read campaign file $file" >&2
	exit 2
}

case "$command" in
count)
	[ $# -eq 0 ] || usage
	wc -l <"$file" | tr -d ' '
	;;
run-one)
	dir=""
	index=""
	for arg in "$@"; do
		case "$arg" in
		--dir=*) dir=${arg#--dir=} ;;
		--index=*) index=${arg#--index=} ;;
		*) usage ;;
		esac
	done
	[ -n "$dir" ] || usage
	case "$index" in
	'' | *[!0-9]*) usage ;;
	esac
	runs=$(wc -l <"$file" | tr -d ' ')
	if [ "$index" -ge "$runs" ]; then
		echo "campaign_test_double: index $index out of range 0-$((runs - 1))" >&2
		exit 2
	fi
	if [ -z "${MIP6SEC_HANDOFF:-}" ]; then
		echo "campaign_test_double: MIP6SEC_HANDOFF is not set; set it to the mip6sec-handoff program" >&2
		exit 2
	fi
	options=$(sed -n "$((index + 1))p" "$file")
	mkdir -p "$dir"
	# Word splitting of $options is intended: the line is a list of options.
	# shellcheck disable=SC2086
	exec "$MIP6SEC_HANDOFF" --run=$((index + 1)) --duration=6 \
		--output="$dir/$index.db" $options
	;;
*)
	usage
	;;
esac
