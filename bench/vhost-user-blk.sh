#!/usr/bin/env bash
# uvdpad's vdpasim_blk against qemu-storage-daemon's null-co export, both
# driven by the same client (uvdpa-bench --vhost-user): back ends on CPU 0,
# client on CPU 1, runs interleaved, medians printed side by side with the
# ratio. A benchmark, not a test: it asserts nothing.
#
# usage: bench/vhost-user-blk.sh [BUILD_DIR] [RUNS] [DURATION_MS]
set -euo pipefail
build=${1:-build}
runs=${2:-3}
dur=${3:-1000}
bench=$build/bench/uvdpa-bench
dir=$(mktemp -d /tmp/uvdpa-bench-vu.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

command -v qemu-storage-daemon >/dev/null || { echo "qemu-storage-daemon missing" >&2; exit 1; }
taskset -c 0 qemu-storage-daemon \
	--blockdev driver=null-co,node-name=n0,size=1073741824,read-zeroes=on \
	--object iothread,id=io0 \
	--export type=vhost-user-blk,id=e0,node-name=n0,addr.type=unix,addr.path=$dir/qsd.sock,writable=on,num-queues=1,iothread=io0 \
	>"$dir/qsd.log" 2>&1 &
pids+=($!)
mkdir "$dir/run"
UVDPA_RUNDIR=$dir/run taskset -c 0 "$build/src/daemon/uvdpad" -r "$dir/run" >"$dir/uvdpad.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -S "$dir/run/uvdpa.sock" ] && [ -S "$dir/qsd.sock" ] && break; sleep 0.05; done
UVDPA_RUNDIR=$dir/run "$build/src/cli/uvdpa" dev add name b0 mgmtdev vdpasim_blk
usock=$dir/run/vhost/b0.sock
[ -S "$usock" ] || usock=$dir/run/b0.sock

for i in $(seq "$runs"); do
	taskset -c 1 "$bench" -r 1 -d "$dur" --vhost-user "$dir/qsd.sock" blk | grep '^blk' >>"$dir/qsd.txt"
	taskset -c 1 "$bench" -r 1 -d "$dur" --vhost-user "$usock" blk | grep '^blk' >>"$dir/uvdpad.txt"
done

med() {  # median IOPS of one row name out of a results file
	grep -F "$1" "$2" | awk '{print $(NF-1)}' | sort -n |
		awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
echo "4 KiB random I/O, one split queue, median of $runs interleaved runs of $dur ms"
printf '%-26s %14s %18s %7s\n' request "QSD null-co" "uvdpad vdpasim_blk" ratio
grep '^blk' "$dir/qsd.txt" | sed 's/ *[0-9]* IOPS$//' | awk '!seen[$0]++' | while read -r row; do
	q=$(med "$row " "$dir/qsd.txt")
	u=$(med "$row " "$dir/uvdpad.txt")
	printf '%-26s %14.0f %18.0f %6.2fx\n' "$row" "$q" "$u" "$(echo "$u / $q" | bc -l)"
done
