# Shared helpers for the real-peer tests and benchmarks (sourced, not run).
#
# Conventions: every check prints one line, `PASS <name>` or `FAIL <name> <why>`;
# a script exits 1 if any check failed, 77 (meson's "skipped") when a peer
# cannot be had on this machine, 0 otherwise.

peers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peers_fails=0
peers_passes=0

pass() { echo "PASS $*"; peers_passes=$((peers_passes + 1)); }
fail() { local n=$1; shift; echo "FAIL $n $*"; peers_fails=$((peers_fails + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# Exit status for the whole script, with a closing count line.
peers_exit() {
	echo "$peers_passes passed, $peers_fails failed"
	[ "$peers_fails" -eq 0 ]
}

# Install Debian packages that are missing (only as root); skip the test when
# one cannot be had, so a machine without the peers reports "skipped", not "failed".
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v dpkg-query >/dev/null || skip "not a Debian system; need ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || skip "missing packages ${missing[*]} (run as root or apt-get install them)"
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			skip "cannot install ${missing[*]} with apt-get"
	fi
}

# Debian ships dpdk-testpmd in dpdk-dev; the two PMDs we use are separate libraries.
need_dpdk() {
	need_pkgs dpdk dpdk-dev librte-net-vhost23 librte-net-virtio23
	command -v dpdk-testpmd >/dev/null || skip "dpdk-testpmd not found after installing dpdk-dev"
}

# A private scratch directory, removed on exit together with every process we started.
peers_pids=()
peers_tmp=
peers_setup_tmp() {
	peers_tmp=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-peers.XXXXXX")
	peers_main=$BASHPID
	trap peers_cleanup EXIT
	trap 'exit 130' INT TERM
}
peers_cleanup() {
	local pid
	# Subshells that die under set -e run the EXIT trap too: only the script cleans up.
	[ "$BASHPID" = "$peers_main" ] || return 0
	for pid in "${peers_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${peers_pids[@]}"; do
		wait_pid_gone "$pid" 50 || kill -9 "$pid" 2>/dev/null || true
	done
	testpmd_gone
	if [ -n "$peers_tmp" ] && [ -z "${PEERS_KEEP:-}" ]; then
		rm -rf "$peers_tmp"
	elif [ -n "$peers_tmp" ]; then
		echo "# kept $peers_tmp" >&2
	fi
}

# wait_pid_gone PID TENTHS: true once PID has exited.
wait_pid_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# wait_for TENTHS CMD...: poll CMD until it succeeds; CMD returning 2 means
# "will never succeed" and ends the wait at once.
wait_for() {
	local n=$1 i rc
	shift
	for ((i = 0; i < n; i++)); do
		rc=0
		"$@" || rc=$?
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 2 ] && return 1
		sleep 0.1
	done
	return 1
}

# --- QEMU guests ----------------------------------------------------------------
# guest_start SUFFIX TIMEOUT SMP APPEND [QEMU ARGS...]: a TCG guest booting
# $kernel and $initramfs with 512 MiB shared from a memfd (vhost-user back
# ends map it), command line "console=ttyS0 quiet panic=-1 APPEND", QEMU
# ARGS for its devices, killed after TIMEOUT seconds. Its console is the
# FIFO pair $ser.in / $ser.out ($ser = $peers_tmp/serialSUFFIX), copied
# into $console by the reader $cpid; QEMU ($qpid, in peers_pids) logs to
# $peers_tmp/qemuSUFFIX.log. Callers in functions declare ser, qpid and
# cpid local.
guest_start() {
	local sfx=$1 tmo=$2 smp=$3 append=$4
	shift 4
	ser=$peers_tmp/serial$sfx
	mkfifo "$ser.in" "$ser.out"
	cat "$ser.out" >"$console" &
	cpid=$!
	timeout "$tmo" qemu-system-x86_64 -accel tcg -m 512 -smp "$smp" -nodefaults -display none \
		-no-reboot -monitor none -chardev "pipe,id=ser0,path=$ser" -serial chardev:ser0 \
		-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 quiet panic=-1 $append" "$@" >"$peers_tmp/qemu$sfx.log" 2>&1 &
	qpid=$!
	peers_pids+=("$qpid")
}

# guest_console_end: once QEMU is gone, its console reader (2 s at most, then killed).
guest_console_end() {
	wait_pid_gone "$cpid" 20 || kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
}

# --- interactive programs (testpmd) on a pseudo-terminal --------------------
# testpmd block-buffers stdout on a pipe, so it runs under script(1): its
# input is a FIFO we keep open, its output a log file we poll.
declare -A pty_fd pty_pid
pty_start() {
	local name=$1
	shift
	local fifo=$peers_tmp/$name.in log=$peers_tmp/$name.log fd
	mkfifo "$fifo"
	: >"$log"
	script -qefc "$(printf '%q ' "$@")" /dev/null <"$fifo" >"$log" 2>&1 &
	pty_pid[$name]=$!
	peers_pids+=("$!")
	exec {fd}>"$fifo"
	pty_fd[$name]=$fd
}
pty_send() { printf '%s\n' "$2" >&"${pty_fd[$1]}"; }
pty_log() { echo "$peers_tmp/$1.log"; }
pty_size() { stat -c %s "$(pty_log "$1")"; }
# pty_expect NAME OFFSET REGEX TENTHS: wait until REGEX shows in the log past OFFSET.
pty_expect() {
	wait_for "$4" pty_seen "$1" "$2" "$3"
}
# pty_seen NAME OFFSET REGEX: true once REGEX shows; gives up when the program died.
pty_seen() {
	tail -c +$(($2 + 1)) "$(pty_log "$1")" | tr -d '\r' | grep -Eq -- "$3" && return 0
	kill -0 "${pty_pid[$1]}" 2>/dev/null || return 2
	return 1
}
# pty_cmd NAME CMD REGEX TENTHS: send CMD, wait for REGEX in what it printed;
# the text it printed is left in $pty_out.
pty_cmd() {
	local off
	off=$(pty_size "$1")
	pty_send "$1" "$2"
	pty_expect "$1" "$off" "$3" "$4" || { pty_out=; return 1; }
	pty_out=$(tail -c +$((off + 1)) "$(pty_log "$1")" | tr -d '\r')
}
pty_stop() {
	local name=$1 pid=${pty_pid[$1]} fd=${pty_fd[$1]}
	pty_send "$name" quit 2>/dev/null || true
	exec {fd}>&-
	wait_pid_gone "$pid" 100 || kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# --- testpmd ------------------------------------------------------------------
# Two lcores (main + forwarding) pinned to one CPU: testpmd needs both.
# --no-huge memory is a shareable memfd; it implies --legacy-mem, which
# --in-memory refuses, so --no-shconf keeps the run directory empty instead
# (testpmd_gone removes it).
testpmd_eal() { # CPU NAME
	echo --lcores "0@$1,1@$1" --file-prefix "uvdpa$$-$2" --no-pci --no-huge --no-shconf -m 256 \
		--log-level=lib.eal:error
}
testpmd_gone() {
	local d
	for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk"; do
		rm -rf "$d/uvdpa$$-"*
	done
}
testpmd_app='-i --forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --burst=32'

# testpmd_port_stats TEXT: "rx_packets rx_bytes tx_packets tx_bytes" of port 0.
testpmd_port_stats() {
	awk '/NIC statistics for port 0/ {p = 1}
	     p && /RX-packets:/ {rxp = $2; rxb = $6}
	     p && /TX-packets:/ {txp = $2; txb = $6; print rxp, rxb, txp, txb; exit}' <<<"$1"
}

# --- uvdpad and uvdpa ---------------------------------------------------------
# Binaries come from UVDPAD/UVDPA (meson passes the build tree's), else PATH.
find_uvdpa() {
	UVDPAD=${UVDPAD:-$(command -v uvdpad || true)}
	UVDPA=${UVDPA:-$(command -v uvdpa || true)}
	[ -x "$UVDPAD" ] || skip "uvdpad not built (set UVDPAD=path)"
	[ -x "$UVDPA" ] || skip "uvdpa not built (set UVDPA=path)"
}

# Starts uvdpad in a private run directory; exports UVDPA_RUNDIR for uvdpa.
uvdpad_start() { # [UVDPAD OPTIONS]
	export UVDPA_RUNDIR=$peers_tmp/run
	mkdir -p "$UVDPA_RUNDIR"
	"$UVDPAD" "$@" >>"$peers_tmp/uvdpad.log" 2>&1 &
	uvdpad_pid=$!
	peers_pids+=("$uvdpad_pid")
	if ! wait_for 100 test -S "$UVDPA_RUNDIR/uvdpa.sock"; then
		cat "$peers_tmp/uvdpad.log" >&2
		return 1
	fi
}
uvdpad_stop() {
	kill -TERM "$uvdpad_pid" 2>/dev/null || return 0
	wait_pid_gone "$uvdpad_pid" 100
	wait "$uvdpad_pid"
}

# dev_sock DEV: the vhost-user socket of a device (what `uvdpa dev show` names).
dev_sock() {
	local s
	s=$("$UVDPA" dev show "$1" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "vhost_socket") { print $(i + 1); exit } }')
	echo "${s:-$UVDPA_RUNDIR/vhost/$1.sock}"
}

# vstat DEV QIDX NAME: one vendor statistic ("rx packets", "tx packets", ...).
vstat() {
	"$UVDPA" dev vstats show "$1" qidx "$2" |
		awk -v k="$3" '{ for (i = 1; i <= NF; i++) {
			if ($i " " $(i + 1) == k) { print $(i + 2); exit } } }'
}

# blk_capacity DEV: capacity in sectors, from `uvdpa dev config show`.
blk_capacity() {
	"$UVDPA" dev config show "$1" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "capacity") { print $(i + 1); exit } }'
}
