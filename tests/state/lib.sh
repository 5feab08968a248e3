# Shared by the state tests (sourced after setting $uvdpa and $uvdpad): a
# scratch directory, a uvdpad started from the build tree on its own run
# directory and state file, and the checks.
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-state.XXXXXX")
chmod 755 "$work"
run=$work/run
state=$work/state/devices
log=$work/uvdpad.log
mkdir "$work/bin"
ln -s "$uvdpa" "$work/bin/uvdpa"
export PATH="$work/bin:$PATH" UVDPA_RUNDIR="$run"
unset UVDPA_SOCK
fails=0
daemon=
as=()           # a command prefix to run uvdpad as another user
trap '[ -n "$daemon" ] && kill -KILL $daemon 2>/dev/null; rm -rf "$work"' EXIT

ok() {
	local name=$1; shift
	if "$@"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		fails=$((fails + 1))
	fi
}

# start [UVDPAD OPTIONS]: -d returns once the socket listens; requests queue
# until the saved devices are back, so the next command sees them.
start() {
	: >"$run.pid"
	rm -f "$run/uvdpad.lock"
	if ! "${as[@]}" "$uvdpad" -d -r "$run" -S "$state" "$@" 2>>"$log"; then
		echo "FAIL uvdpad did not start"; cat "$log"; exit 1
	fi
	for ((i = 0; i < 100; i++)); do
		daemon=$(cat "$run/uvdpad.lock" 2>/dev/null)
		# A first request is answered once the state file has been read
		# (and logged): the loop starts after that.
		[ -n "$daemon" ] && uvdpa dev show >/dev/null && return 0
		sleep 0.05
	done
	echo "FAIL no pid in $run/uvdpad.lock"; exit 1
}

# stop SIGNAL: sends it and waits for the daemon to be gone.
stop() {
	kill -"$1" "$daemon"
	for ((i = 0; i < 100 * ${UVDPA_TIMEOUT_MULT:-1}; i++)); do
		# -d: the daemon is not our child; a zombie nobody reaped yet is gone too.
		st=$(awk '{ print $3 }' "/proc/$daemon/stat" 2>/dev/null)
		if [ -z "$st" ] || [ "$st" = Z ]; then
			daemon=
			# uvdpad -d is not our child: its sanitizers speak in the log only.
			ok "no sanitizer report after SIG$1" \
				bash -c "! grep -qE 'Sanitizer|runtime error' '$log'"
			return 0
		fi
		sleep 0.05
	done
	echo "FAIL uvdpad $daemon did not stop on SIG$1"; exit 1
}

# What a restart must not change: devices, config, and the socket files.
snapshot() {
	uvdpa -j dev show
	uvdpa -j dev config show
	(cd "$run/vhost" && for s in *; do [ -S "$s" ] && echo "socket $s"; done)
}

finish() {
	if [ $fails -ne 0 ]; then
		echo "---- uvdpad log:"; cat "$log"
		exit 1
	fi
	exit 0
}
