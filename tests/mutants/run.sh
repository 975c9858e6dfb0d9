#!/bin/sh
# tests/mutants/run.sh [NAME...]: mutation testing of the defences.
#
# Each tests/mutants/NAME.patch is a deliberate bug in one defence.  For
# each, a scratch copy of the tree (the files git knows or would add, as
# they are in the work tree, and build/ if it exists, so only what the
# patch touches is rebuilt) gets the patch, is built, and runs the unit tests and then the
# integration cases named on the patch's "# cases:" line (an ONLY= regex).
# Some test must fail: the mutant is then KILLED.  Otherwise it SURVIVED,
# and the suite has no test with teeth for that defence.
#
# A patch that no longer applies (the code it breaks has moved) is STALE,
# one whose scratch tree does not build is BROKEN, one whose cases match
# no integration case function is NOCASES: all three are failures of the
# runner, never silently skipped, because a mutant that does not run
# proves nothing.  With BASELINE=1 the named cases first run on the
# unpatched copy, which must pass (else a kill would mean nothing).
#
# Prints "N/M mutants killed"; exits 0 only if every mutant was killed.
# Environment: IT_PREFIX (default csmut), KEEP=1 keeps the scratch trees,
# MUTANTS_TMP (default ${TMPDIR:-/tmp}) for them, JOBS (make -j, 2).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
export IT_PREFIX="${IT_PREFIX:-csmut}"
jobs=${JOBS:-2}
logs=$top/build/mutants
base=$(mktemp -d "${MUTANTS_TMP:-${TMPDIR:-/tmp}}/csign-mutants.XXXXXX") ||
	exit 2
mkdir -p "$logs"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$base"' EXIT
trap 'exit 130' INT TERM

if [ $# -eq 0 ]; then
	for p in tests/mutants/*.patch; do
		[ -f "$p" ] && set -- "$@" "$(basename "$p" .patch)"
	done
fi
if [ $# -eq 0 ]; then
	echo "mutants: no patches in tests/mutants" >&2
	exit 1
fi

# The value of a "# KEY: value" header line of patch $1.
header() {
	sed -n "s/^# $2: //p" "$1" | head -1
}

# Every integration case function (t_*), one a line.
case_names() {
	sed -n 's/^\(t_[A-Za-z0-9_]*\)().*/\1/p' tests/integration/run.sh \
		tests/integration/cases/*.sh
}

# Copy the tracked files as they are now (less those deleted, plus new
# ones not ignored) and build/ to $1, mtimes kept.
scratch() {
	mkdir -p "$1" &&
	git ls-files -z -c -o --exclude-standard |
		tar --null --ignore-failed-read -cf - -T - 2>/dev/null |
		tar xf - -C "$1" &&
	if [ -d build ]; then
		tar cf - --exclude=build/mutants build | tar xf - -C "$1"
	fi
}

# Build $1 quietly; 0 if it built.
build() {
	(cd "$1" && make -j"$jobs" all tests) > "$2" 2>&1
}

# Unit tests, then the integration cases $2, in tree $1; 0 if all pass.
run_tests() {
	(cd "$1" && sh tests/run-unit.sh build) >> "$3" 2>&1 || {
		echo unit
		return 1
	}
	(cd "$1" && ONLY="$2" sh tests/integration/run.sh build) >> "$3" 2>&1 ||
	{
		echo integration
		return 1
	}
	return 0
}

if [ "${BASELINE:-0}" = 1 ]; then
	all=
	for n in "$@"; do
		c=$(header "tests/mutants/$n.patch" cases)
		all="${all:+$all|}${c}"
	done
	tree=$base/baseline
	log=$logs/baseline.log
	: > "$log"
	if ! scratch "$tree" || ! build "$tree" "$log" ||
	    ! run_tests "$tree" "$all" "$log" > /dev/null; then
		echo "mutants: the unpatched tree fails its tests (see $log)" >&2
		exit 1
	fi
	echo "mutants: baseline passes"
	rm -rf "$tree"
fi

killed=0
total=0
bad=0
names=$(case_names)
for n in "$@"; do
	p=$top/tests/mutants/$n.patch
	total=$((total + 1))
	log=$logs/$n.log
	: > "$log"
	if [ ! -f "$p" ]; then
		echo "mutant $n: no such patch" >&2
		bad=$((bad + 1))
		continue
	fi
	cases=$(header "$p" cases)
	if [ -z "$cases" ] || ! echo "$names" | grep -Eq "$cases"; then
		echo "mutant $n: NOCASES (\"$cases\" names no integration case)"
		bad=$((bad + 1))
		continue
	fi
	tree=$base/$n
	if ! scratch "$tree"; then
		echo "mutants: cannot copy the tree to $tree" >&2
		exit 2
	fi
	if ! (cd "$tree" && git apply --check "$p" && git apply "$p") \
	    >> "$log" 2>&1; then
		note=$(header "$p" note)
		echo "mutant $n: STALE (the patch no longer applies${note:+; $note})"
		bad=$((bad + 1))
		rm -rf "$tree"
		continue
	fi
	if ! build "$tree" "$log"; then
		echo "mutant $n: BROKEN (does not build; see $log)"
		bad=$((bad + 1))
		rm -rf "$tree"
		continue
	fi
	start=$(date +%s)
	if by=$(run_tests "$tree" "$cases" "$log"); then
		echo "mutant $n: SURVIVED ($(header "$p" defence))"
	else
		killed=$((killed + 1))
		echo "mutant $n: killed by $by tests in $(($(date +%s) - start)) s"
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$tree"
done
if [ "$bad" -gt 0 ]; then
	echo "$killed/$total mutants killed ($bad could not run)"
else
	echo "$killed/$total mutants killed"
fi
[ "$killed" -eq "$total" ]
