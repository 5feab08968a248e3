#!/usr/bin/env bash
# Throughput of uvdpa's vdpasim_net loopback against DPDK's own vhost PMD, in
# the same run: dpdk-testpmd's virtio-user (io-forward, `start tx_first 8`, a full
# ring in flight) on CPU 1 drives
#   A: a uvdpad vdpasim_net device (uvdpad pinned to CPU 0), or any vhost-user
#      socket given with --a-sock, or (--a-stock) a second vhost PMD testpmd:
#      an A/A run that shows what ratio the harness gives two equal peers;
#   B: DPDK's vhost PMD in a second testpmd, io-forward (a loopback), on CPU 0.
# Runs alternate A/B (interleaved, order flipped each round) for 64 and 1500-byte
# frames; prints every run, each round's A/B ratio next to the machine-state
# probe (uvdpa-pingpong: a cross-core cache-line round trip, measured with
# both CPUs idle before and after each side's run; ~70 ns when the host puts
# the two vCPUs close, ~480 ns far apart: compare only pairs whose probes
# agree), then the medians in Mpps and the median of the pairs' ratios.
# Then (unless --no-one-core) the one-core figures: DPDK's virtio-user and
# vhost PMD in one testpmd on one CPU, next to uvdpa-bench --one-core, in ns
# per frame.
# Not a test: it asserts nothing about speed. One command, both sides:
#   sudo bench/peers/testpmd-bench.sh --uvdpad build/src/daemon/uvdpad \
#        --uvdpa build/src/cli/uvdpa
#
#   testpmd-bench.sh [--rounds N] [--seconds N] [--sizes 64,1500] [--hugepages]
#                    [--vdev-args ARGS] [--dev-args ARGS] [--a-sock PATH | --a-stock]
#                    [--uvdpad PATH] [--uvdpa PATH] [--uvdpad-args ARGS]
#   --vdev-args  virtio-user options (default packed_vq=0,mrg_rxbuf=1,in_order=0)
#   --dev-args   extra words for `uvdpa dev add` (e.g. a poll-mode switch)
#   --uvdpad-args extra options for uvdpad
#   --hugepages  2 MiB hugepages instead of --no-huge (vm.nr_hugepages is restored)
#   --probe PATH uvdpa-pingpong (default: next to uvdpad's build tree, else PATH)
#   --bench PATH uvdpa-bench for the one-core figure (found the same way)
#   --no-one-core  skip the one-core figures
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
probe_bin=
bench_bin=
one_core=1
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
	--probe) probe_bin=$2; shift 2 ;;
	--bench) bench_bin=$2; shift 2 ;;
	--no-one-core) one_core=0; shift ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

need_dpdk
peers_setup_tmp

