# Shared by the uvdpa shell tests (sourced). Needs $work (a scratch dir).
fails=0

# check NAME RC STDOUT STDERR -- COMMAND...: exact stdout, stderr and status
check() {
	local name=$1 rc=$2 out=$3 err=$4; shift 5
	"$@" >"$work/out" 2>"$work/err"
	local got=$?
	if [ "$got" = "$rc" ] && [ "$(cat "$work/out"; echo x)" = "$out"x ] &&
	   [ "$(cat "$work/err"; echo x)" = "$err"x ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: rc $got (want $rc)"
		echo "---- stdout:"; cat "$work/out"; echo "---- want:"; printf '%s' "$out"
		echo "---- stderr:"; cat "$work/err"; echo "---- want:"; printf '%s' "$err"
		fails=$((fails + 1))
	fi
}

# ok NAME CONDITION-COMMAND...
ok() {
	local name=$1; shift
	if "$@"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		fails=$((fails + 1))
	fi
}
