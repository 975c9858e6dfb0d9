# The admin's first day (issue 12): a detached start fails loudly (exit
# 1, the reason on stderr) for every mistake a start can find, and
# "csignd -t" finds the same ones; the PID file; a second instance that
# refuses to start and never removes a live socket; a SIGHUP that
# refuses a certificate of another key; the smaller messages.
# Sourced by run.sh.

FD_PIDS=""	# detached daemons this file started, stopped at the end

# fd_conf NAME [EXTRA]: the suite's config with its own socket (and so
# its own PID file, $T/NAME.pid), audit log and StateFile, EXTRA lines
# at the end, as $T/NAME.conf.
fd_conf() {
	sed -e "s|^Listen .*|Listen $T/$1.sock|" \
	    -e "s|^AuditLog .*|AuditLog $T/$1.jsonl|" \
	    -e "s|^StateFile .*|StateFile $T/$1.state|" \
		"$T/csignd.conf" > "$T/$1.conf"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >> "$T/$1.conf"
	chmod 644 "$T/$1.conf"
}

# fd_key_cert NAME KEY CERT: in $T/NAME.conf, the Certificate of Key KEY
# becomes CERT.
fd_key_cert() {
	sed -i "/^Key $2\$/,/^Key /s|^    Certificate .*|    Certificate $3|" \
		"$T/$1.conf"
}

# The line of the first line of $T/NAME.conf that is exactly $2.
fd_line() { grep -nxF -- "$2" "$T/$1.conf" | head -1 | cut -d: -f1; }

# expect_text TEXT FILE DESCRIPTION: TEXT (not a pattern) is in FILE.
fd_text() {
	if grep -Fq -- "$1" "$2"; then ok; else
		fail "$3: '$1' not in $2"; sed 's/^/    /' "$2" >&2
	fi
}

# A detached start (no -d) on $T/NAME.conf: its exit status is the
# daemon's fate; the daemon's pid is remembered for fd_stop_all.
fd_start() {
	env SOFTHSM2_CONF="${FD_SOFTHSM:-$SOFTHSM2_CONF}" timeout 30 \
		"$T/bin/csignd" -f "$T/$1.conf"
	r=$?
	[ -s "$T/$1.pid" ] && FD_PIDS="$FD_PIDS $(cat "$T/$1.pid")"
	return $r
}

