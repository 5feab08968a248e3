#!/bin/sh
# /init of the kernel-face test guest (busybox sh, Debian's 6.12 kernel).
# Loads vdpa, vduse, virtio_vdpa, vhost_vdpa, virtio_blk, virtio_net, runs the
# checks named by uvdpa_checks= on the kernel command line and prints one line
# per check (PASS <name> [detail] / FAIL <name> <why>), then "GUEST done".
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
export PATH=/bin:/sbin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
for kv in $(cat /proc/cmdline); do
	case $kv in
	uvdpa_*=*) eval "${kv%%=*}='${kv#*=}'" ;;
	esac
done
export UVDPA_RUNDIR=/run/uvdpa

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
wait_for() { # TENTHS CMD...
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
echo "GUEST up $(cut -d' ' -f1 /proc/uptime)s kernel $(uname -r)"
while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod-$m"
done </modules.load
echo "GUEST modules $(cut -d' ' -f1 /proc/uptime)s"

check_base() {
	if [ -c /dev/vduse/control ]; then pass vduse-control; else fail vduse-control "no /dev/vduse/control"; fi
	out=$(vdpa mgmtdev show 2>&1)
	case $out in
	vduse:*) pass mgmtdev-vduse "$(echo "$out" | tr '\n' ' ')" ;;
	*) fail mgmtdev-vduse "vdpa mgmtdev show: $out" ;;
	esac
}

# same NAME ARGS...: iproute2 `vdpa ARGS` and `uvdpa --kernel ARGS` print the
# same bytes on stdout and stderr and exit the same way.
same() {
	name=$1; shift
	vdpa "$@" >/tmp/a.out 2>/tmp/a.err; ra=$?
	uvdpa --kernel "$@" >/tmp/b.out 2>/tmp/b.err; rb=$?
	# iproute2 6.1 exits 0 after printing a vstats error (uvdpa: 1), a known difference.
	case $1 in dev) [ "$2" = vstats ] && [ $ra = 0 ] && [ $rb = 1 ] && [ -s /tmp/a.err ] && rb=0 ;; esac
	if [ $ra = $rb ] && cmp -s /tmp/a.out /tmp/b.out && cmp -s /tmp/a.err /tmp/b.err; then
		pass "kernel-same/$name" "exit $ra, $(wc -c </tmp/a.out) bytes"
	else
		fail "kernel-same/$name" "vdpa exit $ra, uvdpa --kernel exit $rb"
		echo "--- vdpa $*"; cat /tmp/a.out /tmp/a.err
		echo "--- uvdpa --kernel $*"; cat /tmp/b.out /tmp/b.err
		echo "---"
	fi
}
blk_config() { # DEV
	a=$(vdpa dev config show "$1"); b=$(uvdpa --kernel dev config show "$1")
	case $b in
	"$a"capacity\ *) pass "kernel-config/$1" "vdpa: '$a', uvdpa: ${b%% blk_size*}..." ;;
	*) fail "kernel-config/$1" "vdpa: '$a', uvdpa: '$b'" ;;
	esac
}
compare_all() { # DEV blk|net
	same "$1/mgmtdev-show" mgmtdev show
	same "$1/mgmtdev-show-j" -j mgmtdev show
	same "$1/mgmtdev-show-jp" -jp mgmtdev show
	same "$1/mgmtdev-show-vduse" mgmtdev show vduse
	same "$1/dev-show" dev show
	same "$1/dev-show-name" dev show "$1"
	same "$1/dev-show-j" -j dev show
	same "$1/dev-show-jp" -jp dev show
	if [ "$2" = blk ]; then
		# iproute2 6.1 prints only the name for a block device; uvdpa prints
		# the config (a documented difference): the name line starts the same.
		blk_config "$1"
	else
		same "$1/dev-config-show" dev config show
		same "$1/dev-config-show-name" dev config show "$1"
		same "$1/dev-config-show-jp" -jp dev config show
	fi
	same "$1/dev-vstats" dev vstats show "$1" qidx 0
	same "$1/dev-show-missing" dev show nosuchdev
}

# first_disk: the name of the first virtio disk the guest has
first_disk() { ls /sys/block | grep '^vd' | head -n 1; }

# pattern_rw DISK BYTES TAG: O_DIRECT write of a pattern, drop caches, read back.
pattern_rw() {
	disk=$1 bytes=$2 tag=$3
	mb=$((bytes / 1048576))
	[ "$mb" -gt 16 ] && mb=16
	dd if=/dev/urandom of=/tmp/pat bs=1M count="$mb" 2>/dev/null
	if ! dd if=/tmp/pat of="/dev/$disk" bs=1M oflag=direct 2>/tmp/dd.err; then
		fail "$tag/write" "$(cat /tmp/dd.err)"; return
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches
	dd if="/dev/$disk" of=/tmp/back bs=1M count="$mb" iflag=direct 2>/dev/null
	if cmp -s /tmp/pat /tmp/back; then pass "$tag/readback" "$mb MiB"; else fail "$tag/readback" "data differs"; fi
	rm -f /tmp/back
}

# diskstat DISK FIELD: 12 = discards completed, 16 = flushes completed.
diskstat() { awk -v f="$2" '{ print $f }' "/sys/block/$1/stat"; }
flush_discard() {
	f0=$(diskstat "$1" 16)
	dd if=/dev/urandom of="/dev/$1" bs=4k count=1 conv=fsync 2>/dev/null
	f1=$(diskstat "$1" 16)
	if [ "${f1:-0}" -gt "${f0:-0}" ]; then pass blk-flush "flushes $f0 -> $f1"; else fail blk-flush "flushes $f0 -> $f1"; fi
	if [ "$(cat /sys/block/$1/queue/discard_max_bytes)" = 0 ]; then
		fail blk-discard "the disk takes no discards"; return
	fi
	d0=$(diskstat "$1" 12)
	if blkdiscard -o 0 -l 1048576 "/dev/$1" 2>/tmp/e; then
		d1=$(diskstat "$1" 12)
		if [ "${d1:-0}" -gt "${d0:-0}" ]; then pass blk-discard "discards $d0 -> $d1"; else fail blk-discard "discards $d0 -> $d1"; fi
	else
		fail blk-discard "blkdiscard: $(cat /tmp/e)"
	fi
}

