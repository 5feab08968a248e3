#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libuvdpa as installed: `meson install --destdir` from the build, then an
# application built out of tree with `pkg-config --cflags --libs uvdpa`
# writes and reads a uvdpad blk device over vhost-user. Also checks that
# libuvdpa.so exports exactly the functions of the installed headers, that
# each header compiles alone, and that uvdpa/uvdpa.h shows no parent-driver
# API.
#   install.sh BUILD_ROOT SOURCE_ROOT UVDPAD UVDPA CC SANITIZE
set -euo pipefail
build=$1 src=$2 uvdpad=$3 uvdpa=$4 cc=$5 sanitize=$6

tmp=$(mktemp -d /tmp/uvdpa-install.XXXXXX)
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "meson install"; }
pc=$(find "$tmp/root" -name uvdpa.pc)
[ -n "$pc" ] || fail "uvdpa.pc installed"
ok "meson install --destdir: $(realpath --relative-to="$tmp/root" "$pc")"

# The .pc names the final prefix; the sysroot maps it into the destdir.
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$tmp/root PKG_CONFIG_LIBDIR=
flags=$(pkg-config --cflags --libs uvdpa) || fail "pkg-config --cflags --libs uvdpa"
ok "pkg-config: $flags"
so=$(find "$tmp/root" -name 'libuvdpa.so.0' -print -quit)
[ -n "$so" ] || fail "libuvdpa.so.0 installed"
[ -L "$(dirname "$so")/libuvdpa.so" ] || fail "libuvdpa.so development link"
readelf -d "$so" | grep -q 'SONAME.*\[libuvdpa\.so\.0\]' || fail "soname libuvdpa.so.0"
ok "soname libuvdpa.so.0"
[ -z "$(find "$tmp/root" -name 'libuvdpa.a')" ] || fail "the internal archive is not installed"
for b in uvdpa-demo uvdpa-bench uvdpad uvdpa; do
	[ -n "$(find "$tmp/root" -name "$b" -type f)" ] || fail "$b installed"
done
[ -z "$(find "$tmp/root" \( -name demo -o -name bench \) -type f)" ] || fail "generic binary names"
ok "programs install as uvdpa-demo, uvdpa-bench, uvdpad, uvdpa"

# Exports: every defined dynamic symbol is a function of an installed header.
incdir=$(dirname "$(find "$tmp/root" -name uvdpa.h -path '*/uvdpa/*')")
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort >"$tmp/exported"
cat "$incdir"/*.h | grep -vE '^\s*(\*|/\*)' | grep -oE '\buvdpa_[a-z0-9_]+\s*\(' |
	sed 's/\s*(//' | grep -v '_fn$' | sort -u >"$tmp/declared"
grep -v '^uvdpa_' "$tmp/exported" && fail "libuvdpa.so exports names without the uvdpa_ prefix"
diff "$tmp/declared" "$tmp/exported" >"$tmp/exports.diff" ||
	{ cat "$tmp/exports.diff"; fail "exports differ from the installed headers (< declared, > exported)"; }
ok "nm -D: $(wc -l <"$tmp/exported") symbols, all uvdpa_, exactly the installed headers' functions"

san=()
[ "$sanitize" = none ] || san=("-fsanitize=$sanitize")
for h in "$incdir"/*.h; do
	echo "#include <uvdpa/$(basename "$h")>" |
		$cc "${san[@]}" -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c - $(pkg-config --cflags uvdpa) ||
		fail "uvdpa/$(basename "$h") compiles alone"
done
ok "each installed header compiles alone (-std=c11 -Wall -Wextra -Werror)"
printf '#include <uvdpa/uvdpa.h>\nstruct uvdpa_device_ops o;\n' |
	$cc -fsyntax-only -x c - $(pkg-config --cflags uvdpa) 2>/dev/null &&
	fail "uvdpa/uvdpa.h shows the parent-driver API"
ok "uvdpa/uvdpa.h shows no parent-driver API"

$cc "${san[@]}" -std=gnu11 -Wall -Wextra -Werror -o "$tmp/app" "$src/tests/install/app.c" $flags ||
	fail "build the application out of tree"
ok "application built out of tree"

mkdir "$tmp/run"
UVDPA_RUNDIR=$tmp/run "$uvdpad" >"$tmp/uvdpad.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do [ -S "$tmp/run/uvdpa.sock" ] && break; sleep 0.05; done
UVDPA_RUNDIR=$tmp/run "$uvdpa" dev add name blk0 mgmtdev vdpasim_blk ||
	{ cat "$tmp/uvdpad.log"; fail "uvdpa dev add"; }
for _ in $(seq 200); do [ -S "$tmp/run/vhost/blk0.sock" ] && break; sleep 0.05; done
LD_LIBRARY_PATH=$(dirname "$so") "$tmp/app" "$tmp/run/vhost/blk0.sock" ||
	{ cat "$tmp/uvdpad.log"; fail "application against uvdpad"; }
# Whole output first: grep -q stops reading early, and with pipefail the
# SIGPIPE that ldd then gets would fail the pipeline.
libs=$(LD_LIBRARY_PATH=$(dirname "$so") ldd "$tmp/app")
grep -q "$(dirname "$so")/libuvdpa.so.0" <<<"$libs" || fail "the application used the installed library"
ok "application wrote and read a uvdpad blk device through the installed libuvdpa.so.0"
echo PASSED
