#!/usr/bin/env bash
# Crash recovery with a real guest (issue 9, item 6). A QEMU (TCG) Linux guest
# writes a verifiable stream to a blk_file disk served by uvdpad over
# vhost-user (reconnect=1): 4 KiB blocks carrying their sequence number, a
# per-run nonce and a checksum, O_DIRECT, an fsync after each batch, and a
# console line "DONE <last seq>" once the fsync returned. Meanwhile uvdpad is
# killed with SIGKILL at random moments and started again with the same
# arguments: the device comes back from the state file (-S), its socket at the
# same path, QEMU reconnects, and the requests that were in flight are
# resubmitted from the INFLIGHT_SHMFD area. At the end the guest must have
# seen no I/O error, and every block up to its last DONE must be in the
# backing file, checked from the host.
#
#   crash-guest.sh [--uvdpad PATH] [--uvdpa PATH] [--kills N]
#
# The device uses O_DIRECT (direct on; CRASH_DIRECT=off for the page cache):
# its writes then take long enough that a kill finds requests in flight.
# Missing peers (QEMU, the kernel, busybox) FAIL this test: CI installs them
# (scripts/deps.sh peers). Environment: PEERS_KEEP=1 keeps the scratch dir,
# UVDPA_TIMEOUT_MULT stretches the waits (ASan), CRASH_SEED fixes the random
# sleeps, CC builds the guest program (static).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../peers/lib.sh"
# CI installs every peer this test needs: a missing one is a failure.
skip() { echo "FAIL missing-peer $*"; exit 1; }

kills=5
direct=${CRASH_DIRECT:-on}
while [ $# -gt 0 ]; do
	case $1 in
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--kills) kills=$2; shift 2 ;;
	*) echo "usage: $0 [--uvdpad PATH] [--uvdpa PATH] [--kills N]" >&2; exit 2 ;;
	esac
done
mult=${UVDPA_TIMEOUT_MULT:-1}
seed=${CRASH_SEED:-$$}
RANDOM=$seed

need_pkgs qemu-system-x86 qemu-system-common
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
find_uvdpa
peers_setup_tmp
t0=$(date +%s.%N)

# The guest's writer: a static program, so busybox's initramfs runs it.
cc=${CC:-cc}
if ! "$cc" -O2 -static -o "$peers_tmp/crashio" "$here/crashio.c" 2>"$peers_tmp/cc.log"; then
	cat "$peers_tmp/cc.log"
	skip "cannot build a static program with $cc (libc6-dev has libc.a)"
fi
rc=0
images=$("$peers_dir/mkinitramfs.sh" --init "$here/guest-init.sh" \
	--add "$peers_tmp/crashio=bin/crashio") || rc=$?
[ "$rc" -eq 0 ] || skip "mkinitramfs.sh exited $rc: $images"
read -r kernel initramfs <<<"$images"

run=$peers_tmp/run
state=$peers_tmp/state/devices
img=$peers_tmp/disk0.img
console=$peers_tmp/console.log
log=$peers_tmp/uvdpad.log
nonce=$(printf '%04x%04x%04x' $RANDOM $RANDOM $RANDOM)
fallocate -l 64M "$img" 2>/dev/null || dd if=/dev/zero of="$img" bs=1M count=64 status=none
export UVDPA_RUNDIR=$run
mkdir -p "$run"

# daemon_up: uvdpad with the same arguments every time, ready once disk0
# answers (a socket left by a killed daemon refuses connections).
daemon_up() {
	echo "=== start $(date +%T.%N)" >>"$log"
	"$UVDPAD" -S "$state" ${CRASH_UVDPAD_ARGS:-} >>"$log" 2>&1 &
	uvdpad_pid=$!
	peers_pids+=("$uvdpad_pid")
	wait_for $((100 * mult)) daemon_ready
}
daemon_ready() {
	kill -0 "$uvdpad_pid" 2>/dev/null || return 2
	"$UVDPA" dev show disk0 >/dev/null 2>&1 && test -S "$run/vhost/disk0.sock"
}

echo "=== start $(date +%T.%N)" >>"$log"
"$UVDPAD" -S "$state" ${CRASH_UVDPAD_ARGS:-} >>"$log" 2>&1 &
uvdpad_pid=$!
peers_pids+=("$uvdpad_pid")
wait_for $((100 * mult)) test -S "$run/uvdpa.sock" || { cat "$log"; fail daemon "uvdpad did not start"; exit 1; }
"$UVDPA" dev add name disk0 mgmtdev blk_file path "$img" direct "$direct" || { cat "$log"; fail dev-add "dev add failed"; exit 1; }
sock=$(dev_sock disk0)
note "kernel $kernel, initramfs $initramfs, seed $seed, nonce $nonce, socket $sock"

# --- the guest ---------------------------------------------------------------
qemu_timeout=$((200 * mult))
guest_start "" "$qemu_timeout" 1 "uvdpa_nonce=$nonce uvdpa_batch=64 uvdpa_hostwait=$qemu_timeout" \
	-chardev "socket,id=c0,path=$sock,reconnect=1" \
	-device vhost-user-blk-pci,chardev=c0,num-queues=1

