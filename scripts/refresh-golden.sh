#!/usr/bin/env bash
# Refreshes the golden data of tests/cli/golden from the reference
# transcripts (iproute2 vdpa against the kernel's simulators), so the golden
# test runs from a plain clone. Run it when the reference transcripts change,
# then review and commit the diff.
#   scripts/refresh-golden.sh [TRANSCRIPTS-DIR]   (default ../shared/reference/transcripts)
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:-../shared/reference/transcripts}
dst=tests/cli/golden/transcripts
# The scenarios tests/cli/meson.build replays (01 02 03 04 07 23), and the README.
scenarios=(01 02 03 04 07 23)

[ -d "$src" ] || { echo "no transcripts in $src" >&2; exit 1; }
mkdir -p "$dst"
for sc in "${scenarios[@]}"; do
	files=("$src/$sc"-*.txt)
	[ -f "${files[0]}" ] || { echo "no transcript $sc in $src" >&2; exit 1; }
	cp "${files[0]}" "$dst/"
done
cp "$src/README.md" "$dst/README.md"
git status --short -- "$dst"
