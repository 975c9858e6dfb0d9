#!/bin/sh
# Build the Debian package (debian/) with dpkg-buildpackage -us -uc -b in
# a temporary copy of the source tree, so that the working tree gets no
# build products, then check it with lintian.
#
# Results in build/deb/: csign_VERSION_ARCH.deb, its -dbgsym package, the
# .buildinfo and .changes files, build.log and lintian.log.  Fails if the
# build fails or lintian reports an error (E:); warnings are printed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build/deb

for tool in dpkg-buildpackage dh lintian; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "deb: $tool is missing (apt-get install dpkg-dev debhelper lintian)" >&2
		exit 1
	fi
done

# The package's version is the program's.
version=$(dpkg-parsechangelog -S Version)
prog=$(sed -n 's/^#define CSIGN_VERSION "\(.*\)"$/\1/p' proto/names.h)
if [ "$version" != "$prog" ]; then
	echo "deb: debian/changelog has $version, proto/names.h $prog" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/csign-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
src=$tmp/csign-$version
mkdir "$src"

# The source: what git tracks plus new files it does not ignore, without
# build directories or the leftovers of a package build in the tree;
# without git, the whole tree but those.
skip='^(build[^/]*/|\.git/|debian/(csign|\.debhelper|tmp)/|debian/(files|debhelper-build-stamp|.*\.substvars|.*\.debhelper\.log)$)'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard
else
	find . -type f | sed 's|^\./||'
fi | grep -Ev "$skip" | while IFS= read -r f; do
	[ -e "$f" ] && printf '%s\n' "$f"
done | tar -cf - -T - | tar -xf - -C "$src"

echo "deb: building csign $version in $src"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -J) > "$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log" >&2
	mkdir -p "$out"
	cp "$tmp/build.log" "$out/build.log"
	echo "deb: dpkg-buildpackage failed (log: build/deb/build.log)" >&2
	exit 1
fi
echo "deb: built in $(($(date +%s) - start)) s"

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mv "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
mv "$tmp/build.log" "$out/build.log"
for f in "$out"/*.deb; do
	echo "deb: $f"
done

# lintian: errors fail the build, everything it reports is shown.
deb=$(ls "$out"/csign_"$version"_*.deb)
set +e
lintian --fail-on error --display-info --tag-display-limit 0 \
	"$out"/*.deb > "$out/lintian.log" 2>&1
rc=$?
set -e
cat "$out/lintian.log"
errors=$(grep -c '^E: ' "$out/lintian.log" || true)
warnings=$(grep -c '^W: ' "$out/lintian.log" || true)
echo "deb: lintian: $errors errors, $warnings warnings ($deb)"
if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
	echo "deb: lintian reports errors" >&2
	exit 1
fi
