#!/bin/sh
# Run every cmocka unit test binary in BUILD/test (test_*), optionally
# under valgrind (CSIGN_VALGRIND=1).  Prints one summary line at the end.
build=${1:-build}
pass=0
fail=0
for t in "$build"/test/test_*; do
	[ -x "$t" ] || continue
	if [ -n "$CSIGN_VALGRIND" ]; then
		set -- valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite "$t"
	else
		set -- "$t"
	fi
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "unit: FAILED: $t" >&2
		fail=$((fail + 1))
	fi
done
echo "unit suites: $pass passed, $fail failed"
# No test binary at all is a broken build, not a green run.
if [ $((pass + fail)) -eq 0 ]; then
	echo "unit: no test binaries in $build/test" >&2
	exit 1
fi
[ "$fail" -eq 0 ]
