#!/usr/bin/env bash
# DPDK test: dpdk-testpmd's virtio-user PMD drives a loopback net device over
# vhost-user in io-forward mode. `start tx_first` puts 32 frames in flight; they
# circulate for a few seconds; then forwarding stops, the frames still in the
# rings are drained (rxonly) and the port counters must equal the device's.
# Variants: split/packed rings x mrg_rxbuf on/off, and with VIRTIO_F_IN_ORDER
# (-inorder: the device may answer a batch of TX buffers with one used entry,
# testpmd's in-order TX path frees by it); with the uvdpa back end, then again
# (--poll-variants) with uvdpad's devices in poll mode (uvdpad -P).
#
#   testpmd.sh [--backend uvdpa|stock] [--variants split-mrg,split-nomrg,packed-mrg,packed-nomrg]
#              [--poll-variants split-mrg,packed-nomrg] [--seconds N]
#
# Back ends: uvdpa (default): uvdpad + `uvdpa dev add … mgmtdev vdpasim_net`;
#   counters from `uvdpa dev vstats show DEV qidx 0|1`.
#   stock: DPDK's vhost PMD in a second testpmd (io-forward, a loopback);
#   counters from its port statistics.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

backend=${BACKEND:-uvdpa}
variants=split-mrg,split-nomrg,packed-mrg,packed-nomrg,split-mrg-inorder,packed-mrg-inorder
poll_variants=split-mrg,packed-nomrg,packed-nomrg-inorder
secs=3
while [ $# -gt 0 ]; do
	case $1 in
	--backend) backend=$2; shift 2 ;;
	--uvdpad) UVDPAD=$2; shift 2 ;;
	--uvdpa) UVDPA=$2; shift 2 ;;
	--variants) variants=$2; shift 2 ;;
	--poll-variants) poll_variants=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	*) echo "usage: $0 [--backend uvdpa|stock] [--variants LIST] [--poll-variants LIST] [--seconds N]" >&2
	   exit 2 ;;
	esac
done

need_dpdk
case $backend in
uvdpa) find_uvdpa ;;
stock) ;;
*) echo "unknown backend $backend" >&2; exit 2 ;;
esac
peers_setup_tmp
mac=00:11:22:33:44:55

# --- back ends: each sets sock ---------------------------------------------------
uvdpa_up() { # VARIANT
	"$UVDPA" dev add name "tp-$1" mgmtdev vdpasim_net mac "$mac" || return 1
	sock=$(dev_sock "tp-$1")
	wait_for 50 test -S "$sock"
}
uvdpa_counters() { # VARIANT -> "dev_rx_packets dev_tx_packets dev_rx_lost"
	local d=tp-$1 rx tx drops overruns
	rx=$(vstat "$d" 0 "rx packets")
	tx=$(vstat "$d" 1 "tx packets")
	drops=$(vstat "$d" 0 "rx drops")
	overruns=$(vstat "$d" 0 "rx overruns")
	echo "$rx $tx $((drops + overruns))"
}
uvdpa_down() { "$UVDPA" dev del "tp-$1"; }

stock_up() { # VARIANT
	sock=$peers_tmp/vhost-$1.sock
	# shellcheck disable=SC2046
	pty_start "vhost-$1" dpdk-testpmd $(testpmd_eal 0 "vhost-$1") \
		--vdev "net_vhost0,iface=$sock,queues=1" -- $testpmd_app
	pty_expect "vhost-$1" 0 'testpmd> ' 300 || { cat "$(pty_log "vhost-$1")"; return 1; }
	pty_cmd "vhost-$1" start 'testpmd> ' 50
}
stock_counters() { # VARIANT -> "dev_rx dev_tx dev_rx_lost", the device's view
	local s
	pty_cmd "vhost-$1" stop 'testpmd> ' 50 || true
	pty_cmd "vhost-$1" 'show port stats all' '^ *#{20,} *$' 50 || return 1
	s=$(testpmd_port_stats "$pty_out")
	set -- $s
	# The vhost port receives what virtio-user sends and transmits into its RX ring.
	echo "$3 $1 0"
}
stock_down() { pty_stop "vhost-$1"; }

# features after negotiation, from virtio's init log.
negotiated() {
	tr -d '\r' <"$(pty_log "$1")" | sed -n 's/.*features after negotiate = \([0-9a-fA-F]*\).*/\1/p' | tail -n1
}

