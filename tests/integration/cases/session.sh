# What a session child does with what a client sends it (issue 10):
# inline uploads are granted and budgeted by the monitor before a byte is
# read; a long hash keeps its session alive and silence ends it with
# "timeout"; raw and cms hash the whole file whatever the offset of the
# descriptor; key names and reasons cannot forge a line of the daemon's
# log.  Each check here fails if its defence is taken out.

# Reload the daemon's config (SIGHUP) and wait until it says so.
ses_reload() {
	n=$(grep -c "configuration reloaded" "$T/csignd.log")
	kill -HUP "$DPID"
	for _ in $(seq 50); do
		[ "$(grep -c "configuration reloaded" "$T/csignd.log")" -gt "$n" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# csign-client as alice, sending artifacts inline (CSIGN_INLINE=1).
ses_inline() {
	user=$1
	shift
	(cd "$T/home/$user" && runuser -u "$user" -- env CSIGN_INLINE=1 \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" "$@")
}

# rawclient as a user.
ses_raw() {
	user=$1
	shift
	runuser -u "$user" -- "$T/bin/rawclient" "$T/csignd.sock" "$@"
}

# Milliseconds on the wall clock.
ses_ms() { echo $(($(date +%s%N) / 1000000)); }

t_session_upload_grant() {
	begin "inline uploads: refused before a byte is read unless granted"
	t0=$(ses_ms)
	ses_raw $BOB inline rsa raw 1000000000 > "$T/up.out" 2>&1
	rc=$?
	t1=$(ses_ms)
	# A daemon that read first would answer only when the data never
	# came (SessionTimeout 5 s), and with bad-request (2).
	[ "$rc" -eq 1 ] && ok || fail "bob's announced upload: exit $rc, wanted 1 (denied)"
	[ $((t1 - t0)) -lt 3000 ] && ok ||
		fail "the refusal took $((t1 - t0)) ms: the data was waited for"
	expect_grep "^denied: key not granted" "$T/up.out" "the refusal says why"
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$BOB\".*\"key\":\"rsa\",\"format\":\"raw\"" \
		"$T/audit.jsonl" "the refused upload is audited"
	ses_raw $CAROL inline rawkey cms 1000 > "$T/up.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && ok || fail "a format not granted: exit $rc, wanted 1"
	expect_grep "not allowed for this format" "$T/up.out" \
		"the format refusal says why"
	# The real client hears the refusal, not a broken connection, even
	# when the daemon hangs up long before the file is sent.
	b=$T/home/$BOB
	head -c 30000000 /dev/zero > "$b/big.bin"
	chown $BOB "$b/big.bin"
	expect_rc 3 "csign-client's large refused upload: denied" \
		ses_inline $BOB sign -k rsa -f raw -o big.sig big.bin
	expect_grep "not granted" "$T/rc.out" "csign-client shows the refusal"
	rm -f "$b/big.bin"
	echo after > "$T/home/$ALICE/up-after.bin"
	check "the next client is served" as $ALICE sign -k ec -f raw \
		-o up-after.sig up-after.bin
}

t_session_upload_budget() {
	begin "inline uploads: one uid's bytes in flight stay within MaxUploadPerUser"
	a=$T/home/$ALICE
	c=$T/home/$CAROL
	cp "$T/csignd.conf" "$T/csignd.conf.pre-upload"
	echo "MaxUploadPerUser 1M" >> "$T/csignd.conf"
	check "reload with MaxUploadPerUser 1M" ses_reload
	head -c 2000000 /dev/urandom > "$a/up2m.bin"
	for f in up1 up2 up3; do
		head -c 600000 /dev/urandom > "$a/$f.bin"
	done
	cp "$a/up1.bin" "$c/up1.bin"
	chmod 644 "$a"/up*.bin "$c/up1.bin"
	expect_rc 5 "one upload over the budget alone" \
		ses_inline $ALICE sign -k rsa -f raw -o x.sig up2m.bin
	expect_grep "over MaxUploadPerUser" "$T/rc.out" "says which limit"
	# Each upload of a batch gives its bytes back when it is done.
	check "two uploads of 600 KB in one session, one after the other" \
		ses_inline $ALICE sign -k rsa -f raw up1.bin up2.bin
	check "both verify" raw_ok "$T/rsa2048.pub" sha256 "$a/up2.bin.sig" \
		"$a/up2.bin"
	# A session of alice holds 600 KB and sends nothing.
	rm -f "$T/hold.rc"
	(ses_raw $ALICE inline rsa raw 600000 > "$T/hold.out" 2>&1
		echo $? > "$T/hold.rc") &
	sleep 1
	expect_rc 4 "a second session of the same uid over the budget" \
		ses_inline $ALICE sign -k rsa -f raw -o up3.sig up3.bin
	expect_grep "in flight.*MaxUploadPerUser" "$T/rc.out" \
		"says that the uid's uploads are in flight"
	check "another uid has its own budget" ses_inline $CAROL sign \
		-k rawkey -f raw -o up1.sig up1.bin
	for _ in $(seq 100); do [ -f "$T/hold.rc" ] && break; sleep 0.1; done
	# It ends with "timeout" (5), not bad-request, and frees its bytes.
	[ "$(cat "$T/hold.rc" 2>/dev/null)" = 5 ] && ok ||
		fail "a stalled upload: exit $(cat "$T/hold.rc" 2>/dev/null), wanted 5 (timeout)"
	expect_grep "^timeout: " "$T/hold.out" "the stalled upload hears timeout"
	for _ in 1 2 3 4 5; do
		ses_inline $ALICE sign -k rsa -f raw -o up3.sig up3.bin \
			> "$T/rc.out" 2>&1 && break
		sleep 0.5
	done
	check "the bytes are free again once that session is over" \
		raw_ok "$T/rsa2048.pub" sha256 "$a/up3.sig" "$a/up3.bin"
	cp "$T/csignd.conf.pre-upload" "$T/csignd.conf"
	check "reload without the budget" ses_reload
}

t_session_offset() {
	begin "raw and cms hash the whole file, whatever the descriptor's offset"
	a=$T/home/$ALICE
	head -c 300000 /dev/urandom > "$a/off.bin"
	chmod 644 "$a/off.bin"
	# The client passes its standard input, already read 1000 bytes into.
	{ dd bs=1000 count=1 of=/dev/null status=none
		as $ALICE sign -k rsa -f raw -o off.raw -; } < "$a/off.bin" \
		> "$T/off.out" 2>&1
	check "raw from an offset of 1000" test $? -eq 0
	check "the raw signature covers the whole file" raw_ok \
		"$T/rsa2048.pub" sha256 "$a/off.raw" "$a/off.bin"
	{ dd bs=1000 count=1 of=/dev/null status=none
		as $ALICE sign -k ec -f cms -o off.p7s -; } < "$a/off.bin" \
		> "$T/off.out" 2>&1
	check "cms from an offset of 1000" test $? -eq 0
	check "the cms signature covers the whole file" cms_ok "$a/off.p7s" \
		"$a/off.bin" DER
}

t_session_progress() {
	begin "a long hash stays alive past SessionTimeout; silence is a timeout"
	a=$T/home/$ALICE
	# 14 s of data, a chunk a second: longer than the 10 s a silent
	# session gets (SessionTimeout 5, plus 5).
	(for _ in $(seq 14); do head -c 65536 /dev/urandom; sleep 1; done) |
		tee "$a/slow.bin" | as $ALICE sign -k ec -f raw -o slow.sig - \
		> "$T/slow.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && ok || { fail "a 14 s hash: exit $rc"; cat "$T/slow.out" >&2; }
	check "its signature verifies" raw_ok "$T/p256.pub" sha256 \
		"$a/slow.sig" "$a/slow.bin"
	(sleep 13; echo late) | as $ALICE sign -k ec -f raw -o stall.sig - \
		> "$T/stall.out" 2>&1
	rc=$?
	[ "$rc" -eq 4 ] && ok || fail "a silent pipe: exit $rc, wanted 4 (timeout)"
	expect_grep "timed out" "$T/stall.out" "the client is told: timeout"
	grep -q "internal error" "$T/stall.out" &&
		fail "a timeout reported as an internal error" || ok
	[ ! -e "$a/stall.sig" ] && ok || fail "output written after a timeout"
}

t_session_log_forging() {
	begin "key names and reasons cannot forge a line of the daemon's log"
	b=$T/home/$BOB
	echo data > "$b/lf.txt"
	expect_rc 1 "a key name with a newline is a bad request" \
		as $BOB sign -k "$(printf 'x\nFORGED-KEY csignd: key ec enabled')" \
		-f raw lf.txt
	expect_grep "key name" "$T/rc.out" "the refusal names the key name"
	expect_rc 1 "a key name with an escape sequence too" \
		as $BOB sign -k "$(printf 'x\033[2Jy')" -f raw lf.txt
	check "an admin disables a key with a hostile reason" as $ALICE admin \
		disable-key ec --reason "$(printf 'incident\nFORGED-REASON csignd: all is well\033[2J')"
	check "and enables it again" as $ALICE admin enable-key ec
	grep -q "^FORGED" "$T/csignd.log" &&
		fail "a forged line in the daemon's log" || ok
	grep -q "$(printf '\033')" "$T/csignd.log" &&
		fail "an escape sequence in the daemon's log" || ok
	expect_grep "incident\?FORGED-REASON" "$T/csignd.log" \
		"the reason is logged, on its own line"
	expect_grep '"reason":"incident\\(n|u000a)FORGED-REASON' \
		"$T/audit.jsonl" "the audit record escapes it"
	check "the audit chain verifies" "$T/bin/csign-audit" verify \
		"$T/audit.jsonl"
}

CASES="$CASES t_session_upload_grant t_session_upload_budget t_session_offset
t_session_progress t_session_log_forging"