# Stop the detached daemon whose PID file is $T/NAME.pid; wait for it.
fd_stop() {
	p=$(cat "$T/$1.pid" 2>/dev/null) || return 1
	kill -TERM "$p" 2>/dev/null || return 1
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Whatever this file started and is still running: the daemons it
# recorded, and any other started on one of its configs (a start that
# should have been refused).
fd_stop_all() {
	for p in $FD_PIDS $(pgrep -f -- "csignd -f $T/fd-"); do
		kill -TERM "$p" 2>/dev/null
	done
	FD_PIDS=""
}

# An artifact of alice's to sign: $T/home/$ALICE/fd.bin.
fd_artifact() {
	head -c 4096 /dev/urandom > "$T/home/$ALICE/fd.bin"
	chmod 644 "$T/home/$ALICE/fd.bin"
}

# fd_refused NAME TEXT DESCRIPTION: a detached start on $T/NAME.conf and
# csignd -t on it both exit 1 and say TEXT on stderr; nothing is left.
fd_refused() {
	expect_rc 1 "$3: the detached start exits 1" fd_start "$1"
	fd_text "$2" "$T/rc.out" "$3: the start says why"
	[ ! -e "$T/$1.sock" ] && [ ! -e "$T/$1.pid" ] && ok ||
		fail "$3: a socket or PID file was left behind"
	expect_rc 1 "$3: csignd -t exits 1" "$T/bin/csignd" -t -f "$T/$1.conf"
	fd_text "$2" "$T/rc.out" "$3: csignd -t says the same"
}

t_fd_start_fails_loudly() {
	begin "detached start: token, PIN and certificate mistakes exit 1 on stderr, as -t"
	printf 'not-the-pin\n' > "$T/fd-wrong.pin"
	chmod 600 "$T/fd-wrong.pin"
	fd_conf fd-pin
	sed -i "s|PinFile .*|PinFile $T/fd-wrong.pin|" "$T/fd-pin.conf"
	fd_refused fd-pin "token hsm0: login failed with the PIN of PinFile $T/fd-wrong.pin" \
		"a wrong PIN"
	cp "$T/hsm.pin" "$T/fd-open.pin"
	chmod 644 "$T/fd-open.pin"
	fd_conf fd-mode
	sed -i "s|PinFile .*|PinFile $T/fd-open.pin|" "$T/fd-mode.conf"
	fd_refused fd-mode "PinFile $T/fd-open.pin: mode 0644 lets group or others read it" \
		"a PinFile others can read"
	expect_nogrep "$PIN" "$T/rc.out" "the PIN was printed"
	fd_conf fd-nocert
	fd_key_cert fd-nocert ec "$T/fd-missing.crt"
	l=$(fd_line fd-nocert "    Certificate $T/fd-missing.crt")
	fd_refused fd-nocert "$T/fd-nocert.conf:$l: Certificate $T/fd-missing.crt: No such file or directory" \
		"a missing certificate (with the system's error)"
	fd_conf fd-mism
	fd_key_cert fd-mism ec "$T/rsa2048.crt"
	l=$(fd_line fd-mism "Key ec")
	fd_refused fd-mism "$T/fd-mism.conf:$l: key ec: the certificate $T/rsa2048.crt does not match the key on the token" \
		"another key's certificate"
	check "csignd -n (parse only) cannot see it" "$T/bin/csignd" -n \
		-f "$T/fd-mism.conf"
	fd_conf fd-label
	sed -i "s|^    Label p256\$|    Label nosuch|" "$T/fd-label.conf"
	l=$(fd_line fd-label "Key ec")
	fd_refused fd-label "$T/fd-label.conf:$l: key ec: no private key labelled 'nosuch' on token hsm0 (private keys there: " \
		"a Label not on the token"
	fd_conf fd-tok
	sed -i "s|TokenLabel csign|TokenLabel nosuch|" "$T/fd-tok.conf"
	fd_refused fd-tok "token hsm0: no initialized token labelled 'nosuch' in /usr/lib/softhsm/libsofthsm2.so (tokens there: 'csign'" \
		"a TokenLabel not in the module"
	expect_nogrep "nosuch0" "$T/rc.out" "a stray 0 after the label"
	fd_stop_all
}

t_fd_directories() {
	begin "detached start: a missing socket or PID file directory exits 1 with a hint"
	fd_conf fd-dir
	sed -i "s|^Listen .*|Listen $T/fd-run/csignd.sock|" "$T/fd-dir.conf"
	l=$(fd_line fd-dir "Listen $T/fd-run/csignd.sock")
	fd_refused fd-dir "$T/fd-dir.conf:$l: Listen $T/fd-run/csignd.sock: directory $T/fd-run: No such file or directory: refusing; create it with mkdir -m 0755 $T/fd-run" \
		"a missing socket directory"
	fd_conf fd-piddir "PidFile $T/fd-piddir/csignd.pid"
	l=$(fd_line fd-piddir "PidFile $T/fd-piddir/csignd.pid")
	fd_refused fd-piddir "$T/fd-piddir.conf:$l: PidFile $T/fd-piddir/csignd.pid: directory $T/fd-piddir: No such file or directory: refusing; create it with mkdir -m 0755 $T/fd-piddir" \
		"a missing PID file directory"
	# The default place: only looked at, never made or removed here.
	if [ ! -e /run/csign ]; then
		fd_conf fd-runcsign
		sed -i "s|^Listen .*|Listen /run/csign/$IT_PREFIX.sock|" \
			"$T/fd-runcsign.conf"
		expect_rc 1 "no /run/csign: csignd -t exits 1" "$T/bin/csignd" \
			-t -f "$T/fd-runcsign.conf"
		fd_text "directory /run/csign: No such file or directory: refusing; create it with systemd-tmpfiles --create, or mkdir -m 0755 /run/csign" \
			"$T/rc.out" "the hint names systemd-tmpfiles"
	fi
	fd_stop_all
}

t_fd_pidfile() {
	begin "PID file: written by the detached daemon, removed at stop; PidFile none"
	fd_conf fd-pid
	expect_rc 0 "the detached start exits 0" fd_start fd-pid
	[ -S "$T/fd-pid.sock" ] && ok || fail "no socket after the start returned"
	p=$(cat "$T/fd-pid.pid" 2>/dev/null)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = csignd ] && ok ||
		fail "the PID file does not name a running csignd: '$p'"
	[ "$(stat -c %a "$T/fd-pid.pid")" = 644 ] && ok ||
		fail "PID file mode $(stat -c %a "$T/fd-pid.pid")"
	check "the daemon serves" as $ALICE -S "$T/fd-pid.sock" status
	check "SIGHUP by the PID file" kill -HUP "$p"
	for _ in $(seq 50); do
		as $ALICE -S "$T/fd-pid.sock" status > "$T/fd-pid.status" 2>&1
		grep -q "last reload: ok" "$T/fd-pid.status" && break
		sleep 0.1
	done
	expect_grep "^last reload: ok at " "$T/fd-pid.status" \
		"status shows the reload"
	check "SIGTERM by the PID file stops it" fd_stop fd-pid
	[ ! -e "$T/fd-pid.pid" ] && ok || fail "PID file left after the stop"
	[ ! -e "$T/fd-pid.sock" ] && ok || fail "socket left after the stop"
	fd_conf fd-nopid "PidFile none"
	expect_rc 0 "PidFile none: starts" fd_start fd-nopid
	[ ! -e "$T/fd-nopid.pid" ] && ok || fail "a PID file despite PidFile none"
	fd_stop_all
}

