#!/usr/bin/env bash
# End-to-end test with a real Linux guest: QEMU (TCG) boots Debian's kernel with a
# busybox initramfs; its virtio-blk (vhost-user-blk-pci) and virtio-net
# (-netdev vhost-user) drive a blk and a net device over vhost-user, once with
# split rings and once with packed=on. The guest checks the disk (capacity,
# whole-disk write/read-back, flush, discard) and the net loopback (every frame
# sent to its own MAC comes back); the host compares the device's counters.
#
#   qemu-guest.sh [--backend uvdpa|stock] [--rings split,packed] [--blk vdpasim_blk|blk_file]
#
# Back ends: uvdpa (default): uvdpad + `uvdpa dev add` vdpasim_blk/vdpasim_net;
#   --blk blk_file: the disk is a blk_file device on a sparse file instead.
#   stock: qemu-storage-daemon's vhost-user-blk export and DPDK's vhost PMD in
#   testpmd io-forward mode (a loopback), to show the harness itself works.
# Environment: UVDPAD, UVDPA (binaries), BACKEND, PEERS_KEEP=1 keeps the scratch dir,
# PEERS_QEMU_TIMEOUT (seconds per guest run, default 300).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

backend=${BACKEND:-uvdpa}
blk_parent=vdpasim_blk
rings=split,packed
while [ $# -gt 0 ]; do
	case $1 in
	--backend) backend=$2; shift 2 ;;
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--rings) rings=$2; shift 2 ;;
	--blk) blk_parent=$2; shift 2 ;;
	*) echo "usage: $0 [--backend uvdpa|stock] [--rings split,packed]" >&2; exit 2 ;;
	esac
done

need_pkgs qemu-system-x86 qemu-system-common
case $backend in
uvdpa) find_uvdpa ;;
stock) need_dpdk ;;
*) echo "unknown backend $backend" >&2; exit 2 ;;
esac
rc=0
images=$("$peers_dir/mkinitramfs.sh") || rc=$?
[ "$rc" -eq 0 ] || { echo "$images"; exit "$rc"; }
read -r kernel initramfs <<<"$images"

peers_setup_tmp
mac=52:54:00:12:34:56
sectors=65536 # 32 MiB: the whole disk is written and read back under TCG
# A run takes 20-40 s; a guest stuck on a device is killed well before meson's timeout.
qemu_timeout=${PEERS_QEMU_TIMEOUT:-300}

# --- back ends: each sets blk_sock, net_sock, want_sectors, blk_ring_limit -----
uvdpa_up() { # RING
	local blk=blk-$1 net=net-$1 out
	if [ "$blk_parent" = blk_file ]; then
		truncate -s $((sectors * 512)) "$peers_tmp/disk-$1.img"
		"$UVDPA" dev add name "$blk" mgmtdev blk_file path "$peers_tmp/disk-$1.img" || return 1
	elif ! out=$("$UVDPA" dev add name "$blk" mgmtdev vdpasim_blk capacity "$sectors" 2>&1); then
		# A CLI without the capacity extension: the simulator's default disk.
		note "dev add with capacity refused ($out); using the default capacity"
		"$UVDPA" dev add name "$blk" mgmtdev vdpasim_blk || return 1
	fi
	"$UVDPA" dev add name "$net" mgmtdev vdpasim_net mac "$mac" || return 1
	want_sectors=$(blk_capacity "$blk")
	blk_sock=$(dev_sock "$blk")
	net_sock=$(dev_sock "$net")
	blk_ring_want=$1
	wait_for 50 test -S "$blk_sock" && wait_for 50 test -S "$net_sock"
}
uvdpa_counters() { # RING -> "dev_tx dev_rx" of the net device
	echo "$(vstat "net-$1" 1 "tx packets") $(vstat "net-$1" 0 "rx packets")"
}
uvdpa_down() {
	local d ok=1
	for d in "blk-$1" "net-$1"; do
		"$UVDPA" dev del "$d" || ok=0
		[ ! -e "$(dev_sock "$d")" ] || ok=0
	done
	if [ $ok = 1 ]; then pass "qemu-$1/dev-del" "devices deleted, sockets removed"
	else fail "qemu-$1/dev-del" "dev del failed or left a socket"; fi
}

