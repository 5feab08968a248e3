#!/usr/bin/env bash
# Builds uvdpa and runs every test: unit, integration and real-peer tests.
#   scripts/test.sh            - release-style build in ./build
#   scripts/test.sh --asan     - the same suite under ASan+UBSan in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
opts=()
if [ "${1:-}" = "--asan" ]; then
	dir=build-asan
	opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
fi

scripts/deps.sh all
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier "${UVDPA_TIMEOUT_MULT:-1}"
