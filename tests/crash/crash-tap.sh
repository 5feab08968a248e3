#!/usr/bin/env bash
# Crash recovery of net_tap with a real guest (issue 9): a QEMU (TCG, 2 CPUs)
# Linux guest's virtio-net (2 queue pairs, -netdev vhost-user over a
# reconnect=1 socket) runs on uvdpad's net_tap device, whose TAP uvdpad
# creates inside a network namespace this test makes (10.88.0.1/24 there,
# the guest 10.88.0.2). Checked:
# - the guest pings the namespace and moves data over TCP both ways (md5);
# - QEMU keeps the guest's control queue and enables the rings of the pairs
#   in use (SET_VRING_ENABLE): the TAP has exactly that many queues attached
#   and the kernel spreads host flows over exactly those RX queues, with the
#   guest on 2 pairs, then 1 (ethtool -L), then 2 again;
# - uvdpad is SIGKILLed and restarted with the same state file (-S) --kills
#   times (default 3): each time the TAP is the same interface (ifindex,
#   address) and the guest's network works again, no guest reboot, with
#   both TAP queues attached again;
# - `uvdpa dev del` then deletes the TAP uvdpad created.
# Missing peers FAIL this test (CI installs them with scripts/deps.sh peers).
#
#   crash-tap.sh [--uvdpad PATH] [--uvdpa PATH] [--kills N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../peers/lib.sh"
skip() { echo "FAIL missing-peer $*"; exit 1; }

kills=3
while [ $# -gt 0 ]; do
	case $1 in
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--kills) kills=$2; shift 2 ;;
	*) echo "usage: $0 [--uvdpad PATH] [--uvdpa PATH] [--kills N]" >&2; exit 2 ;;
	esac
done
mult=${UVDPA_TIMEOUT_MULT:-1}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, TAP)"; exit 77; }
command -v ip >/dev/null || skip "no ip(8)"
command -v python3 >/dev/null || skip "no python3 (the host side's HTTP server)"
need_pkgs qemu-system-x86 qemu-system-common
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
find_uvdpa
peers_setup_tmp

cc=${CC:-cc}
if ! "$cc" -O2 -static -o "$peers_tmp/channels" "$here/channels.c" 2>"$peers_tmp/cc.log"; then
	cat "$peers_tmp/cc.log"
	skip "cannot build a static program with $cc (libc6-dev has libc.a)"
fi
rc=0
images=$("$peers_dir/mkinitramfs.sh" --init "$here/tap-init.sh" \
	--add "$peers_tmp/channels=bin/channels") || rc=$?
[ "$rc" -eq 0 ] || skip "mkinitramfs.sh exited $rc: $images"
read -r kernel initramfs <<<"$images"

ns=uvdpa-ctap-$$
tap=uvct$$
tap=${tap:0:15}
mac=52:54:00:88:00:02
dev=n0
run=$peers_tmp/run
state=$peers_tmp/state/devices
log=$peers_tmp/uvdpad.log
console=$peers_tmp/console.log
blob_size=$((1024 * 1024))
blob_md5=$(python3 "$peers_dir/tap-http.py" 0 0 $blob_size md5)
export UVDPA_RUNDIR=$run
mkdir -p "$run"

ip netns add "$ns"
# After peers_cleanup's kills: the namespace (and the TAP in it) goes last.
trap 'peers_cleanup; ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns exec "$ns" ip link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

# uvdpad inside the namespace (the TAP is born there), same arguments each
# time; `ip netns exec` execs, so $! is uvdpad itself.
daemon_up() {
	echo "=== start $(date +%T.%N)" >>"$log"
	ip netns exec "$ns" "$UVDPAD" -S "$state" >>"$log" 2>&1 &
	uvdpad_pid=$!
	peers_pids+=("$uvdpad_pid")
	wait_for $((100 * mult)) daemon_ready
}
daemon_ready() {
	kill -0 "$uvdpad_pid" 2>/dev/null || return 2
	"$UVDPA" dev show "$dev" >/dev/null 2>&1 && test -S "$run/vhost/$dev.sock"
}
ifindex() { local l; l=$(in_ns ip -o link show "$tap" 2>/dev/null) && echo "${l%%:*}" || echo none; }
has_queues() { [ "$(numqueues)" = "$1" ]; }
# (no grep -q at the end of a pipefail pipeline: it may stop reading early)
tap_addr() { in_ns ip -4 -o addr show dev "$tap" 2>&1 | paste -sd'|'; }
numqueues() { in_ns ip -d link show "$tap" 2>/dev/null | sed -n 's/.*numqueues \([0-9]*\).*/\1/p'; }
rxq() { vstat "$dev" "$1" "rx packets"; }

