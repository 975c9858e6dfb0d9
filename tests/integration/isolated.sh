#!/bin/sh
# Run each integration case alone, each in a fresh suite of its own (its
# own temporary directory, token, users and daemon), to prove that every
# case sets up what it needs instead of leaning on what an earlier case
# left behind.  Slow: one set-up per case.
# Usage: tests/integration/isolated.sh BUILD   (as root, like run.sh)
# ONLY=REGEX runs the matching cases only (e.g. the ones that failed);
# JOBS=N runs N cases at a time, each worker with its own IT_PREFIX
# (IT_PREFIX1 ... IT_PREFIXN: users and groups of its own);
# LOGDIR=DIR keeps each case's output in DIR/NAME.log (default: a
# temporary directory, removed when every case passed).
set -u
build=${1:-build}
cd "$(dirname "$0")/../.."
run=tests/integration/run.sh
prefix=${IT_PREFIX:-csign-it}
jobs=${JOBS:-1}

cases=$(LIST=1 sh "$run" "$build") || exit 1
if [ -n "${LOGDIR:-}" ]; then
	mkdir -p "$LOGDIR" || exit 1
	logs=$LOGDIR
else
	logs=$(mktemp -d /tmp/csign-isolated.XXXXXX) || exit 1
fi
rm -f "$logs/results"
# One token for all: each case gets a copy of its own (IT_TOKEN_FROM).
if [ -z "${IT_TOKEN_FROM:-}" ]; then
	rm -rf "$logs/token"
	mkdir -p "$logs/token" &&
		sh tests/lib/token.sh "$logs/token" > /dev/null || exit 1
	IT_TOKEN_FROM=$logs/token
	export IT_TOKEN_FROM
fi

# one NAME PREFIX: run case NAME alone; one result line to $logs/results.
one() {
	start=$(date +%s)
	IT_PREFIX=$2 ONLY="^$1\$" sh "$run" "$build" > "$logs/$1.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	# The run's own count: a run that checked nothing is no pass.
	counts=$(sed -n 's/^integration: \([0-9]* passed, [0-9]* failed\)$/\1/p' \
		"$logs/$1.log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$counts" ] &&
	    [ "${counts%% passed*}" -gt 0 ] &&
	    [ "${counts#* passed, }" = "0 failed" ]; then
		line="pass $1 ($counts, ${secs}s)"
	else
		line="FAIL $1 (exit $rc, ${counts:-no count}, ${secs}s)"
	fi
	echo "$line" >> "$logs/results"
	echo "$line"
	case $line in
	FAIL*) grep -E '^(FAIL|    )' "$logs/$1.log" | head -20 |
		sed 's/^/    /' ;;
	esac
}

# Worker w of $jobs takes every $jobs-th case.
pids=""
w=1
while [ "$w" -le "$jobs" ]; do
	p=$prefix
	[ "$jobs" -gt 1 ] && p=$prefix$w
	(
		i=0
		for t in $cases; do
			i=$((i + 1))
			[ $(((i - 1) % jobs + 1)) -eq "$w" ] && one "$t" "$p"
		done
	) &
	pids="$pids $!"
	w=$((w + 1))
done
for p in $pids; do
	wait "$p"
done

total=$(printf '%s\n' $cases | wc -l)
passed=$(grep -c '^pass ' "$logs/results")
failed=$(sed -n 's/^FAIL \([^ ]*\) .*/\1/p' "$logs/results" | tr '\n' ' ')
echo "isolated: $passed of $total cases passed alone"
if [ "$passed" -ne "$total" ]; then
	echo "isolated: failed: $failed(logs in $logs)"
	exit 1
fi
[ -n "${LOGDIR:-}" ] || rm -rf "$logs"
