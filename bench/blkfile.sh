#!/bin/bash
# blk_file next to fio's io_uring engine on the same file, in the same run:
# 4 KiB randread and randwrite at QD 1, 32 and 128, buffered and O_DIRECT.
# uvdpa's figure is the whole in-process stack (libuvdpa's blk driver on one
# thread submitting in bursts, the device's worker with its io_uring on
# another: one device core); fio runs one job. Each point runs uvdpa and fio
# alternately RUNS times (default 3) and prints the medians and uvdpa / fio;
# the machine's state (bench/pingpong.c: a cross-core round trip, and the load) is printed before and after.
# Not a test: nothing is asserted.
#
# usage: [RUNS=N] bench/blkfile.sh BUILDDIR [FILE [SIZE_MB [SECONDS]]]
set -eu
build=$1
file=${2:-/var/tmp/uvdpa-blkfile-bench.img}
size_mb=${3:-1024}
secs=${4:-3}
runs=${RUNS:-3}
bench=$build/bench/blkfile-bench
probe=$build/bench/uvdpa-pingpong
command -v fio >/dev/null || { echo "fio not found (apt-get install -y fio)"; exit 77; }
[ -x "$bench" ] || { echo "no $bench (ninja -C $build)"; exit 1; }

# Written through, so reads find data (a sparse file reads holes for free).
if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" != $((size_mb << 20)) ]; then
	dd if=/dev/urandom of="$file" bs=1M count="$size_mb" status=none conv=fsync
fi

fio_iops() {   # fio_iops OP QD DIRECT
	fio --name=b --filename="$file" --ioengine=io_uring --rw="$1" --bs=4k \
	    --iodepth="$2" --direct="$3" --time_based --runtime="$secs" --ramp_time=0.2 \
	    --numjobs=1 --norandommap --randrepeat=0 --output-format=json 2>/dev/null |
	python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(int(j["read"]["iops"] + j["write"]["iops"]))'
}

uvdpa_iops() {   # uvdpa_iops OP QD DIRECT
	"$bench" $([ "$3" = 1 ] && echo --direct) --duration $((secs * 1000)) \
		--qd "$2" --op "$1" "$file" | awk '{print $3}'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

state() { if [ -x "$probe" ]; then echo "machine: round trip $("$probe" 0 1), load $(cut -d" " -f1-3 /proc/loadavg)"; else echo "machine: no $probe"; fi; }

echo "file $file, ${size_mb} MiB, ${secs} s per point, median of $runs alternating runs," \
	"$(nproc) CPUs, $(uname -r)"
state
printf '%-9s %-9s %4s %10s %10s %6s\n' mode op QD uvdpa fio ratio
for direct in 0 1; do
	mode=$([ $direct = 1 ] && echo O_DIRECT || echo buffered)
	for op in randread randwrite; do
		for qd in 1 32 128; do
			us="" fs=""
			for _ in $(seq "$runs"); do
				us="$us $(uvdpa_iops "$op" "$qd" "$direct")"
				fs="$fs $(fio_iops "$op" "$qd" "$direct")"
			done
			u=$(echo "$us" | median)
			f=$(echo "$fs" | median)
			printf '%-9s %-9s %4s %10s %10s %6.2f\n' "$mode" "$op" "$qd" "$u" "$f" \
				"$(echo "$u / $f" | bc -l)"
		done
	done
done
state
