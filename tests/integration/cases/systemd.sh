# csignd under systemd, without systemd: socket activation and sd_notify
# through the test launcher sdlaunch (LISTEN_FDS, NOTIFY_SOCKET), inside
# the capability bounding set and private network and IPC namespaces that
# csignd.service gives it; audit log rotation (SIGUSR1); the PIN from a
# systemd credential; and the unit's exposure rating.

SD_BOUND=-all,+setuid,+setgid,+setpcap,+kill	# CapabilityBoundingSet=
SDPID=""	# sdlaunch, the "service manager" of the activated csignd
SDCPID=""	# that csignd
CREDPID=""	# the csignd reading its PIN from a credential

# Also stop this file's daemons if the suite ends early: their session
# children would keep the test users from being deleted.
sd_cleanup() {
	[ -n "$SDPID" ] && kill -TERM "$SDPID" 2>/dev/null && wait "$SDPID"
	[ -n "$CREDPID" ] && kill -TERM "$CREDPID" 2>/dev/null &&
		wait "$CREDPID"
	SDPID="" CREDPID=""
}
trap 'sd_cleanup; it_cleanup' EXIT

# sd_conf NAME: the test config with its own socket and audit log.
sd_conf() {
	sed -e "s|^Listen .*|Listen $T/$1.sock|" \
		-e "s|^AuditLog .*|AuditLog $T/$1.jsonl|" \
		"$T/csignd.conf" > "$T/$1.conf"
}

# sd_wait PATTERN FILE PID: up to 20 s for PATTERN in FILE while PID lives.
sd_wait() {
	for _ in $(seq 200); do
		grep -Eq -- "$1" "$2" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -Eq -- "$1" "$2" 2>/dev/null
}

