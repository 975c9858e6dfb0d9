#!/bin/sh
# The Debian package, end to end (make check-package; root, on a
# throwaway Debian 12 machine): build it with contrib/deb.sh (lintian must
# report no error), check its file list, install it with dpkg -i, check
# the system users, the directories and the units (present, not enabled),
# serve a sign request with the installed programs on a SoftHSM token,
# then purge the package.  Refuses to run if csign is already installed.
set -u
# csignd refuses files that group or others may write (StrictModes).
umask 022
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "package: FAIL: $*" >&2; }
# check DESCRIPTION CMD...: the command must succeed.
check() {
	desc=$1
	shift
	if "$@" > "$tmp/check.out" 2>&1; then ok; else
		bad "$desc"; sed 's/^/    /' "$tmp/check.out" >&2
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "package: needs root (dpkg -i, system users)" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' csign 2>/dev/null | grep -q 'installed'; then
	echo "package: csign is already installed here; not touching it" >&2
	exit 1
fi

start=$(date +%s)
tmp=$(mktemp -d /tmp/csign-pkg.XXXXXX)
chmod 755 "$tmp"
dpid=""
installed=""
cleanup() {
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	if [ -n "$installed" ]; then
		dpkg --purge csign > "$tmp/purge.log" 2>&1
		restore
	fi
	rm -rf "$tmp"
}
# Leave the machine as found: a purge keeps system users and the
# directories made by systemd-tmpfiles; remove those that this test made.
restore() {
	[ -f "$tmp/new" ] || return 0
	while read -r kind name; do
		case $kind in
		u) userdel "$name" 2>/dev/null ;;
		g) groupdel "$name" 2>/dev/null ;;
		d) rmdir "$name" 2>/dev/null ;;
		esac
	done < "$tmp/new"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Build and lintian (contrib/deb.sh fails on any lintian error).
echo "package: building (contrib/deb.sh)"
if ! sh contrib/deb.sh > "$tmp/deb.log" 2>&1; then
	cat "$tmp/deb.log" >&2
	echo "package: the package build failed" >&2
	exit 1
fi
ok
grep -E '^(deb|[EWI]): ' "$tmp/deb.log"
version=$(dpkg-parsechangelog -S Version)
deb=$(ls "$top"/build/deb/csign_"$version"_*.deb)

# The file list.
dpkg -c "$deb" > "$tmp/contents"
awk '{ print $6 }' "$tmp/contents" | sed 's|^\./|/|; s|/$||' > "$tmp/list"
for f in /usr/bin/csign-client /usr/sbin/csignd /usr/sbin/csign-audit \
    /usr/sbin/csign-admin /usr/libexec/csign/csign-sandbox \
    /usr/share/man/man1/csign-client.1.gz \
    /usr/share/man/man5/csignd.conf.5.gz /usr/share/man/man8/csignd.8.gz \
    /usr/share/man/man8/csign-audit.8.gz /usr/share/man/man8/csign-admin.8.gz \
    /etc/csign/csignd.conf.example /etc/logrotate.d/csign \
    /lib/systemd/system/csignd.service /lib/systemd/system/csignd.socket \
    /usr/lib/sysusers.d/csign.conf /usr/lib/tmpfiles.d/csign.conf \
    /usr/share/doc/csign/copyright /usr/share/doc/csign/changelog.gz \
    /usr/bin/csign-sign-file /usr/bin/csign-sbsign \
    /usr/share/man/man1/csign-sign-file.1.gz /usr/share/man/man1/csign-sbsign.1.gz; do
	if grep -qx "$f" "$tmp/list"; then ok; else bad "dpkg -c: no $f"; fi
done
grep -qx /etc/csign/csignd.conf "$tmp/list" &&
	bad "dpkg -c: /etc/csign/csignd.conf must be the admin's" || ok
grep '^/usr/local' "$tmp/list" > "$tmp/local" &&
	bad "dpkg -c: under /usr/local: $(cat "$tmp/local")" || ok
for f in usr/sbin/csignd usr/libexec/csign/csign-sandbox usr/bin/csign-client; do
	grep -q "^-rwxr-xr-x root/root .* \./$f\$" "$tmp/contents" && ok ||
		bad "dpkg -c: /$f is not -rwxr-xr-x root/root"
done

