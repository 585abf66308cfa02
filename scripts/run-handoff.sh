#!/bin/sh
# Install what is missing, build, run the handoff scenario and print the
# analysis of its database.  Scenario options may follow, e.g.
#   scripts/run-handoff.sh --speed=20 --output=fast.db
# (build/mip6sec-handoff --help lists them).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

output=handoff.db
for arg in "$@"; do
	case "$arg" in
	--output=*) output=${arg#--output=} ;;
	--help | --PrintHelp | -h) exec build/mip6sec-handoff "$arg" ;;
	esac
done

build/mip6sec-handoff "$@"
echo
build/mip6sec-analysis "$output"
