#!/bin/bash
# uvdpad.service: "systemd-analyze verify" says nothing about it (it exits 0
# on mere warnings, so any output fails), with ExecStart pointed at the build
# tree's uvdpad and the man pages it names found in docs/man. Then the
# readiness protocol: uvdpad sends READY=1 (and its MAINPID) on
# $NOTIFY_SOCKET once it listens, as Type=notify needs.
#
# usage: unit.sh UNIT-FILE UVDPAD
set -u
unit=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
ok() {
	local name=$1; shift
	if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP systemd-analyze is not installed (Debian: apt-get install systemd)"
	exit 77
fi
sed "s|^ExecStart=[^ ]*|ExecStart=$uvdpad|" "$unit" >"$work/uvdpad.service"
mkdir -p "$work/man/man8"
ln -s "$src/docs/man/uvdpad.8" "$src/docs/man/uvdpa.8" "$work/man/man8/"
# Documentation=man: is checked with man(1), when there is one.
manopt=()
command -v man >/dev/null || manopt=(--man=no)
MANPATH="$work/man" systemd-analyze verify "${manopt[@]}" "$work/uvdpad.service" >"$work/verify" 2>&1
rc=$?
ok "systemd-analyze verify: exit 0" test $rc = 0
ok "systemd-analyze verify: no complaint" test ! -s "$work/verify"
[ -s "$work/verify" ] && cat "$work/verify"
ok "ExecStart is the installed uvdpad" grep -q '^ExecStart=/.*/uvdpad --rundir /run/uvdpa --state /var/lib/uvdpa/devices$' "$unit"
ok "run and state directories declared" \
	grep -qx 'RuntimeDirectory=uvdpa' "$unit" && grep -qx 'StateDirectory=uvdpa' "$unit"

# sd_notify by hand: a datagram socket standing in for systemd's.
python3 - "$work/notify.sock" "$work/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
open(sys.argv[2], "wb").write(s.recv(4096))
PY
py=$!
for ((i = 0; i < 100; i++)); do [ -S "$work/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET="$work/notify.sock" "$uvdpad" -r "$work/run" --no-state 2>"$work/log" &
daemon=$!
wait $py
ok "READY=1 with MAINPID" test "$(cat "$work/got")" = "READY=1
MAINPID=$daemon"
ok "ready means listening" test -S "$work/run/uvdpa.sock"
kill -TERM $daemon; wait $daemon
[ $fails -eq 0 ]
