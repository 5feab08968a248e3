#!/bin/bash
# A corrupt or unreadable state file is reported (file:line: reason), the
# daemon starts without restoring anything from it, the file is left as it is
# until a device is added or deleted, and then moved aside as
# devices.corrupt-TIME before the new one is written.
#
# usage: corrupt.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
. "$(dirname "$0")/lib.sh"

good='dev n0 mgmtdev_dev_name=vdpasim_net dev_net_cfg_mtu=1500'

# case NAME EXPECTED-LOG-LINE CONTENT (printf format, without a final newline)
case_() {
	local name=$1 want=$2 content=$3
	rm -rf "$work/state"; mkdir "$work/state"
	printf "$content" >"$state"
	cp "$state" "$work/orig"
	: >"$log"
	start
	ok "$name: reported" grep -qF "$want" "$log"
	ok "$name: daemon runs, nothing restored" test -z "$(uvdpa dev show)"
	ok "$name: file left alone" cmp -s "$state" "$work/orig"
	ok "$name: dev add works" uvdpa dev add name fresh mgmtdev vdpasim_net
	ok "$name: moved aside with its content" cmp -s "$work/state/"devices.corrupt-* "$work/orig"
	ok "$name: new file has the new device only" \
		test "$(grep '^dev ' "$state")" = "dev fresh mgmtdev_dev_name=vdpasim_net"
	stop TERM
}

case_ garbage "$state:1: expected \"uvdpa-state 1\" before anything else" \
	'hello world\n'
case_ "truncated line" "$state:4: no newline at the end (a truncated line)" \
	"# c\nuvdpa-state 1\n$good\ndev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_m"
case_ "unknown attribute" "$state:3: unknown attribute \"colour\"" \
	"uvdpa-state 1\n$good\ndev n1 mgmtdev_dev_name=vdpasim_net colour=blue\n"
case_ "duplicate name" "$state:4: device \"n0\" again (first on line 2)" \
	"uvdpa-state 1\n$good\n\n$good\n"
case_ "value out of range" "$state:2: dev_net_cfg_mtu: bad value \"70000\" (want an integer 0-65535)" \
	"uvdpa-state 1\ndev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_mtu=70000\n"
case_ "attribute twice" "$state:2: attribute \"dev_net_cfg_mtu\" given twice" \
	"uvdpa-state 1\ndev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_mtu=1500 dev_net_cfg_mtu=1500\n"
case_ "reply-only attribute" "$state:2: unknown attribute \"dev_vendor_id\"" \
	"uvdpa-state 1\ndev n1 mgmtdev_dev_name=vdpasim_net dev_vendor_id=0\n"
case_ "set without dev" "$state:2: \"set\" for device \"n1\" without its \"dev\" line before it" \
	"uvdpa-state 1\nset n1 dev_net_cfg_macaddr=02:00:00:00:00:01\n$good\n"
case_ "second set" "$state:4: a second \"set\" line for device \"n0\"" \
	"uvdpa-state 1\n$good\nset n0 dev_net_cfg_macaddr=02:00:00:00:00:01\nset n0 dev_net_cfg_macaddr=02:00:00:00:00:02\n"
case_ "newer version" "$state:1: version 2: this uvdpad reads version 1" \
	"uvdpa-state 2\n$good\n"
case_ "empty file" "$state:1: no \"uvdpa-state 1\" line" ''
case_ "bad escape" "$state:2: bad device name \"a\\x4\"" \
	"uvdpa-state 1\ndev a\\\\x4 mgmtdev_dev_name=vdpasim_net\n"

# Unreadable: a directory where the file should be.
rm -rf "$work/state"; mkdir -p "$state"; : >"$log"
start
ok "unreadable: reported" grep -qF "cannot read the state file $state: Is a directory" "$log"
ok "unreadable: daemon runs" test -z "$(uvdpa dev show)"
ok "unreadable: dev add works" uvdpa dev add name fresh mgmtdev vdpasim_net
ok "unreadable: moved aside" test -d "$(echo "$work/state/"devices.corrupt-*)" -a -f "$state"
stop TERM
finish
