#!/bin/bash
# blk_file through the real uvdpad and uvdpa: bad `dev add` input gets the
# exact error and leaves nothing behind (no device, no socket, the fd
# closed); a good one shows its path and settings in dev show (plain, -j,
# -jp) and its truth in dev config show. Permission cases run against a
# second uvdpad as nobody (root passes every permission check).
#
# usage: cli.sh UVDPA UVDPAD
set -u
uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-bfcli.XXXXXX")
chmod 755 "$work"
run=$work/run
mkdir "$work/bin" "$run"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
. "$(dirname "$0")/../cli/lib.sh"

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

truncate -s 8M "$work/d.img"
truncate -s 1000 "$work/odd.img"
mkdir "$work/dir"

err() { printf 'Error: vdpa: %s.\nkernel answers: %s\n' "$1" "$2"; }
nothing_left() {
	ok "$1: no device left" test -z "$(uvdpa dev show)"
	ok "$1: no socket left" test "$(cd "$run" && echo *.sock)" = "uvdpa.sock"
	ok "$1: no fd left on the backing" \
		sh -c "! ls -l /proc/${daemons[0]}/fd | grep -q '\\.img'"
}

check "missing file" 1 "" "$(err "backing file not found (path does not exist)" \
	"No such file or directory")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/nope.img"
nothing_left "missing file"
check "directory" 1 "" "$(err "path is a directory, not a file or block device" "Is a directory")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/dir"
check "not a file or block device" 1 "" "$(err "path is not a regular file or block device" \
	"Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file path /dev/null readonly
check "size not a multiple of 512" 1 "" "$(err "size of the backing file is not a multiple of 512 bytes" \
	"Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/odd.img"
check "capacity beyond the file" 1 "" "$(err "capacity is beyond the end of the backing file" \
	"Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/d.img" capacity 16385
check "no path" 1 "" "$(err "path is required: the backing file or block device" "Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file
check "serial of 21 bytes" 1 "" "$(err "serial must be at most 20 bytes" "Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/d.img" serial 123456789012345678901
check "num_queues 65" 1 "" "$(err "num_queues must be between 1 and 64" "Invalid argument")
" -- uvdpa dev add name d0 mgmtdev blk_file path "$work/d.img" num_queues 65
check "path on the RAM disk simulator" 1 "" "$(err "vdpasim_blk takes no path, direct or serial" \
	"Operation not supported")
" -- uvdpa dev add name d0 mgmtdev vdpasim_blk path "$work/d.img"
check "direct maybe" 1 "" '"direct" must be "on" or "off", not "maybe"
' -- uvdpa dev add name d0 mgmtdev blk_file path "$work/d.img" direct maybe
nothing_left "after every refusal"

check "add d0 (readonly, direct, serial, 2 queues)" 0 "" "" -- \
	uvdpa dev add name d0 mgmtdev blk_file path "$work/d.img" readonly direct on serial S1 num_queues 2
check "add d1 (defaults)" 0 "" "" -- uvdpa dev add name d1 mgmtdev blk_file path "$work/d.img"
check "dev show" 0 "d0: type block mgmtdev blk_file vendor_id 0 max_vqs 2 max_vq_size 256 vhost_socket $run/vhost/d0.sock path $work/d.img readonly true direct on serial S1
d1: type block mgmtdev blk_file vendor_id 0 max_vqs 1 max_vq_size 256 vhost_socket $run/vhost/d1.sock path $work/d.img readonly false direct off serial d1
" "" -- uvdpa dev show
check "dev show -j" 0 "{\"dev\":{\"d0\":{\"type\":\"block\",\"mgmtdev\":\"blk_file\",\"vendor_id\":0,\"max_vqs\":2,\"max_vq_size\":256,\"vhost_socket\":\"$run/vhost/d0.sock\",\"path\":\"$work/d.img\",\"readonly\":true,\"direct\":\"on\",\"serial\":\"S1\"},\"d1\":{\"type\":\"block\",\"mgmtdev\":\"blk_file\",\"vendor_id\":0,\"max_vqs\":1,\"max_vq_size\":256,\"vhost_socket\":\"$run/vhost/d1.sock\",\"path\":\"$work/d.img\",\"readonly\":false,\"direct\":\"off\",\"serial\":\"d1\"}}}
" "" -- uvdpa -j dev show
check "dev show -jp d1" 0 "{
    \"dev\": {
        \"d1\": {
            \"type\": \"block\",
            \"mgmtdev\": \"blk_file\",
            \"vendor_id\": 0,
            \"max_vqs\": 1,
            \"max_vq_size\": 256,
            \"vhost_socket\": \"$run/vhost/d1.sock\",
            \"path\": \"$work/d.img\",
            \"readonly\": false,
            \"direct\": \"off\",
            \"serial\": \"d1\"
        }
    }
}
" "" -- uvdpa -jp dev show d1
check "config of a read-only device: no discard limits" 0 \
"d0: capacity 16384 blk_size 512 seg_max 126 num_queues 2 physical_block_exp 3 alignment_offset 0 min_io_size 1 opt_io_size 0 read_only true flush true 
" "" -- uvdpa dev config show d0
check "dev del" 0 "" "" -- uvdpa dev del d0
check "dev del" 0 "" "" -- uvdpa dev del d1
nothing_left "after dev del"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nrun=$work/nrun
	mkdir "$nrun" && chown nobody "$nrun"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	start "$nrun" setpriv --reuid=nobody --regid=nogroup --clear-groups
	truncate -s 1M "$work/root.img" "$work/ro.img"
	chmod 0600 "$work/root.img"
	chown nobody "$work/ro.img" && chmod 0444 "$work/ro.img"
	export UVDPA_RUNDIR="$nrun"
	check "nobody: no permission" 1 "" "$(err "permission denied opening the backing file" \
		"Permission denied")
" -- as_nobody uvdpa dev add name p0 mgmtdev blk_file path "$work/root.img" readonly
	check "nobody: read-only file asked writable" 1 "" "$(err \
		"backing file is read-only: add readonly, or make it writable" "Permission denied")
" -- as_nobody uvdpa dev add name p0 mgmtdev blk_file path "$work/ro.img"
	ok "nobody: nothing left" test -z "$(as_nobody uvdpa dev show)"
	check "nobody: read-only file with readonly" 0 "" "" -- \
		as_nobody uvdpa dev add name p0 mgmtdev blk_file path "$work/ro.img" readonly
	export UVDPA_RUNDIR="$run"
else
	echo "skip permission cases (need root and setpriv)"
fi

[ "$fails" = 0 ] && echo PASSED || echo "FAILED ($fails)"
exit $((fails != 0))
