#!/bin/bash
# uvdpa against a real uvdpad, beyond the iproute2 transcripts: what
# iproute2 6.1 cannot do (max_vqp, device_features, dev set, blk capacity
# and num_queues), JSON mode of write commands, errors with and without
# extack, warnings, dumps spanning many datagrams, an unprivileged user.
#
# usage: daemon.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-daemon.XXXXXX")
chmod 755 "$work"
run=$work/run
mkdir "$work/bin" "$run"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
. "$(dirname "$0")/lib.sh"

"$uvdpad" -r "$run" 2>"$work/uvdpad.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$work"' EXIT
for ((i = 0; i < 200; i++)); do
	[ -S "$run/uvdpa.sock" ] && break
	sleep 0.05
done
ok "uvdpad is listening" test -S "$run/uvdpa.sock"

# max_vqp: beyond the kernel's vdpasim_net
check "add with max_vqp" 0 "" "" -- uvdpa dev add name n1 mgmtdev vdpasim_net max_vqp 4
check "config shows max_vq_pairs" 0 \
"n1: mac 00:00:00:00:00:00 link up link_announce false max_vq_pairs 4 mtu 1500 
" "" -- uvdpa dev config show n1
check "max_vqp 0" 1 "" "Error: vdpa: At least one pair of VQs is required.
kernel answers: Invalid argument
" -- uvdpa dev add name n4 mgmtdev vdpasim_net max_vqp 0

# device_features (iproute2 6.2+)
check "add with device_features" 0 "" "" -- \
	uvdpa dev add name n2 mgmtdev vdpasim_net device_features 0x300000028 mac 00:11:22:33:44:55
check "config of provisioned features (no STATUS: no link)" 0 \
"n2: mac 00:11:22:33:44:55 mtu 1500 
" "" -- uvdpa dev config show n2
check "features missing for an attribute" 1 "" "Error: vdpa: Missing features 0x20 for provided attributes.
kernel answers: Invalid argument
" -- uvdpa dev add name n3 mgmtdev vdpasim_net device_features 0x300000000 mac 00:11:22:33:44:55

# dev set (iproute2 6.13+)
check "dev set mac" 0 "" "" -- uvdpa dev set name n1 mac 02:00:00:00:00:01
check "config shows the new mac" 0 \
"n1: mac 02:00:00:00:00:01 link up link_announce false max_vq_pairs 4 mtu 1500 
" "" -- uvdpa dev config show n1
check "dev set broadcast mac" 1 "" "Error: vdpa: Invalid MAC address.
kernel answers: Operation not supported
" -- uvdpa dev set name n1 mac ff:ff:ff:ff:ff:ff
check "dev set without mac: a reason" 1 "" "Error: vdpa: nothing to set: no attribute given (mac).
kernel answers: Operation not supported
" -- uvdpa dev set name n1

# blk provisioning and config
check "blk with capacity and num_queues" 0 "" "" -- \
	uvdpa dev add name b1 mgmtdev vdpasim_blk capacity 2048 num_queues 4
check "blk config" 0 \
"b1: capacity 2048 size_max 4096 blk_size 512 seg_max 32 num_queues 4 physical_block_exp 0 alignment_offset 0 min_io_size 1 opt_io_size 1 max_discard_sectors 4294967295 max_discard_seg 1 discard_sector_alignment 512 max_write_zeroes_sectors 4294967295 max_write_zeroes_seg 1 read_only false flush true 
" "" -- uvdpa dev config show b1
check "dev set on blk: a warning, exit 0" 0 "" "Warning: vdpa: b1 device not supported.
" -- uvdpa dev set name b1 mac 02:00:00:00:00:01
check "blk num_queues 0" 1 "" "Error: vdpa: At least one queue is required.
kernel answers: Invalid argument
" -- uvdpa dev add name b3 mgmtdev vdpasim_blk num_queues 0

# JSON mode of commands without output: one empty line
check "-j dev add" 0 "
" "" -- uvdpa -j dev add name j1 mgmtdev vdpasim_net
check "-j dev add, existing name" 1 "
" "kernel answers: File exists
" -- uvdpa -j dev add name j1 mgmtdev vdpasim_net
check "-jp dev del" 0 "
" "" -- uvdpa -jp dev del j1
check "bus handle not found" 1 "" "Error: vdpa: Fail to find the specified mgmt device.
kernel answers: No such device
" -- uvdpa mgmtdev show pci/0000:08:00.2
check "vstats without qidx: the daemon refuses" 1 "" "kernel answers: Invalid argument
" -- uvdpa dev vstats show n2
check "-s with the socket path" 0 "vdpasim_blk: 
  supported_classes block
  max_supported_vqs 64
  dev_features SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ DISCARD WRITE_ZEROES ANY_LAYOUT RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED
