#!/bin/sh
# Install what is missing, build, and run every test: the model's unit
# tests under AddressSanitizer and UBSan (no ns-3), a short libFuzzer run
# of every parser, then the unit, end-to-end, wire-format (tshark) and
# build-consistency tests.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMIP6SEC_WITH_NS3=OFF \
	-DMIP6SEC_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
(cd build-asan && ctest --output-on-failure -L unit)

echo "== fuzzing every parser briefly (libFuzzer)"
scripts/fuzz-smoke.sh 10

echo "== all tests"
scripts/build.sh
cd build && ctest --output-on-failure -j 2
