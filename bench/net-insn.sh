#!/bin/sh
# SPDX-License-Identifier: MIT
# Instructions per looped frame of the one-core in-process net path
# (uvdpa-bench --one-core: driver and vdpasim_net in one thread), counted by
# valgrind's cachegrind: a load-independent figure, unlike a time. Each
# case runs N and 2N frames; (Ir(2N) - Ir(N)) / N removes the set-up.
#   bench/net-insn.sh [BUILD_DIR] [N]        (default: build, 20000)
set -eu
build=${1:-build}
n=${2:-20000}
bench=$build/bench/uvdpa-bench
command -v valgrind >/dev/null || { echo "net-insn: valgrind is not installed" >&2; exit 77; }
[ -x "$bench" ] || { echo "net-insn: no $bench (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() {
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$tmp/cg" \
		"$bench" -1 -r 1 "$@" net >/dev/null 2>&1
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg"
}
printf '%-8s %-6s %s\n' ring frame 'instructions/frame (cachegrind Ir, one core)'
for ring in split packed; do
	p=; [ $ring = packed ] && p=-p
	for size in 64 1500; do
		a=$(ir $p -s $size -n "$n")
		b=$(ir $p -s $size -n $((2 * n)))
		printf '%-8s %4s B %8.1f\n' $ring $size "$(echo "($b - $a) / $n" | bc -l)"
	done
done