" "" -- env -u UVDPA_RUNDIR uvdpa -s "$run/uvdpa.sock" mgmtdev show vdpasim_blk
check "\$UVDPA_SOCK" 0 "{\"mgmtdev\":{\"vdpasim_blk\":{\"supported_classes\":[\"block\"],\"max_supported_vqs\":64,\"dev_features\":[\"SIZE_MAX\",\"SEG_MAX\",\"BLK_SIZE\",\"FLUSH\",\"TOPOLOGY\",\"MQ\",\"DISCARD\",\"WRITE_ZEROES\",\"ANY_LAYOUT\",\"RING_INDIRECT_DESC\",\"RING_EVENT_IDX\",\"VERSION_1\",\"ACCESS_PLATFORM\",\"RING_PACKED\"]}}}
" "" -- env -u UVDPA_RUNDIR UVDPA_SOCK="$run/uvdpa.sock" uvdpa -j mgmtdev show vdpasim_blk
name64=$(printf 'x%.0s' {1..64})
check "64-character name" 0 "" "" -- uvdpa dev add name "$name64" mgmtdev vdpasim_blk
check "shown in full" 0 "$name64: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/$name64.sock
" "" -- uvdpa dev show "$name64"
check "config shown" 0 "" "" -- sh -c 'uvdpa dev config show "$1" >/dev/null' - "$name64"
check "deleted" 0 "" "" -- uvdpa dev del "$name64"
check "65 characters: the CLI refuses, in the daemon's words" 1 "" "Error: vdpa: device name is longer than 64 bytes.
" -- uvdpa dev add name "${name64}x" mgmtdev vdpasim_blk

for d in n1 n2 b1; do
	check "del $d" 0 "" "" -- uvdpa dev del "$d"
done

# dumps that need many datagrams (uvdpad sends at most 4 KiB each)
n=80
for ((i = 0; i < n; i++)); do
	uvdpa dev add name "d$i" mgmtdev vdpasim_net mac "02:00:00:00:00:$(printf %02x $((i % 256)))" ||
		{ echo "FAIL add d$i"; fails=$((fails + 1)); break; }
done
uvdpa dev show >"$work/show" 2>&1
ok "dev show: $n devices in order" \
	test "$(cut -d: -f1 "$work/show" | tr '\n' ' ')" = "$(for ((i = 0; i < n; i++)); do printf 'd%d ' $i; done)"
uvdpa -j dev config show >"$work/json" 2>&1
ok "-j config dump: $n objects, one line" \
	test "$(grep -o '"mac":' "$work/json" | wc -l)/$(wc -l <"$work/json")" = "$n/1"
uvdpa -jp dev show >"$work/pretty" 2>&1
ok "-jp dump: balanced and complete" \
	test "$(grep -c '^        "d[0-9]*": {$' "$work/pretty")/$(tail -c 2 "$work/pretty" | od -An -c | tr -d ' ')" = "$n/}\\n"
for ((i = 0; i < n; i++)); do
	uvdpa dev del "d$i" || { echo "FAIL del d$i"; fails=$((fails + 1)); break; }
done
check "all deleted" 0 "" "" -- uvdpa dev show

# an unprivileged user may read, not write (GENL_ADMIN_PERM's EPERM)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$run"; chmod 666 "$run/uvdpa.sock"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	check "nobody: dev add -> EPERM" 1 "" "kernel answers: Operation not permitted
" -- as_nobody uvdpa dev add name p1 mgmtdev vdpasim_net
	check "nobody: mgmtdev show works" 0 "vdpasim_blk: 
  supported_classes block
  max_supported_vqs 64
  dev_features SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ DISCARD WRITE_ZEROES ANY_LAYOUT RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED
" "" -- as_nobody uvdpa mgmtdev show vdpasim_blk
fi

kill -TERM $daemon; wait $daemon
ok "uvdpad exits 0 on SIGTERM" test $? = 0
echo "$fails failed"
[ $fails = 0 ]
