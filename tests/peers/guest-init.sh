#!/bin/sh
# /init of the test guest (busybox sh). Loads the virtio modules, runs the checks
# named on the kernel command line and prints one line per check:
#   PASS <name> [detail]      FAIL <name> <why>
# then powers off. Parameters (kernel command line):
#   uvdpa_checks=blk,net  uvdpa_blk_sectors=N  uvdpa_ring=split|packed  uvdpa_blk_ring=...
#   uvdpa_mac=52:54:00:12:34:56  uvdpa_hostwait=SECONDS (wait for a line on the console)
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
checks=${uvdpa_checks:-blk,net}

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }

# wait_for TENTHS CMD...
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

echo "GUEST up $(cut -d' ' -f1 /proc/uptime)s kernel $(uname -r)"
while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m"
done </modules.load

# ring_of DEVICE_ID: "packed" or "split", from the negotiated features (bit 34).
ring_of() {
	for d in /sys/bus/virtio/devices/virtio*; do
		[ "$(cat "$d/device")" = "$1" ] || continue
		f=$(cat "$d/features")
		case $(echo "$f" | cut -c35) in
		1) echo packed ;;
		*) echo split ;;
		esac
		return
	done
	echo none
}

# diskstat FIELD: a field of /sys/block/vda/stat (12 = discards, 16 = flushes).
diskstat() { awk -v f="$1" '{ print $f }' /sys/block/vda/stat; }

