#!/bin/bash
# Who owns a net_tap device's TAP, through the real uvdpad and its state file,
# in a network namespace of its own (unshare):
# - a TAP uvdpad created is persistent and recorded as its own (211=1, i.e.
#   NET_TAP_OWNED, in the state file); one that existed before is not;
# - after a SIGKILL both TAPs are still there, configured; the restarted
#   daemon re-attaches to the same interfaces (same ifindex, address, up
#   state, vnet header, multi_queue and queue count), and so after a clean
#   stop (SIGTERM) and start;
# - `dev del` deletes the TAP uvdpad created and never one it attached to;
# - a daemon without a state file deletes the TAPs it created when it stops;
# - a `dev add` that fails after the TAP was created (the vhost face refuses
#   the device) leaves no TAP behind.
# Needs root: skipped (77) without.
#
# usage: persist.sh UVDPA UVDPAD
set -u
if [ -z "${UVT_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	UVT_IN_NS=1 exec unshare --net bash "$0" "$@"
fi
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-tappersist.XXXXXX")
run=$work/run
state=$work/state/devices
mkdir "$work/bin" "$run"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
. "$(dirname "$0")/../cli/lib.sh"
ip link set lo up

pid=
# start [uvdpad args...]: in the background, ready once its socket answers
start() {
	local i
	"$uvdpad" -r "$run" "$@" 2>>"$work/uvdpad.log" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		uvdpa dev show >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "FAIL uvdpad did not start"; cat "$work/uvdpad.log"; exit 1
}
stop() {   # SIGNAL
	kill -"$1" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
trap '[ -z "$pid" ] || stop TERM; for t in uvown0 uvmine0 uvmq0 uvnost0 uvveto0; do
	ip link del $t 2>/dev/null; done; rm -rf "$work"' EXIT

# (ip, not /sys: sysfs here is the host namespace's)
ifindex() { local l; l=$(ip -o link show "$1" 2>/dev/null) && echo "${l%%:*}" || echo none; }
exists() { ip link show "$1" >/dev/null 2>&1; }
details() { ip -d link show "$1" 2>/dev/null | tr -s ' \n' '  '; }
has_addr() { ip -4 -o addr show dev "$1" 2>/dev/null | grep -q " $2/24 "; }
is_up() { case "$(ip -o link show "$1" 2>/dev/null)" in *"<"*[,\<]UP[,\>]*) true ;; *) false ;; esac; }
rec() { grep "^dev $1 " "$state" 2>/dev/null; }
rec_has() {   # DEV TEXT: the device's state line holds TEXT
	local line
	line=$(rec "$1")
	case " $line " in *" $2 "*) return 0 ;; esac
	return 1
}
# same TAP as before: ifindex, address, up, and the flags net_tap sets
same_tap() {   # TAP IFINDEX ADDR [QUEUES]
	local d
	d=$(details "$1")
	[ "$(ifindex "$1")" = "$2" ] && has_addr "$1" "$3" && is_up "$1" &&
	case "$d" in *" tun type tap pi off vnet_hdr on "*) ;; *) return 1 ;; esac &&
	case "$d" in *" persist on "*) ;; *) return 1 ;; esac &&
	case "$d" in *" multi_queue numqueues ${4:-x} "*) [ -n "${4:-}" ] ;;
		     *) [ -z "${4:-}" ] ;; esac
}

mkdir -p "$(dirname "$state")"
start -S "$state"
ip tuntap add mode tap uvmine0   # the user's
check "add o0 (new TAP)" 0 "" "" -- uvdpa dev add name o0 mgmtdev net_tap tap uvown0
check "add m0 (the user's TAP)" 0 "" "" -- uvdpa dev add name m0 mgmtdev net_tap tap uvmine0
check "add q0 (new multi-queue TAP)" 0 "" "" -- \
	uvdpa dev add name q0 mgmtdev net_tap tap uvmq0 max_vqp 2