# The session children's descriptors: none may be the listening socket.
sd_children_clean() {
	lsock=$(readlink "/proc/$SDCPID/fd/3")
	case $lsock in socket:*) ;; *) echo "fd 3 is $lsock"; return 1 ;; esac
	n=0
	for c in $(pgrep -P "$SDCPID" -f csign-sandbox); do
		n=$((n + 1))
		for f in /proc/$c/fd/*; do
			[ "$(readlink "$f")" != "$lsock" ] ||
				{ echo "child $c has the listening socket"; return 1; }
		done
		tr '\0' '\n' < /proc/$c/environ |
			grep -E '^(LISTEN_|NOTIFY_SOCKET)' && return 1
	done
	[ "$n" -gt 0 ] || { echo "no session children"; return 1; }
}

# Start csignd the way csignd.socket + csignd.service would.
sd_start() {
	: > "$T/sd.notify"
	SOFTHSM2_CONF=$SOFTHSM2_CONF unshare --net --ipc -- \
		setpriv --bounding-set=$SD_BOUND --no-new-privs \
		"$T/bin/sdlaunch" -n "$T/sd.notify" "$T/sd.sock" \
		"$T/bin/csignd" -d -v -f "$T/sd.conf" >> "$T/sd.log" 2>&1 &
	SDPID=$!
	for _ in $(seq 100); do
		[ -S "$T/sd.sock" ] && break
		sleep 0.01
	done
	SD_INODE=$(stat -c %i "$T/sd.sock" 2>/dev/null)
	sd_wait 'READY=1' "$T/sd.notify" "$SDPID" || return 1
	SDCPID=$(pgrep -P "$SDPID" -x csignd)
}

# sd_up: the activated csignd (SDPID, SDCPID), started unless a case
# before left it running; 1, and fail, if it does not become ready.
sd_up() {
	[ -n "$SDPID" ] && kill -0 "$SDPID" 2>/dev/null && return 0
	if [ ! -x "$build/test/sdlaunch" ]; then
		fail "$build/test/sdlaunch is missing (make tests)"
		return 1
	fi
	cp "$build/test/sdlaunch" "$T/bin/" && chmod 755 "$T/bin/sdlaunch"
	sd_conf sd
	if ! sd_start || [ -z "$SDCPID" ]; then
		fail "activated csignd did not become ready"
		sed 's/^/    /' "$T/sd.log" >&2
		sd_cleanup
		return 1
	fi
	echo "activated" > "$T/home/$ALICE/sd.txt"
}

t_socket_activation() {
	begin "socket activation: csignd serves on the socket passed in LISTEN_FDS"
	sd_up || return
	ok
	expect_grep "using the listening socket passed by systemd \(fd 3, $T/sd.sock\)" \
		"$T/sd.log" "the daemon says it uses the passed socket"
	expect_nogrep "bound by csignd" "$T/sd.log" "csignd bound Listen"
	expect_grep "^READY=1 STATUS=serving [0-9]+ keys on $T/sd.sock" \
		"$T/sd.notify" "READY=1 sent to NOTIFY_SOCKET (abstract)"
	a=$T/home/$ALICE
	check "alice signs through the activated socket" \
		as $ALICE -S "$T/sd.sock" sign -k ec -f raw -o sd.sig sd.txt
	check "the signature verifies" raw_ok "$T/p256.pub" sha256 \
		"$a/sd.sig" "$a/sd.txt"
	echo "activated" > "$T/home/$BOB/sd.txt"
	expect_rc 3 "policy still applies (bob denied)" \
		as $BOB -S "$T/sd.sock" sign -k ec -f raw -o x.sig sd.txt
	[ "$(stat -c %i "$T/sd.sock")" = "$SD_INODE" ] && ok ||
		fail "the socket was rebound (inode changed)"
	check "children hold neither the listening socket nor LISTEN_*" \
		sd_children_clean
	c=$(pgrep -P "$SDCPID" -f csign-sandbox | head -1)
	expect_grep "^CapBnd:[[:space:]]+0000000000000000" "/proc/$c/status" \
		"children drop to nothing under the unit's bounding set"
	expect_grep "^Uid:[[:space:]]+$(id -u $SANDBOX)[[:space:]]" \
		"/proc/$c/status" "children run as the sandbox user"
	begin "socket activation: SIGHUP says RELOADING=1 then READY=1"
	kill -HUP "$SDPID"
	sd_wait "configuration reloaded" "$T/sd.log" "$SDPID"
	expect_grep "^RELOADING=1 MONOTONIC_USEC=[0-9]+" "$T/sd.notify" \
		"RELOADING=1 with MONOTONIC_USEC"
	for _ in $(seq 50); do
		[ "$(grep -c '^READY=1' "$T/sd.notify")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(grep -c '^READY=1' "$T/sd.notify")" -ge 2 ] && ok ||
		fail "no READY=1 after the reload"
}

# Rotate the activated daemon's log with logrotate and contrib/logrotate-csign
# (its postrotate signals the daemon of the PID file: this daemon's, $T/sd.pid),
# if logrotate is installed.
sd_logrotate() {
	if ! command -v logrotate > /dev/null; then
		echo "  (logrotate not installed: contrib/logrotate-csign not run)"
		return 1
	fi
	begin "logrotate with contrib/logrotate-csign: rename, SIGUSR1, chain goes on"
	sed -e "s|/var/log/csign/audit.jsonl|$T/sd.jsonl|" \
		-e "s|/run/csign/csignd.pid|$T/sd.pid|g" \
		contrib/logrotate-csign > "$T/logrotate.conf"
	n=$(grep -c "audit log reopened" "$T/sd.log")
	check "logrotate -f runs" logrotate -f -s "$T/logrotate.state" \
		"$T/logrotate.conf"
	for _ in $(seq 50); do
		[ "$(grep -c "audit log reopened" "$T/sd.log")" -gt "$n" ] && break
		sleep 0.1
	done
	check "renamed with a date" ls "$T"/sd.jsonl-*
	check "csignd made the new file" test -s "$T/sd.jsonl"
	check "sign after logrotate" \
		as $ALICE -S "$T/sd.sock" sign -k ec -f raw -o rot4.sig sd.txt
	check "verify OLD DATED NEW" "$T/bin/csign-audit" verify \
		"$T/sd.jsonl.1" "$T"/sd.jsonl-* "$T/sd.jsonl"
}

t_audit_rotate() {
	begin "SIGUSR1 reopens the audit log; the chain goes on in the new file"
	# t_socket_activation's daemon, or one of its own when run alone.
	sd_up || return
	a=$T/home/$ALICE
	check "sign before the rotation" \
		as $ALICE -S "$T/sd.sock" sign -k ec -f raw -o rot1.sig sd.txt
	mv "$T/sd.jsonl" "$T/sd.jsonl.1"
	kill -USR1 "$SDCPID"
	sd_wait "audit log reopened" "$T/sd.log" "$SDPID"
	check "the new file exists" test -s "$T/sd.jsonl"
	[ "$(stat -c %a "$T/sd.jsonl" 2>/dev/null)" = 600 ] && ok ||
		fail "new audit file mode $(stat -c %a "$T/sd.jsonl")"
	head -1 "$T/sd.jsonl" > "$T/rot.first"
	expect_grep '"event":"rotate"' "$T/rot.first" \
		"the new file starts with a rotate record"
	check "sign after the rotation" \
		as $ALICE -S "$T/sd.sock" sign -k ec -f raw -o rot2.sig sd.txt
	expect_grep '"event":"sign"' "$T/sd.jsonl" "the new record is in the new file"
	check "csign-audit verify OLD NEW" "$T/bin/csign-audit" verify \
		"$T/sd.jsonl.1" "$T/sd.jsonl"
	expect_rc 1 "the new file alone does not start a chain" \
		"$T/bin/csign-audit" verify "$T/sd.jsonl"
	expect_grep 'sd.jsonl:1: seq [0-9]+: a "rotate" record: this file continues a rotated log' \
		"$T/rc.out" "verify says why: the rotate record"
	expect_grep "from-middle" "$T/rc.out" "and how to check it alone"
	check "--from-middle checks it alone" "$T/bin/csign-audit" verify \
		--from-middle "$T/sd.jsonl"
	kill -USR1 "$SDCPID"
	kill -HUP "$SDPID"
	sleep 0.5
	[ "$(grep -c '"event":"rotate"' "$T/sd.jsonl")" = 1 ] && ok ||
		fail "a reopen of the same file wrote another rotate record"
	hist="$T/sd.jsonl.1"
	sd_logrotate && hist="$hist $(ls "$T"/sd.jsonl-*)"

	begin "a non-empty file at the log's path is refused, the old file kept"
	mv "$T/sd.jsonl" "$T/sd.jsonl.2"
	hist="$hist $T/sd.jsonl.2"
	echo '{"not":"ours"}' > "$T/sd.jsonl"
	kill -USR1 "$SDCPID"
	sd_wait "audit log not reopened" "$T/sd.log" "$SDPID"
	expect_grep "not reopened.*not empty" "$T/sd.log" "the refusal is logged"
	check "signing goes on" \
		as $ALICE -S "$T/sd.sock" sign -k ec -f raw -o rot3.sig sd.txt
	check "into the old file, chain intact" "$T/bin/csign-audit" verify \
		$hist
	[ "$(cat "$T/sd.jsonl")" = '{"not":"ours"}' ] && ok ||
		fail "the foreign file was written to"
	rm -f "$T/sd.jsonl"

	begin "socket activation: SIGTERM says STOPPING=1, the socket stays"
	kill -TERM "$SDPID"
	wait "$SDPID"
	rc=$?
	SDPID=""
	[ "$rc" -eq 0 ] && ok || fail "activated csignd exit status $rc"
	expect_grep "^STOPPING=1" "$T/sd.notify" "STOPPING=1 sent"
	[ -S "$T/sd.sock" ] && [ "$(stat -c %i "$T/sd.sock")" = "$SD_INODE" ] &&
		ok || fail "the activated socket was removed at exit"
	check "the whole history verifies" "$T/bin/csign-audit" verify $hist
}

t_unit_exposure() {
	begin "systemd-analyze security: csignd.service exposure at most 2.0"
	if ! command -v systemd-analyze > /dev/null; then
		fail "systemd-analyze is not installed"
		return
	fi
	mkdir -p "$T/unit"
	sed -e 's|@SBINDIR@|/usr/local/sbin|g' -e 's|@SYSCONFDIR@|/etc|g' \
		contrib/systemd/csignd.service.in > "$T/unit/csignd.service"
	cp contrib/systemd/csignd.socket "$T/unit/"
	expect_nogrep '@[A-Z]+@' "$T/unit/csignd.service" "a placeholder is left"
	# verify needs the programs named by ExecStart= to exist.
	mkdir -p "$T/unit/verify"
	sed -e "s|@SBINDIR@|$T/bin|g" -e 's|@SYSCONFDIR@|/etc|g' \
		contrib/systemd/csignd.service.in > "$T/unit/verify/csignd.service"
	cp contrib/systemd/csignd.socket "$T/unit/verify/"
	(cd "$T/unit/verify" && systemd-analyze verify --man=no \
		./csignd.socket ./csignd.service) > "$T/unit/verify.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$T/unit/verify.out" ] && ok || {
		fail "systemd-analyze verify complains (exit $rc)"
		sed 's/^/    /' "$T/unit/verify.out" >&2
	}
	(cd "$T/unit" && systemd-analyze security --offline=true \
		csignd.service) > "$T/unit/security.txt" 2>&1
	exposure=$(sed -n 's/.*Overall exposure level for csignd.service: \([0-9.]*\).*/\1/p' \
		"$T/unit/security.txt")
	printf '  csignd.service exposure: %s\n' "${exposure:-unknown}"
	if [ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= 2.0) }"; then
		ok
	else
		fail "exposure ${exposure:-unknown} is above 2.0"
		grep '✗' "$T/unit/security.txt" | sed 's/^/    /' >&2
	fi
}