t_fd_second_instance() {
	begin "a second csignd on a live socket refuses to start and removes nothing"
	fd_conf fd-live
	expect_rc 0 "the first starts" fd_start fd-live
	p=$(cat "$T/fd-live.pid")
	ino=$(stat -c %i "$T/fd-live.sock")
	expect_rc 1 "the same config again: exits 1" fd_start fd-live
	fd_text "Listen $T/fd-live.sock: another csignd (pid $p) is serving on this socket: not starting a second one" \
		"$T/rc.out" "says who serves there"
	# -t is run beside the daemon before a reload: a note, not an error.
	expect_rc 0 "csignd -t beside the running daemon exits 0" \
		"$T/bin/csignd" -t -f "$T/fd-live.conf"
	fd_text "a daemon (pid $p) serves on Listen $T/fd-live.sock now" \
		"$T/rc.out" "-t notes the running daemon"
	fd_conf fd-live2 "PidFile $T/fd-live2.pid"
	sed -i "s|^Listen .*|Listen $T/fd-live.sock|" "$T/fd-live2.conf"
	expect_rc 1 "another PidFile, the same socket: exits 1" fd_start fd-live2
	fd_text "Listen $T/fd-live.sock: another csignd (pid $p) is serving" \
		"$T/rc.out" "says who serves there, from the socket"
	fd_conf fd-live3 "PidFile $T/fd-live.pid"
	expect_rc 1 "another socket, the same PidFile: exits 1" fd_start fd-live3
	fd_text "PidFile $T/fd-live.pid: in use by another csignd (pid $p)" \
		"$T/rc.out" "says who holds the PID file"
	[ ! -e "$T/fd-live3.sock" ] && ok || fail "it left its socket"
	[ "$(stat -c %i "$T/fd-live.sock" 2>/dev/null)" = "$ino" ] && ok ||
		fail "the live socket was removed or replaced"
	[ "$(cat "$T/fd-live.pid")" = "$p" ] && ok ||
		fail "the PID file was overwritten"
	fd_artifact
	check "the first still serves" as $ALICE -S "$T/fd-live.sock" \
		sign -k ec -f raw -o fd-live.sig fd.bin
	# A socket nobody answers on is removed and bound again.
	kill -KILL "$p"
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	[ -S "$T/fd-live.sock" ] && ok || fail "no stale socket to test with"
	expect_rc 0 "after a crash, the start takes over the dead socket" \
		fd_start fd-live
	check "and serves" as $ALICE -S "$T/fd-live.sock" status
	# A file that is not a socket is never removed.
	fd_stop fd-live
	echo "not a socket" > "$T/fd-live.sock"
	expect_rc 1 "a file at Listen: exits 1" fd_start fd-live
	fd_text "Listen $T/fd-live.sock: exists and is not a socket: refusing to remove it" \
		"$T/rc.out" "says so"
	expect_grep "not a socket" "$T/fd-live.sock" "the file is untouched"
	rm -f "$T/fd-live.sock"
	# Two starts at once on one socket (two PID files): the one that
	# binds second finds the first serving and leaves its socket alone.
	fd_conf fd-race1
	fd_conf fd-race2 "PidFile $T/fd-race2.pid"
	sed -i "s|^Listen .*|Listen $T/fd-race1.sock|" "$T/fd-race2.conf"
	(fd_start fd-race1 > "$T/fd-race1.out" 2>&1; echo $? > "$T/fd-race1.rc") &
	r1=$!
	# The second reads a copy of the token: SoftHSM may list no token to
	# a process that starts while another opens the same store, and the
	# race under test is the socket's, not SoftHSM's.
	rm -rf "$T/fd-race2.hsm"
	mkdir -p "$T/fd-race2.hsm"
	cp -a "$(sed -n 's/^directories.tokendir = //p' "$SOFTHSM2_CONF")" \
		"$T/fd-race2.hsm/tokens"
	sed "s|^directories.tokendir = .*|directories.tokendir = $T/fd-race2.hsm/tokens|" \
		"$SOFTHSM2_CONF" > "$T/fd-race2.hsm/softhsm2.conf"
	(FD_SOFTHSM=$T/fd-race2.hsm/softhsm2.conf fd_start fd-race2 \
		> "$T/fd-race2.out" 2>&1; echo $? > "$T/fd-race2.rc") &
	wait $r1 $!
	for n in fd-race1 fd-race2; do
		[ -s "$T/$n.pid" ] && FD_PIDS="$FD_PIDS $(cat "$T/$n.pid")"
	done
	rcs="$(cat "$T/fd-race1.rc")$(cat "$T/fd-race2.rc")"
	[ "$rcs" = 01 ] || [ "$rcs" = 10 ] && ok ||
		fail "two starts at once: exits $rcs, wanted one 0 and one 1"
	cat "$T/fd-race1.out" "$T/fd-race2.out" > "$T/fd-race.out"
	fd_text "is serving on this socket: not starting a second one" \
		"$T/fd-race.out" "the loser says why"
	check "the winner serves" as $ALICE -S "$T/fd-race1.sock" status
	fd_stop_all
}