echo "=== start $(date +%T.%N)" >>"$log"
ip netns exec "$ns" "$UVDPAD" -S "$state" >>"$log" 2>&1 &
uvdpad_pid=$!
peers_pids+=("$uvdpad_pid")
# (its socket exists a moment before it listens)
wait_for $((100 * mult)) "$UVDPA" dev show >/dev/null 2>&1 ||
	{ cat "$log"; fail daemon "uvdpad did not start"; exit 1; }
"$UVDPA" dev add name "$dev" mgmtdev net_tap tap "$tap" mac "$mac" max_vqp 2 ||
	{ cat "$log"; fail dev-add "dev add failed"; exit 1; }
in_ns ip addr add 10.88.0.1/24 dev "$tap"
in_ns ip link set "$tap" up
idx0=$(ifindex)
# Not through in_ns (a function): $! must be the server itself, or the kill
# at exit hits a subshell and the orphaned server keeps meson's pipe open.
ip netns exec "$ns" python3 "$peers_dir/tap-http.py" 10.88.0.1 8080 $blob_size \
	>"$peers_tmp/http.log" 2>&1 &
peers_pids+=("$!")
sock=$(dev_sock "$dev")
note "kernel $kernel, initramfs $initramfs, namespace $ns, TAP $tap (ifindex $idx0), socket $sock"

qemu_timeout=$((600 * mult))
guest_start "" "$qemu_timeout" 2 "ipv6.disable=1 uvdpa_hostwait=$qemu_timeout" \
	-chardev "socket,id=c1,path=$sock,reconnect=1" \
	-netdev vhost-user,id=n1,chardev=c1,queues=2 \
	-device "virtio-net-pci,netdev=n1,mac=$mac,mq=on,vectors=0"
# (vectors=0: QEMU 7.2 under TCG crashes starting vhost-user net with MSI-X,
# docs/peers.md)

guest_alive() { kill -0 "$qpid" 2>/dev/null || return 2; return 1; }
# seen PATTERN: a console line matches (2: QEMU is gone)
seen() { grep -aq "$1" "$console" && return 0; guest_alive; }
# say LINE: one command to the guest (the FIFO open blocks without QEMU)
say() { timeout 10 sh -c 'echo "$2" >"$1"' sh "$ser.in" "$1"; }
# answer ID KEY: the rest of the guest's "R ID KEY ..." line
answer() { { grep -a "^R $1 $2 " "$console" || true; } | tail -n 1 | tr -d '\r' | cut -d' ' -f4-; }

# net_check ID: the guest's network works (ping, TCP both ways)
net_check() {
	local id=$1 p
	say "net $id" || { fail "$id/net" "cannot reach the guest's console"; return; }
	if ! wait_for $((3000 * mult)) seen "^R $id upload "; then
		fail "$id/net" "no answer; console: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"
		return
	fi
	note "$id: $(answer "$id" first-reply)"
	p=$(answer "$id" ping)
	p=${p:-0/5}
	if [ "${p%%/*}" -ge 4 ]; then pass "$id/ping" "$p replies"; else fail "$id/ping" "$p replies"; fi
	p=$(answer "$id" download)
	if [ "$p" = "$blob_md5" ]; then pass "$id/tcp-download" "md5 $p"
	else fail "$id/tcp-download" "md5 $p, want $blob_md5"; fi
	p=$(answer "$id" upload)
	if [ "$p" = ok ]; then pass "$id/tcp-upload"; else fail "$id/tcp-upload" "$p"; fi
}

# flows_in R0 R1: the RX queues of both pairs counted 32 frames since R0 / R1.
flows_in() {
	local a b
	a=$(rxq 0) b=$(rxq 2)
	[ $((${a:-0} - $1 + ${b:-0} - $2)) -ge 32 ]
}

