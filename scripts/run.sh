#!/usr/bin/env bash
# Builds uvdpa and runs the main job:
#   1. the simulators driven in-process by libuvdpa's virtio drivers;
#   2. uvdpad with a vdpasim_net and a vdpasim_blk device, managed with the
#      uvdpa CLI exactly as iproute2's vdpa would manage the kernel's;
#   3. a real vhost-user front end (DPDK testpmd's virtio-user) pushing
#      packets through the net device, and the device's counters after it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh all
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
B=$PWD/build

echo "== 1. in-process: libuvdpa drivers on the simulators"
"$B"/examples/uvdpa-demo

echo
echo "== 2. uvdpad and the uvdpa CLI"
export UVDPA_RUNDIR
UVDPA_RUNDIR=$(mktemp -d /tmp/uvdpa-run.XXXXXX)
"$B"/src/daemon/uvdpad 2>"$UVDPA_RUNDIR/uvdpad.log" &
daemon=$!
cleanup() {
	kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$UVDPA_RUNDIR"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$UVDPA_RUNDIR/uvdpa.sock" ] && break; sleep 0.05; done

run() { echo "\$ uvdpa $*"; "$B"/src/cli/uvdpa "$@"; }
run mgmtdev show
run dev add name vdpa-net1 mgmtdev vdpasim_net
run dev add name vdpa-blk1 mgmtdev vdpasim_blk
run dev show
run dev show -jp
run dev config show

echo
echo "== 3. a vhost-user front end on $UVDPA_RUNDIR/vhost/vdpa-net1.sock"
scripts/testpmd-demo.sh "$UVDPA_RUNDIR/vhost/vdpa-net1.sock" 4 &
testpmd=$!
sleep 3   # the device's counters while testpmd still drives it
run dev config show vdpa-net1
run dev vstats show vdpa-net1 qidx 0
run dev vstats show vdpa-net1 qidx 1
wait "$testpmd"
run dev del vdpa-net1
run dev del vdpa-blk1
run dev show
echo "uvdpad log:"; sed 's/^/  /' "$UVDPA_RUNDIR/uvdpad.log"
