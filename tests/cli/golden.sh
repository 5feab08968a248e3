#!/bin/bash
# Golden test: replays the commands of iproute2 vdpa transcripts (real kernel
# simulators, reference/transcripts/) against a real uvdpad in a temporary
# run directory and compares stdout, stderr and exit status byte for byte.
# Each scenario gets a fresh daemon: state carries over inside a scenario only.
# Commands other than vdpa's (ls, cat, ip ...) are skipped. Expected results
# come from golden-expect.pl (program name, version, vhost socket) and the
# override files in golden/ (uvdpa's deliberate differences, explained there).
#
# The transcripts are kept in the repository, in golden/transcripts
# (scripts/refresh-golden.sh copies them from ../shared/reference/transcripts).
#
# usage: golden.sh UVDPA UVDPAD VERSION SCENARIO...
set -u

uvdpa=$(readlink -f "$1"); uvdpad=$(readlink -f "$2"); version=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
transcripts=$here/golden/transcripts
# Never a skip: the data is part of the repository.
[ -d "$transcripts" ] || { echo "FAIL: no transcripts in $transcripts"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-golden.XXXXXX")
# argv[0] must be plain "uvdpa", as iproute2's was "vdpa" (getopt messages)
mkdir -p "$work/bin"
ln -s "$uvdpa" "$work/bin/uvdpa"
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

start_daemon() {
	local run=$1 i
	"$uvdpad" -r "$run" 2>"$run.log" &
	daemon=$!
	for ((i = 0; i < 200; i++)); do
		[ -S "$run/uvdpa.sock" ] && return 0
		kill -0 "$daemon" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: uvdpad did not start"; cat "$run.log"
	return 1
}

stop_daemon() {
	kill -TERM "$daemon" 2>/dev/null
	wait "$daemon"
	local rc=$?
	daemon=
	return $rc
}

# whole file into a variable, trailing newlines included, without a fork
slurp() { IFS= read -r -d '' "$1" <"$2"; true; }

fails=0 checks=0
for sc in "$@"; do
	t=$(echo "$transcripts/$sc"-*.txt)
	[ -f "$t" ] || { echo "FAIL: no transcript $sc"; fails=$((fails + 1)); continue; }
	name=$(basename "$t" .txt)
	run=$work/$name.run exp=$work/$name.exp
	mkdir -p "$run" "$exp"
	ovr="$here/golden/$name.txt"
	[ -f "$ovr" ] || ovr=-
	RUNDIR=$run VERSION=$version perl "$here/golden-expect.pl" "$t" "$ovr" "$exp" || exit 1
	start_daemon "$run" || exit 1
	export UVDPA_RUNDIR="$run" PATH="$work/bin:$PATH"
	for c in "$exp"/*.cmd; do
		id=${c%.cmd}
		read -r cmd <"$c"
		case "$cmd" in
		vdpa|"vdpa "*) ;;
		*) continue ;;
		esac
		checks=$((checks + 1))
		(cd "$work" && eval "u$cmd") >"$id.got.out" 2>"$id.got.err"
		got_rc=$?
		slurp want_out "$id.out"; slurp got_out "$id.got.out"
		slurp want_err "$id.err"; slurp got_err "$id.got.err"
		read -r want_rc <"$id.rc"
		read -r src <"$id.src"
		what="$name: u$cmd ($src)"
		if [ "$want_out" == "$got_out" ] && [ "$want_err" == "$got_err" ] &&
		   [ "$want_rc" == "$got_rc" ]; then
			echo "ok   $what"
		else
			echo "FAIL $what"
			diff -u --label expected --label got "$id.out" "$id.got.out" | sed 's/^/    out /'
			diff -u --label expected --label got "$id.err" "$id.got.err" | sed 's/^/    err /'
			echo "    rc  expected $want_rc, got $got_rc"
			fails=$((fails + 1))
		fi
	done
	if ! stop_daemon; then
		echo "FAIL $name: uvdpad did not exit cleanly"; cat "$run.log"
		fails=$((fails + 1))
	fi
done
echo "$checks commands, $fails failed"
[ "$fails" -eq 0 ] && [ "$checks" -gt 0 ]