# last_done: the newest batch the guest saw complete (-1: none yet).
last_done() {
	local n
	n=$(grep -a '^DONE ' "$console" | tail -n 1 | tr -dc '0-9')
	echo "${n:--1}"
}
# progress_past N: the guest completed a batch after N (2: it cannot any more).
progress_past() {
	[ "$(last_done)" -gt "$1" ] && return 0
	grep -aq '^IOERR' "$console" && return 2
	kill -0 "$qpid" 2>/dev/null || return 2
	return 1
}
# rand_sleep MIN_MS MAX_MS
rand_sleep() {
	local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}

done_kills=0
window_blocks=0
ok=1
if ! wait_for $((1200 * mult)) progress_past -1; then
	fail guest-writes "no DONE from the guest; console: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"
	ok=0
fi
while [ $ok = 1 ] && [ "$done_kills" -lt "$kills" ]; do
	# a random moment while the writer is busy (it always is)
	rand_sleep 200 3000
	before=$(last_done)
	kill -KILL "$uvdpad_pid"
	wait "$uvdpad_pid" 2>/dev/null || true
	done_kills=$((done_kills + 1))
	note "kill $done_kills at $(date +%T.%N), guest at DONE $before"
	# a moment with no daemon at all; QEMU retries every second
	rand_sleep 0 1500
	if ! daemon_up; then
		fail restart "uvdpad did not come back after kill $done_kills: $(tail -n 5 "$log" | paste -sd'|')"
		ok=0
		break
	fi
	# recovered: the guest makes progress again (each cycle must)
	if ! wait_for $((600 * mult)) progress_past "$(last_done)"; then
		fail recover "no progress after kill $done_kills (guest at DONE $(last_done)); console: $(tail -n 3 "$console" | tr -d '\r' | paste -sd'|')"
		# what the device did after the restart (diagnostics for a hang)
		"$UVDPA" dev vstats show disk0 qidx 0 2>&1 | sed 's/^/# vstats: /' || true
		ok=0
		break
	fi
	# The blocks around the kill are checked now, before the stream wraps
	# around the disk over them: from the batch before the last DONE the
	# guest had seen to the first DONE after the restart.
	after=$(last_done)
	if out=$("$peers_tmp/crashio" verify "$img" "$nonce" "$after" $((before < 63 ? 0 : before - 63))); then
		note "kill $done_kills: recovered, guest at DONE $after; $out"
		n=$(sed -n 's/^VERIFIED \([0-9]*\).*/\1/p' <<<"$out")
		window_blocks=$((window_blocks + ${n:-0}))
	else
		fail "verify-kill-$done_kills" "$out"
	fi
done
if [ $ok = 1 ]; then
	pass kills "$done_kills SIGKILLs, each followed by a restart and guest progress"
fi

# Stop the writer (it ends its batch), let the guest power off; a guest
# stuck on a lost request never does.
# (opening the FIFO blocks while nobody reads it: not after QEMU is gone)
kill -0 "$qpid" 2>/dev/null && timeout 10 sh -c 'echo stop >"$1"' sh "$ser.in" || true
wait_pid_gone "$qpid" $((300 * mult)) || { note "the guest did not power off: killing QEMU"; kill "$qpid" 2>/dev/null || true; }
qrc=0
wait "$qpid" || qrc=$?
guest_console_end
[ $qrc = 0 ] || note "qemu exited $qrc: $(tail -n 3 "$peers_tmp/qemu.log" | paste -sd'|')"

if grep -aq '^GUEST done' "$console" && grep -aq '^END ' "$console"; then
	pass guest-finished "$(grep -a '^END ' "$console" | tr -d '\r')"
else
	fail guest-finished "no END / GUEST done; last lines: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"
fi
if grep -aqE '^(IOERR|FAIL)' "$console"; then
	fail guest-no-ioerr "$(grep -aE '^(IOERR|FAIL)' "$console" | tr -d '\r' | paste -sd'|')"
else
	pass guest-no-ioerr
fi

# Every block the guest saw complete is in the file, right.
last=$(last_done)
if [ "$last" -lt 0 ]; then
	fail verify "the guest completed nothing"
	blocks=0
elif out=$("$peers_tmp/crashio" verify "$img" "$nonce" "$last" \
	$(grep -aq '^END ' "$console" || echo 0)); then
	pass verify "$out"
	blocks=$(sed -n 's/^VERIFIED \([0-9]*\).*/\1/p' <<<"$out")
else
	fail verify "$out"
	blocks=0
fi

# uvdpad stops cleanly after all that.
kill -TERM "$uvdpad_pid" 2>/dev/null || true
urc=0
wait "$uvdpad_pid" || urc=$?
if [ $urc = 0 ]; then pass uvdpad-exit; else fail uvdpad-exit "uvdpad exited $urc"; fi

resub=$(awk '/resubmitting/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^chain/) { s += $i } } END { print s + 0 }' "$log")
reconnects=$(grep -c 'resubmitting' "$log" || true)
end=$(date +%s.%N)
note "FIGURES kills=$done_kills resubmitted=$resub (in $reconnects ring starts) blocks_verified=$blocks (final) + $window_blocks (around the kills)" \
	"blocks_written=$((last + 1))" \
	"run_time=$(awk -v a="$t0" -v b="$end" 'BEGIN { printf "%.1f", b - a }')s seed=$seed"
grep -a 'resubmitting' "$log" | sed 's/^/# /' || true
if [ "$peers_fails" -ne 0 ]; then
	note "uvdpad log (tail):"; tail -n 30 "$log" | sed 's/^/#   /'
	note "console (tail):"; tail -n 15 "$console" | tr -d '\r' | sed 's/^/#   /'
fi
peers_exit
