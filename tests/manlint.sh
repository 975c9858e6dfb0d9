#!/bin/sh
# Every man page agrees with its program (issue 12).
# Usage: tests/manlint.sh [BUILD]   (BUILD: where the programs are built)
#
# For each program, the options it knows come from two places:
#   - its usage message (csignd -h, the others --help), as built;
#   - its option tables in the source: the getopt() short-option strings
#     and the long names of its struct option tables (aliases such as
#     --output for -o, which a usage message does not list).
# The options its man page knows come from the SYNOPSIS and from every
# ".It" line that names an option (the OPTIONS lists).
# It fails when
#   - the usage message and the SYNOPSIS do not list the same options,
#     or the same commands;
#   - an option in the tables is not in the man page (undocumented);
#   - an option in the man page is in neither the usage nor the tables
#     (documented but gone);
#   - csignd(8) or another page of sections 5 and 8 does not name every
#     other csign page in SEE ALSO, a page of section 1 does not name
#     csignd(8), or README.md's documentation list misses a page.
# Each mismatch is printed as "PAGE: OPTION: ...".
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1

# program : the argument that prints its usage : its man page : whether
# it has commands (csign-client sign ...) : the source files of its
# option tables.  A program whose page is not in the tree is skipped (a
# page without a program is not: see below).  Sources moved by a
# restructuring fail loudly; update them here.
PROGRAMS="csignd:-h:man/csignd.8:no:broker/main.c
csign-client:--help:man/csign-client.1:yes:client/args.c
csign-admin:--help:man/csign-admin.8:yes:admin/args.c admin/main.c
csign-audit:--help:man/csign-audit.8:yes:audit/main.c audit/verify.c audit/search.c
csign-sign-file:-h:man/csign-sign-file.1:no:client/signfile_main.c
csign-sbsign:--help:man/csign-sbsign.1:no:client/sbsign_main.c"

tmp=$(mktemp -d /tmp/csign-manlint.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0

# Options in a usage text (stdin): -x, --long, and bundles such as
# [-dnTtv], one per line.
usage_opts() {
	tr ' \t[]|,' '\n\n\n\n\n\n' | grep -E '^--?[A-Za-z][A-Za-z0-9-]*$' |
		awk '/^-[^-]/ && length($0) > 2 {
			for (i = 2; i <= length($0); i++)
				print "-" substr($0, i, 1)
			next
		}
		{ print }'
}

# The commands of a usage text (stdin): the first word after the
# program's name on each of its lines, once the [optional] parts are
# gone; "command" is the placeholder of the generic line.
usage_cmds() {
	sed -e 's/^usage://' | awk -v prog="$1" '
	{
		s = $0
		while (s ~ /\[[^][]*\]/)
			gsub(/\[[^][]*\]/, "", s)
		n = split(s, w, /[ \t]+/)
		i = 1
		while (i <= n && w[i] == "")
			i++
		if (w[i] != prog)
			next
		c = w[i + 1]
		if (c != "" && c !~ /^-/ && c != "command")
			print c
	}'
}

# mdoc lines (stdin) to the options their Fl macros name, one per line.
# "Fl f" is -f, "Fl Fl token" and "Fl -json" are --token and --json,
# "Fl h | -help" is -h and --help, "Fl dnTtv" is five options.
mdoc_opts() {
	awk '
	function macro(t) { return t ~ /^[A-Z][a-z][a-z]?$/ }
	function delim(t) { return t ~ /^[|,;:.()\[\]]$/ }
	{
		sub(/^\./, "")
		n = split($0, w, /[ \t]+/)
		for (i = 1; i <= n; i++) {
			if (w[i] != "Fl")
				continue
			pre = "-"
			while (i + 1 <= n && w[i + 1] == "Fl") {
				pre = pre "-"
				i++
			}
			for (i++; i <= n && !macro(w[i]); i++) {
				if (delim(w[i]))
					continue
				o = pre w[i]
				if (o ~ /^-[^-]/ && length(o) > 2)
					for (j = 2; j <= length(o); j++)
						print "-" substr(o, j, 1)
				else
					print o
			}
			i--
		}
	}'
}

