#!/bin/sh
# Install the Debian packages that mip6sec needs to build, run and test.
# Safe to run again: it installs only what is missing.  Needs root (or
# sudo) the first time, when something is missing.
set -eu

# clang and libclang-rt-14-dev give libFuzzer and the sanitizer runtimes
# for scripts/fuzz-smoke.sh; clang alone only recommends the latter.
# slurmctld, slurmd, slurm-client and munge are for scripts/slurm-cluster.sh
# and the Slurm end-to-end test.  Debian's slurmctld and slurmd services
# start only when /etc/slurm/slurm.conf exists, which nothing here writes,
# so a fresh install leaves the test cluster's ports free.  The system munged
# that the munge package may start uses /run/munge, and the test cluster
# runs its own munged under its state folder.  iproute2 gives ss, which
# checks that the cluster listens on loopback only.
packages="build-essential cmake pkg-config libns3-dev libgsl-dev \
libsqlite3-dev sqlite3 libssl-dev tshark gnuplot-nox clang libclang-rt-14-dev jq \
slurmctld slurmd slurm-client munge iproute2"

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
