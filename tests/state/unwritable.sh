#!/bin/bash
# A state directory uvdpad cannot write: dev add fails with a message naming
# the file and the reason, and the device is not created (a device that would
# not come back after a restart is refused); dev del still deletes and says
# the file kept it. Root ignores directory modes, so as root uvdpad runs as
# nobody here.
#
# usage: unwritable.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
. "$(dirname "$0")/lib.sh"

mkdir -p "$run" "$work/state"
if [ "$(id -u)" = 0 ]; then
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chown nobody "$run" "$work/state"
	chmod 755 "$work"
fi
start
ok "writable: add" uvdpa dev add name keep mgmtdev vdpasim_net
chmod 555 "$work/state"
cp "$state" "$work/orig"

uvdpa dev add name n1 mgmtdev vdpasim_net mtu 1400 >"$work/out" 2>"$work/err"
ok "unwritable: dev add fails" test $? = 1
ok "unwritable: the error names the file and the reason" test "$(cat "$work/err")" = \
"Error: vdpa: cannot write $state: Permission denied; device not created.
kernel answers: Permission denied"
ok "unwritable: the device was not created" test -z "$(uvdpa dev show n1 2>/dev/null)"
ok "unwritable: no socket" test ! -e "$run/vhost/n1.sock"
ok "unwritable: the file is unchanged" cmp -s "$state" "$work/orig"
ok "unwritable: no temporary file" test "$(ls -A "$work/state")" = devices

uvdpa dev del keep >"$work/out" 2>"$work/err"
ok "unwritable: dev del fails" test $? = 1
ok "unwritable: dev del says it comes back" test "$(cat "$work/err")" = \
"Error: vdpa: cannot write $state: Permission denied; deleted, but it comes back at restart.
kernel answers: Permission denied"
ok "unwritable: dev del deleted it" test -z "$(uvdpa dev show keep 2>/dev/null)"

chmod 755 "$work/state"
ok "writable again: dev add" uvdpa dev add name n1 mgmtdev vdpasim_net mtu 1400
stop KILL
start
ok "writable again: n1 kept, keep gone" test "$(uvdpa dev show | cut -d: -f1)" = n1
stop TERM
finish
