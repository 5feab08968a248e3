#!/bin/bash
# uvdpa without a daemon: help and version, option errors, argument errors
# (all decided before connecting), how the socket is found, and what is said
# when uvdpad is not running. Also the --kernel transport against this
# machine's kernel, compared with iproute2's vdpa when it is installed.
#
# usage: nodaemon.sh UVDPA VERSION
set -u
uvdpa=$(readlink -f "$1"); version=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-nodaemon.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
ln -s "$uvdpa" "$work/bin/uvdpa"       # argv[0] "uvdpa" for getopt's messages
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$work/run"
unset UVDPA_SOCK
. "$(dirname "$0")/lib.sh"

usage='Usage: uvdpa [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { mgmtdev | dev }
       OPTIONS := { -V[ersion] | -n[o-nice-names] | -j[son] | -p[retty] }
'
sock="$work/run/uvdpa.sock"
unreachable="uvdpa: cannot reach uvdpad at $sock: No such file or directory
Start it with: uvdpad (or use --kernel for the kernel's vdpa devices)
"

check "no arguments: usage, exit 0" 0 "" "$usage" -- uvdpa
check "help" 0 "" "$usage" -- uvdpa help
check "-h" 0 "" "$usage" -- uvdpa -h
check "--help" 0 "" "$usage" -- uvdpa --help
check "-V" 0 "uvdpa utility, uvdpa-$version
" "" -- uvdpa -V
check "--Version" 0 "uvdpa utility, uvdpa-$version
" "" -- uvdpa --Version
check "-x" 1 "" "uvdpa: invalid option -- 'x'
Unknown option.
$usage" -- uvdpa -x
check "-s without a path" 1 "" "uvdpa: option requires an argument -- 's'
Unknown option.
$usage" -- uvdpa -s
check "-n is accepted (advertised by the usage)" 0 "" "Usage: uvdpa mgmtdev show [ DEV ]
" -- uvdpa -n mgmtdev
check "dev help needs no daemon" 0 "" "$(printf '%s\n' \
'Usage: uvdpa dev show [ DEV ]' \
'       uvdpa dev add name NAME mgmtdev MANAGEMENTDEV [ mac MACADDR ] [ mtu MTU ]' \
'                                                     [ max_vqp MAX_VQ_PAIRS ]' \
'                                                     [ device_features DEVICE_FEATURES ]' \
'                                                     [ capacity SECTORS ] [ num_queues NUM_QUEUES ]' \
'                                                     [ path PATH ] [ readonly ] [ direct { on | off } ] [ serial SERIAL ]' \
'                                                     [ tap IFNAME ]' \
'       uvdpa dev del DEV' \
'       uvdpa dev set name NAME mac MACADDR' \
'Usage: uvdpa dev config COMMAND [ OPTIONS ]' \
'Usage: uvdpa dev vstats COMMAND')
" -- uvdpa dev help
check "-j help: JSON mode ends with a newline" 0 "
" "$usage" -- uvdpa -j help
check "argument error needs no daemon" 1 "" 'Unknown option "b"
' -- uvdpa dev show a b
check "-j argument error" 1 "
" 'Invalid mtu "x": not a decimal number.
' -- uvdpa -j dev add name a mgmtdev b mtu x
long=$(printf 'a%.0s' {1..100})
check "100-character name: error, no crash" 1 "" "Error: vdpa: device name is longer than 64 bytes.
" -- uvdpa dev add name "$long" mgmtdev vdpasim_net
check "100-character handle" 1 "" "management device handle is too long (100 characters, at most 63).
" -- uvdpa mgmtdev show "$long"
check "options after the command (getopt permutes)" 1 "" "$unreachable" -- uvdpa dev show -p vdpa0

# not running: say so and how to start it; nothing on stdout, even with -j
check "no daemon" 1 "" "$unreachable" -- uvdpa dev show
check "no daemon, -j" 1 "" "$unreachable" -- uvdpa -j dev show
perl -MSocket -e 'socket(my $s, PF_UNIX, SOCK_SEQPACKET, 0) or die;
	bind($s, pack_sockaddr_un($ARGV[0])) or die' "$sock"
check "stale socket: connection refused" 1 "" "uvdpa: cannot reach uvdpad at $sock: Connection refused
Start it with: uvdpad (or use --kernel for the kernel's vdpa devices)
" -- uvdpa mgmtdev show
chmod 000 "$work/run"
if [ "$(id -u)" != 0 ]; then
	check "unreadable run dir" 1 "" "uvdpa: cannot reach uvdpad at $sock: Permission denied
" -- uvdpa mgmtdev show
fi
chmod 755 "$work/run"

# where the socket is looked for: -s, then $UVDPA_SOCK, then the run dir rule
msg() {
	printf 'uvdpa: cannot reach uvdpad at %s: No such file or directory\n%s\n' "$1" \
		"Start it with: uvdpad (or use --kernel for the kernel's vdpa devices)"
}
check "-s PATH" 1 "" "$(msg /nonexistent/s)
" -- env UVDPA_SOCK=/nonexistent/env uvdpa -s /nonexistent/s dev show
check "--socket PATH" 1 "" "$(msg /nonexistent/s)
" -- uvdpa --socket=/nonexistent/s dev show
check "\$UVDPA_SOCK" 1 "" "$(msg /nonexistent/env)
" -- env UVDPA_SOCK=/nonexistent/env uvdpa dev show
if [ "$(id -u)" = 0 ]; then
	check "root: /run/uvdpa" 1 "" "$(msg /run/uvdpa/uvdpa.sock)
" -- env -u UVDPA_RUNDIR XDG_RUNTIME_DIR=/nonexistent/xdg uvdpa dev show
else
	check "user: \$XDG_RUNTIME_DIR/uvdpa" 1 "" "$(msg /nonexistent/xdg/uvdpa/uvdpa.sock)
" -- env -u UVDPA_RUNDIR XDG_RUNTIME_DIR=/nonexistent/xdg uvdpa dev show
	check "user without XDG_RUNTIME_DIR" 1 "" "uvdpa: cannot locate uvdpad's socket: set UVDPA_RUNDIR or XDG_RUNTIME_DIR, or use -s PATH
" -- env -u UVDPA_RUNDIR -u XDG_RUNTIME_DIR uvdpa dev show
fi

# --kernel: the same bytes as iproute2 against this kernel, whatever it has
if [ -x /usr/sbin/vdpa ]; then
	for args in "mgmtdev show" "dev show" "-j dev show" "-jp mgmtdev show" "dev config show"; do
		/usr/sbin/vdpa $args >"$work/vo" 2>"$work/ve"; vrc=$?
		uvdpa --kernel $args >"$work/uo" 2>"$work/ue"; urc=$?
		if [ $vrc = $urc ] && cmp -s "$work/vo" "$work/uo" && cmp -s "$work/ve" "$work/ue"; then
			echo "ok   --kernel $args: same as iproute2 (rc $urc)"
		else
			echo "FAIL --kernel $args: rc $urc, iproute2 $vrc"
			diff "$work/vo" "$work/uo"; diff "$work/ve" "$work/ue"
			fails=$((fails + 1))
		fi
	done
fi

echo "$fails failed"
[ $fails = 0 ]
