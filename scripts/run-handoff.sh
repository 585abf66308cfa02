#!/bin/sh
# Install what is missing, build, run the default handoff scenario and
# print its analysis.  Scenario options (see --help) may follow, e.g.
#   scripts/run-handoff.sh --speed=20 --output=fast.db
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/mip6sec-handoff "$@"
