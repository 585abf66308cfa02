#!/bin/sh
# Run a campaign on Slurm as a job array with one array index per run.
#
# Usage: campaign-slurm.sh [--write-only] FILE DIR [SBATCH_OPTION...]
#
# Counts the runs with `mip6sec-campaign count FILE`, writes the batch
# script DIR/slurm/campaign.sbatch, which runs
# `mip6sec-campaign run-one FILE --dir=DIR --index=$SLURM_ARRAY_TASK_ID`,
# and submits it with `sbatch --array=0-(N-1) --wait`.  Options after DIR
# go to sbatch, e.g. --partition=NAME --time=MINUTES.  Each task writes
# its output to DIR/slurm/run-I.log and its exit status to
# DIR/slurm/run-I.status.  FILE and DIR must be on a file system that
# every compute node mounts at the same path.  --write-only writes the
# batch script and prints the sbatch command without submitting it.
#
# Environment: MIP6SEC_CAMPAIGN names the campaign program (default
# mip6sec-campaign from PATH, else build/mip6sec-campaign of this
# repository); SLURM_CONF and the SBATCH_* variables reach sbatch.
#
# Exits 0 when every run succeeded.  Exits 1 and names the failed
# indices when a task failed, read from sacct when the cluster has
# accounting and from the .status files otherwise.  Exits 2 on bad usage.
set -u

usage() {
	echo "usage: $0 [--write-only] FILE DIR [SBATCH_OPTION...]" >&2
	exit 2
}

fail() {
	echo "campaign-slurm: $*" >&2
	exit 1
}

# Print $1 as one single-quoted shell word.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Print the absolute path of the campaign program.
find_campaign() {
	if [ -n "${MIP6SEC_CAMPAIGN:-}" ]; then
		program=$MIP6SEC_CAMPAIGN
	elif command -v mip6sec-campaign >/dev/null 2>&1; then
		program=$(command -v mip6sec-campaign)
	else
		program="$(dirname "$0")/../build/mip6sec-campaign"
	fi
	if [ ! -f "$program" ] || [ ! -x "$program" ]; then
		fail "campaign program '$program' not found or not executable; build mip6sec-campaign or set MIP6SEC_CAMPAIGN"
	fi
	echo "$(cd "$(dirname "$program")" && pwd)/$(basename "$program")"
}

# Print the array task ids of job $1 that sacct does not list as
# COMPLETED.  Returns 1 when sacct fails or returns no rows for the job.
failed_from_sacct() {
	rows=$(sacct -n -X -P -j "$1" -o JobID,State 2>/dev/null) || return 1
	[ -n "$rows" ] || return 1
	echo "$rows" | while IFS='|' read -r id state; do
		case "$state" in
		COMPLETED) ;;
		*) echo "${id#*_}" ;;
		esac
	done
}

# Print the indices 0..$1-1 whose status file is missing or non-zero.
failed_from_status_files() {
	index=0
	while [ "$index" -lt "$1" ]; do
		status=$(cat "$slurm_dir/run-$index.status" 2>/dev/null)
		[ "$status" = 0 ] || echo "$index"
		index=$((index + 1))
	done
}

write_batch_script() {
	cat >"$batch" <<EOF
#!/bin/sh
#SBATCH --job-name=mip6sec-campaign
#SBATCH --output=$slurm_dir/run-%a.log
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
# Written by scripts/campaign-slurm.sh for $runs runs of $file.
# Submit with: sbatch --array=0-$((runs - 1)) $batch
index=\$SLURM_ARRAY_TASK_ID
$(quote "$campaign") run-one $(quote "$file") --dir=$(quote "$dir") --index="\$index"
status=\$?
echo "\$status" >$(quote "$slurm_dir")/run-"\$index".status
exit "\$status"
EOF
}

write_only=false
if [ "${1:-}" = --write-only ]; then
	write_only=true
	shift
fi
[ $# -ge 2 ] || usage
file=$1
dir=$2
shift 2
[ -r "$file" ] || fail "cannot read campaign file '$file'"
case "$dir" in
*[[:space:]]*) fail "DIR '$dir' contains white space, which #SBATCH lines cannot hold" ;;
esac

campaign=$(find_campaign) || exit 1
file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
mkdir -p "$dir/slurm" || fail "cannot create $dir/slurm"
dir=$(cd "$dir" && pwd)
slurm_dir=$dir/slurm
batch=$slurm_dir/campaign.sbatch

runs=$("$campaign" count "$file") ||
	fail "'$campaign count $file' failed"
case "$runs" in
'' | *[!0-9]*) fail "'$campaign count $file' printed '$runs', not a number of runs" ;;
esac
[ "$runs" -gt 0 ] || fail "campaign $file has no runs"

write_batch_script
if [ "$write_only" = true ]; then
	echo "sbatch --array=0-$((runs - 1)) $batch"
	exit 0
fi

command -v sbatch >/dev/null 2>&1 ||
	fail "sbatch not found; install the Debian package slurm-client"
scontrol ping >/dev/null 2>&1 ||
	fail "no Slurm controller answers (scontrol ping); set SLURM_CONF to the cluster's slurm.conf"
max_array=$(scontrol show config 2>/dev/null | sed -n 's/^MaxArraySize *= *//p')
if [ -n "$max_array" ] && [ "$runs" -gt "$max_array" ]; then
	fail "$runs runs exceed the cluster's MaxArraySize of $max_array; split the campaign"
fi

index=0
while [ "$index" -lt "$runs" ]; do
	rm -f "$slurm_dir/run-$index.status"
	index=$((index + 1))
done

echo "campaign-slurm: submitting $runs runs of $file as a job array; waiting for them to finish"
sbatch --parsable --array=0-$((runs - 1)) --wait "$@" "$batch" >"$slurm_dir/job-id"
sbatch_status=$?
job=$(cut -d ';' -f 1 "$slurm_dir/job-id")
[ -n "$job" ] || fail "sbatch did not submit $batch (exit status $sbatch_status)"

accounting=$(scontrol show config 2>/dev/null | sed -n 's/^AccountingStorageType *= *//p')
failed=""
if [ -n "$accounting" ] && [ "$accounting" != accounting_storage/none ] &&
	failed=$(failed_from_sacct "$job"); then
	source="sacct"
else
	failed=$(failed_from_status_files "$runs")
	source="$slurm_dir/run-I.status"
fi
failed=$(echo "$failed" | tr '\n' ' ' | sed 's/^ *//; s/ *$//')

if [ -n "$failed" ]; then
	count=$(echo "$failed" | wc -w)
	echo "campaign-slurm: job $job: $count of $runs runs failed, indices: $failed (from $source)" >&2
	echo "campaign-slurm: read $slurm_dir/run-I.log for each failed index I" >&2
	exit 1
fi
if [ "$sbatch_status" -ne 0 ]; then
	fail "job $job: sbatch exited with status $sbatch_status, but no run reports a failure; read $slurm_dir/run-*.log"
fi
echo "campaign-slurm: job $job: all $runs runs completed in $dir"