t_fd_socket_not_ours() {
	begin "a daemon removes its socket at exit only while the path is still its own"
	fd_conf fd-own
	expect_rc 0 "A starts" fd_start fd-own
	rm -f "$T/fd-own.sock"
	fd_conf fd-own2 "PidFile none"
	sed -i "s|^Listen .*|Listen $T/fd-own.sock|" "$T/fd-own2.conf"
	expect_rc 0 "B binds the path A lost" fd_start fd-own2
	check "A stops" fd_stop fd-own
	[ -S "$T/fd-own.sock" ] && ok || fail "A removed B's socket"
	check "B serves" as $ALICE -S "$T/fd-own.sock" status
	fd_stop_all
}

t_fd_check_modes() {
	begin "csignd -t logs in and checks every key; -T prints the effective config"
	"$T/bin/csignd" -t -f "$T/csignd.conf" > "$T/fd-t.out" 2> "$T/fd-t.err"
	[ $? -eq 0 ] && ok || fail "csignd -t on the suite's config"
	n=$(grep -c '^Key ' "$T/csignd.conf")
	expect_grep "configuration OK \\(1 token logged in, $n keys checked with a test signature\\)" \
		"$T/fd-t.out" "-t says what it checked"
	"$T/bin/csignd" -T -f "$T/csignd.conf" > "$T/fd-dump.conf"
	[ $? -eq 0 ] && ok || fail "csignd -T"
	for kw in "PidFile $T/csignd.pid" "MaxSessions 64" \
	    "MaxArtifactSize 4G" "SignWorkers 2" "TimestampTimeout 10" \
	    "    Padding pss" "    Certificate token" "    Id 03"; do
		fd_text "$kw" "$T/fd-dump.conf" "-T prints '$kw'"
	done
	chmod 644 "$T/fd-dump.conf"
	check "-T output is a config (-n)" "$T/bin/csignd" -n -f "$T/fd-dump.conf"
	"$T/bin/csignd" -T -f "$T/fd-dump.conf" > "$T/fd-dump2.conf"
	check "and prints the same again" cmp "$T/fd-dump.conf" "$T/fd-dump2.conf"
}

