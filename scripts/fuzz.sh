#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
scripts/deps.sh build
if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C build-fuzz
shopt -s nullglob
ran=0
for f in build-fuzz/fuzz/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue   # not the .p object folders
	name=$(basename "$f")
	corpus=build-fuzz/corpus-$name
	mkdir -p "$corpus"
	[ -d "fuzz/corpus/$name" ] && cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
	echo "-- $name for ${secs}s"
	"$f" -max_total_time="$secs" -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
	ran=$((ran + 1))
done
echo "fuzz: $ran harnesses ran ${secs}s each without a crash"
