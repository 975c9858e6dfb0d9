#!/bin/sh
# Run several commands side by side and report them one after the other
# (make check: the two integration suites, which mostly wait on timers
# and daemons, beside the static checks and the fuzz smoke, which mostly
# compute).  Each command's output goes to a log printed whole when that
# command ends, so the lanes' lines never interleave; the exit status is
# non-zero if any command failed.
# Usage: tests/lanes.sh 'COMMAND' ['COMMAND'...]
set -u
logs=$(mktemp -d /tmp/csign-lanes.XXXXXX) || exit 1
pids=""
i=0
for c in "$@"; do
	i=$((i + 1))
	sh -c "$c" > "$logs/$i.log" 2>&1 &
	pids="$pids $!:$i"
done
rc=0
i=0
for p in $pids; do
	i=$((i + 1))
	wait "${p%%:*}"
	r=$?
	eval "c=\${$i}"
	echo "=== $c (exit $r) ==="
	cat "$logs/${p#*:}.log"
	[ "$r" -eq 0 ] || rc=1
done
rm -rf "$logs"
exit "$rc"
