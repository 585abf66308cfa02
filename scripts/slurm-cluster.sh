#!/bin/sh
# Start, stop or query a single-node Slurm 22.05 cluster for tests.
#
# Usage: slurm-cluster.sh start|stop|status STATE_DIR
#
# start writes STATE_DIR/slurm.conf, starts munged, slurmctld and slurmd
# as root without systemd and waits until sinfo shows the node idle.  It
# prints the line `export SLURM_CONF=STATE_DIR/slurm.conf` that points
# sbatch, sinfo and sacct at this cluster.  Every state, spool, pid and
# log file stays under STATE_DIR.  stop runs `scontrol shutdown`, then
# kills what is left of the daemons this script started, by their pid
# files.  It is safe to call twice or when nothing runs.  status prints
# the daemons' pids and the node state, and exits 0 only when the
# controller responds.
#
# The node is this machine's short hostname with NodeAddr=127.0.0.1.
# With CommunicationParameters NoCtldInAddrAny and NoInAddrAny, Slurm
# 22.05 binds slurmctld and slurmd to the address the hostname resolves
# to, not to the addresses in slurm.conf.  So start requires that the
# hostname resolves to loopback addresses only.  After the start it
# checks with ss that both daemons listen on loopback only.  munged authenticates the daemons and clients with a key
# generated for this cluster; /etc/munge is not read or changed.
#
# Environment: SLURM_CLUSTER_CTLD_PORT and SLURM_CLUSTER_SLURMD_PORT
# (default 6817 and 6818, the Slurm defaults), SLURM_CLUSTER_TIMEOUT
# (seconds to wait for the node to become idle, default 30).
#
# Exit status: 0 on success, 1 when a daemon fails or times out, 2 on
# bad usage, 3 when not root, 4 when a Slurm or munge package is missing.
set -u

ctld_port=${SLURM_CLUSTER_CTLD_PORT:-6817}
slurmd_port=${SLURM_CLUSTER_SLURMD_PORT:-6818}
timeout=${SLURM_CLUSTER_TIMEOUT:-30}

usage() {
	echo "usage: $0 start|stop|status STATE_DIR" >&2
	exit 2
}

fail() {
	echo "slurm-cluster: $*" >&2
	exit 1
}

# Exit 3 unless root, because slurmd starts jobs as their owner and
# munged must run as the munge user.
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "slurm-cluster: must run as root (uid 0), not uid $(id -u)" >&2
		exit 3
	fi
}

# Exit 4 with the missing Debian packages named when a program is absent.
require_packages() {
	missing=""
	for pair in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client \
		sinfo:slurm-client scontrol:slurm-client munged:munge; do
		program=${pair%%:*}
		package=${pair#*:}
		if ! command -v "$program" >/dev/null 2>&1 &&
			[ ! -x "/usr/sbin/$program" ]; then
			case " $missing " in
			*" $package "*) ;;
			*) missing="$missing $package" ;;
			esac
		fi
	done
	if ! getent passwd munge >/dev/null 2>&1; then
		case " $missing " in
		*" munge "*) ;;
		*) missing="$missing munge" ;;
		esac
	fi
	if [ -n "$missing" ]; then
		echo "slurm-cluster: missing Debian packages:$missing" >&2
		echo "slurm-cluster: install them with scripts/install-deps.sh" >&2
		exit 4
	fi
}

# Print the pid in pid file $1 if that process is still alive.
live_pid() {
	[ -s "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# Fail if something already listens on TCP port $1 (on any address).
check_port_free() {
	if command -v ss >/dev/null 2>&1 &&
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
		fail "TCP port $1 is already in use (another Slurm daemon?); stop it or set SLURM_CLUSTER_CTLD_PORT and SLURM_CLUSTER_SLURMD_PORT"
	fi
}

# Fail unless every address that hostname $1 resolves to is a loopback
# address, because the daemons bind to that address.
check_host_loopback() {
	addresses=$(getent ahosts "$1" | awk '{print $1}' | sort -u | tr '\n' ' ')
	[ -n "$addresses" ] || fail "hostname $1 does not resolve; add '127.0.1.1 $1' to /etc/hosts"
	for address in $addresses; do
		case "$address" in
		127.* | ::1) ;;
		*) fail "hostname $1 resolves to $address, which is not a loopback address, so slurmctld and slurmd would listen there; map $1 to 127.0.1.1 only in /etc/hosts" ;;
		esac
	done
}

# Print the local addresses on which the process with pid $1 listens.
listen_addresses() {
	ss -Hltnp 2>/dev/null | grep "pid=$1," | awk '{print $4}' |
		sed 's/:[0-9]*$//' | sort -u
}

write_conf() {
	host=$1
	cpus=$(nproc)
	cat >"$state/slurm.conf" <<EOF
# Single-node test cluster written by scripts/slurm-cluster.sh.
ClusterName=mip6sec-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munged.socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
PlugStackConfig=$state/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=5
SchedulerParameters=batch_sched_delay=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
	# An empty plugin stack keeps /etc/slurm/plugstack.conf out of the jobs.
	: >"$state/plugstack.conf"
}