check_blk() {
	if ! wait_for 100 test -e /sys/block/vda; then
		fail blk-present "no /sys/block/vda after 10 s"
		return
	fi
	pass blk-present
	r=$(ring_of 0x0002)
	want=${uvdpa_blk_ring:-${uvdpa_ring:-split}}
	if [ "$r" = "$want" ]; then pass blk-ring "$r"; else fail blk-ring "negotiated $r, want $want"; fi

	sectors=$(cat /sys/block/vda/size)
	if [ "$sectors" = "$uvdpa_blk_sectors" ]; then
		pass blk-capacity "$sectors sectors"
	else
		fail blk-capacity "guest sees $sectors sectors, host said ${uvdpa_blk_sectors:-?}"
	fi
	bytes=$((sectors * 512))
	[ "$bytes" -gt 0 ] || return

	# A device with VIRTIO_BLK_F_CONFIG_WCE may start in write-through mode, where
	# the kernel sends no flushes: switch it to write back (a SET_CONFIG of wce).
	ct=$(cat /sys/block/vda/cache_type 2>/dev/null || echo none)
	if [ "$ct" = "write through" ]; then
		echo "write back" >/sys/block/vda/cache_type 2>/dev/null || true
		echo "GUEST cache_type was '$ct', now '$(cat /sys/block/vda/cache_type)'"
	fi

	# Random data: a block written to the wrong place cannot read back right.
	head -c "$bytes" /dev/urandom >/pattern
	want=$(md5sum </pattern | cut -d' ' -f1)
	f0=$(diskstat 16)
	t0=$(cut -d' ' -f1 /proc/uptime)
	if dd if=/pattern of=/dev/vda bs=1M conv=fsync 2>/tmp/dd.err; then
		pass blk-write "$((bytes >> 20)) MiB from $t0 s to $(cut -d' ' -f1 /proc/uptime) s"
	else
		fail blk-write "$(tail -n1 /tmp/dd.err)"
	fi
	sync
	blockdev --flushbufs /dev/vda
	echo 3 >/proc/sys/vm/drop_caches
	got=$(dd if=/dev/vda bs=1M 2>/dev/null | md5sum | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then
		pass blk-readback "md5 $got"
	else
		fail blk-readback "md5 $got, wrote $want"
	fi
	rm -f /pattern

	# Flush: the disk must run in write-back mode (VIRTIO_BLK_F_FLUSH) and
	# fsync must have sent flush requests to the device.
	wc=$(cat /sys/block/vda/queue/write_cache)
	f1=$(diskstat 16)
	if [ "$wc" = "write back" ] && [ "$f1" -gt "$f0" ]; then
		pass blk-flush "$((f1 - f0)) flush requests"
	else
		fail blk-flush "write_cache '$wc', flush requests $f0 -> $f1"
	fi

	# Discard: the device must offer it and complete the requests with OK.
	dmax=$(cat /sys/block/vda/queue/discard_max_bytes)
	d0=$(diskstat 12)
	if [ "$dmax" -gt 0 ] && blkdiscard -o 0 -l "$bytes" /dev/vda 2>/tmp/bd.err; then
		d1=$(diskstat 12)
		if [ "$d1" -gt "$d0" ]; then
			pass blk-discard "$((d1 - d0)) discard requests"
		else
			fail blk-discard "blkdiscard sent no discard request"
		fi
	else
		fail blk-discard "discard_max_bytes $dmax: $(cat /tmp/bd.err)"
	fi
	# The disk still answers after discard.
	if dd if=/dev/vda of=/dev/null bs=4096 count=16 2>/dev/null; then
		pass blk-after-discard
	else
		fail blk-after-discard "read after discard failed"
	fi
}

netstat_of() { cat "/sys/class/net/eth0/statistics/$1"; }

check_net() {
	if ! wait_for 100 test -e /sys/class/net/eth0; then
		fail net-present "no eth0 after 10 s"
		return
	fi
	pass net-present
	r=$(ring_of 0x0001)
	want=${uvdpa_net_ring:-${uvdpa_ring:-split}}
	if [ "$r" = "$want" ]; then pass net-ring "$r"; else fail net-ring "negotiated $r, want $want"; fi

	mac=$(cat /sys/class/net/eth0/address)
	if [ -z "$uvdpa_mac" ] || [ "$mac" = "$uvdpa_mac" ]; then
		pass net-mac "$mac"
	else
		fail net-mac "eth0 has $mac, want $uvdpa_mac"
	fi
	ip link set eth0 up
	if wait_for 100 grep -qx 1 /sys/class/net/eth0/carrier; then
		pass net-link-up
	else
		fail net-link-up "no carrier after 10 s"
		return
	fi
	ip addr add 10.0.0.1/24 dev eth0
	# A neighbour whose MAC is our own: frames to it come straight back.
	# (busybox ip has no "neigh add"; arp -s makes a permanent entry)
	if ! arp -i eth0 -s 10.0.0.2 "$mac"; then
		fail net-neighbour "arp -s 10.0.0.2 $mac failed"
		return
	fi
	tx0=$(netstat_of tx_packets)
	ping -c 20 -i 0.05 -W 1 10.0.0.2 >/dev/null 2>&1
	ping -c 20 -i 0.05 -W 1 -s 1472 10.0.0.2 >/dev/null 2>&1
	sleep 1
	tx=$(netstat_of tx_packets)
	rx=$(netstat_of rx_packets)
	echo "COUNTERS net tx_packets=$tx rx_packets=$rx tx_bytes=$(netstat_of tx_bytes)" \
		"rx_bytes=$(netstat_of rx_bytes) rx_dropped=$(netstat_of rx_dropped)" \
		"rx_errors=$(netstat_of rx_errors)"
	if [ $((tx - tx0)) -ge 40 ] && [ "$rx" = "$tx" ]; then
		pass net-loopback "tx_packets $tx = rx_packets $rx"
	else
		fail net-loopback "tx_packets $tx (sent $((tx - tx0))), rx_packets $rx"
	fi
}

# A TAP on the host side, in a network namespace the host test made: the
# guest pings the namespace's address, small and fragmented (a full-size
# and a multi-frame datagram), and counts the replies.
check_tap() {
	if ! wait_for 100 test -e /sys/class/net/eth0; then
		fail tap-net-present "no eth0 after 10 s"
		return
	fi
	ip link set eth0 up
	if ! wait_for 100 grep -qx 1 /sys/class/net/eth0/carrier; then
		fail tap-link-up "no carrier after 10 s"
		return
	fi
	pass tap-link-up
	ip addr add "${uvdpa_tap_ip:-10.88.0.2}/24" dev eth0
	for size in 56 1472 4000; do
		n=$(ping -c 5 -i 0.2 -W 2 -s "$size" "${uvdpa_tap_peer:-10.88.0.1}" 2>&1 |
			sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
		if [ "${n:-0}" -ge 4 ]; then
			pass "tap-ping-$size" "$n/5 replies"
		else
			fail "tap-ping-$size" "${n:-0}/5 replies from ${uvdpa_tap_peer:-10.88.0.1}"
		fi
	done
	[ -n "$uvdpa_tap_md5" ] || return 0
	# Bulk TCP both ways (GSO frames when TSO was negotiated), checked by md5.
	url=http://${uvdpa_tap_peer:-10.88.0.1}:8080
	got=$(timeout 120 wget -q -O - "$url/blob" | md5sum | cut -d' ' -f1)
	if [ "$got" = "$uvdpa_tap_md5" ]; then pass tap-tcp-download "md5 $got"
	else fail tap-tcp-download "md5 ${got:-none}, want $uvdpa_tap_md5"; fi
	# busybox wget sends a post file as a C string: text only (no NUL)
	dd if=/dev/urandom bs=65536 count=8 2>/dev/null | od -A x -t x1 >/tmp/up
	want=$(md5sum /tmp/up | cut -d' ' -f1)
	got=$(timeout 120 wget -q -O - --post-file=/tmp/up "$url/up")
	if [ "$got" = "$want" ]; then pass tap-tcp-upload "md5 $got"
	else fail tap-tcp-upload "host md5 ${got:-none}, want $want"; fi
	f=$(cat /sys/bus/virtio/devices/virtio*/features)
	echo "GUEST features $f"
	case $(echo "$f" | cut -c2,8,12) in
	111) echo "GUEST offloads on (GUEST_CSUM GUEST_TSO4 HOST_TSO4)" ;;
	000) echo "GUEST offloads off" ;;
	*) echo "GUEST offloads mixed" ;;
	esac
}

case ",$checks," in *,blk,*) check_blk ;; esac
case ",$checks," in *,tap,*) check_tap ;; esac
case ",$checks," in *,net,*) check_net ;; esac

# The host reads the device's counters while the driver still holds the device
# (a reset ends feature negotiation, and vstats with it), then says "go".
if [ -n "$uvdpa_hostwait" ]; then
	echo "WAIT host"
	read -r -t "$uvdpa_hostwait" reply || reply=timeout
	echo "GUEST host said $reply"
fi
echo "GUEST done $(cut -d' ' -f1 /proc/uptime)s"
sync
poweroff -f
