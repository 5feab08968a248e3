#!/bin/bash
# Device names and the files they become, through uvdpa against a real uvdpad:
#  - a device named after each of the daemon's own files (uvdpa, uvdpa.sock,
#    uvdpad.lock, vhost, ., ..) gets its own socket in RUNDIR/vhost and
#    touches nothing else: the management socket still answers;
#  - '/' is stored and shown as '!' (the kernel's dev_set_name), so a/b is
#    a!b, its socket vhost/a!b.sock, and a!b a duplicate of it;
#  - 64-byte names add, show, config show and delete; 65 bytes are refused;
#  - dev add fails, with the reason and nothing left behind, when the
#    device's socket cannot be made: a file in the way, a live listener on
#    the path, a path too long for a Unix socket (a long run directory);
#  - mgmtdev show advertises what dev add accepts (max_vqp 64, MQ).
#
# usage: names.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-names.XXXXXX")
mkdir "$work/bin"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH"
unset UVDPA_SOCK
. "$(dirname "$0")/lib.sh"

daemon= listener=
stop() {
	[ -n "$daemon" ] || return 0
	kill -TERM "$daemon" 2>/dev/null
	wait "$daemon"
	local rc=$?
	daemon=
	return $rc
}
trap 'stop; [ -n "$listener" ] && kill $listener 2>/dev/null; rm -rf "$work"' EXIT

start() {
	run=$1
	mkdir -p "$run"
	export UVDPA_RUNDIR=$run
	"$uvdpad" -r "$run" 2>>"$work/uvdpad.log" &
	daemon=$!
	for ((i = 0; i < 200; i++)); do
		[ -S "$run/uvdpa.sock" ] && return 0
		sleep 0.05
	done
	echo "FAIL: uvdpad did not start"; cat "$work/uvdpad.log"
	exit 1
}

q() { "$@" >/dev/null 2>&1; }

start "$work/run"
lock_before=$(stat -c %i "$run/uvdpad.lock")

# ---- the daemon's own files as device names
for n in uvdpa uvdpa.sock uvdpad.lock vhost . ..; do
	check "dev add name $n" 0 "" "" -- uvdpa dev add name "$n" mgmtdev vdpasim_net
	ok "$n: the management socket still answers" q uvdpa mgmtdev show vdpasim_blk
	ok "$n: its socket is vhost/$n.sock" test -S "$run/vhost/$n.sock"
done
ok "uvdpa.sock is still the daemon's" test -S "$run/uvdpa.sock"
ok "uvdpad.lock is untouched" test "$(stat -c %i "$run/uvdpad.lock")" = "$lock_before" -a -f "$run/uvdpad.lock"
ok "the run directory holds only the daemon's files" \
	test "$(cd "$run" && ls -A | tr '\n' ' ')" = "uvdpa.sock uvdpad.lock vhost "

# ---- '/' becomes '!'
check "dev add name a/b" 0 "" "" -- uvdpa dev add name a/b mgmtdev vdpasim_blk
check "dev show a!b" 0 "a!b: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/a!b.sock
" "" -- uvdpa dev show 'a!b'
ok "a/b's socket is vhost/a!b.sock" test -S "$run/vhost/a!b.sock"
check "a!b after a/b: a duplicate" 1 "" "kernel answers: File exists
" -- uvdpa dev add name 'a!b' mgmtdev vdpasim_blk
check "dev show a/b: no such device (as the kernel)" 1 "" "Error: vdpa: device not found.
kernel answers: No such device
" -- uvdpa dev show a/b

for n in uvdpa uvdpa.sock uvdpad.lock vhost . .. 'a!b'; do
	check "dev del $n" 0 "" "" -- uvdpa dev del "$n"
done
ok "every device socket is gone" test -z "$(ls -A "$run/vhost")"

# ---- one length limit
n64=$(printf 'L%.0s' {1..64})
check "64-byte name: add" 0 "" "" -- uvdpa dev add name "$n64" mgmtdev vdpasim_net
ok "64-byte name: show" q uvdpa dev show "$n64"
ok "64-byte name: config show" q uvdpa dev config show "$n64"
check "64-byte name: del" 0 "" "" -- uvdpa dev del "$n64"
check "65-byte name: refused" 1 "" "Error: vdpa: device name is longer than 64 bytes.
" -- uvdpa dev add name "${n64}x" mgmtdev vdpasim_net
check "empty name: refused with a reason" 1 "" "Error: vdpa: device name is empty.
kernel answers: Invalid argument
" -- uvdpa dev add name "" mgmtdev vdpasim_net

