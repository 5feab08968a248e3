#!/bin/sh
# /init of the crash-recovery guest (busybox sh): loads the virtio modules,
# runs /bin/crashio's writer on /dev/vda until the host says "stop" on the
# console, then powers off. Kernel command line: uvdpa_nonce=HEX
# uvdpa_batch=BLOCKS uvdpa_hostwait=SECONDS (longest wait for "stop").
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for kv in $(cat /proc/cmdline); do
	case $kv in
	uvdpa_*=*) eval "${kv%%=*}='${kv#*=}'" ;;
	esac
done

echo "GUEST up $(cut -d' ' -f1 /proc/uptime)s kernel $(uname -r)"
while read -r m; do
	insmod "/lib/modules/$m" || echo "FAIL insmod $m"
done </modules.load
n=100
while [ ! -e /sys/block/vda ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
if [ ! -e /sys/block/vda ]; then
	echo "IOERR no /sys/block/vda after 10 s"
else
	# fsync must reach the device as a FLUSH: write-back cache mode.
	if [ "$(cat /sys/block/vda/queue/write_cache)" != "write back" ]; then
		echo "write back" >/sys/block/vda/cache_type 2>/dev/null || true
	fi
	# one request per 4 KiB block: a batch is that many requests in flight
	echo 2 >/sys/block/vda/queue/nomerges
	echo "GUEST vda $(cat /sys/block/vda/size) sectors, cache $(cat /sys/block/vda/queue/write_cache), nr_requests $(cat /sys/block/vda/queue/nr_requests), nomerges $(cat /sys/block/vda/queue/nomerges)"
	/bin/crashio write /dev/vda "${uvdpa_nonce:-1}" "${uvdpa_batch:-64}" &
	w=$!
	read -r -t "${uvdpa_hostwait:-600}" reply || reply=timeout
	echo "GUEST host said $reply"
	kill -TERM "$w" 2>/dev/null
	wait "$w"
	echo "GUEST writer exited $?"
fi
echo "GUEST done $(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
