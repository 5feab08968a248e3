#!/usr/bin/env bash
# Kernel-face tests: QEMU (TCG) boots Debian's Linux 6.12 for bookworm with a
# busybox initramfs that carries uvdpad, uvdpa, iproute2's vdpa (and
# qemu-storage-daemon when installed); the guest's /init (guest-init.sh) runs
# the checks and prints PASS/FAIL lines, which this script collects.
#
#   run.sh --uvdpad PATH --uvdpa PATH [--probe PATH] [--checks base,blk,...]
#
# The kernel is fetched by fetch-kernel.sh (apt-get download, cached). A
# kernel or a QEMU that cannot be had is a failure here, not a skip.
# Environment: KERNEL_QEMU_TIMEOUT (seconds per boot, default 600), KERNEL_KEEP=1,
# UVDPA_TIMEOUT_MULT (scales that and the guest's own 240 s watchdog, as
# meson's --timeout-multiplier scales the test's: ASan builds run slower).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checks=base,qsd,blk,blkfile,net,tap,vhost,hostile,errors,export,claim
progs=()
while [ $# -gt 0 ]; do
	case $1 in
	--uvdpad|--uvdpa|--probe|--hold) progs+=("$2"); shift 2 ;;
	--checks) checks=$2; shift 2 ;;
	*) echo "usage: $0 --uvdpad PATH --uvdpa PATH [--probe PATH] [--checks LIST]" >&2; exit 2 ;;
	esac
done
fails=0 passes=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# What the guest is built from; installed when missing and we are root (CI).
need() { # PACKAGE FILE
	[ -e "$2" ] && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1; }
	fi
	[ -e "$2" ] || { fail "need-$1" "no $2 (apt-get install $1)"; exit 1; }
}
need qemu-system-x86 /usr/bin/qemu-system-x86_64
need busybox-static /bin/busybox
need iproute2 /usr/sbin/vdpa
need kmod /sbin/depmod
need cpio /usr/bin/cpio
need xz-utils /usr/bin/xz
progs+=(/usr/sbin/vdpa)
command -v qemu-storage-daemon >/dev/null && progs+=("$(command -v qemu-storage-daemon)")

read -r kver kroot < <("$here/fetch-kernel.sh") || true
[ -n "${kroot:-}" ] || { fail fetch-kernel "could not fetch the 6.12 kernel"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-kernel.XXXXXX")
trap '[ -n "${KERNEL_KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"' EXIT
"$here/mkinitramfs.sh" "$kver" "$kroot" "$tmp/initramfs.gz" "${progs[@]}" ||
	{ fail initramfs "mkinitramfs failed"; exit 1; }

scale() { awk -v s="$1" -v m="${UVDPA_TIMEOUT_MULT:-1}" 'BEGIN { printf "%d", s * (m > 1 ? m : 1) }'; }
start=$(date +%s.%N)
timeout "$(scale "${KERNEL_QEMU_TIMEOUT:-600}")" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 \
	-nodefaults -display none -no-reboot -monitor none -serial "file:$tmp/console.log" \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$tmp/initramfs.gz" \
	-append "console=ttyS0 quiet panic=-1 ipv6.disable=1 uvdpa_checks=$checks uvdpa_watchdog=$(scale 240) ${KERNEL_APPEND:-}" \
	>"$tmp/qemu.log" 2>&1
qrc=$?
end=$(date +%s.%N)
echo "# kernel $kver; guest run took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s (qemu exit $qrc)"
grep -a '^GUEST' "$tmp/console.log" | tr -d '\r' | sed 's/^/# /'
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"PASS "*) echo "$line"; passes=$((passes + 1)) ;;
	"FAIL "*) echo "$line"; fails=$((fails + 1)) ;;
	"NOTE "*) echo "# ${line#NOTE }" ;;
	esac
done < <(grep -a -E '^(PASS|FAIL|NOTE) ' "$tmp/console.log")
# Mismatch dumps and daemon messages, for the log.
if [ "$fails" -gt 0 ] || ! grep -aq '^GUEST done' "$tmp/console.log"; then
	grep -aq '^GUEST done' "$tmp/console.log" || fail guest-finished "no 'GUEST done'"
	echo "# console:"; tr -d '\r' <"$tmp/console.log" | tail -n 80 | sed 's/^/#  /'
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