t_fd_reload_cert() {
	begin "SIGHUP with another key's certificate: refused, logged, audited, in status"
	fd_conf fd-hup
	it_spawn_csignd "$T/fd-hup.conf" "$T/fd-hup.sock" "$T/fd-hup.log" ||
		{ fail "csignd did not start"; return; }
	hpid=$SPAWNED
	a=$T/home/$ALICE
	fd_artifact
	fd_key_cert fd-hup ec "$T/rsa2048.crt"
	kill -HUP "$hpid"
	for _ in $(seq 50); do
		grep -q "reload failed" "$T/fd-hup.log" && break
		sleep 0.1
	done
	l=$(fd_line fd-hup "Key ec")
	expect_grep "reload failed, keeping the running config: $T/fd-hup.conf:$l: key ec: the certificate $T/rsa2048.crt does not match the key on the token" \
		"$T/fd-hup.log" "the refusal is logged"
	expect_grep "\"event\":\"reload\",\"result\":\"error\",\"reason\":\"[^\"]*key ec: the certificate" \
		"$T/fd-hup.jsonl" "and audited"
	as $ALICE -S "$T/fd-hup.sock" status > "$T/fd-hup.status" 2>&1
	expect_grep "^last reload: failed at [0-9T:-]+Z \\(1 of 1 reloads failed; the configuration before it still runs\\): .*key ec: the certificate" \
		"$T/fd-hup.status" "status shows the failed reload"
	check "the old certificate still signs" as $ALICE -S "$T/fd-hup.sock" \
		sign -k ec -f raw -o fd-hup.sig fd.bin
	check "and verifies with p256" raw_ok "$T/p256.pub" sha256 \
		"$a/fd-hup.sig" "$a/fd.bin"
	as $ALICE -S "$T/fd-hup.sock" cert ec > "$T/fd-hup.crt"
	check "cert still gives the old certificate" cmp "$T/fd-hup.crt" \
		"$T/p256.crt"
	# The same key's certificate under a new name is taken.
	cp "$T/p256.crt" "$T/fd-p256-renewed.crt"
	fd_key_cert fd-hup ec "$T/fd-p256-renewed.crt"
	kill -HUP "$hpid"
	for _ in $(seq 50); do
		grep -q "configuration reloaded" "$T/fd-hup.log" && break
		sleep 0.1
	done
	# A Chain that is no longer certificates is refused too.
	echo "not a certificate" > "$T/fd-notpem.crt"
	chmod 644 "$T/fd-notpem.crt"
	sed -i "s|^    Chain .*|    Chain $T/fd-notpem.crt|" "$T/fd-hup.conf"
	kill -HUP "$hpid"
	for _ in $(seq 50); do
		grep -q "cannot read Chain" "$T/fd-hup.log" && break
		sleep 0.1
	done
	l=$(fd_line fd-hup "Key efi")
	expect_grep "reload failed, keeping the running config: $T/fd-hup.conf:$l: key efi: cannot read Chain $T/fd-notpem.crt: no PEM certificates" \
		"$T/fd-hup.log" "a bad Chain is refused"
	sed -i "s|^    Chain .*|    Chain $T/ca.crt|" "$T/fd-hup.conf"
	kill -HUP "$hpid"
	for _ in $(seq 50); do
		[ "$(grep -c "configuration reloaded" "$T/fd-hup.log")" -ge 2 ] &&
			break
		sleep 0.1
	done
	as $ALICE -S "$T/fd-hup.sock" status > "$T/fd-hup.status" 2>&1
	expect_grep "^last reload: ok at .*\\(2 of 4 reloads failed\\)" \
		"$T/fd-hup.status" "status shows the good reload"
	check "ec signs after it" as $ALICE -S "$T/fd-hup.sock" sign -k ec \
		-f raw -o fd-hup2.sig fd.bin
	kill -TERM "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
}

t_fd_rate_retry() {
	begin "a rate-limit denial says when the user may sign again"
	fd_conf fd-rate "Allow group $IT_RAWONLY keys p384 rate 1/hour"
	it_spawn_csignd "$T/fd-rate.conf" "$T/fd-rate.sock" "$T/fd-rate.log" ||
		{ fail "csignd did not start"; return; }
	rpid=$SPAWNED
	c=$T/home/$CAROL
	echo "rate" > "$c/fd-rate.txt"
	check "the one signature of the hour" as $CAROL -S "$T/fd-rate.sock" \
		sign -k p384 -f raw -o fd-rate1.sig fd-rate.txt
	expect_rc 3 "the second is refused" as $CAROL -S "$T/fd-rate.sock" \
		sign -k p384 -f raw -o fd-rate2.sig fd-rate.txt
	expect_grep "rate limit: 1 signatures per hour with this key; try again in 3[56][0-9][0-9] s" \
		"$T/rc.out" "says when to try again"
	kill -TERM "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
}

CASES="$CASES t_fd_start_fails_loudly t_fd_directories t_fd_pidfile
t_fd_second_instance t_fd_socket_not_ours t_fd_check_modes t_fd_reload_cert
t_fd_rate_retry"
