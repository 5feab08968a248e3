#!/usr/bin/env bash
# uvdpad beside the stock back end, both driven by the same client
# (uvdpa-bench --vhost-user): blk = vdpasim_blk vs qemu-storage-daemon's
# null-co export; net = vdpasim_net vs DPDK testpmd's vhost PMD in io
# forward (both loop frames back). Back ends on CPU 0, client on CPU 1,
# runs interleaved, medians side by side with the ratio uvdpad / stock.
# A benchmark, not a test: it asserts nothing.
#
# usage: bench/vhost-user.sh blk|net [BUILD_DIR] [RUNS] [DURATION_MS]
set -euo pipefail
mode=${1:?usage: bench/vhost-user.sh blk|net [BUILD_DIR] [RUNS] [DURATION_MS]}
build=${2:-build}
runs=${3:-3}
dur=${4:-1000}
bench=$build/bench/uvdpa-bench
dir=$(mktemp -d /tmp/uvdpa-bench-vu.XXXXXX)
prefix=$(basename "$dir")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

stock=$dir/stock.sock
case $mode in
blk)
	stock_name="QSD null-co"
	dev=vdpasim_blk
	taskset -c 0 qemu-storage-daemon \
		--blockdev driver=null-co,node-name=n0,size=1073741824,read-zeroes=on \
		--object iothread,id=io0 \
		--export type=vhost-user-blk,id=e0,node-name=n0,addr.type=unix,addr.path=$stock,writable=on,num-queues=1,iothread=io0 \
		>"$dir/stock.log" 2>&1 &
	;;
net)
	stock_name="DPDK vhost PMD"
	dev=vdpasim_net
	taskset -c 0 dpdk-testpmd --lcores 0@0,1@0 --file-prefix "$prefix" --no-pci --no-huge \
		-m 512 --vdev "net_vhost0,iface=$stock,queues=1" -- --forward-mode=io \
		--nb-cores=1 --total-num-mbufs=16384 --auto-start --stats-period=3600 \
		>"$dir/stock.log" 2>&1 &
	;;
*)
	echo "usage: bench/vhost-user.sh blk|net [BUILD_DIR] [RUNS] [DURATION_MS]" >&2
	exit 2
	;;
esac
pids+=($!)
mkdir "$dir/run"
# -P: device workers poll (adaptive), as a back end owning its core should.
UVDPA_RUNDIR=$dir/run taskset -c 0 "$build/src/daemon/uvdpad" -P -r "$dir/run" >"$dir/uvdpad.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -S "$dir/run/uvdpa.sock" ] && [ -S "$stock" ] && break; sleep 0.05; done
UVDPA_RUNDIR=$dir/run "$build/src/cli/uvdpa" dev add name d0 mgmtdev $dev \
	$([ "$mode" = net ] && echo mac 02:00:00:00:00:01)
usock=$dir/run/vhost/d0.sock
[ -S "$usock" ] || usock=$dir/run/d0.sock

for _ in $(seq "$runs"); do
	taskset -c 1 "$bench" -r 1 -d "$dur" --vhost-user "$stock" "$mode" | grep "^$mode" >>"$dir/stock.txt"
	taskset -c 1 "$bench" -r 1 -d "$dur" --vhost-user "$usock" "$mode" | grep "^$mode" >>"$dir/uvdpad.txt"
done

med() {  # median of the first figure on the rows named $1 in file $2
	grep -F "$1" "$2" | sed "s/^.\{27\}//" | awk '{print $1}' | sort -g |
		awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
unit=$([ "$mode" = blk ] && echo IOPS || echo Mpps)
echo "$mode over vhost-user, one split queue (pair), median of $runs interleaved runs of $dur ms ($unit)"
printf '%-27s %16s %16s %7s\n' test "$stock_name" "uvdpad $dev" ratio
cut -c1-27 "$dir/stock.txt" | awk '!seen[$0]++' | while IFS= read -r row; do
	s=$(med "$row" "$dir/stock.txt")
	u=$(med "$row" "$dir/uvdpad.txt")
	printf '%-27s %16s %16s %6.2fx\n' "$row" "$s" "$u" "$(echo "$u / $s" | bc -l)"
done