# queues_check ID PAIRS: the TAP has PAIRS queues attached, and 32 new UDP
# flows from the host land on exactly the RX queues of those pairs.
queues_check() {
	local id=$1 pairs=$2 q=0 r0 r1 d0 d1
	wait_for $((50 * mult)) has_queues "$pairs" || true
	q=$(numqueues)
	if [ "$q" = "$pairs" ]; then pass "$id/tap-queues" "numqueues $q"
	else fail "$id/tap-queues" "numqueues ${q:-?}, want $pairs"; fi
	r0=$(rxq 0) r1=$(rxq 2)
	# each redirection is a new socket, so a new source port: a new flow
	in_ns bash -c 'for i in $(seq 32); do echo "flow $i" >/dev/udp/10.88.0.2/9; done' ||
		true
	# until all 32 are in (a slow uvdpad or guest may take a while)
	wait_for $((50 * mult)) flows_in "$r0" "$r1" || true
	d0=$(($(rxq 0) - r0)) d1=$(($(rxq 2) - r1))
	if [ "$pairs" = 2 ] && [ $((d0 + d1)) -ge 32 ] && [ "$d0" -gt 0 ] && [ "$d1" -gt 0 ]; then
		pass "$id/rx-spread" "pair 0: $d0, pair 1: $d1 frames"
	elif [ "$pairs" = 1 ] && [ "$d0" -ge 32 ] && [ "$d1" = 0 ]; then
		pass "$id/rx-spread" "pair 0: $d0, pair 1: $d1 frames"
	else
		fail "$id/rx-spread" "$pairs pair(s): pair 0 got $d0, pair 1 got $d1 of 32 flows"
	fi
}

chan() { # ID N
	say "chan $1 $2" || true
	if wait_for $((300 * mult)) seen "^R $1 chan "; then
		note "$1: guest channels: $(answer "$1" chan)"
	else
		fail "$1/chan" "no answer"
	fi
}

if ! wait_for $((qemu_timeout * 10)) seen '^GUEST ready'; then
	fail guest-boot "no 'GUEST ready'; console: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"
else
	note "$(grep -a '^GUEST' "$console" | tr -d '\r' | paste -sd' ')"
	net_check boot
	queues_check boot 2
	chan one 1
	queues_check one 1
	chan two 2
	queues_check two 2
	for ((k = 1; k <= kills; k++)); do
		kill -KILL "$uvdpad_pid"
		wait "$uvdpad_pid" 2>/dev/null || true
		note "kill $k at $(date +%T.%N)"
		sleep 0.$((RANDOM % 10))
		if ! daemon_up; then
			fail "kill$k/restart" "uvdpad did not come back: $(tail -n 5 "$log" | paste -sd'|')"
			break
		fi
		i=$(ifindex) a=$(tap_addr)
		case "$i $a" in
		"$idx0 "*" 10.88.0.1/24 "*) pass "kill$k/same-tap" "ifindex $i, 10.88.0.1/24" ;;
		*) fail "kill$k/same-tap" "ifindex $i (was $idx0), addresses: $a" ;;
		esac
		net_check "kill$k"
		queues_check "kill$k" 2
	done
fi

kill -0 "$qpid" 2>/dev/null && say stop || true
wait_pid_gone "$qpid" $((300 * mult)) || { note "the guest did not power off: killing QEMU"; kill "$qpid" 2>/dev/null || true; }
qrc=0
wait "$qpid" || qrc=$?
guest_console_end
[ $qrc = 0 ] || note "qemu exited $qrc: $(tail -n 3 "$peers_tmp/qemu.log" | paste -sd'|')"
if grep -aq '^GUEST done' "$console"; then pass guest-finished
else fail guest-finished "last lines: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"; fi

if "$UVDPA" dev del "$dev"; then pass dev-del; else fail dev-del "dev del failed"; fi
if in_ns ip link show "$tap" >/dev/null 2>&1; then
	fail tap-gone "TAP $tap still exists after dev del"
else
	pass tap-gone
fi
kill -TERM "$uvdpad_pid" 2>/dev/null || true
urc=0
wait "$uvdpad_pid" || urc=$?
if [ $urc = 0 ]; then pass uvdpad-exit; else fail uvdpad-exit "uvdpad exited $urc"; fi
if [ "$peers_fails" -ne 0 ]; then
	note "uvdpad log (tail):"; tail -n 30 "$log" | sed 's/^/#   /'
	note "console (tail):"; tail -n 25 "$console" | tr -d '\r' | sed 's/^/#   /'
fi
peers_exit
