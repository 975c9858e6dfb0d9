#!/bin/sh
# tests/fuzz/run.sh SECONDS HARNESS...: run each libFuzzer harness for
# SECONDS on a scratch copy of tests/fuzz/corpus/HARNESS (the committed
# seeds stay as they are); fail on any crash, leak or timeout, whose input
# is kept in build-fuzz/crashes/.  Prints execs and coverage per harness.
set -u
secs=$1
shift
pass=0
fail=0
mkdir -p build-fuzz/crashes
for h in "$@"; do
	work=build-fuzz/corpus/$h
	mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$h" ] && cp -n tests/fuzz/corpus/$h/* "$work/" 2>/dev/null
	log=build-fuzz/$h.log
	if "build-fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="build-fuzz/crashes/$h-" \
	    -print_final_stats=1 "$work" > "$log" 2>&1; then
		pass=$((pass + 1))
		execs=$(grep -a '^stat::number_of_executed_units:' "$log" |
			tail -1 | sed 's/.*: *//')
		cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz $h: ok, $execs execs, $cov in ${secs}s"
	else
		fail=$((fail + 1))
		echo "fuzz $h: FAILED (see $log)" >&2
		grep -aE 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
