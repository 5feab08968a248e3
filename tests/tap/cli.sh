#!/bin/bash
# net_tap through the real uvdpad and uvdpa, in a network namespace of its
# own (unshare): bad `dev add` input gets the exact error and leaves nothing
# behind (no device, no socket, no TAP); a good one shows its TAP in dev
# show (plain, -j, -jp); a TAP we created goes with the device, one that
# existed before stays. Needs root: skipped (77) without.
#
# usage: cli.sh UVDPA UVDPAD
set -u
if [ -z "${UVT_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	UVT_IN_NS=1 exec unshare --net bash "$0" "$@"
fi
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-tapcli.XXXXXX")
chmod 755 "$work"
run=$work/run
mkdir "$work/bin" "$run"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
. "$(dirname "$0")/../cli/lib.sh"
ip link set lo up

daemons=()
start() {   # start RUNDIR [setpriv args...]
	local r=$1 i; shift
	"$@" "$uvdpad" -r "$r" 2>"$r.log" &
	daemons+=($!)
	for ((i = 0; i < 200; i++)); do
		[ -S "$r/uvdpa.sock" ] && return 0
		sleep 0.05
	done
	echo "FAIL uvdpad did not start"; cat "$r.log"; exit 1
}
trap 'for d in "${daemons[@]}"; do kill -TERM $d 2>/dev/null; wait $d 2>/dev/null; done; rm -rf "$work"' EXIT
start "$run"

err() { printf 'Error: vdpa: %s.\nkernel answers: %s\n' "$1" "$2"; }
taps() { ip -o link show type tun 2>/dev/null | awk -F': ' '{ print $2 }' | sort | paste -sd' '; }
nothing_left() {   # NAME [TAPS THAT MAY EXIST]
	ok "$1: no device left" test -z "$(uvdpa dev show)"
	ok "$1: no socket left" test -z "$(ls "$run/vhost" 2>/dev/null)"
	ok "$1: no TAP left (have '$(taps)', want '${2:-}')" test "$(taps)" = "${2:-}"
}

ip link add uvveth0 type veth peer name uvveth1
ip tuntap add mode tun uvtun0
check "non-TAP interface" 1 "" "$(err "interface uvveth0 exists and is not a TAP device" \
	"File exists")
" -- uvdpa dev add name n0 mgmtdev net_tap tap uvveth0
check "TUN interface" 1 "" "$(err "interface uvtun0 exists and is a TUN device, not a TAP" \
	"File exists")
" -- uvdpa dev add name n0 mgmtdev net_tap tap uvtun0
ip link del uvtun0
check "name too long (CLI)" 1 "" "tap must be an interface name of 1 to 15 bytes
" -- uvdpa dev add name n0 mgmtdev net_tap tap abcdefghijklmnop
check "no tap" 1 "" "$(err "tap is required: the TAP interface to create or attach" \
	"Invalid argument")
" -- uvdpa dev add name n0 mgmtdev net_tap
check "bad name" 1 "" "$(err "tap name 'a/b' is not a valid interface name" "Invalid argument")
" -- uvdpa dev add name n0 mgmtdev net_tap tap a/b
check "max_vqp 17" 1 "" "$(err "max_vqp must be between 1 and 16" "Invalid argument")
" -- uvdpa dev add name n0 mgmtdev net_tap tap uvt0 max_vqp 17
check "tap on the simulator" 1 "" "$(err "vdpasim_net takes no tap" "Operation not supported")
" -- uvdpa dev add name n0 mgmtdev vdpasim_net tap uvt0
ip tuntap add mode tap uvpre0
check "existing single-queue TAP, max_vqp 2" 1 "" "$(err \
	"TAP uvpre0 exists without multi_queue: max_vqp must be 1" "Invalid argument")
" -- uvdpa dev add name n0 mgmtdev net_tap tap uvpre0 max_vqp 2
nothing_left "after every refusal" uvpre0

check "add n0 (new TAP, mac, mtu 1400)" 0 "" "" -- \
	uvdpa dev add name n0 mgmtdev net_tap tap uvt0 mac 52:54:00:00:00:10 mtu 1400
ok "uvt0 created with MTU 1400" sh -c "ip link show uvt0 | grep -q 'mtu 1400'"
ok "uvt0 is a vnet_hdr TAP" sh -c "ip -d link show uvt0 | grep -q 'tun type tap pi off vnet_hdr on'"
check "same TAP again: in use" 1 "" "$(err \
	"TAP uvt0 is already in use (by another device or process)" "Device or resource busy")
" -- uvdpa dev add name n9 mgmtdev net_tap tap uvt0
check "add n1 (existing TAP)" 0 "" "" -- uvdpa dev add name n1 mgmtdev net_tap tap uvpre0
check "add n2 (2 pairs)" 0 "" "" -- uvdpa dev add name n2 mgmtdev net_tap tap uvmq0 max_vqp 2
ok "uvmq0 is multi-queue with 2 queues" \
	sh -c "ip -d link show uvmq0 | grep -q 'multi_queue numqueues 2'"
check "dev show" 0 "n0: type network mgmtdev net_tap vendor_id 0 max_vqs 3 max_vq_size 256 vhost_socket $run/vhost/n0.sock tap uvt0
n1: type network mgmtdev net_tap vendor_id 0 max_vqs 3 max_vq_size 256 vhost_socket $run/vhost/n1.sock tap uvpre0
n2: type network mgmtdev net_tap vendor_id 0 max_vqs 5 max_vq_size 256 vhost_socket $run/vhost/n2.sock tap uvmq0
" "" -- uvdpa dev show
check "dev show -j n0" 0 "{\"dev\":{\"n0\":{\"type\":\"network\",\"mgmtdev\":\"net_tap\",\"vendor_id\":0,\"max_vqs\":3,\"max_vq_size\":256,\"vhost_socket\":\"$run/vhost/n0.sock\",\"tap\":\"uvt0\"}}}
" "" -- uvdpa -j dev show n0
check "dev show -jp n2" 0 "{
    \"dev\": {
        \"n2\": {
            \"type\": \"network\",
            \"mgmtdev\": \"net_tap\",
            \"vendor_id\": 0,
            \"max_vqs\": 5,
            \"max_vq_size\": 256,
            \"vhost_socket\": \"$run/vhost/n2.sock\",
            \"tap\": \"uvmq0\"
        }
    }
}
" "" -- uvdpa -jp dev show n2
check "dev config show n0" 0 "n0: mac 52:54:00:00:00:10 link down link_announce false mtu 1400 
" "" -- uvdpa dev config show n0
ip link set uvt0 up
check "dev config show n0, TAP up" 0 "n0: mac 52:54:00:00:00:10 link up link_announce false mtu 1400 
" "" -- uvdpa dev config show n0
for d in n0 n1 n2; do check "dev del $d" 0 "" "" -- uvdpa dev del $d; done
nothing_left "after dev del: only the TAP that existed before" uvpre0
ip link del uvpre0

if command -v setpriv >/dev/null; then
	nrun=$work/nrun
	mkdir "$nrun" && chown nobody "$nrun"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	start "$nrun" setpriv --reuid=nobody --regid=nogroup --clear-groups
	export UVDPA_RUNDIR="$nrun"
	check "nobody: no CAP_NET_ADMIN" 1 "" "$(err \
		"no permission to create or attach TAP uvt5 (CAP_NET_ADMIN needed)" \
		"Operation not permitted")
" -- as_nobody uvdpa dev add name p0 mgmtdev net_tap tap uvt5
	ok "nobody: nothing left" test -z "$(as_nobody uvdpa dev show)"
	ok "nobody: no TAP" test -z "$(taps)"
	export UVDPA_RUNDIR="$run"
else
	echo "skip permission cases (need setpriv)"
fi
ip link del uvveth0

[ "$fails" = 0 ] && echo PASSED || echo "FAILED ($fails)"
exit $((fails != 0))
