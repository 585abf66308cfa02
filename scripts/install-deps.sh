#!/bin/sh
# Install the Debian packages that mip6sec needs to build, run and test.
# Safe to run again: it installs only what is missing.  Needs root (or
# sudo) the first time, when something is missing.
set -eu

# clang and libclang-rt-14-dev give libFuzzer and the sanitizer runtimes
# for scripts/fuzz-smoke.sh; clang alone only recommends the latter.
packages="build-essential cmake pkg-config libns3-dev libgsl-dev \
libsqlite3-dev sqlite3 libssl-dev tshark gnuplot-nox clang libclang-rt-14-dev jq"

missing=""
for pkg in $packages; do
	if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run this script as root or install sudo" >&2
	exit 1
fi

echo "install-deps: installing$missing"
# tshark asks whether non-root users may capture; answer no so that the
# install never waits for input.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$sudo debconf-set-selections
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	--no-install-recommends $missing
