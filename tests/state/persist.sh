#!/bin/bash
# Devices survive uvdpad: a clean stop (SIGTERM) and a SIGKILL right after
# the command that changed them returned; dev set and dev del are kept too;
# a saved device that cannot be recreated is reported and kept in the file.
#
# usage: persist.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
. "$(dirname "$0")/lib.sh"

start
ok "add net" uvdpa dev add name n1 mgmtdev vdpasim_net mac 02:00:00:00:00:01 mtu 9000 max_vqp 4
ok "add blk" uvdpa dev add name b1 mgmtdev vdpasim_blk capacity 4096 num_queues 2
ok "add net with features" \
	uvdpa dev add name n2 mgmtdev vdpasim_net device_features 0x300000028 mac 00:11:22:33:44:55
ok "add a name to escape" uvdpa dev add name 'x/y z' mgmtdev vdpasim_net
before=$(snapshot)
ok "four devices and sockets" test "$(echo "$before" | grep -c '^socket ')" = 4

stop TERM
start
ok "clean restart: same devices, config and sockets" test "$(snapshot)" = "$before"
ok "no temporary file left" test "$(ls -A "$work/state")" = devices

ok "add n3" uvdpa dev add name n3 mgmtdev vdpasim_net mtu 1400
stop KILL
start
ok "SIGKILL right after dev add: the device is back" \
	test "$(uvdpa dev config show n3)" = "n3: mac 00:00:00:00:00:00 link up link_announce false mtu 1400 "
ok "SIGKILL: the others unchanged" test -S "$run/vhost/n1.sock" -a -S "$run/vhost/x!y z.sock"

ok "set mac" uvdpa dev set name n1 mac 02:00:00:00:00:09
stop KILL
start
ok "dev set mac survives a SIGKILL" \
	test "$(uvdpa dev config show n1)" = "n1: mac 02:00:00:00:00:09 link up link_announce false max_vq_pairs 4 mtu 9000 "

# A MAC set on a device provisioned without VIRTIO_NET_F_MAC: replayed as a
# dev set, since a DEV_NEW with that MAC would be refused.
ok "add without F_MAC" uvdpa dev add name f mgmtdev vdpasim_net device_features 0x300000000
ok "set its mac" uvdpa dev set name f mac 02:00:00:00:00:0f
ok "set its mac again" uvdpa dev set name f mac 02:00:00:00:00:1f
before=$(snapshot)
stop KILL
start
ok "dev set without F_MAC survives a SIGKILL" test "$(snapshot)" = "$before"
ok "... with no complaint" bash -c "! grep -q 'cannot' '$log'"
ok "... as one set line with the last mac" \
	test "$(grep -c '^set f dev_net_cfg_macaddr=02:00:00:00:00:1f$' "$state")" = 1
ok "del f" uvdpa dev del f

ok "del n2" uvdpa dev del n2
stop KILL
start
ok "dev del survives a SIGKILL" test -z "$(uvdpa dev show n2 2>/dev/null)"
ok "dev del: gone from the file" bash -c "! grep -q '^dev n2 ' '$state'"
ok "dev del: its socket is gone" test ! -e "$run/vhost/n2.sock"

timeout -s KILL 10 "$uvdpad" -r "$work/run2" -S "$state" 2>"$work/second.log"
ok "a second daemon on the same state file exits 1" test $? = 1
ok "... saying why" grep -qF "error: the state file $state belongs to another uvdpad ($work/state is locked)" "$work/second.log"

# A device whose parent is not there (as a backing file that went away).
stop TERM
echo "dev ghost mgmtdev_dev_name=nosuch dev_net_cfg_mtu=1500" >>"$state"
line=$(wc -l <"$state")
start
ok "unrestorable device: logged with line and reason" grep -q \
	"devices:$line: cannot restore device ghost: vdpa: Fail to find the specified management device - No such device; kept" "$log"
ok "unrestorable device: the others are back" test -S "$run/vhost/n1.sock"
ok "add n4" uvdpa dev add name n4 mgmtdev vdpasim_net
ok "unrestorable device: kept in the file after a change" grep -q '^dev ghost ' "$state"
ok "file is readable: the request, then what dev set changed" test \
	"$(grep ' n1 ' "$state")" = "dev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_macaddr=02:00:00:00:00:01 dev_net_cfg_mtu=9000 dev_net_cfg_max_vqp=4
set n1 dev_net_cfg_macaddr=02:00:00:00:00:09"
ok "add over ghost" uvdpa dev add name ghost mgmtdev vdpasim_blk
ok "a new device takes an unrestorable one's name" \
	test "$(grep -c '^dev ghost ' "$state")" = 1 -a "$(grep '^dev ghost ' "$state")" = "dev ghost mgmtdev_dev_name=vdpasim_blk"
stop TERM
finish
