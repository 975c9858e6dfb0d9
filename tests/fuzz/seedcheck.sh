#!/bin/sh
# tests/fuzz/seedcheck.sh HARNESS...: run build-fuzz/seedcheck_HARNESS on
# tests/fuzz/corpus/HARNESS; fails if a harness has no seeds or any seed
# does not get past the first decoder production runs (a seed gone stale
# after a codec change: make fuzz-seeds writes them again).  Junk must
# not get past the decoder, or the check would prove nothing.
set -u
pass=0
fail=0
junk=$(mktemp -d "${TMPDIR:-/tmp}/csign-junk.XXXXXX") || exit 1
trap 'rm -rf "$junk"' EXIT
head -c 64 /dev/zero | tr '\000' '\377' > "$junk/ff"
for h in "$@"; do
	if ! "build-fuzz/seedcheck_$h" -x "$junk" > /dev/null 2>&1; then
		echo "seedcheck $h: FAILED: junk gets past its decoder" >&2
		fail=$((fail + 1))
	elif [ ! -d "tests/fuzz/corpus/$h" ]; then
		echo "seedcheck $h: FAILED: no tests/fuzz/corpus/$h" >&2
		fail=$((fail + 1))
	elif out=$("build-fuzz/seedcheck_$h" "tests/fuzz/corpus/$h" 2>&1); then
		pass=$((pass + 1))
		echo "seedcheck $h: ${out#seedcheck: }"
	else
		fail=$((fail + 1))
		echo "seedcheck $h: FAILED" >&2
		printf '%s\n' "$out" | sed 's/^/    /' >&2
	fi
done
echo "seedcheck: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
