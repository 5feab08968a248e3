#!/usr/bin/env bash
# Installs the Debian packages uvdpa needs, only those that are missing.
#   scripts/deps.sh build   - compilers, meson, libraries
#   scripts/deps.sh peers   - the real test peers (QEMU, DPDK, a guest kernel)
set -euo pipefail

build_pkgs=(gcc clang libclang-rt-14-dev meson ninja-build pkg-config libmnl-dev liburing-dev iproute2)
peer_pkgs=(qemu-system-x86 qemu-utils qemu-block-extra dpdk dpdk-dev librte-net-vhost23 librte-net-virtio23 busybox-static linux-image-amd64 cpio kmod systemd python3)

want=()
case "${1:-build}" in
	build) want=("${build_pkgs[@]}") ;;
	peers) want=("${peer_pkgs[@]}") ;;
	all)   want=("${build_pkgs[@]}" "${peer_pkgs[@]}") ;;
	*) echo "usage: $0 build|peers|all" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "uvdpa needs these Debian packages: ${missing[*]}" >&2
	echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
