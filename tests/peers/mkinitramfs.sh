#!/usr/bin/env bash
# Builds the test guest's initramfs from installed Debian packages only:
# the kernel of linux-image-amd64, its virtio modules (dependencies from
# modules.dep), busybox-static and tests/peers/guest-init.sh as /init.
#
#   mkinitramfs.sh        prints "KERNEL INITRAMFS" (two paths on one line)
#   mkinitramfs.sh [--init FILE] [--add SRC=DEST]...
#                         another /init, and more files (DEST inside the image)
#
# The image is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/uvdpa, keyed by
# the kernel version and a hash of this script, the init script and busybox.
# Exit 77 when a package is missing and cannot be installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

init=$peers_dir/guest-init.sh
adds=()
while [ $# -gt 0 ]; do
	case $1 in
	--init) init=$2; shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	*) echo "usage: $0 [--init FILE] [--add SRC=DEST]..." >&2; exit 2 ;;
	esac
done

need_pkgs linux-image-amd64 busybox-static cpio kmod

# The newest kernel that has its modules installed.
kver=
for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's,^/boot/vmlinuz-,,' | sort -V); do
	[ -f "/lib/modules/$k/modules.dep" ] && kver=$k
done
[ -n "$kver" ] || skip "no /boot/vmlinuz-* with /lib/modules/<version>/modules.dep"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || skip "$kernel is not readable"
busybox=/bin/busybox
[ -x "$busybox" ] || skip "no $busybox (busybox-static)"

mods=(virtio_pci virtio_blk virtio_net)
key=$( { echo "$kver ${mods[*]}"; cat "$0" "$init" "$busybox"
	for a in "${adds[@]}"; do echo "${a#*=}"; cat "${a%%=*}"; done; } |
	sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/uvdpa
out=$cache/initramfs-$kver-$key.cpio.gz
if [ -s "$out" ]; then
	echo "$kernel $out"
	exit 0
fi

moddir=/lib/modules/$kver
declare -A seen
order=()
# add_mod PATH: dependencies first, each module once (PATH relative to moddir).
add_mod() {
	local path=$1 dep
	[ -n "${seen[$path]:-}" ] && return
	seen[$path]=1
	for dep in $(awk -v m="$path:" '$1 == m { $1 = ""; print }' "$moddir/modules.dep"); do
		add_mod "$dep"
	done
	order+=("$path")
}
for m in "${mods[@]}"; do
	path=$(awk -F: -v m="$m.ko" '{ n = $1; sub(/.*\//, "", n); sub(/\.(xz|zst|gz)$/, "", n)
		if (n == m) { print $1; exit } }' "$moddir/modules.dep")
	if [ -z "$path" ]; then
		# Built into the kernel: nothing to load.
		grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null && continue
		skip "kernel $kver has no module $m"
	fi
	add_mod "$path"
done

root=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
for app in $("$busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done
: >"$root/modules.load"
for path in "${order[@]}"; do
	name=$(basename "$path")
	case $name in
	*.ko) cp "$moddir/$path" "$root/lib/modules/$name" ;;
	*.ko.xz) xz -dc "$moddir/$path" >"$root/lib/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$root/lib/modules/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz) gzip -dc "$moddir/$path" >"$root/lib/modules/${name%.gz}"; name=${name%.gz} ;;
	esac
	echo "$name" >>"$root/modules.load"
done
install -m 0755 "$init" "$root/init"
for a in "${adds[@]}"; do
	install -D -m 0755 "${a%%=*}" "$root/${a#*=}"
done

mkdir -p "$cache"
tmp=$(mktemp "$cache/.initramfs.XXXXXX")
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) | gzip -1 >"$tmp"
mv "$tmp" "$out"
echo "$kernel $out"
