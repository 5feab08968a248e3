#!/bin/bash
# blk_file next to fio's io_uring engine on the same file, in the same run:
# 4 KiB randread and randwrite at QD 1, 32 and 128, buffered and O_DIRECT.
# uvdpa's figure is the whole in-process stack (libuvdpa's blk driver on one
# thread, the device's worker with its io_uring on another); fio runs one
# job. Prints IOPS and uvdpa / fio. Not a test: nothing is asserted.
#
# usage: bench/blkfile.sh BUILDDIR [FILE [SIZE_MB [SECONDS]]]
set -eu
build=$1
file=${2:-/var/tmp/uvdpa-blkfile-bench.img}
size_mb=${3:-1024}
secs=${4:-3}
bench=$build/bench/blkfile-bench
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

echo "file $file, ${size_mb} MiB, ${secs} s per point, $(nproc) CPUs, $(uname -r)"
printf '%-9s %-8s %4s %10s %10s %6s\n' mode op QD uvdpa fio ratio
for direct in 0 1; do
	mode=$([ $direct = 1 ] && echo O_DIRECT || echo buffered)
	for op in randread randwrite; do
		for qd in 1 32 128; do
			u=$("$bench" $([ $direct = 1 ] && echo --direct) --duration $((secs * 1000)) \
				--qd "$qd" --op "$op" "$file" | awk '{print $3}')
			f=$(fio_iops "$op" "$qd" "$direct")
			printf '%-9s %-8s %4s %10s %10s %6.2f\n' "$mode" "$op" "$qd" "$u" "$f" \
				"$(echo "$u / $f" | bc -l)"
		done
	done
done
