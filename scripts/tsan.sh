#!/usr/bin/env bash
# The multi-queue front-end tests under ThreadSanitizer: libuvdpa's claim that
# its per-queue (net: per-pair) calls may run on one thread per queue. Each
# test drives uvdpad (the normal build's, in ./build: TSan does not model the
# rings' fences, so only the client side, whose threads share no ring, is
# instrumented) with one thread per queue; any data race report fails it.
#   scripts/tsan.sh            (after scripts/test.sh has built ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-tsan
scripts/deps.sh build
[ -x build/src/daemon/uvdpad ] && [ -x build/src/cli/uvdpa ] || ninja -C build src/daemon/uvdpad src/cli/uvdpa
if [ ! -d "$dir" ]; then
	# GCC warns that TSan ignores atomic_thread_fence (-Wtsan); the rings'
	# fences are not what this run checks.
	meson setup "$dir" -Db_sanitize=thread -Dc_args=-Wno-tsan >/dev/null
fi
ninja -C "$dir" tests/frontend/test_fe_blk_mq tests/frontend/test_fe_net_mq
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
uvdpad=$PWD/build/src/daemon/uvdpad
uvdpa=$PWD/build/src/cli/uvdpa
rc=0
run() { # NAME COMMAND...
	local name=$1 out
	shift
	if out=$("$@" 2>&1) && ! grep -q "ThreadSanitizer" <<<"$out"; then
		echo "ok   tsan: $name"
	else
		echo "$out" | tail -n 40
		echo "FAIL tsan: $name"
		rc=1
	fi
}
run "blk, 4 queues, 4 threads" "$dir/tests/frontend/test_fe_blk_mq" "$uvdpad" "$uvdpa"
run "net, 4 pairs, split" "$dir/tests/frontend/test_fe_net_mq" uvdpad "$uvdpad" "$uvdpa" 4 split
run "net, 2 pairs, packed" "$dir/tests/frontend/test_fe_net_mq" uvdpad "$uvdpad" "$uvdpa" 2 packed
exit $rc
