#!/bin/bash
# `uvdpa dev add ... vduse on|off` against a real uvdpad on a host whose
# kernel has no VDUSE (no /dev/vduse/control): a clear error with extack
# text and nothing left behind (no device, nothing in the state file); the
# choice not carried over to the next device; "vduse off" kept across a
# restart; uvdpad -K as the default. (With VDUSE, tests/kernel covers the
# rest in Debian's 6.12 under QEMU.)
#
# usage: vduse.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-vduse.XXXXXX")
run=$work/run
mkdir "$work/bin" "$run"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
. "$(dirname "$0")/lib.sh"

daemon=
start() { # UVDPAD OPTIONS...
	"$uvdpad" -r "$run" "$@" 2>>"$work/uvdpad.log" &
	daemon=$!
	for ((i = 0; i < 200; i++)); do
		[ -S "$run/uvdpa.sock" ] && return 0
		sleep 0.05
	done
	return 1
}
stop() { kill -TERM $daemon; wait $daemon; }
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$work"' EXIT

if [ -e /dev/vduse/control ]; then
	# This host has VDUSE: the errors below cannot happen here.
	echo "FAIL this host has /dev/vduse/control: run on a kernel without the vduse module"
	exit 1
fi
novduse="Error: vdpa: no /dev/vduse/control: the kernel has no VDUSE (modprobe vduse; Linux 5.15+, net devices 6.10+).
kernel answers: No such file or directory
"

ok "uvdpad (no -K) is listening" start -S "$work/state"
check "blk vduse on: no VDUSE" 1 "" "$novduse" -- uvdpa dev add name v0 mgmtdev vdpasim_blk vduse on
check "net vduse on: no VDUSE" 1 "" "$novduse" -- \
	uvdpa dev add name v0 mgmtdev vdpasim_net mac 02:00:00:00:00:01 vduse on
check "nothing left on uvdpa's bus" 0 "" "" -- uvdpa dev show
ok "no vhost-user socket left" test ! -e "$run/vhost/v0.sock"
ok "nothing in the state file" bash -c "! grep -q '^dev v0' '$work/state' 2>/dev/null"
ok "the refusal logged" grep -q 'device v0 refused: vdpa: no /dev/vduse/control' "$work/uvdpad.log"
check "the next device is not exported" 0 "" "" -- uvdpa dev add name v1 mgmtdev vdpasim_blk
# refused before any face sees it (a duplicate name): the choice dies with it
check "duplicate with vduse on" 1 "" "kernel answers: File exists
" -- uvdpa dev add name v1 mgmtdev vdpasim_blk vduse on
check "the next device after a duplicate is not exported" 0 "" "" -- \
	uvdpa dev add name v2 mgmtdev vdpasim_blk
check "vduse off" 0 "" "" -- uvdpa dev add name v3 mgmtdev vdpasim_blk vduse off
check "dev show: no vduse" 0 \
"v3: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/v3.sock
" "" -- uvdpa dev show v3
check "bad value" 1 "" "\"vduse\" must be \"on\" or \"off\", not \"yes\"
" -- uvdpa dev add name v4 mgmtdev vdpasim_blk vduse yes
ok "the state file keeps vduse off" grep -qx 'dev v3 mgmtdev_dev_name=vdpasim_blk 212=0' "$work/state"
stop
ok "uvdpad (no -K) restarted with the state file" start -S "$work/state"
check "devices back, none exported" 0 \
"v1: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/v1.sock
v2: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/v2.sock
v3: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/v3.sock
" "" -- uvdpa dev show
stop

# -K: every device by default, "vduse off" opts out
ok "uvdpad -K is listening" start -K --no-state
check "-K: a plain add is exported (and refused here)" 1 "" "$novduse" -- \
	uvdpa dev add name k0 mgmtdev vdpasim_blk
check "-K: vduse off" 0 "" "" -- uvdpa dev add name k1 mgmtdev vdpasim_blk vduse off
check "-K: only k1" 0 "k1
" "" -- bash -c "uvdpa dev show | cut -d: -f1"
stop
ok "uvdpad exits 0" test $? = 0
echo "$fails failed"
[ $fails = 0 ]