stock_up() { # RING
	local disk=$peers_tmp/disk-$1.img
	truncate -s $((sectors * 512)) "$disk"
	blk_sock=$peers_tmp/blk-$1.sock
	net_sock=$peers_tmp/net-$1.sock
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=f0,filename=$disk" \
		--export "type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,addr.path=$blk_sock,writable=on,num-queues=1" \
		>"$peers_tmp/qsd-$1.log" 2>&1 &
	qsd_pid=$!
	peers_pids+=("$qsd_pid")
	# shellcheck disable=SC2046
	pty_start "vhost-$1" dpdk-testpmd $(testpmd_eal 0 "vhost-$1") \
		--vdev "net_vhost0,iface=$net_sock,queues=1" -- $testpmd_app
	pty_expect "vhost-$1" 0 'testpmd> ' 300 || { cat "$(pty_log "vhost-$1")"; return 1; }
	pty_cmd "vhost-$1" start 'testpmd> ' 50 || return 1
	want_sectors=$sectors
	# libvhost-user (qemu-storage-daemon's back end) has no packed ring.
	blk_ring_want=split
	wait_for 50 test -S "$blk_sock" && wait_for 50 test -S "$net_sock"
}
stock_counters() { # RING -> "dev_tx dev_rx": what the vhost port took and gave back
	local s
	pty_cmd "vhost-$1" stop 'testpmd> ' 50 || true
	pty_cmd "vhost-$1" 'show port stats all' '^ *#{20,} *$' 50 || return 1
	# The vhost port receives what the guest sends and transmits what it gets.
	s=$(testpmd_port_stats "$pty_out")
	set -- $s
	echo "$1 $3"
}
stock_down() {
	pty_stop "vhost-$1"
	kill "$qsd_pid" 2>/dev/null || true
	wait "$qsd_pid" 2>/dev/null || true
}

# --- one guest run -------------------------------------------------------------
# guest_waits CONSOLE QEMU_PID: the guest asks the host to go on (2: QEMU is gone).
guest_waits() {
	grep -aq '^WAIT host' "$1" && return 0
	kill -0 "$2" 2>/dev/null || return 2
	return 1
}

run_guest() { # RING
	local ring=$1 t=qemu-$1 packed= console=$peers_tmp/console-$1.log start end
	[ "$ring" = packed ] && packed=,packed=on
	if ! "${backend}_up" "$ring"; then
		fail "$t/backend" "could not start the $backend back end"
		return
	fi
	# The console is a pair of FIFOs: the host answers the guest's "WAIT host".
	local ser qpid cpid
	start=$(date +%s.%N)
	guest_start "-$ring" "$qemu_timeout" 1 "ipv6.disable=1 uvdpa_checks=blk,net \
uvdpa_blk_sectors=$want_sectors uvdpa_mac=$mac uvdpa_ring=$ring uvdpa_blk_ring=$blk_ring_want \
uvdpa_hostwait=60" \
		-chardev "socket,id=c0,path=$blk_sock" \
		-device "vhost-user-blk-pci,chardev=c0,num-queues=1$packed" \
		-chardev "socket,id=c1,path=$net_sock" -netdev vhost-user,id=n1,chardev=c1 \
		-device "virtio-net-pci,netdev=n1,mac=$mac,vectors=0$packed"
	# The device's view of the traffic, read while the guest still runs.
	local c= dtx= drx=
	if wait_for $((qemu_timeout * 10)) guest_waits "$console" "$qpid"; then
		c=$("${backend}_counters" "$ring") || c=
		echo go >"$ser.in"
	fi
	read -r dtx drx <<<"$c"
	local qrc=0
	wait "$qpid" || qrc=$?
	[ $qrc = 0 ] || note "qemu exited $qrc: $(tail -n 3 "$peers_tmp/qemu-$ring.log")"
	# cat still blocks in open() if QEMU never started.
	guest_console_end
	end=$(date +%s.%N)
	note "$t: guest run took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s;" \
		"$(grep -a '^GUEST' "$console" | tr -d '\r' | paste -sd' ')"

	# The guest's own verdicts, under this run's name.
	local line gtx= grx=
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"PASS "*) pass "$t/${line#PASS }" ;;
		"FAIL "*) line=${line#FAIL }; fail "$t/${line%% *}" "${line#* }" ;;
		"COUNTERS net "*)
			note "$t: guest $line"
			gtx=$(sed -n 's/.*tx_packets=\([0-9]*\).*/\1/p' <<<"$line")
			grx=$(sed -n 's/.*rx_packets=\([0-9]*\).*/\1/p' <<<"$line")
			;;
		esac
	done < <(grep -a -E '^(PASS|FAIL|COUNTERS) ' "$console")
	if grep -aq '^GUEST done' "$console"; then
		pass "$t/guest-finished"
	else
		fail "$t/guest-finished" "no 'GUEST done' on the console; last lines: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"
	fi

	if [ -n "$gtx" ] && [ "$dtx" = "$gtx" ] && [ "$drx" = "$grx" ]; then
		pass "$t/net-host-counters" "device took $dtx frames and gave $drx back"
	else
		fail "$t/net-host-counters" "device tx ${dtx:-?} rx ${drx:-?}, guest tx ${gtx:-?} rx ${grx:-?}"
	fi
	"${backend}_down" "$ring"
}

note "backend $backend, kernel $kernel, initramfs $initramfs"
[ "$backend" = uvdpa ] && { uvdpad_start || skip "uvdpad did not start"; }
for ring in ${rings//,/ }; do
	run_guest "$ring"
done
if [ "$backend" = uvdpa ]; then
	if uvdpad_stop; then pass uvdpad-exit; else fail uvdpad-exit "uvdpad exited non-zero"; fi
fi
peers_exit
