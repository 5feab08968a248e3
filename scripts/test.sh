#!/usr/bin/env bash
# Builds uvdpa and runs every test: unit, integration and real-peer tests.
#   scripts/test.sh            - release-style build in ./build
#   scripts/test.sh --asan     - the same suite under ASan+UBSan in ./build-asan,
#                                at the default buildtype (the one users build)
# Any meson test arguments follow (e.g. --suite mgmt).
#
# A skipped test fails the run: a test that cannot run proves nothing. Tests
# allowed to skip are listed, one glob per line with its reason, in
# tests/optional-skips, or in UVDPA_ALLOW_SKIP (space-separated globs).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
opts=()
if [ "${1:-}" = "--asan" ]; then
	shift
	dir=build-asan
	# The project's default buildtype (meson.build), named so that a build
	# directory set up by an older script (buildtype=debug) is reset to it.
	opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized)
fi

scripts/deps.sh all
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir"
rc=0
meson test -C "$dir" --print-errorlogs --num-processes 2 \
	--timeout-multiplier "${UVDPA_TIMEOUT_MULT:-1}" "$@" || rc=$?
scripts/check-skips.py "$dir/meson-logs/testlog.json" tests/optional-skips \
	${UVDPA_ALLOW_SKIP:-} || rc=1
exit $rc
