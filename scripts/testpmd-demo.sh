#!/usr/bin/env bash
# Drives a uvdpa net device with DPDK testpmd's virtio-user PMD for a few
# seconds (io-forward: every frame received is sent again, so `tx_first`'s
# burst circulates through the device's TX->RX loopback), then prints
# testpmd's port counters.
#   scripts/testpmd-demo.sh SOCKET [SECONDS]
set -euo pipefail
sock=$1
secs=${2:-3}
prefix=uvdpa-demo-$$
# --no-huge memory is a shareable memfd, which vhost-user needs; --no-shconf
# keeps /var/run/dpdk clean.
timeout -s INT "$secs" dpdk-testpmd --lcores 0@0,1@1 --file-prefix "$prefix" --no-pci \
	--no-huge --no-shconf -m 256 --log-level=lib.eal:error \
	--vdev "net_virtio_user0,path=$sock,queues=1,queue_size=256,mrg_rxbuf=1,in_order=0" \
	-- --forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --burst=32 \
	--tx-first --stats-period "$secs" --eth-peer=0,00:00:00:00:00:00 </dev/null 2>&1 |
	tr -d '\r' | awk '/Forward statistics for port 0/ {p = 1; print "  testpmd port 0 after '"$secs"' s:"; next}
			  p && /-packets/ {print "   " $0} p && /-----/ {exit}' || true
