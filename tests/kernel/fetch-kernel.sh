#!/usr/bin/env bash
# Fetches Debian's Linux 6.12 for bookworm (linux-image-6.12.*+deb12-amd64-unsigned)
# with `apt-get download` and unpacks it with `dpkg -x` into the cache; it is
# never installed on the host. modules.dep is made with `depmod -b` (the
# package carries none: depmod runs at install time).
#
#   fetch-kernel.sh      prints "KVER ROOT" (ROOT/boot/vmlinuz-KVER, ROOT/lib/modules/KVER)
#
# UVDPA_KERNEL_VERSION pins a version (e.g. 6.12.117); default: the newest one
# apt-cache knows. Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/uvdpa/kernel-KVER.
# Exits 1 (a failure, not a skip) when the kernel cannot be had: CI must see it.
set -euo pipefail

partial=
die() { echo "fetch-kernel: $*" >&2; [ -z "$partial" ] || rm -rf "$partial"; exit 1; }
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/uvdpa
mkdir -p "$cache"

newest() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^\(linux-image-6\.12\.[0-9]*+deb12-amd64-unsigned\) .*/\1/p' | sort -V | tail -n 1
}

if [ -n "${UVDPA_KERNEL_VERSION:-}" ]; then
	pkg=linux-image-${UVDPA_KERNEL_VERSION}+deb12-amd64-unsigned
else
	# A cached kernel is enough when the archive cannot be asked.
	pkg=$(newest || true)
	if [ -z "$pkg" ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(newest || true)
	fi
	if [ -z "$pkg" ]; then
		hit=$(ls -d "$cache"/kernel-6.12.*/ok 2>/dev/null | sort -V | tail -n 1 || true)
		[ -n "$hit" ] || die "apt-cache knows no linux-image-6.12.*+deb12-amd64-unsigned and nothing is cached in $cache"
		d=$(dirname "$hit")
		echo "$(cat "$hit") $d/root"
		exit 0
	fi
fi
kver=${pkg#linux-image-}
kver=${kver%-unsigned}
dir=$cache/kernel-$kver
if [ -f "$dir/ok" ]; then
	echo "$kver $dir/root"
	exit 0
fi

command -v apt-get >/dev/null || die "no apt-get: cannot download $pkg"
command -v depmod >/dev/null || die "no depmod (kmod): cannot index the modules of $pkg"
rm -rf "$dir"
partial=$dir
mkdir -p "$dir/deb"
# apt-get download writes into the current directory.
(cd "$dir/deb" && apt-get download "$pkg" >download.log 2>&1) ||
	die "apt-get download $pkg failed: $(tail -n 3 "$dir/deb/download.log")"
deb=$(ls "$dir"/deb/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg left no .deb"
dpkg -x "$deb" "$dir/root" || die "dpkg -x $deb failed"
[ -f "$dir/root/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
depmod -b "$dir/root" "$kver" || die "depmod -b $dir/root $kver failed"
rm -rf "$dir/deb"
echo "$kver" >"$dir/ok"
echo "$kver $dir/root"
