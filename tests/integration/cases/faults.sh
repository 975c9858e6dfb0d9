# Fault injection: the audit log's file system fills up, a client leaves
# mid-request, a session child hangs, a child writes to a descriptor it
# was not given.  Each time: a clear error for the one concerned, nothing
# released unaudited, and the daemon serves the next client.

# Start a second csignd on socket $1 with audit log $2 (config $T/$3).
fault_daemon() {
	sed -e "s|^Listen .*|Listen $1|" -e "s|^AuditLog .*|AuditLog $2|" \
		"$T/csignd.conf" > "$T/$3"
	SOFTHSM2_CONF=$SOFTHSM2_CONF "$T/bin/csignd" -d -f "$T/$3" \
		>> "$T/$3.log" 2>&1 &
	FPID=$!
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

fault_stop() {
	kill -TERM "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
}

t_fault_audit_full() {
	begin "audit log on a full file system: no signature, daemon recovers"
	mkdir -p "$T/full"
	# mode 0755: a tmpfs root is 1777, which csignd refuses for the
	# directory of its audit log (StrictModes).
	if ! mount -t tmpfs -o size=256k,mode=0755 tmpfs "$T/full"; then
		fail "cannot mount a tmpfs for the full-disk test"
		return
	fi
	check "second daemon starts" fault_daemon "$T/full.sock" \
		"$T/full/audit.jsonl" full.conf
	a=$T/home/$ALICE
	echo "audit full" > "$a/full.txt"
	c() { runuser -u $ALICE -- "$T/bin/csign-client" -S "$T/full.sock" "$@"; }
	check "signs while there is room" c sign -k ec -f raw \
		-o "$a/full0.sig" "$a/full.txt"
	# Fill the file system to the last byte; the log's last page may
	# still take a record or two, so sign until the space is gone.
	dd if=/dev/zero of="$T/full/filler" bs=1k 2>/dev/null
	good=1
	for i in $(seq 40); do
		c sign -k ec -f raw -o "$a/full$i.sig" "$a/full.txt" \
			> "$T/full.out" 2>&1 && { good=$((good + 1)); continue; }
		break
	done
	rc=0
	c sign -k ec -f raw -o "$a/fullx.sig" "$a/full.txt" > "$T/full.out" 2>&1 ||
		rc=$?
	[ "$rc" -eq 4 ] && ok || fail "no room for the record: exit $rc, wanted 4"
	expect_grep "audit log cannot be written" "$T/full.out" "says why"
	[ ! -e "$a/fullx.sig" ] && ok || fail "signature released unaudited"
	expect_grep "withheld" "$T/full.conf.log" "the daemon logs it"
	rm -f "$T/full/filler"
	check "signs again once there is room" c sign -k ec -f raw \
		-o "$a/full2.sig" "$a/full.txt"
	check "the chain is intact" "$T/bin/csign-audit" verify \
		"$T/full/audit.jsonl"
	n=$(grep -c '"event":"sign"' "$T/full/audit.jsonl")
	[ "$n" -eq $((good + 1)) ] && ok ||
		fail "$n sign records for $((good + 1)) signatures"
	fault_stop
	umount "$T/full"
}

t_fault_client_leaves() {
	begin "a client that leaves mid-request does not disturb the daemon"
	a=$T/home/$ALICE
	head -c 200000 /dev/urandom > "$a/leave.bin"
	chmod 644 "$a/leave.bin"
	# A request whose artifact arrives slowly, then the client is killed.
	(sleep 3; cat "$a/leave.bin") | as $ALICE sign -k ec -f raw \
		-o leave.sig - > /dev/null 2>&1 &
	leaver=$!
	# This request's csign-client, found by pid under the job.
	client=""
	for _ in $(seq 50); do
		for p in $(it_descendants "$leaver"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = csign-client ] &&
				client=$p
		done
		[ -n "$client" ] && break
		sleep 0.1
	done
	[ -n "$client" ] && ok || fail "the client did not start"
	sleep 0.3
	[ -n "$client" ] && kill -KILL "$client"
	wait "$leaver" 2>/dev/null
	check "next client is served" as $ALICE sign -k ec -f raw \
		-o leave2.sig leave.bin
	check "the daemon is up" kill -0 "$DPID"
}

t_fault_child_hangs() {
	begin "a hung session child is killed by its deadline, others unaffected"
	echo "fault" > "$T/home/$ALICE/art.bin"
	rm -f "$T/hang.rc" "$T/hang.sleep"
	# The pipe's sleep is killed by its pid at the end.
	( (sleep 30 & echo $! > "$T/hang.sleep"; wait) |
		(as $ALICE sign -k ec -f raw -o hang.sig - \
		> "$T/hang.out" 2>&1; echo $? > "$T/hang.rc") ) &
	sleep 0.5
	check "another client is served meanwhile" as $ALICE sign -k ec \
		-f raw -o hang2.sig art.bin
	for _ in $(seq 200); do [ -f "$T/hang.rc" ] && break; sleep 0.1; done
	rc=$(cat "$T/hang.rc" 2>/dev/null || echo none)
	[ "$rc" != none ] && [ "$rc" != 0 ] && ok ||
		fail "hung request ended with $rc"
	expect_grep "deadline passed|no complete request" "$T/csignd.log" \
		"the kill is logged"
	kill "$(cat "$T/hang.sleep")" 2>/dev/null
	check "next client is served" as $ALICE sign -k ec -f raw \
		-o hang3.sig art.bin
}

t_fault_foreign_fd() {
	begin "a child writing to a descriptor it was not given fails"
	it_art
	"$T/bin/rawclient" "$T/csignd.sock" syscall write-fd > "$T/wfd.out"
	expect_grep "SIGSYS|Bad file descriptor" "$T/wfd.out" \
		"the write fails or kills the child"
	check "next client is served" as $ALICE sign -k ec -f raw \
		-o wfd.sig art.bin
}

# A format name the child does not know (proto/names.h), sent past
# csign-client's own check: refused as a bad request by the child, nothing
# signed, the session still serves a known one.
t_fault_unknown_format() {
	begin "a request in a format the child does not know is refused"
	it_art
	for f in zip rawx ""; do
		runuser -u "$ALICE" -- "$T/bin/rawclient" "$T/csignd.sock" \
			sign ec "$f" "$T/home/$ALICE/art.bin" > "$T/uf.out" 2>&1
		grep -q "bad-request: unknown or unsupported format" "$T/uf.out" &&
			ok || fail "format '$f': $(cat "$T/uf.out")"
	done
	runuser -u "$ALICE" -- "$T/bin/rawclient" "$T/csignd.sock" \
		sign ec raw "$T/home/$ALICE/art.bin" > "$T/uf.out" 2>&1
	expect_grep "^ok: " "$T/uf.out" "a known format is signed"
}
CASES="$CASES t_fault_audit_full t_fault_client_leaves t_fault_child_hangs"
CASES="$CASES t_fault_foreign_fd t_fault_unknown_format"