# The SYNOPSIS lines of a man page.
synopsis() { sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" | sed '$d'; }

# The options of the option tables in the source files $@.
table_opts() {
	# struct option entries: { "name", no_argument, ...
	grep -ho '{ *"[A-Za-z][A-Za-z0-9-]*", *\(no\|required\|optional\)_argument' \
		"$@" | sed 's/^{ *"\([^"]*\)".*/--\1/'
	# getopt short strings: getopt(argc, argv, "...") and getopt_long,
	# #define X_SHORT "...", X_SHORT "..." in a command table, and a
	# shortopts variable.
	{
		sed -n 's/.*getopt\(_long\)\? *([^,]*,[^,]*, *\(\("[^"]*" *\)*\).*/\2/p' "$@"
		sed -n 's/.*#define [A-Z_]*SHORT *\("[^"]*"\).*/\1/p' "$@"
		sed -n 's/.*SHORT *\("[^"]*"\).*/\1/p' "$@"
		grep -h 'shortopts *=' "$@" | grep -o '"[^"]*"'
	} | tr -d '" ' | tr -d '+:' | fold -w 1 | grep -E '^[A-Za-z0-9]$' |
		sed 's/^/-/'
}

# report PAGE FILE TEXT: each option in FILE is a mismatch.
report() {
	while read -r o; do
		printf '%s: %s: %s\n' "$1" "$o" "$3"
		bad=1
	done < "$2"
}

printf '%s\n' "$PROGRAMS" > "$tmp/programs"
# A page of a program (sections 1 and 8) that is not in the list above
# would be skipped without a word: it is a mismatch too.
for page in man/*.[18]; do
	grep -q ":$page:" "$tmp/programs" || {
		printf '%s: not checked: add its program to PROGRAMS in %s\n' \
			"$page" "$0"
		bad=1
	}
done
while IFS=: read -r prog helparg page hascmds srcs; do
	[ -f "$page" ] || continue
	bin=$build/$prog
	if [ ! -x "$bin" ]; then
		echo "manlint: $bin not built" >&2
		bad=1
		continue
	fi
	"$bin" "$helparg" > "$tmp/usage" 2>&1 < /dev/null
	grep -qi '^usage:' "$tmp/usage" || {
		echo "$page: $prog $helparg printed no usage" >&2
		bad=1
		continue
	}
	sed -n '/^[Uu]sage:/,$p' "$tmp/usage" > "$tmp/usage.txt"
	usage_opts < "$tmp/usage.txt" | sort -u > "$tmp/u"
	synopsis "$page" | mdoc_opts | sort -u > "$tmp/s"
	{ cat "$tmp/s"; grep '^\.It .*Fl' "$page" | mdoc_opts; } |
		sort -u > "$tmp/m"
	missing=""
	for f in $srcs; do [ -f "$f" ] || missing="$missing $f"; done
	if [ -n "$missing" ]; then
		echo "manlint: $prog: no$missing: update PROGRAMS in $0" >&2
		bad=1
		continue
	fi
	# shellcheck disable=SC2086	# srcs is a list of paths
	table_opts $srcs | sort -u > "$tmp/t"
	if [ ! -s "$tmp/u" ] || [ ! -s "$tmp/s" ] || [ ! -s "$tmp/t" ]; then
		echo "manlint: $prog: no options found in its usage, its SYNOPSIS or its sources ($srcs)" >&2
		bad=1
		continue
	fi
	comm -23 "$tmp/u" "$tmp/s" > "$tmp/x"
	report "$page" "$tmp/x" "in $prog's usage, not in the SYNOPSIS"
	comm -13 "$tmp/u" "$tmp/s" > "$tmp/x"
	report "$page" "$tmp/x" "in the SYNOPSIS, not in $prog's usage"
	comm -23 "$tmp/t" "$tmp/m" > "$tmp/x"
	report "$page" "$tmp/x" "$prog accepts it (option table in $srcs), the man page does not describe it"
	sort -u "$tmp/u" "$tmp/t" > "$tmp/p"
	comm -13 "$tmp/p" "$tmp/m" > "$tmp/x"
	report "$page" "$tmp/x" "in the man page, but $prog does not accept it"
	# The commands: usage lines against the SYNOPSIS's Cm.
	[ "$hascmds" = yes ] || continue
	usage_cmds "$prog" < "$tmp/usage.txt" | sort -u > "$tmp/uc"
	synopsis "$page" | sed -n 's/^\.Cm \([^ ]*\).*/\1/p' | sort -u > "$tmp/sc"
	comm -23 "$tmp/uc" "$tmp/sc" > "$tmp/x"
	report "$page" "$tmp/x" "a command in $prog's usage, not in the SYNOPSIS"
	comm -13 "$tmp/uc" "$tmp/sc" > "$tmp/x"
	report "$page" "$tmp/x" "a command in the SYNOPSIS, not in $prog's usage"
done < "$tmp/programs"

# SEE ALSO: csignd(8) and the other pages of sections 5 and 8 (the
# admin's pages) name every other page; a page of section 1 names at
# least csignd(8).  README.md's documentation list names every page.
for page in man/*.[1-8]; do
	sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$page" > "$tmp/seealso"
	for other in man/*.[1-8]; do
		[ "$other" = "$page" ] && continue
		case $page:$other in
		*.1:man/csignd.8) ;;
		*.1:*) continue ;;
		esac
		b=${other##*/}
		name=${b%.*} sec=${b##*.}
		grep -qx "\.Xr $name ${sec}[ ,]*" "$tmp/seealso" || {
			printf '%s: SEE ALSO does not name %s(%s)\n' "$page" \
				"$name" "$sec"
			bad=1
		}
	done
	b=${page##*/}
	grep -qF "[\`${b%.*}(${b##*.})\`](man/$b)" README.md || {
		printf 'README.md: the documentation list does not name %s\n' \
			"$page"
		bad=1
	}
done

if [ "$bad" -ne 0 ]; then
	echo "manlint: the man pages and the programs disagree" >&2
	exit 1
fi
echo "manlint: the man pages agree with their programs, SEE ALSO and README.md"