ok "uvown0 is persistent" sh -c "ip -d link show uvown0 | grep -q 'persist on'"
ok "o0 recorded as owning its TAP ($(rec o0))" rec_has o0 211=1
ok "q0 recorded as owning its TAP" rec_has q0 211=1
ok "m0 recorded without ownership ($(rec m0))" test -n "$(rec m0)" -a -z "$(rec m0 | grep 211=)"
ok "dev show does not show the ownership" sh -c "! uvdpa dev show o0 | grep -q 211"
ip addr add 10.99.0.1/24 dev uvown0 && ip link set uvown0 up
ip addr add 10.99.1.1/24 dev uvmine0 && ip link set uvmine0 up
ip addr add 10.99.2.1/24 dev uvmq0 && ip link set uvmq0 up
own=$(ifindex uvown0) mine=$(ifindex uvmine0) mq=$(ifindex uvmq0)

for round in 1 2; do
	stop KILL
	ok "kill $round: uvown0 survives with its address" same_tap uvown0 "$own" 10.99.0.1
	ok "kill $round: uvmq0 survives with its address" same_tap uvmq0 "$mq" 10.99.2.1
	ok "kill $round: uvmine0 survives" test "$(ifindex uvmine0)" = "$mine"
	start -S "$state"
	ok "restart $round: the three devices are back" \
		test "$(uvdpa dev show | cut -d: -f1 | sort | paste -sd' ')" = "m0 o0 q0"
	ok "restart $round: o0 re-attached to the same uvown0 ($(details uvown0))" \
		same_tap uvown0 "$own" 10.99.0.1
	ok "restart $round: q0 re-attached to uvmq0 with both queues ($(details uvmq0))" \
		same_tap uvmq0 "$mq" 10.99.2.1 2
	ok "restart $round: uvmine0 unchanged" test "$(ifindex uvmine0)" = "$mine"
	ok "restart $round: o0 still recorded as owning its TAP" rec_has o0 211=1
done
stop TERM
ok "clean stop with a state file: uvown0 kept" same_tap uvown0 "$own" 10.99.0.1
ok "clean stop with a state file: uvmine0 kept" test "$(ifindex uvmine0)" = "$mine"
start -S "$state"
ok "after the clean stop: o0 on the same uvown0" same_tap uvown0 "$own" 10.99.0.1
check "dev del o0" 0 "" "" -- uvdpa dev del o0
ok "dev del o0: uvown0 deleted" sh -c "! ip link show uvown0 >/dev/null 2>&1"
check "dev del m0" 0 "" "" -- uvdpa dev del m0
ok "dev del m0: the user's uvmine0 stays" test "$(ifindex uvmine0)" = "$mine"
check "dev del q0" 0 "" "" -- uvdpa dev del q0
ok "dev del q0: uvmq0 deleted" sh -c "! ip link show uvmq0 >/dev/null 2>&1"

# The owned TAP vanished while uvdpad was down (the host rebooted, someone
# deleted it): the restart creates it again and still owns it.
check "add o1" 0 "" "" -- uvdpa dev add name o1 mgmtdev net_tap tap uvown0
stop KILL
ip link del uvown0
start -S "$state"
ok "owned TAP gone while down: recreated" sh -c "ip -d link show uvown0 | grep -q 'persist on'"
check "dev del o1" 0 "" "" -- uvdpa dev del o1
ok "dev del o1: uvown0 deleted" sh -c "! ip link show uvown0 >/dev/null 2>&1"

# Refused by the vhost face after net_tap created the TAP: a directory where
# the device's socket goes.
mkdir -p "$run/vhost/v0.sock/x"
uvdpa dev add name v0 mgmtdev net_tap tap uvveto0 >"$work/v0.out" 2>&1
rc=$?
ok "add v0: the face refuses it ($(tr '\n' ' ' <"$work/v0.out"))" test "$rc" != 0
ok "failed dev add: no TAP left" sh -c "! ip link show uvveto0 >/dev/null 2>&1"
ok "failed dev add: not recorded" test -z "$(rec v0)"
rm -rf "$run/vhost/v0.sock"
stop TERM

# Without a state file nothing comes back: the TAPs uvdpad made go at exit.
start -S ""
check "no state file: add n0" 0 "" "" -- uvdpa dev add name n0 mgmtdev net_tap tap uvnost0
ok "no state file: uvnost0 created" exists uvnost0
stop TERM
ok "no state file: uvnost0 deleted at the clean stop" sh -c "! ip link show uvnost0 >/dev/null 2>&1"
ok "the user's uvmine0 was never touched" test "$(ifindex uvmine0)" = "$mine"

[ "$fails" = 0 ] && echo PASSED || echo "FAILED ($fails)"
exit $((fails != 0))
