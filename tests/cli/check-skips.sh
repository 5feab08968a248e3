#!/bin/bash
# scripts/check-skips.py, the rule behind "a skipped test fails CI": a SKIP in
# meson's testlog.json fails unless a glob in the optional list (file or
# arguments) names the test.
#
# usage: check-skips.sh CHECK-SKIPS.PY
set -u
check=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/uvdpa-skips.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"

cat >"$work/log.json" <<'JSON'
{"name": "uvdpa:cli / cli/golden", "result": "OK"}
{"name": "uvdpa:peers / peers-testpmd", "result": "SKIP"}
JSON
printf '# comment\n\n' >"$work/none"
printf '*peers-*   # no DPDK here\n' >"$work/peers"

check "a required test skipped: failure" 1 "" "FAIL: uvdpa:peers / peers-testpmd was skipped, and it must run
" -- "$check" "$work/log.json" "$work/none"
check "a missing optional list: the same" 1 "" "FAIL: uvdpa:peers / peers-testpmd was skipped, and it must run
" -- "$check" "$work/log.json" "$work/nosuch"
check "listed in the file: allowed" 0 "skipped (optional): uvdpa:peers / peers-testpmd
" "" -- "$check" "$work/log.json" "$work/peers"
check "listed as an argument: allowed" 0 "skipped (optional): uvdpa:peers / peers-testpmd
" "" -- "$check" "$work/log.json" "$work/none" '*peers-testpmd'
sed -i 's/SKIP/OK/' "$work/log.json"
check "nothing skipped: success" 0 "" "" -- "$check" "$work/log.json" "$work/none"

echo "$fails failed"
[ "$fails" -eq 0 ]