# ---- dev add fails when the socket cannot be made, and leaves nothing
echo "not a socket" >"$run/vhost/blocked.sock"
check "a file in the way" 1 "" "Error: vdpa: $run/vhost/blocked.sock exists and is not a socket.
kernel answers: File exists
" -- uvdpa dev add name blocked mgmtdev vdpasim_net
check "a file in the way: no device" 0 "" "" -- uvdpa dev show
ok "a file in the way: the file is untouched" test "$(cat "$run/vhost/blocked.sock")" = "not a socket"
rm -f "$run/vhost/blocked.sock"

python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); time.sleep(60)' "$run/vhost/taken.sock" &
listener=$!
for ((i = 0; i < 100; i++)); do [ -S "$run/vhost/taken.sock" ] && break; sleep 0.05; done
check "a live listener on the path" 1 "" "Error: vdpa: $run/vhost/taken.sock is served by another process.
kernel answers: Address already in use
" -- uvdpa dev add name taken mgmtdev vdpasim_net
check "a live listener: no device" 0 "" "" -- uvdpa dev show
kill $listener; wait $listener 2>/dev/null; listener=
rm -f "$run/vhost/taken.sock"

ok "uvdpad exits 0" stop
ok "nothing left in the run directory" test -z "$(ls -A "$run")"

# An 80-byte run directory: a 20-byte name's socket does not fit (112 bytes).
long=$work/$(printf 'd%.0s' $(seq $((79 - ${#work}))))
start "$long"
name=$(printf 'n%.0s' {1..20})
sock=$long/vhost/$name.sock
check "socket path too long" 1 "" "Error: vdpa: vhost-user socket path $sock is too long (${#sock} bytes, a Unix socket takes at most 107).
kernel answers: File name too long
" -- uvdpa dev add name "$name" mgmtdev vdpasim_net
check "socket path too long: no device" 0 "" "" -- uvdpa dev show
ok "socket path too long: vhost/ is empty" test -z "$(ls -A "$long/vhost")"
check "a short name still fits" 0 "" "" -- uvdpa dev add name s mgmtdev vdpasim_net
ok "uvdpad exits 0" stop

# ---- the management device advertises what dev add accepts
start "$work/run3"
check "mgmtdev show vdpasim_net: 129 queues, MQ" 0 "vdpasim_net: 
  supported_classes net
  max_supported_vqs 129
  dev_features MTU MAC MRG_RXBUF STATUS CTRL_VQ MQ CTRL_MAC_ADDR ANY_LAYOUT RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED IN_ORDER
" "" -- uvdpa mgmtdev show vdpasim_net
check "which dev add accepts: max_vqp 64" 0 "" "" -- uvdpa dev add name mq mgmtdev vdpasim_net max_vqp 64
ok "a device with 129 queues" sh -c 'uvdpa dev show mq | grep -q " max_vqs 129 "'
check "and not one more" 1 "" "Error: vdpa: max_vqp must be between 1 and 64.
kernel answers: Invalid argument
" -- uvdpa dev add name mq2 mgmtdev vdpasim_net max_vqp 65
check "device_features outside the advertised set" 1 "" "Error: vdpa: device_features 0x1 not supported by vdpasim_net.
kernel answers: Invalid argument
" -- uvdpa dev add name f mgmtdev vdpasim_net device_features 0x1
ok "uvdpad exits 0" stop

# ---- log lines: a timestamp when they go to a file, none to a pipe
ok "log file lines carry a UTC timestamp" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z uvdpad: info: listening on ' "$work/uvdpad.log"
mkdir -p "$work/run4"
"$uvdpad" -r "$work/run4" 2>&1 >/dev/null | cat >"$work/pipe.log" &
for ((i = 0; i < 200; i++)); do [ -S "$work/run4/uvdpa.sock" ] && break; sleep 0.05; done
kill -TERM "$(cat "$work/run4/uvdpad.lock")"; wait
ok "log lines to a pipe carry none" grep -q '^uvdpad: info: listening on ' "$work/pipe.log"

[ "$fails" -eq 0 ] || { echo "--- uvdpad log"; cat "$work/uvdpad.log"; }
echo "$fails failed"
[ "$fails" -eq 0 ]
