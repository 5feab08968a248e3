#!/usr/bin/env bash
# uvdpad beside the stock back ends, all driven by the same client
# (uvdpa-bench --vhost-user), back ends pinned to CPU 0, the client to CPU 1,
# every back end measured once per round, rounds interleaved, medians side
# by side with the ratios uvdpad / stock. A benchmark, not a test: it
# asserts nothing.
#
# blk: 4 KiB randread then randwrite at QD 1, 32, 64 and 128 (QD128 runs on
#   indirect descriptors) against
#     qemu-storage-daemon null-co (moves no data)
#     uvdpad vdpasim_blk, fresh (created anew each round: reads find holes)
#     uvdpad vdpasim_blk, written (the whole disk written once, first)
#   and, on the same file, qemu-storage-daemon's file export (aio=io_uring)
#   against uvdpad's blk_file; both buffered (the file is written first and
#   sits in the page cache after the first round). FILE (default
#   /var/tmp/uvdpa-bench-vu.img, kept for the next run) and FILE_MB (256)
#   choose it.
# net: vdpasim_net vs DPDK testpmd's vhost PMD in io forward (both loop
#   frames back).
# The machine's state (cross-core round trip, load, steal) is printed
# before and after (bench/pingpong.c: a cross-core round trip, and the load).
#
# usage: bench/vhost-user.sh blk|net [BUILD_DIR] [RUNS] [DURATION_MS]
set -euo pipefail
mode=${1:?usage: bench/vhost-user.sh blk|net [BUILD_DIR] [RUNS] [DURATION_MS]}
build=${2:-build}
runs=${3:-3}
dur=${4:-1000}
bench=$build/bench/uvdpa-bench
probe=$build/bench/uvdpa-pingpong
uvdpa=$build/src/cli/uvdpa
file=${FILE:-/var/tmp/uvdpa-bench-vu.img}
file_mb=${FILE_MB:-256}
dir=$(mktemp -d /tmp/uvdpa-bench-vu.XXXXXX)
prefix=$(basename "$dir")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

state() {
	if [ -x "$probe" ]; then
		echo "machine: round trip $("$probe" 0 1), load $(cut -d" " -f1-3 /proc/loadavg)"
	else
		echo "machine: no $probe (ninja -C $build)"
	fi
}

stock=$dir/stock.sock
stock_file=$dir/stock-file.sock
case $mode in
blk)
	stock_name="QSD null-co"
	dev=vdpasim_blk
	if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" != $((file_mb << 20)) ]; then
		dd if=/dev/urandom of="$file" bs=1M count="$file_mb" status=none conv=fsync
	fi
	# locking=off: uvdpad has the same file open at the same time.
	taskset -c 0 qemu-storage-daemon \
		--blockdev driver=null-co,node-name=n0,size=1073741824,read-zeroes=on \
		--blockdev driver=file,node-name=f0,filename="$file",aio=io_uring,cache.direct=off,locking=off \
		--object iothread,id=io0 \
		--export type=vhost-user-blk,id=e0,node-name=n0,addr.type=unix,addr.path=$stock,writable=on,num-queues=1,iothread=io0 \
		--export type=vhost-user-blk,id=e1,node-name=f0,addr.type=unix,addr.path=$stock_file,writable=on,num-queues=1,iothread=io0 \
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
for _ in $(seq 600); do
	[ -S "$dir/run/uvdpa.sock" ] && [ -S "$stock" ] &&
		{ [ "$mode" = net ] || [ -S "$stock_file" ]; } && break
	sleep 0.05
done
[ -S "$stock" ] || { echo "the stock back end did not start:" >&2; cat "$dir/stock.log" >&2; exit 1; }

# add NAME ARGS...: a uvdpad device; prints its vhost-user socket.
add() {
	local name=$1

	shift
	UVDPA_RUNDIR=$dir/run "$uvdpa" dev add name "$name" "$@" >/dev/null
	if [ -S "$dir/run/vhost/$name.sock" ]; then echo "$dir/run/vhost/$name.sock"
	else echo "$dir/run/$name.sock"; fi
}

# client OUT SOCKET [ARGS...]: one measuring run, its rows appended to OUT.
client() {
	local out=$1 sock=$2

	shift 2
	taskset -c 1 "$bench" -r 1 -d "$dur" "$@" --vhost-user "$sock" "$mode" |
		grep "^$mode" >>"$dir/$out.txt"
}

med() {  # median of the first figure on the rows named $1 in file $2
	grep -F "$1" "$2" | sed "s/^.\{27\}//" | awk '{print $1}' | sort -g |
		awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2; else print "-" }'; }

state
if [ "$mode" = net ]; then
	usock=$(add d0 mgmtdev $dev mac 02:00:00:00:00:01)
	for _ in $(seq "$runs"); do
		client stock "$stock"
		client uvdpad "$usock"
	done
	echo "$mode over vhost-user, one split queue (pair), median of $runs interleaved runs of $dur ms (Mpps)"
	printf '%-27s %16s %16s %7s\n' test "$stock_name" "uvdpad $dev" ratio
	cut -c1-27 "$dir/stock.txt" | awk '!seen[$0]++' | while IFS= read -r row; do
		s=$(med "$row" "$dir/stock.txt")
		u=$(med "$row" "$dir/uvdpad.txt")
		printf '%-27s %16s %16s %7s\n' "$row" "$s" "$u" "$(ratio "$u" "$s")"
	done
	state
	exit 0
fi

qds=1,32,64,128
written=$(add written mgmtdev vdpasim_blk)
ufile=$(add file mgmtdev blk_file path "$file")
# The written disk is written once, whole, before anything is measured.
taskset -c 1 "$bench" -r 1 -d 1 -q 1 --prefill --vhost-user "$written" blk >/dev/null
for r in $(seq "$runs"); do
	client null "$stock" -q $qds
	fresh=$(add "fresh$r" mgmtdev vdpasim_blk)
	client fresh "$fresh" -q $qds
	UVDPA_RUNDIR=$dir/run "$uvdpa" dev del "fresh$r"
	client written "$written" -q $qds
	client qsdfile "$stock_file" -q $qds
	client ufile "$ufile" -q $qds
done

echo "blk over vhost-user, one split queue, 4 KiB random, median of $runs interleaved runs of $dur ms (IOPS)"
printf '%-27s %11s %11s %6s %11s %6s | %11s %11s %6s\n' test "QSD null-co" \
	"uvdpad fresh" ratio "uvdpad wrtn" ratio "QSD file" "blk_file" ratio
cut -c1-27 "$dir/null.txt" | awk '!seen[$0]++' | while IFS= read -r row; do
	n=$(med "$row" "$dir/null.txt")
	f=$(med "$row" "$dir/fresh.txt")
	w=$(med "$row" "$dir/written.txt")
	q=$(med "$row" "$dir/qsdfile.txt")
	u=$(med "$row" "$dir/ufile.txt")
	printf '%-27s %11s %11s %6s %11s %6s | %11s %11s %6s\n' "$row" "$n" "$f" \
		"$(ratio "$f" "$n")" "$w" "$(ratio "$w" "$n")" "$q" "$u" "$(ratio "$u" "$q")"
done
echo "vdpasim_blk: $(echo 'ratio targets >= 1.0x at QD32/64, >= 3x at QD1, >= 2.5 M IOPS at QD128;')" \
	"blk_file >= 1.0x QSD file; file $file (${file_mb} MiB)"
state
