#!/bin/sh
# clang-tidy over every production C file, two files at a time (one per
# core), failing on any warning.
# Usage: tests/lint-tidy.sh LIBEXECDIR SYSCONFDIR
set -eu
cd "$(dirname "$0")/.."
libexec=$1 sysconf=$2
# One file per clang-tidy process: a warning names its file, and xargs
# exits non-zero if any process did.
git ls-files '*.c' | grep -v '^tests/' | xargs -P2 -I{} \
	clang-tidy --quiet --warnings-as-errors='*' {} -- -std=c17 \
	-D_GNU_SOURCE -I. "-DCSIGN_LIBEXECDIR=\"$libexec\"" \
	"-DCSIGN_SYSCONFDIR=\"$sysconf\""
