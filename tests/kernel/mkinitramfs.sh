#!/usr/bin/env bash
# Builds the kernel-face test guest's initramfs: busybox-static, the 6.12
# modules the VDUSE tests need (dependencies first, from modules.dep; .ko.xz
# decompressed here, since busybox insmod takes plain .ko only), the given
# programs with the libraries `ldd` lists plus the loader, and guest-init.sh
# as /init.
#
#   mkinitramfs.sh KVER KROOT OUT PROGRAM...
#
# Each PROGRAM lands in /bin under its own name.
set -euo pipefail
die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 KVER KROOT OUT PROGRAM..."
kver=$1 kroot=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
moddir=$kroot/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep"
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (apt-get install busybox-static)"
"$busybox" --list | grep -x insmod >/dev/null || die "$busybox has no insmod"

mods=(vdpa vduse virtio_vdpa vhost_vdpa virtio_blk virtio_net tun)
declare -A seen
order=()
add_mod() { # PATH relative to moddir: dependencies first, each once
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
		grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null && continue
		die "kernel $kver has no module $m"
	fi
	add_mod "$path"
done

root=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-kinitramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,lib/modules,usr/sbin,sbin}
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

# copy_lib FILE: into the image at the same path (the loader's search path).
copy_lib() {
	local f=$1 real
	[ -e "$root$f" ] && return
	mkdir -p "$root$(dirname "$f")"
	real=$(readlink -f "$f")
	cp "$real" "$root$f"
}
for prog in "$@"; do
	[ -x "$prog" ] || die "no program $prog"
	# rm first: a program named like a busybox applet replaces the link.
	rm -f "$root/bin/$(basename "$prog")"
	cp "$prog" "$root/bin/$(basename "$prog")"
	for lib in $(ldd "$prog" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		copy_lib "$lib"
	done
done
# Some programs look for their libraries under /lib64 and /usr/lib too.
[ -e "$root/lib64" ] || true
cp "$here/guest-init.sh" "$root/init"
chmod +x "$root/init"

tmp=$out.tmp.$$
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) | gzip -1 >"$tmp"
mv "$tmp" "$out"
