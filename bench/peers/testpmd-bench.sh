#!/usr/bin/env bash
# Throughput of uvdpa's vdpasim_net loopback against DPDK's own vhost PMD, in
# the same run: dpdk-testpmd's virtio-user (io-forward, `start tx_first 8`, a full
# ring in flight) on CPU 1 drives
#   A: a uvdpad vdpasim_net device (uvdpad pinned to CPU 0), or any vhost-user
#      socket given with --a-sock, or (--a-stock) a second vhost PMD testpmd:
#      an A/A run that shows what ratio the harness gives two equal peers;
#   B: DPDK's vhost PMD in a second testpmd, io-forward (a loopback), on CPU 0.
# Runs alternate A/B (interleaved, order flipped each round) for 64 and 1500-byte
# frames; prints every run, the medians in Mpps and the ratio A/B.
# Not a test: it asserts nothing about speed.
#
#   testpmd-bench.sh [--rounds N] [--seconds N] [--sizes 64,1500] [--hugepages]
#                    [--vdev-args ARGS] [--dev-args ARGS] [--a-sock PATH | --a-stock]
#                    [--uvdpad PATH] [--uvdpa PATH] [--uvdpad-args ARGS]
#   --vdev-args  virtio-user options (default packed_vq=0,mrg_rxbuf=1,in_order=0)
#   --dev-args   extra words for `uvdpa dev add` (e.g. a poll-mode switch)
#   --uvdpad-args extra options for uvdpad
#   --hugepages  2 MiB hugepages instead of --no-huge (vm.nr_hugepages is restored)
set -euo pipefail
. "$(dirname "$0")/../../tests/peers/lib.sh"

rounds=3
secs=4
sizes=64,1500
huge=0
vdev_args=packed_vq=0,mrg_rxbuf=1,in_order=0
dev_args=
uvdpad_args=
a_sock=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--hugepages) huge=1; shift ;;
	--vdev-args) vdev_args=$2; shift 2 ;;
	--dev-args) dev_args=$2; shift 2 ;;
	--uvdpad-args) uvdpad_args=$2; shift 2 ;;
	--a-sock) a_sock=$2; shift 2 ;;
	--a-stock) a_sock=stock; shift ;;
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

need_dpdk
peers_setup_tmp
mac=00:11:22:33:44:55
app=$testpmd_app

# --- memory --------------------------------------------------------------------
hp_saved=
restore_hugepages() {
	if [ -n "$hp_saved" ]; then
		echo "$hp_saved" >/proc/sys/vm/nr_hugepages
		hp_saved=
	fi
}
eal() { # CPU NAME
	if [ $huge = 1 ]; then
		echo --lcores "0@$1,1@$1" --file-prefix "uvdpa$$-$2" --no-pci --in-memory \
			--single-file-segments -m 256 --log-level=lib.eal:error
	else
		testpmd_eal "$@"
	fi
}
if [ $huge = 1 ]; then
	[ -w /proc/sys/vm/nr_hugepages ] || skip "--hugepages needs a writable vm.nr_hugepages"
	hp_saved=$(cat /proc/sys/vm/nr_hugepages)
	trap 'restore_hugepages; peers_cleanup' EXIT
	# Up to three testpmd processes of 256 MiB each, in 2 MiB pages.
	echo $((hp_saved + 400)) >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge $((hp_saved + 384)) ] ||
		skip "could not reserve 384 hugepages"
fi

# --- back ends -------------------------------------------------------------------
if [ "$a_sock" = stock ]; then
	a_name=dpdk2
	sock_a=$peers_tmp/vhost2.sock
	# shellcheck disable=SC2046
	pty_start vhost2 dpdk-testpmd $(eal 0 vhost2) --vdev "net_vhost0,iface=$sock_a,queues=1" -- $app
	pty_expect vhost2 0 'testpmd> ' 300 || skip "second vhost PMD testpmd did not start"
elif [ -n "$a_sock" ]; then
	a_name=external
	sock_a=$a_sock
else
	a_name=uvdpa
	find_uvdpa
	export UVDPA_RUNDIR=$peers_tmp/run
	mkdir -p "$UVDPA_RUNDIR"
	# shellcheck disable=SC2086
	taskset -c 0 "$UVDPAD" $uvdpad_args >"$peers_tmp/uvdpad.log" 2>&1 &
	peers_pids+=("$!")
	wait_for 100 test -S "$UVDPA_RUNDIR/uvdpa.sock" || skip "uvdpad did not start"
	# shellcheck disable=SC2086
	"$UVDPA" dev add name bench0 mgmtdev vdpasim_net mac "$mac" $dev_args
	sock_a=$(dev_sock bench0)
	wait_for 50 test -S "$sock_a" || skip "uvdpad made no socket for bench0"
