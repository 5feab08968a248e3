#!/usr/bin/env bash
# A QEMU guest (Debian's kernel, busybox) on a net_tap device: its virtio-net
# (-netdev vhost-user) drives uvdpad's device, whose TAP sits in a network
# namespace this test creates, with 10.88.0.1/24. uvdpad runs inside that
# namespace, so the TAP is born there and nothing touches the host's own
# interfaces; traffic never leaves this machine. The guest (10.88.0.2) pings
# 10.88.0.1 with 56, 1472 and 4000 bytes and moves 2 MiB each way over TCP
# (HTTP to a server in the namespace, md5-checked); the host checks the
# device's counters and that the TAP is gone after `dev del`. The split run
# has every offload on (checksum, TSO4/6, ECN: GSO frames through the TAP's
# vnet header), the packed run every offload off.
#
#   qemu-tap.sh [--uvdpad PATH] [--uvdpa PATH] [--rings split,packed]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rings=split,packed
while [ $# -gt 0 ]; do
	case $1 in
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--rings) rings=$2; shift 2 ;;
	*) echo "usage: $0 [--uvdpad PATH] [--uvdpa PATH] [--rings split,packed]" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAP)"
command -v ip >/dev/null || skip "no ip(8)"
need_pkgs qemu-system-x86 qemu-system-common
find_uvdpa
rc=0
images=$("$peers_dir/mkinitramfs.sh") || rc=$?
[ "$rc" -eq 0 ] || { echo "$images"; exit "$rc"; }
read -r kernel initramfs <<<"$images"

peers_setup_tmp
ns=uvdpa-tap-$$
tap=uvtap$$
tap=${tap:0:15}
mac=52:54:00:88:00:02
qemu_timeout=${PEERS_QEMU_TIMEOUT:-300}
blob_size=$((2 * 1024 * 1024))
command -v python3 >/dev/null || skip "no python3 (the host side's HTTP server)"
blob_md5=$(python3 "$peers_dir/tap-http.py" 0 0 $blob_size md5)

ip netns add "$ns"
# Runs after peers_cleanup's kills: the namespace (and any TAP in it) goes last.
trap 'peers_cleanup; ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns exec "$ns" ip link set lo up
# uvdpad in the namespace: the TAP it creates lives there.
cat >"$peers_tmp/uvdpad-ns" <<W
#!/bin/sh
exec ip netns exec $ns $UVDPAD "\$@"
W
chmod +x "$peers_tmp/uvdpad-ns"
UVDPAD=$peers_tmp/uvdpad-ns
in_ns() { ip netns exec "$ns" "$@"; }

run_guest() { # RING
	local ring=$1 t=tap-$1 packed= console=$peers_tmp/console-$1.log dev=n-$1 sock
	local offl=
	[ "$ring" = packed ] && packed=,packed=on
	[ "$ring" = packed ] && offl=,csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,host_tso4=off,host_tso6=off,host_ecn=off
	if ! "$UVDPA" dev add name "$dev" mgmtdev net_tap tap "$tap" mac "$mac"; then
		fail "$t/dev-add" "dev add on TAP $tap failed"
		return
	fi
	in_ns ip addr add 10.88.0.1/24 dev "$tap"
	in_ns ip link set "$tap" up
	# Not through in_ns (a function): $! must be the server itself, or the
	# kill below hits a subshell and the orphaned server keeps the test's
	# stdout open, so meson waits for it. Its output goes to a file for the
	# same reason.
	ip netns exec "$ns" python3 "$peers_dir/tap-http.py" 10.88.0.1 8080 $blob_size \
		>"$peers_tmp/http-$ring.log" 2>&1 &
	http_pid=$!
	peers_pids+=("$http_pid")
	sock=$(dev_sock "$dev")
	wait_for 50 test -S "$sock"
	local ser qpid cpid
	guest_start "-$ring" "$qemu_timeout" 1 "ipv6.disable=1 uvdpa_checks=tap \
uvdpa_ring=$ring uvdpa_hostwait=60 uvdpa_tap_md5=$blob_md5" \
		-chardev "socket,id=c1,path=$sock" -netdev vhost-user,id=n1,chardev=c1 \
		-device "virtio-net-pci,netdev=n1,mac=$mac,vectors=0$packed$offl"
	local dtx= drx=
	if wait_for $((qemu_timeout * 10)) guest_waits "$console" "$qpid"; then
		dtx=$(vstat "$dev" 1 "tx packets")
		drx=$(vstat "$dev" 0 "rx packets")
		echo go >"$ser.in"
	fi
	wait "$qpid" || note "qemu exited $?: $(tail -n 3 "$peers_tmp/qemu-$ring.log")"
	guest_console_end
	note "$t: $(grep -a '^GUEST' "$console" | tr -d '\r' | paste -sd' ')"
	local line
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"PASS "*) pass "$t/${line#PASS }" ;;
		"FAIL "*) line=${line#FAIL }; fail "$t/${line%% *}" "${line#* }" ;;
		esac
	done < <(grep -a -E '^(PASS|FAIL) ' "$console")
	if grep -aq '^GUEST done' "$console"; then pass "$t/guest-finished"
	else fail "$t/guest-finished" "last lines: $(tail -n 5 "$console" | tr -d '\r' | paste -sd'|')"; fi
	# 15 echo requests out, 15 replies in (ARP adds a frame each way at least)
	if [ "${dtx:-0}" -ge 15 ] && [ "${drx:-0}" -ge 15 ]; then
		pass "$t/device-counters" "tx $dtx rx $drx"
	else
		fail "$t/device-counters" "device tx ${dtx:-?} rx ${drx:-?}"
	fi
	if [ "$ring" = packed ]; then want_offl="GUEST offloads off"; else want_offl="GUEST offloads on"; fi
	if grep -aq "^$want_offl" "$console"; then pass "$t/offloads" "$want_offl"
	else fail "$t/offloads" "want '$want_offl'"; fi
	kill "$http_pid" 2>/dev/null || true
	wait "$http_pid" 2>/dev/null || true
	"$UVDPA" dev del "$dev" || fail "$t/dev-del" "dev del failed"
	if in_ns ip link show "$tap" >/dev/null 2>&1; then
		fail "$t/tap-gone" "TAP $tap still exists after dev del"
	else
		pass "$t/tap-gone"
	fi
}

guest_waits() {
	grep -aq '^WAIT host' "$1" && return 0
	kill -0 "$2" 2>/dev/null || return 2
	return 1
}

note "kernel $kernel, initramfs $initramfs, namespace $ns, TAP $tap"
uvdpad_start || skip "uvdpad did not start"
for ring in ${rings//,/ }; do
	run_guest "$ring"
done
if uvdpad_stop; then pass uvdpad-exit; else fail uvdpad-exit "uvdpad exited non-zero"; fi
peers_exit