# What the package will create that is not there yet (for restore).
dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$tmp" \
	./usr/lib/sysusers.d/csign.conf ./usr/lib/tmpfiles.d/csign.conf
{
	awk '$1 == "u" || $1 == "g" { print $1, $2 }' \
		"$tmp/usr/lib/sysusers.d/csign.conf" | while read -r k n; do
		if [ "$k" = u ]; then
			getent passwd "$n" > /dev/null || echo "u $n"
			getent group "$n" > /dev/null || echo "g $n"
		else
			getent group "$n" > /dev/null || echo "g $n"
		fi
	done
	awk '$1 == "d" { print $2 }' "$tmp/usr/lib/tmpfiles.d/csign.conf" |
		while read -r d; do [ -e "$d" ] || echo "d $d"; done
} > "$tmp/new"

# Install (and purge at exit, even if half-installed).
installed=1
if dpkg -i "$deb" > "$tmp/install.log" 2>&1; then ok; else
	cat "$tmp/install.log" >&2
	bad "dpkg -i failed"
	exit 1
fi
grep -i 'warning' "$tmp/install.log" | sed 's/^/package: dpkg -i: /'
# Again, as an upgrade runs the maintainer scripts (with a version in $2).
if dpkg -i "$deb" > "$tmp/reinstall.log" 2>&1; then ok; else
	bad "dpkg -i over the installed package failed"
	cat "$tmp/reinstall.log" >&2
fi
dpkg-query -W -f='${Conffiles}\n' csign > "$tmp/conffiles"
for f in /etc/csign/csignd.conf.example /etc/logrotate.d/csign; do
	grep -q "^ $f " "$tmp/conffiles" && ok || bad "$f is not a conffile"
done

# The sandbox user (csignd's default SandboxUser) and every user and
# group of the sysusers file exist; so do the tmpfiles directories, with
# their modes and owners.
getent passwd csign-sandbox > "$tmp/sandbox.pw" && ok ||
	bad "no user csign-sandbox"
case $(cut -d: -f7 "$tmp/sandbox.pw") in
*/nologin|*/false) ok ;;
*) bad "csign-sandbox has a login shell" ;;
esac
[ "$(cut -d: -f3 "$tmp/sandbox.pw")" != 0 ] && ok || bad "csign-sandbox is uid 0"
grep -E '^[ug][[:space:]]' /usr/lib/sysusers.d/csign.conf |
while read -r type name _; do
	case $type in
	u) getent passwd "$name" > /dev/null || echo "no user $name" ;;
	g) getent group "$name" > /dev/null || echo "no group $name" ;;
	esac
done > "$tmp/sysusers.out"
[ -s "$tmp/sysusers.out" ] && bad "$(cat "$tmp/sysusers.out")" || ok
grep -E '^d[[:space:]]' /usr/lib/tmpfiles.d/csign.conf |
while read -r _ dir mode user group _; do
	[ -d "$dir" ] || { echo "no directory $dir"; continue; }
	[ "$mode" = - ] || [ "$(stat -c %a "$dir")" = "${mode#0}" ] ||
		echo "$dir: mode $(stat -c %a "$dir"), wanted $mode"
	[ "$user" = - ] || [ "$(stat -c %U "$dir")" = "$user" ] ||
		echo "$dir: owner $(stat -c %U "$dir"), wanted $user"
	[ "$group" = - ] || [ "$(stat -c %G "$dir")" = "$group" ] ||
		echo "$dir: group $(stat -c %G "$dir"), wanted $group"
done > "$tmp/tmpfiles.out"
[ -s "$tmp/tmpfiles.out" ] && bad "$(cat "$tmp/tmpfiles.out")" || ok

