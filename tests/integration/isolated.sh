#!/bin/sh
# Run each integration case alone, each in a fresh suite of its own (its
# own temporary directory, token, users and daemon), to prove that every
# case sets up what it needs instead of leaning on what an earlier case
# left behind.  Slow: one set-up per case.
# Usage: tests/integration/isolated.sh BUILD   (as root, like run.sh)
# ONLY=REGEX runs the matching cases only (e.g. the ones that failed);
# LOGDIR=DIR keeps each case's output in DIR/NAME.log (default: a
# temporary directory, removed when every case passed).
set -u
build=${1:-build}
cd "$(dirname "$0")/../.."
run=tests/integration/run.sh

cases=$(LIST=1 sh "$run" "$build") || exit 1
if [ -n "${LOGDIR:-}" ]; then
	mkdir -p "$LOGDIR" || exit 1
	logs=$LOGDIR
else
	logs=$(mktemp -d /tmp/csign-isolated.XXXXXX) || exit 1
fi
total=0
passed=0
failed=""
for t in $cases; do
	total=$((total + 1))
	start=$(date +%s)
	ONLY="^$t\$" sh "$run" "$build" > "$logs/$t.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	# The run's own count: a run that checked nothing is no pass.
	counts=$(sed -n 's/^integration: \([0-9]* passed, [0-9]* failed\)$/\1/p' \
		"$logs/$t.log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$counts" ] &&
	    [ "${counts%% passed*}" -gt 0 ]; then
		passed=$((passed + 1))
		printf 'pass %s (%s, %ss)\n' "$t" "$counts" "$secs"
	else
		failed="$failed $t"
		printf 'FAIL %s (exit %s, %s, %ss)\n' "$t" "$rc" \
			"${counts:-no count}" "$secs"
		grep -E '^(FAIL|    )' "$logs/$t.log" | head -20 | sed 's/^/    /'
	fi
done
echo "isolated: $passed of $total cases passed alone"
if [ -n "$failed" ]; then
	echo "isolated: failed:$failed (logs in $logs)"
	exit 1
fi
[ -n "${LOGDIR:-}" ] || rm -rf "$logs"
