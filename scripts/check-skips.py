#!/usr/bin/env python3
"""Fails when meson skipped a test that is not allowed to skip.

usage: check-skips.py TESTLOG.json OPTIONAL-FILE [GLOB...]
OPTIONAL-FILE holds one glob per line (text after '#' is a comment); the
extra arguments are more globs. A missing OPTIONAL-FILE means none."""
import fnmatch
import json
import sys


def allowed(path, extra):
    globs = list(extra)
    try:
        with open(path) as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    globs.append(line)
    except FileNotFoundError:
        pass
    return globs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    globs = allowed(sys.argv[2], sys.argv[3:])
    bad = []
    with open(sys.argv[1]) as f:
        for line in f:
            t = json.loads(line)
            if t.get('result') != 'SKIP':
                continue
            name = t.get('name', '?')
            if any(fnmatch.fnmatchcase(name, g) for g in globs):
                print(f'skipped (optional): {name}')
            else:
                bad.append(name)
    for name in bad:
        print(f'FAIL: {name} was skipped, and it must run', file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
