# make install into a DESTDIR, then the installed programs serve: csignd
# from $T/root/usr/sbin with the installed sandbox program signs for a
# granted user running the installed client; make uninstall removes
# everything again.

# Start the installed csignd on config $1, log $2; waits for socket $3.
inst_start() {
	SOFTHSM2_CONF=$SOFTHSM2_CONF $WRAP "$T/root/usr/sbin/csignd" -d -v \
		-f "$1" > "$2" 2>&1 &
	IPID=$!
	for _ in $(seq 100); do
		[ -S "$3" ] && return 0
		kill -0 "$IPID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

t_install() {
	begin "make install DESTDIR: the installed programs serve a sign request"
	r=$T/root
	# The build under test is done: -o all installs it as it is, without
	# remaking anything (the suite may be testing build-asan).
	if make -s -o all install BUILD="$build" DESTDIR="$r" PREFIX=/usr \
	    SYSCONFDIR=/etc > "$T/install.log" 2>&1; then ok; else
		fail "make install DESTDIR=$r PREFIX=/usr"
		sed 's/^/    /' "$T/install.log" >&2
		return
	fi
	for f in usr/sbin/csignd usr/sbin/csign-audit usr/sbin/csign-admin \
	    usr/bin/csign-client usr/libexec/csign/csign-sandbox; do
		[ -x "$r/$f" ] && ok || fail "/$f not installed"
	done
	for f in etc/csign/csignd.conf.example lib/systemd/system/csignd.service \
	    lib/systemd/system/csignd.socket usr/lib/sysusers.d/csign.conf \
	    usr/lib/tmpfiles.d/csign.conf etc/logrotate.d/csign \
	    usr/share/man/man8/csignd.8; do
		[ -f "$r/$f" ] && ok || fail "/$f not installed"
	done
	grep -q '@[A-Z]*@' "$r/lib/systemd/system/csignd.service" &&
		fail "csignd.service has unsubstituted @VARIABLES@" || ok
	grep -q '/usr/sbin/csignd' "$r/lib/systemd/system/csignd.service" &&
		ok || fail "csignd.service does not run /usr/sbin/csignd"

	# Its own socket, audit log and config; the suite's token.
	cat > "$T/inst.conf" <<CONF
Listen $T/inst.sock
AuditLog $T/inst.jsonl
SandboxUser $SANDBOX
SandboxProgram $r/usr/libexec/csign/csign-sandbox
PoolSize 1

Token hsm0
    Module /usr/lib/softhsm/libsofthsm2.so
    TokenLabel csign
    PinFile $T/hsm.pin

Key ec
    Token hsm0
    Label p256
    Certificate $T/p256.crt
    Formats raw cms

Allow group $IT_SIGNERS keys ec
CONF
	check "installed csignd -t" "$r/usr/sbin/csignd" -t -f "$T/inst.conf"
	if inst_start "$T/inst.conf" "$T/inst.log" "$T/inst.sock"; then ok; else
		fail "the installed csignd did not start"
		sed 's/^/    /' "$T/inst.log" >&2
		kill "$IPID" 2>/dev/null
		wait "$IPID" 2>/dev/null
		return
	fi
	a=$T/home/$ALICE
	echo "installed" > "$a/inst.txt"
	chmod 644 "$a/inst.txt"
	check "installed client signs as $ALICE" runuser -u "$ALICE" -- \
		sh -c "cd '$a' && exec '$r/usr/bin/csign-client' -S '$T/inst.sock' \
		sign -k ec -f cms -o inst.p7s inst.txt"
	check "the signature verifies" cms_ok "$a/inst.p7s" "$a/inst.txt" DER
	expect_rc 3 "installed client, $BOB denied" runuser -u "$BOB" -- \
		"$r/usr/bin/csign-client" -S "$T/inst.sock" sign -k ec -f raw \
		-o - "$a/inst.txt"
	child=$(pgrep -P "$IPID" | head -1)
	[ "$(readlink "/proc/$child/exe")" = "$r/usr/libexec/csign/csign-sandbox" ] &&
		ok || fail "session child is not the installed csign-sandbox"
	kill -TERM "$IPID"
	wait "$IPID"
	irc=$?
	[ "$irc" -eq 0 ] && ok || fail "installed csignd exit status $irc"
	expect_grep "\"event\":\"sign\",\"uid\":$(id -u "$ALICE"),\"user\":\"$ALICE\".*\"artifact\":\"inst.txt\"" \
		"$T/inst.jsonl" "sign record names $ALICE"
	check "installed csign-audit verifies the log" \
		"$r/usr/sbin/csign-audit" verify "$T/inst.jsonl"

	make -s uninstall DESTDIR="$r" PREFIX=/usr SYSCONFDIR=/etc \
		> "$T/uninstall.log" 2>&1 && ok || fail "make uninstall"
	left=$(find "$r" ! -type d | sed "s|^$r||")
	[ -z "$left" ] && ok || fail "make uninstall left: $left"
}
CASES="$CASES t_install"
