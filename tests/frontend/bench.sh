#!/usr/bin/env bash
# uvdpa-bench over vhost-user works against every back end it claims: uvdpad's
# vdpasim_blk (split, packed, two queues on two threads) and vdpasim_net,
# qemu-storage-daemon's null-co export with two queues; asking for more queues
# than the back end has is a clear error. A functional check of the benchmark
# client (every figure it prints is a positive number), not a speed test.
#   bench.sh --uvdpad PATH --uvdpa PATH --bench PATH
set -euo pipefail
. "$(dirname "$0")/../peers/lib.sh"

bench=
while [ $# -gt 0 ]; do
	case $1 in
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
find_uvdpa
[ -x "$bench" ] || skip "uvdpa-bench not built (--bench PATH)"
need_pkgs qemu-system-common qemu-utils
command -v qemu-storage-daemon >/dev/null || skip "qemu-storage-daemon not found"
peers_setup_tmp

# run NAME WANT_LINES ARGS...: uvdpa-bench with short runs; every result line
# must carry a positive figure, and there must be WANT_LINES of them.
run() {
	local name=$1 want=$2 out lines bad
	shift 2
	last_out=
	if ! out=$("$bench" -r 1 -d 150 "$@" 2>&1); then
		fail "$name" "uvdpa-bench failed: $(echo "$out" | tail -n 2 | paste -sd'|')"
		return
	fi
	lines=$(echo "$out" | grep -cE '^(blk|net) ' || true)
	bad=$(echo "$out" | grep -E '^(blk|net) ' |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "IOPS" || $i == "Mpps") { if ($(i - 1) + 0 <= 0) print; next } }')
	if [ "$lines" -ne "$want" ] || [ -n "$bad" ]; then
		fail "$name" "$lines result lines (want $want), non-positive: ${bad:-none}; $(echo "$out" | paste -sd'|')"
		return
	fi
	last_out=$out
	pass "$name: $(echo "$out" | grep -E '^(blk|net) ' | tr -s ' ' | paste -sd';')"
}

# queues_shown NAME: the last run's figures are for two queues together.
queues_shown() {
	[ "$(echo "$last_out" | grep -cE '^blk .* x2 ')" -eq 2 ] && pass "$1: figures of 2 queues" ||
		fail "$1" "no 'x2' figures: $(echo "$last_out" | paste -sd'|')"
}

uvdpad_start
"$UVDPA" dev add name b0 mgmtdev vdpasim_blk num_queues 2
"$UVDPA" dev add name n0 mgmtdev vdpasim_net
run uvdpad-blk-split 4 --vhost-user "$(dev_sock b0)" -q 1,32 blk
run uvdpad-blk-packed 2 --vhost-user "$(dev_sock b0)" -p -q 32 blk
run uvdpad-blk-2-queues 2 --vhost-user "$(dev_sock b0)" -q 32 -Q 2 blk
queues_shown uvdpad-blk-2-queues
if out=$("$bench" -r 1 -d 100 --vhost-user "$(dev_sock b0)" -q 8 -Q 3 blk 2>&1); then
	fail uvdpad-blk-too-many-queues "3 queues on a 2-queue device did not fail: $out"
else
	echo "$out" | grep -q "queues" && pass "uvdpad-blk-too-many-queues: $(echo "$out" | tail -n 1)" ||
		fail uvdpad-blk-too-many-queues "no word on queues: $out"
fi
run uvdpad-net 2 --vhost-user "$(dev_sock n0)" net

sock=$peers_tmp/qsd.sock
qemu-storage-daemon --blockdev driver=null-co,node-name=n0,size=1073741824 \
	--export "type=vhost-user-blk,id=e0,node-name=n0,addr.type=unix,addr.path=$sock,writable=on,num-queues=2" \
	>"$peers_tmp/qsd.log" 2>&1 &
peers_pids+=($!)
wait_for 100 test -S "$sock" || fail qsd-start "$(cat "$peers_tmp/qsd.log")"
if [ -S "$sock" ]; then
	run qsd-null-2-queues 2 --vhost-user "$sock" -q 32 -Q 2 blk
	queues_shown qsd-null-2-queues
fi
peers_exit
