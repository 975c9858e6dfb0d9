#!/bin/sh
# Run the integration suite against several builds at once (make check:
# the normal build and the ASan one), each suite with its own users,
# groups and temporary directory (IT_PREFIX), so that one suite's waits
# (approvals, timeouts, rate limits) overlap the other's work.  Each
# suite's output goes to a log, printed whole when it ends; the exit
# status is non-zero if any suite failed.
# Usage: tests/integration/parallel.sh BUILD...   (as root, like run.sh)
set -u
cd "$(dirname "$0")/../.."
logs=$(mktemp -d /tmp/csign-parallel.XXXXXX) || exit 1
pids=""
i=0
for b in "$@"; do
	i=$((i + 1))
	IT_PREFIX=csign-p$i sh tests/integration/run.sh "$b" \
		> "$logs/$i.log" 2>&1 &
	pids="$pids $!:$i:$b"
done
rc=0
for p in $pids; do
	pid=${p%%:*} rest=${p#*:}
	n=${rest%%:*} b=${rest#*:}
	wait "$pid"
	r=$?
	echo "=== integration on $b (exit $r) ==="
	cat "$logs/$n.log"
	[ "$r" -eq 0 ] || rc=1
done
[ "$rc" -eq 0 ] && rm -rf "$logs"
exit "$rc"
