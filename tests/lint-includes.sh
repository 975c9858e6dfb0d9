#!/bin/sh
# Check that includes follow the layers (shared DESIGN.md, "Layout"):
#
#   - only token/ includes libp11 or a PKCS#11 header, directly or through
#     a token/ header that does (token/module.h, token/pkcs11_min.h, ...);
#   - monitor/ includes nothing of the loop (broker/);
#   - sandbox/, client/ and proto/ include nothing privileged (broker/,
#     monitor/, records/, token/);
#   - records/ and token/ include nothing above them (broker/, monitor/);
#   - common/ includes nothing of the project but common/.
#
#   sh tests/lint-includes.sh [SRCDIR]
#   sh tests/lint-includes.sh --self-test
#
# Prints FILE:LINE: why for each violation; exit 1 if there is one, 0 if
# none, 2 on a usage error.  Build directories and .git are skipped.
# --self-test checks the checker: a scratch tree with one violation of
# each rule (and allowed includes beside them) must give exactly those.
set -eu

# Write file $1 (under the current directory) with the lines $2...
put() {
	f=$1
	shift
	mkdir -p "$(dirname "$f")"
	printf '%s\n' "$@" > "$f"
}

self_test() {
	me=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	t=$(mktemp -d "${TMPDIR:-/tmp}/lint-includes.XXXXXX")
	trap 'rm -rf "$t"' EXIT
	(
	cd "$t"
	put token/module.h '#include <libp11.h>'
	put token/pkcs11_min.h '/* no includes */'
	put token/token.h '#include <openssl/evp.h>'
	put token/login.c '#include <libp11.h>' '#include "token/module.h"' \
	    '#include "token/pkcs11_min.h"' '#include "records/config.h"' \
	    '#include "broker/csignd.h"'
	put admin/keygen.c '#include "token/token.h"' '  #  include <libp11.h>' \
	    '#include "token/module.h"' '#include "token/pkcs11_min.h"'
	put tests/unit/test_x.c '#include <p11-kit/pkcs11.h>'
	put bench/b.c '#include "token/token.h"'
	put monitor/m.c '#include "records/policy.h"' '#include "broker/pool.h"'
	put sandbox/s.c '#include "proto/msg.h"' '#include "records/config.h"'
	put client/c.c '#include "common/log.h"' '#include "token/token.h"'
	put proto/p.c '#include <stdio.h>' '#include "monitor/monitor.h"'
	put records/r.c '#include "token/token.h"' '#include "monitor/held.h"'
	put common/u.c '#include <stdio.h>' '#include "common/util.h"' \
	    '#include "proto/names.h"'
	put build/obj/x.c '#include <libp11.h>'
	put build-asan/y.c '#include "broker/pool.h"'
	) || exit 2
	cat > "$t.want" <<-EOF
	admin/keygen.c:2: includes libp11.h: only token/ may include libp11 or PKCS#11
	admin/keygen.c:3: includes token/module.h: only token/ may include libp11 or PKCS#11
	admin/keygen.c:4: includes token/pkcs11_min.h: only token/ may include libp11 or PKCS#11
	client/c.c:2: includes token/token.h: client/ must not include the privileged side
	common/u.c:3: includes proto/names.h: common/ includes only common/
	monitor/m.c:2: includes broker/pool.h: monitor/ must not include the loop (broker/)
	proto/p.c:2: includes monitor/monitor.h: proto/ must not include the privileged side
	records/r.c:2: includes monitor/held.h: records/ must not include broker/ or monitor/
	sandbox/s.c:2: includes records/config.h: sandbox/ must not include the privileged side
	tests/unit/test_x.c:1: includes p11-kit/pkcs11.h: only token/ may include libp11 or PKCS#11
	token/login.c:5: includes broker/csignd.h: token/ must not include broker/ or monitor/
	EOF
	rc=0
	sh "$me" "$t" > "$t.got" || rc=$?
	if [ "$rc" -ne 1 ] || ! diff -u "$t.want" "$t.got"; then
		echo "lint-includes: self-test FAILED (exit $rc)" >&2
		rm -f "$t.want" "$t.got"
		exit 1
	fi
	rm -f "$t.want" "$t.got"
	echo "lint-includes: self-test passed"
	exit 0
}

[ "${1:-}" = --self-test ] && self_test
src=${1:-$(dirname "$0")/..}
cd "$src" || exit 2

files=$(find . \( -name .git -o -name 'build' -o -name 'build-*' \) -prune \
	-o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' |
	LC_ALL=C sort)
[ -n "$files" ] || { echo "lint-includes: no sources under $src" >&2; exit 2; }

# shellcheck disable=SC2086
printf '%s\n' $files | awk '
# The PKCS#11 headers: libp11, the Cryptoki headers under their usual
# names, and our own minimal one.
function is_pkcs11(h) {
	return h ~ /(^|\/)libp11\.h$/ || h ~ /(^|\/)(pkcs11|cryptoki)[a-z0-9_]*\.h$/
}
function top(f) {
	return substr(f, 1, index(f, "/") - 1)
}
function report(f, n, why) {
	printf "%s:%d: %s\n", f, n, why
	bad = 1
}
# Pass 1: read every include of every file.
{
	f = $0
	nfiles++
	file[nfiles] = f
	n = 0
	while ((getline line < f) > 0) {
		n++
		if (line !~ /^[ \t]*#[ \t]*include[ \t]*[<"]/)
			continue
		h = line
		sub(/^[ \t]*#[ \t]*include[ \t]*/, "", h)
		q = substr(h, 1, 1)
		h = substr(h, 2)
		sub(q == "<" ? ">.*" : "\".*", "", h)
		ninc[f]++
		inc[f, ninc[f]] = h
		quoted[f, ninc[f]] = (q == "\"")
		incline[f, ninc[f]] = n
	}
	close(f)
}
END {
	# A token/ header that includes a PKCS#11 header is one itself.
	for (i = 1; i <= nfiles; i++) {
		f = file[i]
		if (f !~ /^token\/.*\.h$/)
			continue
		for (j = 1; j <= ninc[f]; j++)
			if (is_pkcs11(inc[f, j]))
				p11hdr[f] = 1
	}
	for (i = 1; i <= nfiles; i++) {
		f = file[i]
		dir = top(f)
		for (j = 1; j <= ninc[f]; j++) {
			h = inc[f, j]
			n = incline[f, j]
			hdir = quoted[f, j] ? top(h) : ""
			# A PKCS#11 module of the tests (a fault injector) is
			# itself a token: it needs the definitions.
			if (dir != "token" && f !~ /^tests\/tools\/p11[a-z]*\.c$/ &&
			    (is_pkcs11(h) || (quoted[f, j] && (h in p11hdr))))
				report(f, n, "includes " h \
				    ": only token/ may include libp11 or PKCS#11")
			if (!quoted[f, j])
				continue
			if (dir == "monitor" && hdir == "broker")
				report(f, n, "includes " h \
				    ": monitor/ must not include the loop (broker/)")
			if ((dir == "sandbox" || dir == "client" ||
			    dir == "proto") && (hdir == "broker" ||
			    hdir == "monitor" || hdir == "records" ||
			    hdir == "token"))
				report(f, n, "includes " h ": " dir \
				    "/ must not include the privileged side")
			if ((dir == "records" || dir == "token") &&
			    (hdir == "broker" || hdir == "monitor"))
				report(f, n, "includes " h ": " dir \
				    "/ must not include broker/ or monitor/")
			if (dir == "common" && hdir != "common")
				report(f, n, "includes " h \
				    ": common/ includes only common/")
		}
	}
	exit bad
}'