run_variant() { # VARIANT [TAG]
	local v=$1 t=testpmd-$1${2:+-$2} packed=0 mrg=0 inorder=0 fe=fe-$1${2:+-$2}
	case $v in packed-*) packed=1 ;; esac
	case $v in *-mrg | *-mrg-*) mrg=1 ;; esac
	case $v in *-inorder) inorder=1 ;; esac
	if ! "${backend}_up" "$v"; then
		fail "$t/backend" "could not start the $backend back end"
		return
	fi
	# shellcheck disable=SC2046
	pty_start "$fe" dpdk-testpmd $(testpmd_eal 1 "fe-$v") --log-level=pmd.net.virtio.init:debug \
		--vdev "net_virtio_user0,path=$sock,queues=1,queue_size=256,packed_vq=$packed,mrg_rxbuf=$mrg,in_order=$inorder" \
		-- $testpmd_app --eth-peer="0,$mac" --txpkts=64
	if ! pty_expect "$fe" 0 'testpmd> ' 300; then
		fail "$t/start" "testpmd did not start: $(tail -n 5 "$(pty_log "$fe")" | tr -d '\r' | paste -sd'|')"
		"${backend}_down" "$v"
		return
	fi

	local f want_bits=0
	f=$(negotiated "$fe")
	[ $packed = 1 ] && want_bits=$((want_bits | 1 << 34))
	[ $mrg = 1 ] && want_bits=$((want_bits | 1 << 15))
	[ $inorder = 1 ] && want_bits=$((want_bits | 1 << 35))
	if [ -n "$f" ] && [ $((0x$f & (1 << 35 | 1 << 34 | 1 << 15))) -eq $want_bits ]; then
		pass "$t/features" "negotiated 0x$f"
	else
		fail "$t/features" "negotiated 0x${f:-?}, want packed=$packed mrg_rxbuf=$mrg in_order=$inorder"
	fi

	pty_cmd "$fe" 'start tx_first' 'testpmd> ' 50 || true
	sleep "$secs"
	# Stop, let the device finish what is in its TX ring, then drain RX
	# without sending: afterwards nothing is in flight and counters are final.
	# A slow back end (ASan, a busy CPU) may need more than one round:
	# drain until RX has caught up with TX or stops moving.
	pty_cmd "$fe" stop 'testpmd> ' 100 || true
	sleep 0.5
	pty_cmd "$fe" 'set fwd rxonly' 'testpmd> ' 50 || true
	local s rx=0 tx=0 last=-1 round
	for round in 1 2 3 4 5 6 7 8 9 10; do
		pty_cmd "$fe" start 'testpmd> ' 50 || true
		sleep 0.5
		pty_cmd "$fe" stop 'testpmd> ' 100 || true
		if pty_cmd "$fe" 'show port stats all' '^ *#{20,} *$' 50; then
			s=$(testpmd_port_stats "$pty_out")
			read -r rx _ tx _ <<<"$s"
		fi
		[ "$rx" = "$tx" ] || [ "$rx" = "$last" ] && break
		last=$rx
	done
	local c drx dtx dlost
	c=$("${backend}_counters" "$v") || c=
	read -r drx dtx dlost <<<"$c"
	note "$t: testpmd rx $rx tx $tx; device rx ${drx:-?} tx ${dtx:-?} lost ${dlost:-?}" \
		"($(awk -v n="$tx" -v s="$secs" 'BEGIN { printf "%.2f", n / s / 1e6 }') Mpps)"
	if [ "$tx" -gt 1000 ] && [ "$rx" = "$tx" ]; then
		pass "$t/loopback" "$tx frames sent, all came back"
	else
		fail "$t/loopback" "testpmd sent $tx frames, received $rx"
	fi
	if [ -n "$dtx" ] && [ "$dtx" = "$tx" ] && [ "$drx" = "$rx" ] && [ "$dlost" = 0 ]; then
		pass "$t/counters" "device tx $dtx rx $drx = port counters"
	else
		fail "$t/counters" "device tx ${dtx:-?} rx ${drx:-?} lost ${dlost:-?}, port tx $tx rx $rx"
	fi
	pty_stop "$fe"
	"${backend}_down" "$v"
}

note "backend $backend"
[ "$backend" = uvdpa ] && { uvdpad_start || skip "uvdpad did not start"; }
for v in ${variants//,/ }; do
	run_variant "$v"
done
if [ "$backend" = uvdpa ]; then
	if uvdpad_stop; then pass uvdpad-exit; else fail uvdpad-exit "uvdpad exited non-zero"; fi
	if [ -n "$poll_variants" ]; then
		note "uvdpad -P: the device workers poll"
		uvdpad_start -P || skip "uvdpad -P did not start"
		for v in ${poll_variants//,/ }; do
			run_variant "$v" poll
		done
		if uvdpad_stop; then pass uvdpad-exit-poll; else fail uvdpad-exit-poll "uvdpad -P exited non-zero"; fi
	fi
fi
peers_exit
