# Recovery files fail closed: a torn last audit record (a power cut in
# the middle of a write) is moved aside and the chain goes on, verifiably;
# a symbolic link planted at AuditLog, StateFile or StateFile.held is
# refused, never followed; a held list others may write is refused;
# temporary files an interrupted write left are removed at start.

# Start a csignd on the suite's config into log $1 (expected to fail).
rec_try_start() {
	rm -f "$T/$1"
	SOFTHSM2_CONF=$SOFTHSM2_CONF "$T/bin/csignd" -d -f "$T/csignd.conf" \
		> "$T/$1" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -TERM $pid
		wait $pid
		return 0
	fi
	wait $pid
	return $?
}

t_audit_torn_tail() {
	begin "a torn last audit record is moved aside; the chain verifies and says so"
	a=$T/home/$ALICE
	echo "after the power cut" > "$a/torn.txt"
	it_stop_daemon
	rm -f "$T"/audit.jsonl.torn-*
	size=$(stat -c %s "$T/audit.jsonl")
	last=$(tail -n 1 "$T/audit.jsonl" | wc -c)
	# Cut the last record in the middle: what a power cut leaves.
	truncate -s $((size - last / 2)) "$T/audit.jsonl"
	expect_rc 1 "the torn log does not verify" "$T/bin/csign-audit" \
		verify "$T/audit.jsonl"
	expect_grep "no newline at the end" "$T/rc.out" "says why"
	tail -c $((last - last / 2)) "$T/audit.jsonl" > "$T/torn.expected"
	check "csignd starts on the torn log" it_start_daemon
	check "signs" as $ALICE sign -k ec -f raw -o torn.sig torn.txt
	"$T/bin/csign-audit" verify "$T/audit.jsonl" > "$T/torn.verify" 2>&1
	[ $? -eq 0 ] && ok || { fail "verify after recovery"; cat "$T/torn.verify" >&2; }
	expect_grep "note: log recovered at start: torn last record \\($((last - last / 2)) bytes without a newline" \
		"$T/torn.verify" "verify reports the recovery"
	expect_grep "chain intact .*torn record recovered" "$T/torn.verify" \
		"and says so in its summary"
	set -- "$T"/audit.jsonl.torn-*
	[ $# -eq 1 ] && [ -f "$1" ] && ok || fail "torn file: $*"
	check "it keeps the torn bytes" cmp "$1" "$T/torn.expected"
	check "it is private" sh -c "[ \"\$(stat -c %a '$1')\" = 600 ]"
	expect_grep "\"event\":\"log-recover\".*$(basename "$1")" \
		"$T/audit.jsonl" "the record names the file"
	expect_grep "the last record was torn" "$T/csignd.log" "logged"
	rm -f "$1"
}

t_recovery_files_no_links() {
	begin "AuditLog, StateFile and StateFile.held: a planted link is refused"
	it_stop_daemon
	echo "not yours" > "$T/victim"
	chmod 600 "$T/victim"
	cp "$T/victim" "$T/victim.orig"
	mv "$T/audit.jsonl" "$T/audit.jsonl.real"
	ln -s "$T/victim" "$T/audit.jsonl"
	expect_rc 1 "csignd refuses a linked AuditLog" rec_try_start link.log
	expect_grep "AuditLog $T/audit.jsonl: is a symbolic link; refusing to follow it" \
		"$T/link.log" "says why"
	rm -f "$T/audit.jsonl"
	mv "$T/audit.jsonl.real" "$T/audit.jsonl"
	[ -f "$T/keystate" ] && mv "$T/keystate" "$T/keystate.real"
	ln -s "$T/victim" "$T/keystate"
	expect_rc 1 "csignd refuses a linked StateFile" rec_try_start link.log
	expect_grep "StateFile $T/keystate: is a symbolic link; refusing to follow it" \
		"$T/link.log" "says why"
	rm -f "$T/keystate"
	[ -f "$T/keystate.real" ] && mv "$T/keystate.real" "$T/keystate"
	[ -f "$T/keystate.held" ] && mv "$T/keystate.held" "$T/keystate.held.real"
	ln -s "$T/victim" "$T/keystate.held"
	expect_rc 1 "csignd refuses a linked held list" rec_try_start link.log
	expect_grep "$T/keystate.held: is a symbolic link; refusing to follow it" \
		"$T/link.log" "says why"
	rm -f "$T/keystate.held"
	check "the link's target is untouched" cmp "$T/victim" "$T/victim.orig"
	printf '' > "$T/keystate.held"
	chmod 666 "$T/keystate.held"
	expect_rc 1 "csignd refuses a held list others may write" \
		rec_try_start link.log
	expect_grep "keystate.held: must be a regular file of the daemon's user, not writable by group or others" \
		"$T/link.log" "says why"
	rm -f "$T/keystate.held"
	[ -f "$T/keystate.held.real" ] && mv "$T/keystate.held.real" "$T/keystate.held"
	check "the chain is intact" "$T/bin/csign-audit" verify "$T/audit.jsonl"
	check "csignd starts again" it_start_daemon
}

t_recovery_temporaries() {
	begin "temporary files of an interrupted write are removed at start"
	it_stop_daemon
	for f in keystate.tmp-AbC123 keystate.held.tmp-xYz789; do
		echo "half written" > "$T/$f"
		chmod 600 "$T/$f"
	done
	echo "an admin's copy" > "$T/keystate.tmp-copy"
	check "csignd starts" it_start_daemon
	[ ! -e "$T/keystate.tmp-AbC123" ] && ok || fail "StateFile temporary left"
	[ ! -e "$T/keystate.held.tmp-xYz789" ] && ok || fail "held temporary left"
	[ -e "$T/keystate.tmp-copy" ] && ok || fail "another file removed"
	expect_grep "removed keystate.held.tmp-xYz789, a temporary file left by an interrupted write" \
		"$T/csignd.log" "logged"
	rm -f "$T/keystate.tmp-copy"
}
CASES="$CASES t_audit_torn_tail t_recovery_files_no_links t_recovery_temporaries"
