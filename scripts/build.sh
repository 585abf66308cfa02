#!/bin/sh
# Configure and build mip6sec in build/ (ns-3 shim, scenarios, analysis,
# tests).  Extra arguments go to the CMake configure step.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j "$(nproc)"