fi

sock_b=$peers_tmp/vhost.sock
# shellcheck disable=SC2046
pty_start vhost dpdk-testpmd $(eal 0 vhost) --vdev "net_vhost0,iface=$sock_b,queues=1" -- $app
pty_expect vhost 0 'testpmd> ' 300 || skip "vhost PMD testpmd did not start"

# rx_packets NAME: port 0's RX-packets now.
rx_packets() {
	pty_cmd "$1" 'show port stats 0' '^ *#{20,} *$' 50 || return 1
	testpmd_port_stats "$pty_out" | cut -d' ' -f1
}

# measure SOCK -> appends "SIZE MPPS" lines to $peers_tmp/run.out
measure() { # LABEL SOCK
	local label=$1 fe=fe-$1-$RANDOM size r0 r1 t0 t1 mpps
	# shellcheck disable=SC2046
	pty_start "$fe" dpdk-testpmd $(eal 1 "$fe") \
		--vdev "net_virtio_user0,path=$2,queues=1,queue_size=256,$vdev_args" \
		-- $app --eth-peer="0,$mac"
	if ! pty_expect "$fe" 0 'testpmd> ' 300; then
		note "$label: testpmd did not start: $(tail -n 3 "$(pty_log "$fe")" | tr -d '\r' | paste -sd'|')"
		pty_stop "$fe"
		return 1
	fi
	for size in ${sizes//,/ }; do
		pty_cmd "$fe" 'set fwd io' 'testpmd> ' 50 &&
			pty_cmd "$fe" "set txpkts $size" 'testpmd> ' 50 &&
			pty_cmd "$fe" 'start tx_first 8' 'testpmd> ' 50 || break
		sleep 1
		r0=$(rx_packets "$fe") && t0=$(date +%s.%N) || break
		sleep "$secs"
		r1=$(rx_packets "$fe") && t1=$(date +%s.%N) || break
		# Drain the ring so the next size starts with nothing in flight.
		pty_cmd "$fe" stop 'testpmd> ' 100 &&
			pty_cmd "$fe" 'set fwd rxonly' 'testpmd> ' 50 &&
			pty_cmd "$fe" start 'testpmd> ' 50 || break
		sleep 0.3
		pty_cmd "$fe" stop 'testpmd> ' 100 || break
		mpps=$(awk -v a="$r0" -v b="$r1" -v s="$t0" -v e="$t1" \
			'BEGIN { printf "%.2f", (b - a) / (e - s) / 1e6 }')
		printf '%-8s %5s B  %6s Mpps\n' "$label" "$size" "$mpps"
		echo "$label $size $mpps" >>"$peers_tmp/run.out"
	done
	pty_stop "$fe"
}

run_b() {
	pty_cmd vhost start 'testpmd> ' 50 || return 1
	measure dpdk "$sock_b" || true
	pty_cmd vhost stop 'testpmd> ' 100
}
run_a() {
	if [ "$a_name" = dpdk2 ]; then
		pty_cmd vhost2 start 'testpmd> ' 50 || return 1
		measure dpdk2 "$sock_a" || true
		pty_cmd vhost2 stop 'testpmd> ' 100
	else
		measure "$a_name" "$sock_a"
	fi
}

note "virtio-user $vdev_args; $( [ $huge = 1 ] && echo hugepages || echo no-huge);" \
	"$rounds rounds of ${secs} s; A = $a_name ($sock_a), B = DPDK vhost PMD"
: >"$peers_tmp/run.out"
for ((r = 1; r <= rounds; r++)); do
	if [ $((r % 2)) = 1 ]; then
		run_a || true; run_b || true
	else
		run_b || true; run_a || true
	fi
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
	else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
printf '%-6s %14s %14s %8s\n' size "$a_name Mpps" "dpdk Mpps" ratio
for size in ${sizes//,/ }; do
	ma=$(awk -v l="$a_name" -v s="$size" '$1 == l && $2 == s { print $3 }' "$peers_tmp/run.out" | median)
	mb=$(awk -v s="$size" '$1 == "dpdk" && $2 == s { print $3 }' "$peers_tmp/run.out" | median)
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
		else printf "%.2f", a / b }')
	printf '%-6s %14s %14s %8s\n' "$size" "$ma" "$mb" "$ratio"
done
if [ "$a_name" = uvdpa ]; then
	"$UVDPA" dev del bench0 || true
fi
pty_stop vhost
[ "$a_name" = dpdk2 ] && pty_stop vhost2
exit 0