# A build-tree binary next to uvdpad (build/src/daemon -> build/bench), else PATH.
find_tool() { # NAME GIVEN
	local d
	if [ -n "$2" ]; then echo "$2"; return; fi
	for d in "${UVDPAD:+$(dirname "$UVDPAD")/../../bench}" "$(dirname "$0")/../../build/bench"; do
		[ -n "$d" ] && [ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	command -v "$1" || true
}
probe_bin=$(find_tool uvdpa-pingpong "$probe_bin")
[ -x "$probe_bin" ] || skip "no uvdpa-pingpong (build it, or --probe PATH)"
# probe: "NN" ns per cross-core round trip on CPUs 0 and 1 (the fastest of 5).
probe() { "$probe_bin" 0 1 100000 | cut -d' ' -f1; }
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

# --- one core ------------------------------------------------------------------
# DPDK's own loop on one CPU: virtio-user (port 1) and the vhost PMD (port 0)
# in one testpmd, io forward, one forwarding lcore (ports paired 0<->1). Frames circle two ways:
# virtio-user TX -> vhost dequeue -> virtio-user TX, and vhost enqueue ->
# virtio-user RX -> vhost enqueue; one dequeue plus one enqueue is what
# uvdpa-bench --one-core calls a frame (driver TX, device loop, driver RX), so
# ns per frame = 2 / (RX packets of both ports per ns).
one_core_figures() {
	local sock=$peers_tmp/one.sock size r0 r1 t0 t1 ns bench p0 ring pk
	echo
	note "one core (CPU 0): DPDK virtio-user <-> vhost PMD in one testpmd, io forward;" \
		"copies per frame: vhost dequeue and enqueue (2), virtio-user none"
	note "uvdpa-bench --one-core: libuvdpa's net driver and vdpasim_net in one thread;" \
		"copies per frame: driver TX copy-in, device loop, driver RX copy-out (3)"
	p0=$(probe)
	# shellcheck disable=SC2046
	pty_start onecore dpdk-testpmd $(eal 0 onecore) --vdev "net_vhost0,iface=$sock,queues=1" -- $app
	# The vhost PMD makes its socket only when its port starts, after the
	# EAL probed every --vdev: virtio-user is attached once it listens.
	if ! pty_expect onecore 0 'testpmd> ' 300 ||
	   ! pty_cmd onecore "port attach net_virtio_user0,path=$sock,queues=1,queue_size=256,$vdev_args" \
		'Port 1 is attached' 100 ||
	   ! pty_cmd onecore 'port start 1' 'testpmd> ' 100; then
		note "one-core testpmd did not start: $(tail -n 3 "$(pty_log onecore)" | tr -d '\r' | paste -sd'|')"
		pty_stop onecore
		return 0
	fi
	for size in ${sizes//,/ }; do
		pty_cmd onecore "set txpkts $size" 'testpmd> ' 50 &&
			pty_cmd onecore 'start tx_first 8' 'testpmd> ' 50 || break
		sleep 1
		r0=$(all_rx onecore) && t0=$(date +%s.%N) || break
		sleep "$secs"
		r1=$(all_rx onecore) && t1=$(date +%s.%N) || break
		pty_cmd onecore stop 'testpmd> ' 100 || break
		ns=$(awk -v a="$r0" -v b="$r1" -v s="$t0" -v e="$t1" \
			'BEGIN { printf "%.1f", (b > a ? (e - s) * 1e9 * 2 / (b - a) : 0) }')
		printf '%-22s %5s B  %8s ns/frame   probe %s ns\n' "dpdk one core" "$size" "$ns" "$p0"
	done
	pty_stop onecore
	bench=$(find_tool uvdpa-bench "$bench_bin")
	if [ ! -x "$bench" ]; then
		note "no uvdpa-bench (--bench PATH): no uvdpa one-core figure"
		return 0
	fi
	for size in ${sizes//,/ }; do
		for ring in split packed; do
			pk=
			[ $ring = packed ] && pk=--packed
			ns=$(taskset -c 0 "$bench" --one-core -s "$size" -d $((secs * 1000)) -r 3 \
				${pk:+"$pk"} net |
				awk '/^net loopback/ { print $(NF - 1) }')
			printf '%-22s %5s B  %8s ns/frame   probe %s ns\n' "uvdpa one core $ring" \
				"$size" "${ns:--}" "$p0"
		done
	done
}
# all_rx NAME: RX packets of ports 0 and 1 now.
all_rx() {
	local p t=0 v
	for p in 0 1; do
		pty_cmd "$1" "show port stats $p" '^ *#{20,} *$' 50 || return 1
		v=$(awk '/RX-packets:/ { print $2; exit }' <<<"$pty_out")
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

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

# measure LABEL SOCK ROUND PROBE_BEFORE -> appends "LABEL SIZE MPPS ROUND PROBE"
# lines to $peers_tmp/run.out (the probe is taken again once testpmd is gone)
measure() { # LABEL SOCK ROUND PROBE_BEFORE
	local label=$1 round=$3 p0=$4 p1 lines='' fe=fe-$1-$RANDOM size r0 r1 t0 t1 mpps
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
		lines+="$label $size $mpps"$'\n'
	done
	pty_stop "$fe"
	p1=$(probe)
	while read -r _ size mpps; do
		[ -n "$size" ] || continue
		printf '%-8s %5s B  %6s Mpps   probe %s -> %s ns\n' "$label" "$size" "$mpps" "$p0" "$p1"
		echo "$label $size $mpps $round $p0/$p1" >>"$peers_tmp/run.out"
	done <<<"$lines"
}

# The probe runs while no side polls: before a vhost PMD starts forwarding
# (uvdpad's worker sleeps when idle), and again after the client quit.
run_b() { # ROUND
	local p0
	p0=$(probe)
	pty_cmd vhost start 'testpmd> ' 50 || return 1
	measure dpdk "$sock_b" "$1" "$p0" || true
	pty_cmd vhost stop 'testpmd> ' 100
}
run_a() { # ROUND
	local p0
	p0=$(probe)
	if [ "$a_name" = dpdk2 ]; then
		pty_cmd vhost2 start 'testpmd> ' 50 || return 1
		measure dpdk2 "$sock_a" "$1" "$p0" || true
		pty_cmd vhost2 stop 'testpmd> ' 100
	else
		measure "$a_name" "$sock_a" "$1" "$p0"
	fi
}

note "virtio-user $vdev_args; $( [ $huge = 1 ] && echo hugepages || echo no-huge);" \
	"$rounds rounds of ${secs} s; A = $a_name ($sock_a), B = DPDK vhost PMD"
note "copies per frame: the client (testpmd io forward on virtio-user) none, it" \
	"hands its mbufs to the ring and takes them back;"
note "  uvdpa vdpasim_net one, from the TX chain straight into the RX buffers;" \
	"DPDK vhost PMD io forward two, dequeue into an mbuf and enqueue back"
note "probe: cross-core round trip (uvdpa-pingpong, CPUs 0-1) before and after each side's run"
: >"$peers_tmp/run.out"
for ((r = 1; r <= rounds; r++)); do
	if [ $((r % 2)) = 1 ]; then
		run_a "$r" || true; run_b "$r" || true
	else
		run_b "$r" || true; run_a "$r" || true
	fi
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
	else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
# Pairs: A and B of the same round and size, with all four probes.
printf '%-5s %-6s %12s %12s %7s   %s\n' round size "$a_name Mpps" "dpdk Mpps" ratio \
	"probe ns: $a_name before->after, dpdk before->after"
awk -v l="$a_name" '$1 == l { a[$4 " " $2] = $3; pa[$4 " " $2] = $5 }
	$1 == "dpdk" { b[$4 " " $2] = $3; pb[$4 " " $2] = $5 }
	END { for (k in a) if (k in b) { split(k, f, " ");
		printf "%-5s %-6s %12s %12s %7.2f   %s, %s\n", f[1], f[2], a[k], b[k],
			(b[k] > 0 ? a[k] / b[k] : 0), pa[k], pb[k] } }' "$peers_tmp/run.out" |
	sort -k1,1n -k2,2n | tee "$peers_tmp/pairs.out"
echo
printf '%-6s %14s %14s %8s %14s\n' size "$a_name Mpps" "dpdk Mpps" ratio "pair ratios"
for size in ${sizes//,/ }; do
	ma=$(awk -v l="$a_name" -v s="$size" '$1 == l && $2 == s { print $3 }' "$peers_tmp/run.out" | median)
	mb=$(awk -v s="$size" '$1 == "dpdk" && $2 == s { print $3 }' "$peers_tmp/run.out" | median)
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
		else printf "%.2f", a / b }')
	pr=$(awk -v s="$size" '$2 == s { print $5 }' "$peers_tmp/pairs.out" | median)
	printf '%-6s %14s %14s %8s %14s\n' "$size" "$ma" "$mb" "$ratio" "$pr (median)"
done
if [ "$a_name" = uvdpa ]; then
	"$UVDPA" dev del bench0 || true
fi
pty_stop vhost
[ "$a_name" = dpdk2 ] && pty_stop vhost2
[ $one_core = 1 ] && one_core_figures
exit 0