# The units: present, valid enough for systemd to parse, not enabled.
for u in csignd.service csignd.socket; do
	[ -f "/lib/systemd/system/$u" ] && ok || bad "no unit $u"
	state=$(systemctl is-enabled "$u" 2>&1)
	[ "$state" = disabled ] && ok || bad "$u is '$state', wanted disabled"
	ls /etc/systemd/system/*/"$u" > /dev/null 2>&1 &&
		bad "$u has enablement links" || ok
done
grep -q "^ExecStart=/usr/sbin/csignd" /lib/systemd/system/csignd.service &&
	ok || bad "csignd.service does not start /usr/sbin/csignd"
if command -v systemd-analyze > /dev/null; then
	check "systemd-analyze verify" systemd-analyze verify \
		/lib/systemd/system/csignd.socket /lib/systemd/system/csignd.service
fi

# csignd -n (no token) on the example: only its users and groups may be
# missing.
/usr/sbin/csignd -n -f /etc/csign/csignd.conf.example > "$tmp/example.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok
elif grep -v "unknown \(user\|group\)" "$tmp/example.out" | grep -q .; then
	bad "csignd -n on the example"; cat "$tmp/example.out" >&2
else
	ok
	echo "package: example config: $(cat "$tmp/example.out")"
fi

# The installed programs serve a request: default SandboxProgram and
# SandboxUser (compiled in and created by the package), a SoftHSM token.
conf=$(sh tests/lib/token.sh "$tmp" 2> "$tmp/token.err")
if [ -z "$conf" ]; then
	cat "$tmp/token.err" >&2
	bad "cannot make a SoftHSM token"
	exit 1
fi
chmod 644 "$tmp"/*.crt "$tmp"/*.pub
cat > "$tmp/csignd.conf" <<CONF
Listen $tmp/csignd.sock
AuditLog $tmp/audit.jsonl
PoolSize 1

Token hsm0
	Module /usr/lib/softhsm/libsofthsm2.so
	TokenLabel csign
	PinFile $tmp/hsm.pin

Key ec
	Token hsm0
	Label p256
	Certificate $tmp/p256.crt
	Formats raw cms

Allow user root keys ec
CONF
check "csignd -t on a test config" env SOFTHSM2_CONF="$conf" \
	/usr/sbin/csignd -t -f "$tmp/csignd.conf"
SOFTHSM2_CONF=$conf /usr/sbin/csignd -d -v -f "$tmp/csignd.conf" \
	> "$tmp/csignd.log" 2>&1 &
dpid=$!
for _ in $(seq 100); do
	[ -S "$tmp/csignd.sock" ] && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
if [ -S "$tmp/csignd.sock" ]; then ok; else
	bad "the installed csignd did not start"; cat "$tmp/csignd.log" >&2
	exit 1
fi
head -c 50000 /dev/urandom > "$tmp/art.bin"
check "sign with the installed client" /usr/bin/csign-client \
	-S "$tmp/csignd.sock" sign -k ec -f raw -o "$tmp/art.sig" "$tmp/art.bin"
check "the signature verifies" openssl dgst -sha256 -verify "$tmp/p256.pub" \
	-signature "$tmp/art.sig" "$tmp/art.bin"
# A ready session child: the installed sandbox program, the package's user.
exe="" owner=""
for _ in $(seq 50); do
	child=$(pgrep -P "$dpid" | head -1)
	exe=$(readlink "/proc/$child/exe" 2>/dev/null)
	owner=$(stat -c %U "/proc/$child" 2>/dev/null)
	[ "$owner" = csign-sandbox ] && break
	sleep 0.1
done
[ "$exe" = /usr/libexec/csign/csign-sandbox ] && ok ||
	bad "the session child runs '$exe', not /usr/libexec/csign/csign-sandbox"
[ "$owner" = csign-sandbox ] && ok ||
	bad "the session child runs as '$owner', not csign-sandbox"
kill -TERM "$dpid"
wait "$dpid"
drc=$?
dpid=""
[ "$drc" -eq 0 ] && ok || bad "csignd exit status $drc"
check "csign-audit verify" /usr/sbin/csign-audit verify "$tmp/audit.jsonl"
grep -q '"event":"sign","uid":0,"user":"root"' "$tmp/audit.jsonl" && ok ||
	bad "no sign record for root"

# Purge: the package's files go, the conffiles too.
if dpkg --purge csign > "$tmp/purge.log" 2>&1; then ok; else
	bad "dpkg --purge failed"; cat "$tmp/purge.log" >&2
fi
installed=""
restore
for f in /usr/sbin/csignd /usr/libexec/csign /etc/csign/csignd.conf.example \
    /etc/logrotate.d/csign /lib/systemd/system/csignd.service; do
	[ -e "$f" ] && bad "$f left after purge" || ok
done

echo "package: $pass passed, $fail failed ($(($(date +%s) - start)) s)"
[ "$fail" -eq 0 ]