t_pin_credential() {
	begin "PinFile credential:NAME reads the PIN from \$CREDENTIALS_DIRECTORY"
	sd_conf cred
	sed -i "s|^    PinFile .*|    PinFile credential:hsm.pin|" "$T/cred.conf"
	mkdir -p "$T/creds"
	install -m 0400 "$T/hsm.pin" "$T/creds/hsm.pin"
	chmod 0500 "$T/creds"
	expect_rc 1 "refused without CREDENTIALS_DIRECTORY" \
		env -u CREDENTIALS_DIRECTORY SOFTHSM2_CONF=$SOFTHSM2_CONF \
		timeout 30 "$T/bin/csignd" -d -f "$T/cred.conf"
	expect_grep "credential:hsm.pin: CREDENTIALS_DIRECTORY is not set" \
		"$T/rc.out" "says what is missing"
	chmod 0444 "$T/creds/hsm.pin"
	expect_rc 1 "a credential that others can read is refused" \
		env CREDENTIALS_DIRECTORY="$T/creds" SOFTHSM2_CONF=$SOFTHSM2_CONF \
		timeout 30 "$T/bin/csignd" -d -f "$T/cred.conf"
	expect_grep "credential:hsm.pin: mode 0444 lets others read it" \
		"$T/rc.out" "says why"
	chmod 0400 "$T/creds/hsm.pin"
	CREDENTIALS_DIRECTORY=$T/creds SOFTHSM2_CONF=$SOFTHSM2_CONF \
		"$T/bin/csignd" -d -v -f "$T/cred.conf" >> "$T/cred.log" 2>&1 &
	CREDPID=$!
	if ! sd_wait "ready on $T/cred.sock" "$T/cred.log" "$CREDPID"; then
		fail "csignd with a credential PIN did not start"
		sed 's/^/    /' "$T/cred.log" >&2
		sd_cleanup
		return
	fi
	ok
	a=$T/home/$ALICE
	echo "credential" > "$a/cred.txt"
	check "alice signs" as $ALICE -S "$T/cred.sock" sign -k rsa -f raw \
		-o cred.sig cred.txt
	check "the signature verifies" raw_ok "$T/rsa2048.pub" sha256 \
		"$a/cred.sig" "$a/cred.txt"
	kill -TERM "$CREDPID"
	wait "$CREDPID"
	rc=$?
	CREDPID=""
	[ "$rc" -eq 0 ] && ok || fail "csignd exit status $rc"
	expect_nogrep "$PIN" "$T/cred.log" "PIN in the daemon's log"
	grep -q "$PIN" "$T/rc.out" && fail "PIN in the client's output" || ok
}
CASES="$CASES t_socket_activation t_audit_rotate t_unit_exposure t_pin_credential"