check_qsd() {
	# A second, independent VDUSE device for the --kernel comparison; the
	# same comparisons run on uvdpa's own devices in check_blk and check_net.
	command -v qemu-storage-daemon >/dev/null ||
		{ echo "NOTE qsd: no qemu-storage-daemon on the host, check left out"; return; }
	truncate -s 16M /tmp/disk.img
	qemu-storage-daemon --blockdev driver=file,node-name=f0,filename=/tmp/disk.img \
		--export type=vduse-blk,id=vduse0,node-name=f0,name=vduse0,writable=on >/tmp/qsd.log 2>&1 &
	qsd=$!
	if ! wait_for 100 test -e /dev/vduse/vduse0; then fail qsd-up "$(cat /tmp/qsd.log)"; return; fi
	if vdpa dev add name vduse0 mgmtdev vduse; then pass qsd-vdpa-add; else fail qsd-vdpa-add "vdpa dev add failed"; fi
	wait_for 100 test -n "$(first_disk)" && pass qsd-disk "$(first_disk)"
	compare_all vduse0 blk
	vdpa dev del vduse0 || fail qsd-vdpa-del "vdpa dev del failed"
	kill $qsd; wait $qsd
}

uvdpad_up() { # [UVDPAD OPTIONS] (default: --vduse)
	uvdpad ${*:---vduse} -v -v >/tmp/uvdpad.log 2>&1 &
	uvdpad_pid=$!
	wait_for 100 test -S /run/uvdpa/uvdpa.sock || { fail uvdpad-up "$(cat /tmp/uvdpad.log)"; return 1; }
}
uvdpad_down() {
	kill $uvdpad_pid; wait $uvdpad_pid
	r=$?
	if [ $r = 0 ]; then pass uvdpad-exit; else fail uvdpad-exit "exit $r: $(tail -n 5 /tmp/uvdpad.log)"; fi
}

check_blk() {
	uvdpad_up || return
	if ! uvdpa dev add name ublk mgmtdev vdpasim_blk 2>/tmp/e; then fail blk-uvdpa-add "$(cat /tmp/e)"; return; fi
	out=$(uvdpa dev show ublk)
	case $out in *" vduse /dev/vduse/ublk"*) pass blk-uvdpa-add "$out" ;; *) fail blk-uvdpa-add "dev show: $out" ;; esac
	wait_for 50 test -e /dev/vduse/ublk || { fail blk-vduse-node "no /dev/vduse/ublk: $(tail -n 5 /tmp/uvdpad.log)"; return; }
	if ! vdpa dev add name ublk mgmtdev vduse 2>/tmp/e; then fail blk-vdpa-add "$(cat /tmp/e)"; return; fi
	pass blk-vdpa-add "$(vdpa dev show ublk)"
	if wait_for 100 test -n "$(first_disk)"; then
		d=$(first_disk)
		pass blk-disk "$d $(cat /sys/block/$d/size) sectors"
		pattern_rw "$d" $(( $(cat /sys/block/$d/size) * 512 )) blk
		flush_discard "$d"
	else
		fail blk-disk "no /sys/block/vd*: $(tail -n 5 /tmp/uvdpad.log)"
	fi
	compare_all ublk blk
	if vdpa dev del ublk; then pass blk-vdpa-del; else fail blk-vdpa-del "vdpa dev del failed"; fi
	if uvdpa dev del ublk 2>/tmp/e; then pass blk-uvdpa-del; else fail blk-uvdpa-del "$(cat /tmp/e)"; fi
	[ ! -e /dev/vduse/ublk ] && pass blk-vduse-gone || fail blk-vduse-gone "/dev/vduse/ublk still there"
	uvdpad_down
}