# Start munged as the munge user with a fresh key, socket, pid, seed and
# log under $state/munge.
start_munged() {
	mkdir -p "$state/munge"
	chown munge:munge "$state/munge"
	# Clients need search permission on the socket's folder; the key
	# itself is readable by munge only.
	chmod 0755 "$state/munge"
	umask_saved=$(umask)
	umask 077
	dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 2>/dev/null ||
		fail "cannot write $state/munge/munge.key"
	umask "$umask_saved"
	chown munge:munge "$state/munge/munge.key"
	chmod 0400 "$state/munge/munge.key"

	if ! setpriv --reuid=munge --regid=munge --init-groups \
		munged --socket="$state/munge/munged.socket" \
		--key-file="$state/munge/munge.key" \
		--pid-file="$state/munge/munged.pid" \
		--seed-file="$state/munge/munged.seed" \
		--log-file="$state/munge/munged.log" 2>>"$state/log/start.log"; then
		fail "munged failed to start; read $state/munge/munged.log and $state/log/start.log"
	fi
	if ! munge -n --socket="$state/munge/munged.socket" |
		unmunge --socket="$state/munge/munged.socket" >/dev/null 2>&1; then
		fail "munged does not answer on $state/munge/munged.socket; read $state/munge/munged.log"
	fi
}

start() {
	require_root
	require_packages
	mkdir -p "$state" || fail "cannot create $state"
	state=$(cd "$state" && pwd)

	if live_pid "$state/run/slurmctld.pid" >/dev/null ||
		live_pid "$state/run/slurmd.pid" >/dev/null; then
		fail "a cluster already runs from $state; run '$0 stop $state' first"
	fi
	check_port_free "$ctld_port"
	check_port_free "$slurmd_port"

	# munged runs as the munge user and must reach its folder.
	chmod 0755 "$state"
	if ! setpriv --reuid=munge --regid=munge --init-groups test -x "$state"; then
		fail "user munge cannot search $state, so munged cannot run there; make $state and its parent folders searchable by others (chmod o+x) or choose another STATE_DIR"
	fi
	mkdir -p "$state/ctld" "$state/spool" "$state/run" "$state/log"
	host=$(hostname -s)
	check_host_loopback "$host"
	write_conf "$host"
	start_munged

	slurmctld -f "$state/slurm.conf" 2>>"$state/log/start.log" ||
		fail "slurmctld failed to start; read $state/log/slurmctld.log and $state/log/start.log"
	slurmd -f "$state/slurm.conf" 2>>"$state/log/start.log" ||
		fail "slurmd failed to start; read $state/log/slurmd.log and $state/log/start.log"

	export SLURM_CONF="$state/slurm.conf"
	waited=0
	while :; do
		node_state=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1)
		[ "$node_state" = idle ] && break
		if [ "$waited" -ge $((timeout * 5)) ]; then
			echo "slurm-cluster: node $host not idle after ${timeout} s (state '${node_state:-no answer}')" >&2
			echo "slurm-cluster: read $state/log/slurmctld.log and $state/log/slurmd.log" >&2
			exit 1
		fi
		sleep 0.2
		waited=$((waited + 1))
	done

	for daemon in slurmctld slurmd; do
		pid=$(live_pid "$state/run/$daemon.pid") ||
			fail "$daemon exited after start; read $state/log/$daemon.log"
		for address in $(listen_addresses "$pid"); do
			case "$address" in
			127.* | '[::1]') ;;
			*)
				stop
				fail "$daemon listened on $address, not on loopback only; stopped the cluster"
				;;
			esac
		done
	done
	echo "export SLURM_CONF=$state/slurm.conf"
}

# Send SIGTERM to the process in pid file $1, wait up to 10 s, then
# SIGKILL it.
stop_pid_file() {
	pid=$(live_pid "$1") || return 0
	kill "$pid" 2>/dev/null
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
		sleep 0.2
		tries=$((tries + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "slurm-cluster: process $pid from $1 ignored SIGTERM; sending SIGKILL" >&2
		kill -9 "$pid" 2>/dev/null
	fi
	return 0
}

stop() {
	[ -d "$state" ] || return 0
	if [ -f "$state/slurm.conf" ] &&
		live_pid "$state/run/slurmctld.pid" >/dev/null; then
		SLURM_CONF="$state/slurm.conf" scontrol shutdown >/dev/null 2>&1
		# scontrol returns before the daemons have exited.
		tries=0
		while { live_pid "$state/run/slurmctld.pid" >/dev/null ||
			live_pid "$state/run/slurmd.pid" >/dev/null; } &&
			[ "$tries" -lt 50 ]; do
			sleep 0.2
			tries=$((tries + 1))
		done
	fi
	stop_pid_file "$state/run/slurmd.pid"
	stop_pid_file "$state/run/slurmctld.pid"
	stop_pid_file "$state/munge/munged.pid"
	return 0
}

status() {
	[ -f "$state/slurm.conf" ] || fail "no cluster in $state (no slurm.conf)"
	for file in "$state/munge/munged.pid" "$state/run/slurmctld.pid" \
		"$state/run/slurmd.pid"; do
		if pid=$(live_pid "$file"); then
			echo "$(basename "$file" .pid): running, pid $pid"
		else
			echo "$(basename "$file" .pid): not running"
		fi
	done
	SLURM_CONF="$state/slurm.conf" sinfo -h -o "%N %T" 2>/dev/null ||
		fail "the controller does not answer; read $state/log/slurmctld.log"
}

[ $# -eq 2 ] || usage
state=$2
case "$1" in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
