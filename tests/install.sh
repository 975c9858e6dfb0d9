#!/bin/sh
# make install / make uninstall into a DESTDIR: every file lands where the
# Makefile says, the installed programs run, and uninstall removes them.
set -u
dest=$(mktemp -d /tmp/csign-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
pass=0
fail=0
want() {
	if [ -e "$dest$1" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "install: missing $1" >&2; fi
}
make -s -o all install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc >/dev/null || exit 1
for f in /usr/sbin/csignd /usr/sbin/csign-audit /usr/bin/csign-client \
    /usr/libexec/csign/csign-sandbox /usr/share/man/man1/csign-client.1 \
    /usr/share/man/man5/csignd.conf.5 /usr/share/man/man8/csignd.8 \
    /usr/share/man/man8/csign-audit.8 /etc/csign/csignd.conf.example \
    /usr/sbin/csign-admin /usr/share/man/man8/csign-admin.8 \
    /lib/systemd/system/csignd.service /lib/systemd/system/csignd.socket \
    /usr/lib/sysusers.d/csign.conf /usr/lib/tmpfiles.d/csign.conf \
    /etc/logrotate.d/csign /usr/bin/csign-sign-file /usr/bin/csign-sbsign \
    /usr/share/man/man1/csign-sign-file.1 /usr/share/man/man1/csign-sbsign.1; do
	want "$f"
done
if "$dest/usr/bin/csign-client" --help | grep -q "usage"; then
	pass=$((pass + 1)); else fail=$((fail + 1)); echo "install: client --help" >&2; fi
make -s uninstall DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc >/dev/null
left=$(find "$dest" -type f | wc -l)
if [ "$left" -eq 0 ]; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "install: uninstall left $left files" >&2; fi
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