netstat_of() { cat "/sys/class/net/$net_if/statistics/$1"; }
# vstat DEV QIDX "NAME WORDS": one vendor counter from uvdpa dev vstats show.
vstat() {
	uvdpa dev vstats show "$1" qidx "$2" |
		awk -v k="$3" '{ for (i = 1; i <= NF; i++) {
			if ($i " " $(i + 1) == k) { print $(i + 2); exit } } }'
}
if_with_mac() {
	for n in /sys/class/net/*; do
		[ "$(cat "$n/address")" = "$1" ] && { basename "$n"; return 0; }
	done
	return 1
}
has_if() { if_with_mac "$1" >/dev/null; }

check_net() {
	mac=52:54:00:12:34:56
	uvdpad_up || return
	if ! uvdpa dev add name unet mgmtdev vdpasim_net mac $mac 2>/tmp/e; then fail net-uvdpa-add "$(cat /tmp/e)"; return; fi
	out=$(uvdpa -j dev show unet)
	case $out in *'"vduse":"/dev/vduse/unet","vduse_without":"CTRL_VQ,'*) pass net-uvdpa-add "$out" ;; *) fail net-uvdpa-add "dev show -j: $out" ;; esac
	if ! vdpa dev add name unet mgmtdev vduse 2>/tmp/e; then fail net-vdpa-add "$(cat /tmp/e)"; return; fi
	pass net-vdpa-add "$(vdpa dev show unet)"
	if ! wait_for 100 has_if $mac; then fail net-if "no interface with $mac"; return; fi
	net_if=$(if_with_mac $mac)
	pass net-if "$net_if"
	ip link set "$net_if" up
	if wait_for 100 grep -qx 1 "/sys/class/net/$net_if/carrier"; then pass net-carrier; else fail net-carrier "no carrier"; fi
	ip addr add 10.0.0.1/24 dev "$net_if"
	# A neighbour whose MAC is our own: the simulator loops frames straight back.
	arp -i "$net_if" -s 10.0.0.2 $mac || fail net-neighbour "arp -s failed"
	tx0=$(netstat_of tx_packets)
	ping -c 20 -i 0.05 -W 1 10.0.0.2 >/dev/null 2>&1
	ping -c 20 -i 0.05 -W 1 -s 1472 10.0.0.2 >/dev/null 2>&1
	sleep 1
	tx=$(netstat_of tx_packets) rx=$(netstat_of rx_packets)
	if [ $((tx - tx0)) -ge 40 ] && [ "$rx" = "$tx" ]; then
		pass net-loopback "tx_packets $tx = rx_packets $rx"
	else
		fail net-loopback "tx_packets $tx (sent $((tx - tx0))), rx_packets $rx"
	fi
	dtx=$(vstat unet 1 "tx packets") drx=$(vstat unet 0 "rx packets")
	if [ "$dtx" = "$tx" ] && [ "$drx" = "$rx" ]; then
		pass net-vstats "device tx $dtx rx $drx = interface counters"
	else
		fail net-vstats "device tx ${dtx:-?} rx ${drx:-?}, interface tx $tx rx $rx"
	fi
	# VDUSE has no vendor stats: the kernel's answer and ours, side by side.
	k=$(vdpa dev vstats show unet qidx 0 2>&1)
	pass net-kernel-vstats "vdpa (kernel): $k | uvdpa: $(uvdpa dev vstats show unet qidx 0 | tr '\n' ' ')"
	compare_all unet net
	if vdpa dev del unet; then pass net-vdpa-del; else fail net-vdpa-del "vdpa dev del failed"; fi
	if uvdpa dev del unet 2>/tmp/e; then pass net-uvdpa-del; else fail net-uvdpa-del "$(cat /tmp/e)"; fi
	uvdpad_down
}

# The file-backed parent through VDUSE: what the guest writes lands in the file.
check_blkfile() {
	uvdpad_up || return
	truncate -s 32M /tmp/backing.img
	if ! uvdpa dev add name fblk mgmtdev blk_file path /tmp/backing.img 2>/tmp/e; then
		fail blkfile-add "$(cat /tmp/e)"; uvdpad_down; return
	fi
	pass blkfile-add "$(uvdpa dev show fblk)"
	vdpa dev add name fblk mgmtdev vduse || { fail blkfile-vdpa-add; uvdpad_down; return; }
	if wait_for 100 test -n "$(first_disk)"; then
		d=$(first_disk)
		pattern_rw "$d" 16777216 blkfile
		if cmp -s -n 16777216 /tmp/pat /tmp/backing.img; then
			pass blkfile-in-file "the backing file holds the pattern"
		else
			fail blkfile-in-file "the backing file differs from what the guest wrote"
		fi
	else
		fail blkfile-disk "no disk: $(tail -n 5 /tmp/uvdpad.log)"
	fi
	vdpa dev del fblk || fail blkfile-vdpa-del
	uvdpa dev del fblk || fail blkfile-uvdpa-del
	uvdpad_down
}

# vhost_vdpa instead of virtio_vdpa: the probe program speaks its ioctls.
check_vhost() {
	probe_arg=${1:-}
	uvdpad_up || return
	uvdpa dev add name vblk mgmtdev vdpasim_blk || { fail vhost-uvdpa-add; return; }
	echo 0 >/sys/bus/vdpa/drivers_autoprobe
	vdpa dev add name vblk mgmtdev vduse || { fail vhost-vdpa-add; return; }
	echo vhost_vdpa >/sys/bus/vdpa/devices/vblk/driver_override
	echo vblk >/sys/bus/vdpa/drivers_probe
	echo 1 >/sys/bus/vdpa/drivers_autoprobe
	vhost_node() { ls /sys/bus/vdpa/devices/vblk/ | grep '^vhost-vdpa-' | head -n 1; }
	if ! wait_for 50 test -n "$(vhost_node)"; then
		d=$(ls /sys/bus/vdpa/devices/vblk/ | tr '\n' ' ')
		fail vhost-bind "no vhost-vdpa-N under vblk: $d"
	else
		vnode=$(vhost_node)
		pass vhost-bind "$vnode, driver $(basename "$(readlink /sys/bus/vdpa/devices/vblk/driver)")"
		wait_for 50 test -c "/dev/$vnode"
		vhost_vdpa_probe "/dev/$vnode" 2 $probe_arg
		if [ "$probe_arg" = shrink ]; then
			if grep -q 'memory behind the kernel.s IOTLB vanished' /tmp/uvdpad.log; then
				pass vhost-sigbus-contained "$(grep -m1 vanished /tmp/uvdpad.log)"
			else
				fail vhost-sigbus-contained "no fault reported: $(tail -n 3 /tmp/uvdpad.log)"
			fi
		fi
	fi
	if uvdpa dev show vblk >/dev/null; then pass vhost-uvdpad-alive; else fail vhost-uvdpad-alive "uvdpad gone"; fi
	vdpa dev del vblk || fail vhost-vdpa-del
	uvdpa dev del vblk || fail vhost-uvdpa-del
	uvdpad_down
}

# The vhost-vdpa user shrinks the file behind a ring the device reads: the
# SIGBUS guard must contain it (a separate meson test: it needs the device
# workers to leave SIGBUS unblocked).
check_shrink() { check_vhost shrink; }

# Hostile: the kernel resets the device (unbinding virtio_vdpa) while I/O
# runs, and the uvdpa device is deleted before the kernel's.
check_hostile() {
	uvdpad_up || return
	uvdpa dev add name hblk mgmtdev vdpasim_blk || { fail hostile-add; return; }
	vdpa dev add name hblk mgmtdev vduse || { fail hostile-vdpa-add; return; }
	wait_for 100 test -n "$(first_disk)" || { fail hostile-disk "no disk"; return; }
	d=$(first_disk)
	( while :; do dd if=/dev/zero of=/dev/$d bs=64k count=256 oflag=direct 2>/dev/null || break; done ) &
	io=$!
	sleep 1
	echo hblk >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
	kill $io 2>/dev/null; wait $io 2>/dev/null
	if uvdpa dev show hblk >/dev/null; then pass hostile-unbind-mid-io "uvdpad alive"; else fail hostile-unbind-mid-io "uvdpad gone"; fi
	echo hblk >/sys/bus/vdpa/drivers/virtio_vdpa/bind
	if wait_for 100 test -n "$(first_disk)"; then
		pattern_rw "$(first_disk)" 4194304 hostile-rebound
	else
		fail hostile-rebound "no disk after binding again"
	fi
	# The uvdpa device goes first: VDUSE says EBUSY, the face keeps answering.
	uvdpa dev del hblk 2>/tmp/e || fail hostile-del-first "$(cat /tmp/e)"
	if [ -e /dev/vduse/hblk ]; then pass hostile-orphan-kept "/dev/vduse/hblk stays while the kernel holds it"; else fail hostile-orphan-kept "gone under the kernel"; fi
	if vdpa dev del hblk; then pass hostile-vdpa-del; else fail hostile-vdpa-del "vdpa dev del failed"; fi
	if wait_for 50 test ! -e /dev/vduse/hblk; then pass hostile-orphan-destroyed; else fail hostile-orphan-destroyed "/dev/vduse/hblk left"; fi
	grep -q 'still exists' /tmp/uvdpad.log && pass hostile-ebusy-reported "$(grep 'still exists' /tmp/uvdpad.log | head -n 1)"
	uvdpad_down
}

# Errors: uvdpad --vduse without the VDUSE module says so and keeps nothing.
check_errors() {
	uvdpad_up || return
	# No VDUSE module: a clear error, and no device left on uvdpa's bus.
	if rmmod vduse; then
		out=$(uvdpa dev add name e0 mgmtdev vdpasim_blk 2>&1)
		case $out in *"/dev/vduse/control"*) pass err-no-vduse "$out" ;; *) fail err-no-vduse "$out" ;; esac
		uvdpa dev show e0 >/dev/null 2>&1 && fail err-no-vduse-nothing-left "e0 exists" || pass err-no-vduse-nothing-left
		insmod /lib/modules/vduse.ko || fail err-reload-vduse
	else
		fail err-no-vduse "rmmod vduse failed"
	fi
	uvdpa dev add name e1 mgmtdev vdpasim_blk || fail err-add-after-reload
	# name taken on the kernel's side: a VDUSE device made by someone else
	truncate -s 1M /tmp/d2.img
	if command -v qemu-storage-daemon >/dev/null; then
		qemu-storage-daemon --blockdev driver=file,node-name=f0,filename=/tmp/d2.img \
			--export type=vduse-blk,id=x,node-name=f0,name=taken,writable=on >/dev/null 2>&1 &
		q=$!
		wait_for 100 test -e /dev/vduse/taken
		out=$(uvdpa dev add name taken mgmtdev vdpasim_blk 2>&1)
		case $out in *exists*) pass err-name-taken "$out" ;; *) fail err-name-taken "$out" ;; esac
		uvdpa dev show taken >/dev/null 2>&1 && fail err-nothing-left "device taken exists" || pass err-nothing-left
		kill $q; wait $q
	fi
	uvdpa dev del e1
	uvdpad_down
}

# net_tap (TAP-backed) through VDUSE: frames the kernel's virtio_net sends
# come out of the TAP, frames sent into the TAP reach the virtio_net
# interface. (virtio_net's probe holds rtnl_lock while it waits for DRIVER_OK,
# and net_tap's start takes it: uvdpad starts the device after answering.)
check_tap() {
	mac=52:54:00:12:34:77
	uvdpad_up || return
	if ! uvdpa dev add name utap mgmtdev net_tap tap utap0 mac $mac 2>/tmp/e; then
		fail tap-uvdpa-add "$(cat /tmp/e)"; uvdpad_down; return
	fi
	out=$(uvdpa -j dev show utap)
	case $out in *'"vduse":"/dev/vduse/utap"'*) pass tap-uvdpa-add "$out" ;; *) fail tap-uvdpa-add "$out" ;; esac
	vdpa dev add name utap mgmtdev vduse 2>/tmp/e || { fail tap-vdpa-add "$(cat /tmp/e)"; uvdpad_down; return; }
	if ! wait_for 100 has_if $mac; then fail tap-if "no interface with $mac"; uvdpad_down; return; fi
	net_if=$(if_with_mac $mac)
	pass tap-if "$net_if over utap0"
	ip link set utap0 up
	ip link set "$net_if" up
	ip addr add 10.0.1.1/24 dev "$net_if"
	tapmac=$(cat /sys/class/net/utap0/address)
	arp -i "$net_if" -s 10.0.1.2 "$tapmac" || fail tap-neighbour "arp -s failed"
	rx0=$(cat /sys/class/net/utap0/statistics/rx_packets)
	ping -c 10 -i 0.05 -W 1 10.0.1.2 >/dev/null 2>&1
	sleep 1
	rx1=$(cat /sys/class/net/utap0/statistics/rx_packets)
	if [ $((rx1 - rx0)) -ge 10 ]; then pass tap-virtio-to-tap "utap0 rx_packets $rx0 -> $rx1"; else fail tap-virtio-to-tap "utap0 rx_packets $rx0 -> $rx1"; fi
	# The other way: ARP requests sent into utap0 reach the virtio_net
	# interface (no reply: in one namespace the kernel takes 10.0.1.2 as a
	# martian source). utap0 gets an address (/32, no route) to send from.
	ip addr add 10.0.1.2/32 dev utap0
	erx0=$(netstat_of rx_packets)
	arping -I utap0 -c 3 -w 5 10.0.1.1 >/dev/null 2>&1
	sleep 1
	erx1=$(netstat_of rx_packets)
	if [ $((erx1 - erx0)) -ge 3 ]; then pass tap-tap-to-virtio "$net_if rx_packets $erx0 -> $erx1"; else fail tap-tap-to-virtio "$net_if rx_packets $erx0 -> $erx1"; fi
	vdpa dev del utap || fail tap-vdpa-del
	uvdpa dev del utap 2>/tmp/e || fail tap-uvdpa-del "$(cat /tmp/e)"
	[ ! -e /sys/class/net/utap0 ] && pass tap-gone || fail tap-gone "utap0 left"
	uvdpad_down
}

# Per device: `uvdpa dev add ... vduse on|off`, with and without uvdpad -K,
# kept across a restart (the state file), refused cleanly without VDUSE.
has_node() { test -e "/dev/vduse/$1"; }
shows_vduse() { uvdpa dev show "$1" | grep -q " vduse /dev/vduse/$1"; }
check_export() {
	uvdpad_up -S /tmp/state || return
	uvdpa dev add name pe mgmtdev vdpasim_blk vduse on 2>/tmp/e || { fail export-on "$(cat /tmp/e)"; uvdpad_down; return; }
	uvdpa dev add name pn mgmtdev vdpasim_blk 2>/tmp/e || fail export-default-add "$(cat /tmp/e)"
	if has_node pe && shows_vduse pe && uvdpa -j dev show pe | grep -q '"vduse":"/dev/vduse/pe"'; then
		pass export-on "$(uvdpa dev show pe)"
	else
		fail export-on "node: $(ls /dev/vduse | tr '\n' ' '), dev show: $(uvdpa dev show pe)"
	fi
	if ! has_node pn && ! shows_vduse pn; then pass export-default-off "without -K: $(uvdpa dev show pn)"; else fail export-default-off "pn exported"; fi
	vdpa dev add name pe mgmtdev vduse || fail export-vdpa-add
	if wait_for 100 test -n "$(first_disk)"; then pattern_rw "$(first_disk)" 4194304 export; else fail export-disk "no disk"; fi
	vdpa dev del pe || fail export-vdpa-del
	grep -q '212=1' /tmp/state && pass export-state "$(grep '^dev pe' /tmp/state)" || fail export-state "$(cat /tmp/state)"
	uvdpad_down
	if ! has_node pe; then pass export-gone-with-daemon; else fail export-gone-with-daemon "/dev/vduse/pe left"; fi
	# The state file brings the choice back.
	uvdpad_up -S /tmp/state || return
	if wait_for 50 has_node pe && shows_vduse pe && ! has_node pn && ! shows_vduse pn; then
		pass export-restart "pe exported again, pn not"
	else
		fail export-restart "nodes: $(ls /dev/vduse | tr '\n' ' '); $(uvdpa dev show | tr '\n' ' ')"
	fi
	uvdpa dev del pe; uvdpa dev del pn
	# Name taken on the kernel's side: a clear error, nothing left on either side.
	if command -v qemu-storage-daemon >/dev/null; then
		truncate -s 1M /tmp/d3.img
		qemu-storage-daemon --blockdev driver=file,node-name=f0,filename=/tmp/d3.img \
			--export type=vduse-blk,id=x,node-name=f0,name=ptaken,writable=on >/dev/null 2>&1 &
		q=$!
		wait_for 100 test -e /dev/vduse/ptaken
		out=$(uvdpa dev add name ptaken mgmtdev vdpasim_blk vduse on 2>&1)
		case $out in *'VDUSE device named "ptaken" exists already'*) pass export-name-taken "$out" ;; *) fail export-name-taken "$out" ;; esac
		uvdpa dev show ptaken >/dev/null 2>&1 && fail export-name-taken-nothing-left "ptaken exists" || pass export-name-taken-nothing-left
		kill $q; wait $q
	fi
	# No VDUSE module: refused with the reason, nothing left; without it the add works.
	if rmmod vduse; then
		out=$(uvdpa dev add name pm mgmtdev vdpasim_blk vduse on 2>&1)
		case $out in *"no /dev/vduse/control"*) pass export-no-vduse "$out" ;; *) fail export-no-vduse "$out" ;; esac
		uvdpa dev show pm >/dev/null 2>&1 && fail export-no-vduse-nothing-left "pm exists" || pass export-no-vduse-nothing-left
		uvdpa dev add name pm mgmtdev vdpasim_blk && pass export-no-vduse-plain-add || fail export-no-vduse-plain-add
		uvdpa dev del pm
		insmod /lib/modules/vduse.ko || fail export-reload-vduse
	else
		fail export-no-vduse "rmmod vduse failed"
	fi
	uvdpad_down
	# -K is the default; "vduse off" keeps one device off the kernel's bus.
	uvdpad_up --vduse --no-state || return
	uvdpa dev add name po mgmtdev vdpasim_blk vduse off 2>/tmp/e || fail export-off-add "$(cat /tmp/e)"
	uvdpa dev add name pk mgmtdev vdpasim_blk 2>/tmp/e || fail export-k-add "$(cat /tmp/e)"
	if ! has_node po && ! shows_vduse po && has_node pk && shows_vduse pk; then
		pass export-off-with-K "po not exported, pk exported"
	else
		fail export-off-with-K "nodes: $(ls /dev/vduse | tr '\n' ' ')"
	fi
	uvdpa dev del po; uvdpa dev del pk
	uvdpad_down
}

# One driver at a time: a vhost-user front end is refused while the kernel's
# virtio_vdpa drives the device, and the kernel while the front end does.
check_claim() {
	uvdpad_up || return
	sock=/run/uvdpa/vhost/cblk.sock
	uvdpa dev add name cblk mgmtdev vdpasim_blk || { fail claim-add; uvdpad_down; return; }
	vdpa dev add name cblk mgmtdev vduse || { fail claim-vdpa-add; uvdpad_down; return; }
	wait_for 100 test -n "$(first_disk)" || { fail claim-disk "no disk"; uvdpad_down; return; }
	out=$(vhost_user_hold $sock 0 2>&1); r=$?
	if [ $r = 3 ] && grep -q 'refused a front end: the device is driven by the kernel (VDUSE)' /tmp/uvdpad.log; then
		pass claim-vhost-refused "$out; $(grep -m1 'refused a front end' /tmp/uvdpad.log)"
	else
		fail claim-vhost-refused "exit $r: $out"
	fi
	pattern_rw "$(first_disk)" 4194304 claim-kernel-unharmed
	# The kernel lets go (unbind resets the device); the front end takes it.
	echo cblk >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
	wait_for 50 test -z "$(first_disk)" || fail claim-unbind "disk still there"
	vhost_user_hold $sock 10 >/tmp/hold.out 2>&1 &
	hold=$!
	if wait_for 100 grep -q 'HOLD driving' /tmp/hold.out; then pass claim-vhost-drives; else fail claim-vhost-drives "$(cat /tmp/hold.out)"; fi
	echo cblk >/sys/bus/vdpa/drivers/virtio_vdpa/bind 2>/dev/null
	sleep 2
	if [ -z "$(first_disk)" ] && grep -q "the kernel's driver refused: the device is driven by a vhost-user front end" /tmp/uvdpad.log; then
		pass claim-kernel-refused "$(grep -m1 "kernel's driver refused" /tmp/uvdpad.log)"
	else
		fail claim-kernel-refused "disk: $(first_disk); $(tail -n 3 /tmp/uvdpad.log)"
	fi
	wait $hold; r=$?
	if [ $r = 0 ] && grep -q 'HOLD done' /tmp/hold.out; then pass claim-vhost-unharmed "the front end finished its hold"; else fail claim-vhost-unharmed "exit $r: $(cat /tmp/hold.out)"; fi
	# Free again: the kernel's driver binds and drives.
	[ -e /sys/bus/vdpa/devices/cblk/driver ] && echo cblk >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
	echo cblk >/sys/bus/vdpa/drivers/virtio_vdpa/bind
	if wait_for 100 test -n "$(first_disk)"; then pattern_rw "$(first_disk)" 4194304 claim-kernel-after; else fail claim-kernel-after "no disk"; fi
	vdpa dev del cblk || fail claim-vdpa-del
	uvdpa dev del cblk || fail claim-uvdpa-del
	uvdpad_down
}

# A uvdpad that dies (SIGKILL) and comes back with its state file takes its
# VDUSE devices over: the kernel's driver sees a delay, not an error.
# uvdpad_again ARGS...: starts uvdpad (its log appended to /tmp/uvdpad-all.log).
uvdpad_again() {
	cat /tmp/uvdpad.log >>/tmp/uvdpad-all.log 2>/dev/null
	uvdpad "$@" -v -v >/tmp/uvdpad.log 2>&1 &
	uvdpad_pid=$!
}
uvdpad_kill9() { kill -9 $uvdpad_pid; wait $uvdpad_pid 2>/dev/null; }
taken_over() { grep -q "$1: VDUSE device taken over" /tmp/uvdpad.log; }
# show_all DEV: what uvdpa shows of a device, to compare across a restart.
show_all() { uvdpa dev show "$1"; uvdpa -j dev show "$1"; uvdpa dev config show "$1"; }
# restart_writer DISK: O_DIRECT passes of two patterns in turn, each read
# back and compared, until /tmp/rw.stop appears; counts in /tmp/rw.*.
restart_writer() {
	n=0
	: >/tmp/rw.err
	while [ ! -e /tmp/rw.stop ]; do
		p=/tmp/rpat$((n % 2))
		dd if=$p of="/dev/$1" bs=64k oflag=direct 2>/tmp/rw.dd || echo "pass $n: write: $(cat /tmp/rw.dd)" >>/tmp/rw.err
		dd if="/dev/$1" of=/tmp/rback bs=64k count=64 iflag=direct 2>/tmp/rw.dd || echo "pass $n: read: $(cat /tmp/rw.dd)" >>/tmp/rw.err
		cmp -s $p /tmp/rback || echo "pass $n: data differs" >>/tmp/rw.err
		n=$((n + 1))
		echo $n >/tmp/rw.passes
	done
}
passes() { cat /tmp/rw.passes 2>/dev/null || echo 0; }
passes_over() { [ "$(passes)" -gt "$1" ]; }
check_restart() {
	rm -f /tmp/rstate /tmp/rw.stop /tmp/rw.passes
	truncate -s 8M /tmp/rback.img
	dd if=/dev/urandom of=/tmp/rpat0 bs=64k count=64 2>/dev/null
	dd if=/dev/urandom of=/tmp/rpat1 bs=64k count=64 2>/dev/null
	uvdpad_up --vduse -S /tmp/rstate || return
	uvdpa dev add name rblk mgmtdev blk_file path /tmp/rback.img 2>/tmp/e || { fail restart-add "$(cat /tmp/e)"; uvdpad_down; return; }
	vdpa dev add name rblk mgmtdev vduse || { fail restart-vdpa-add; uvdpad_down; return; }
	wait_for 100 test -n "$(first_disk)" || { fail restart-disk "no disk"; uvdpad_down; return; }
	d=$(first_disk)
	[ -f /run/uvdpa/vduse/rblk.vduse ] && pass restart-record "$(wc -c </run/uvdpa/vduse/rblk.vduse) bytes" || fail restart-record "no /run/uvdpa/vduse/rblk.vduse"
	show_all rblk >/tmp/show0
	restart_writer "$d" &
	writer=$!
	# Three SIGKILLs, then a clean stop (SIGTERM): with a state file the
	# kernel's device is kept for the next start the same way.
	for k in 1 2 3 4; do
		p0=$(passes)
		wait_for 100 passes_over $((p0 + 1)) || fail "restart-$k-io" "no pass done before the kill (passes $(passes))"
		sleep 0.$k
		if [ $k = 4 ]; then
			kill $uvdpad_pid; wait $uvdpad_pid
			r=$?
			grep -q 'VDUSE device rblk kept: .*the next uvdpad takes it over' /tmp/uvdpad.log && [ $r = 0 ] && pass restart-sigterm-kept || fail restart-sigterm-kept "exit $r: $(tail -n 3 /tmp/uvdpad.log)"
		else
			uvdpad_kill9
		fi
		uvdpad_again --vduse -S /tmp/rstate
		if wait_for 100 taken_over rblk; then
			pass "restart-$k-taken-over" "$(grep -m1 'taken over' /tmp/uvdpad.log)"
		else
			fail "restart-$k-taken-over" "$(tail -n 5 /tmp/uvdpad.log)"
		fi
		p1=$(passes)
		if wait_for 150 passes_over $((p1 + 1)); then
			pass "restart-$k-io-goes-on" "passes $p0 -> $p1 -> $(passes)"
		else
			fail "restart-$k-io-goes-on" "passes $p0 -> $p1 -> $(passes); $(tail -n 3 /tmp/uvdpad.log)"
		fi
	done
	touch /tmp/rw.stop
	wait $writer
	if [ ! -s /tmp/rw.err ]; then pass restart-no-io-error "$(passes) verified passes across 3 SIGKILLs and a SIGTERM"; else fail restart-no-io-error "$(head -n 5 /tmp/rw.err)"; fi
	grep -q 'resubmitting' /tmp/uvdpad-all.log /tmp/uvdpad.log && echo "NOTE restart: $(cat /tmp/uvdpad-all.log /tmp/uvdpad.log | grep -c resubmitting) queue(s) resubmitted chains"
	dmesg | grep -q 'I/O error' && fail restart-kernel-io-error "$(dmesg | grep -m3 'I/O error')" || pass restart-kernel-no-io-error
	show_all rblk >/tmp/show1
	if cmp -s /tmp/show0 /tmp/show1; then pass restart-dev-show-same "$(head -n 1 /tmp/show1)"; else fail restart-dev-show-same "before: $(cat /tmp/show0) after: $(cat /tmp/show1)"; fi
	# Kicks sent while nobody listens are lost (the kernel signals the dead
	# daemon's eventfd): a write posted while uvdpad is stopped, then killed,
	# completes only because the next one polls every ring once.
	kill -STOP $uvdpad_pid
	dd if=/tmp/rpat1 of="/dev/$d" bs=64k count=16 oflag=direct 2>/tmp/lk.err &
	ddp=$!
	sleep 1
	uvdpad_kill9
	uvdpad_again --vduse -S /tmp/rstate
	wait_for 100 taken_over rblk || fail restart-lost-kick-taken-over "$(tail -n 3 /tmp/uvdpad.log)"
	if wait_for 100 eval '! kill -0 $ddp 2>/dev/null' && wait $ddp; then
		dd if="/dev/$d" of=/tmp/rback bs=64k count=16 iflag=direct 2>/dev/null
		head -c 1048576 /tmp/rpat1 | cmp -s - /tmp/rback && pass restart-lost-kick "posted while uvdpad was stopped, done by the next one" ||
			fail restart-lost-kick "data differs"
	else
		fail restart-lost-kick "the write posted while uvdpad was stopped never completed: $(cat /tmp/lk.err)"
	fi
	# Refused takeovers leave the kernel's device alone and uvdpad running.
	uvdpad_kill9
	rec=/run/uvdpa/vduse/rblk.vduse
	cp $rec /tmp/rec.good
	restart_refused() { # TAG WANT UVDPAD-ARGS...
		tag=$1 want=$2; shift 2
		uvdpad_again "$@"
		wait_for 100 grep -q "rblk" /tmp/uvdpad.log
		wait_for 100 test -S /run/uvdpa/uvdpa.sock
		sleep 0.5
		if grep -q "$want" /tmp/uvdpad.log && uvdpa dev show >/dev/null 2>&1 && kill -0 $uvdpad_pid; then
			pass "restart-refused-$tag" "$(grep -m1 "$want" /tmp/uvdpad.log)"
		else
			fail "restart-refused-$tag" "$(tail -n 5 /tmp/uvdpad.log)"
		fi
		uvdpad_down
		[ -e /dev/vduse/rblk ] || fail "restart-refused-$tag-kept" "the kernel's device went"
	}
	# A device other than the kernel's (vdpasim_blk's config space): mismatch.
	uvdpad_again --vduse --no-state
	wait_for 100 test -S /run/uvdpa/uvdpa.sock; sleep 0.3
	out=$(uvdpa dev add name rblk mgmtdev vdpasim_blk 2>&1)
	case $out in
	*'exists already; not taken over: its record'*) pass restart-refused-mismatch "$out" ;;
	*) fail restart-refused-mismatch "$out" ;;
	esac
	uvdpa dev show >/dev/null 2>&1 && kill -0 $uvdpad_pid && pass restart-mismatch-uvdpad-lives || fail restart-mismatch-uvdpad-lives
	uvdpad_down
	head -c 1000 /tmp/rec.good >$rec
	restart_refused truncated "its record .*bytes" --vduse -S /tmp/rstate
	cp /tmp/rec.good $rec; printf 'garbage!' | dd of=$rec conv=notrunc 2>/dev/null
	restart_refused garbage "not a uvdpa VDUSE record" --vduse -S /tmp/rstate
	cp /tmp/rec.good $rec; printf '12345678' | dd of=$rec bs=1 seek=64 conv=notrunc 2>/dev/null
	restart_refused stale "left by another VDUSE device of that name" --vduse -S /tmp/rstate
	# The good record again: taken over, the disk works.
	cp /tmp/rec.good $rec
	uvdpad_again --vduse -S /tmp/rstate
	if wait_for 100 taken_over rblk; then pass restart-after-refusals "$(grep -m1 'taken over' /tmp/uvdpad.log)"; else fail restart-after-refusals "$(tail -n 5 /tmp/uvdpad.log)"; fi
	wait_for 100 test -S /run/uvdpa/uvdpa.sock
	pattern_rw "$d" 4194304 restart-after
	if vdpa dev del rblk; then pass restart-vdpa-del; else fail restart-vdpa-del "vdpa dev del failed"; fi
	if uvdpa dev del rblk 2>/tmp/e; then pass restart-uvdpa-del; else fail restart-uvdpa-del "$(cat /tmp/e)"; fi
	[ ! -e /dev/vduse/rblk ] && [ ! -e $rec ] && pass restart-all-gone || fail restart-all-gone "$(ls /dev/vduse /run/uvdpa/vduse | tr '\n' ' ')"
	uvdpad_down
	rm -f /tmp/rback.img /tmp/rback /tmp/rpat0 /tmp/rpat1
}

# The same for net (vdpasim_net): frames to the interface's own MAC keep
# looping back after each restart; no receive buffer is lost.
check_netrestart() {
	mac=52:54:00:12:34:57
	uvdpad_up --vduse -S /tmp/nstate || return
	uvdpa dev add name rnet mgmtdev vdpasim_net mac $mac 2>/tmp/e || { fail netre-add "$(cat /tmp/e)"; uvdpad_down; return; }
	vdpa dev add name rnet mgmtdev vduse || { fail netre-vdpa-add; uvdpad_down; return; }
	wait_for 100 has_if $mac || { fail netre-if "no interface with $mac"; uvdpad_down; return; }
	net_if=$(if_with_mac $mac)
	ip link set "$net_if" up
	ip addr add 10.0.1.1/24 dev "$net_if"
	arp -i "$net_if" -s 10.0.1.2 $mac
	show_all rnet >/tmp/show0
	for k in 0 1 2; do
		if [ $k -gt 0 ]; then
			# frames in flight while it dies
			ping -c 200 -i 0.01 -W 1 10.0.1.2 >/dev/null 2>&1 &
			pp=$!
			sleep 0.3
			uvdpad_kill9
			uvdpad_again --vduse -S /tmp/nstate
			wait_for 100 taken_over rnet || fail "netre-$k-taken-over" "$(tail -n 5 /tmp/uvdpad.log)"
			wait $pp
		fi
		rx0=$(netstat_of rx_packets)
		ping -c 300 -i 0.01 -W 1 -s 1000 10.0.1.2 >/dev/null 2>&1
		sleep 0.5
		rx=$(netstat_of rx_packets)
		if [ $((rx - rx0)) -ge 300 ]; then
			pass "netre-$k-loopback" "$((rx - rx0)) frames looped back"
		else
			fail "netre-$k-loopback" "rx_packets $rx0 -> $rx for 300 frames sent"
		fi
	done
	show_all rnet >/tmp/show1
	if cmp -s /tmp/show0 /tmp/show1; then pass netre-dev-show-same; else fail netre-dev-show-same "before: $(cat /tmp/show0) after: $(cat /tmp/show1)"; fi
	vdpa dev del rnet || fail netre-vdpa-del
	uvdpa dev del rnet 2>/tmp/e || fail netre-uvdpa-del "$(cat /tmp/e)"
	[ ! -e /dev/vduse/rnet ] && [ ! -e /run/uvdpa/vduse/rnet.vduse ] && pass netre-all-gone || fail netre-all-gone "$(ls /dev/vduse /run/uvdpa/vduse | tr '\n' ' ')"
	uvdpad_down
}

dump_log() { echo "--- uvdpad log"; tail -n 40 /tmp/uvdpad.log; echo "---"; }

# A check the kernel hangs on must still end the run with what it knows.
( sleep "${uvdpa_watchdog:-240}"; echo "FAIL watchdog no end after ${uvdpa_watchdog:-240} s"
  dump_log; dmesg | tail -n 30; echo "GUEST done (watchdog)"
  echo o >/proc/sysrq-trigger; poweroff -f ) &

for c in $(echo "${uvdpa_checks:-base}" | tr ',' ' '); do
	echo "GUEST check $c $(cut -d' ' -f1 /proc/uptime)s"
	"check_$c"
done
[ -n "${uvdpa_dumplog:-}" ] && dump_log
echo "GUEST done $(cut -d' ' -f1 /proc/uptime)s"
sync
poweroff -f
