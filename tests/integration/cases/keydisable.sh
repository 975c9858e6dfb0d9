# Key disable for incident response: AdminGroup members disable a key with
# a reason; every request for it is refused at once, across SIGHUP and
# restarts (StateFile), until it is enabled again; both are audited.

t_key_disable() {
	begin "disable-key: refused at once, kept across reload and restart, audited"
	a=$T/home/$ALICE
	echo "incident" > "$a/kd.txt"
	check "signs before" as $ALICE sign -k ec -f raw -o kd0.sig kd.txt
	expect_rc 3 "a non-admin cannot disable" as $BOB admin disable-key ec \
		--reason "not mine"
	expect_rc 2 "a reason is required" as $ALICE admin disable-key ec
	check "an admin disables the key" as $ALICE admin disable-key ec \
		--reason "key exposed in incident 42"
	expect_rc 3 "the disabled key refuses" as $ALICE sign -k ec -f raw \
		-o kd1.sig kd.txt
	expect_grep "key disabled: key exposed in incident 42" "$T/rc.out" \
		"says why"
	as $ALICE keys > "$T/kdkeys.out" 2>&1
	expect_grep "^ec \\(disabled\\)" "$T/kdkeys.out" "keys shows it"
	expect_grep "\"event\":\"key-disable\".*\"user\":\"$ALICE\".*\"key\":\"ec\".*incident 42" \
		"$T/audit.jsonl" "audited with who and why"
	check "other keys still sign" as $ALICE sign -k rsa -f raw \
		-o kd2.sig kd.txt
	kill -HUP "$DPID"
	sleep 0.5
	expect_rc 3 "still disabled after SIGHUP" as $ALICE sign -k ec -f raw \
		-o kd3.sig kd.txt
	it_stop_daemon
	it_start_daemon
	expect_rc 3 "still disabled after a restart" as $ALICE sign -k ec \
		-f raw -o kd4.sig kd.txt
	expect_grep "key ec is disabled" "$T/csignd.log" "logged at start"
	check "the state file is private" sh -c \
		"[ \"\$(stat -c %a '$T/keystate')\" = 600 ]"
	check "an admin enables it again" as $ALICE admin enable-key ec
	check "signs again" as $ALICE sign -k ec -f raw -o kd5.sig kd.txt
	expect_grep "\"event\":\"key-enable\".*\"key\":\"ec\"" \
		"$T/audit.jsonl" "enable audited"
}
CASES="$CASES t_key_disable"

# A second csignd whose AuditLog lives on a tiny tmpfs ($T/kdfull), with
# its own socket and StateFile; its pid in KPID.
kd_daemon() {
	it_own_daemon kdfull "s|^AuditLog .*|AuditLog $T/kdfull/audit.jsonl|
s|^StateFile .*|StateFile $T/kdfull-state|" || return 1
	KPID=$SPAWNED
}
kdc() {
	(cd "$T/home/$ALICE" && runuser -u $ALICE -- "$T/bin/csign-client" \
		-S "$T/kdfull.sock" "$@")
}
# Fill the tmpfs, then sign until no record fits any more.
kd_fill() {
	dd if=/dev/zero of="$T/kdfull/filler" bs=1k 2>/dev/null
	for _ in $(seq 40); do
		kdc sign -k rsa -f raw -o kdfull.sig kd.txt > /dev/null 2>&1 ||
			return 0
	done
	return 1
}

t_key_disable_needs_its_record() {
	begin "disable-key/enable-key change nothing unless their record is durable"
	mkdir -p "$T/kdfull"
	# Mode 0755: the AuditLog directory may not be writable by others.
	if ! mount -t tmpfs -o size=256k,mode=0755 tmpfs "$T/kdfull"; then
		fail "cannot mount a tmpfs for the full-disk test"
		return
	fi
	rm -f "$T/kdfull-state"
	echo "incident" > "$T/home/$ALICE/kd.txt"
	check "second daemon starts" kd_daemon
	check "the audit log fills up" kd_fill
	expect_rc 4 "disable-key with a full audit log fails" kdc admin \
		disable-key ec --reason "exposed"
	expect_grep "audit log cannot be written; the key was not disabled \\(nothing changed\\)" \
		"$T/rc.out" "the admin is told nothing changed"
	expect_run "keys" "$T/kdfull.keys" kdc keys
	expect_grep "^ec " "$T/kdfull.keys" "ec is listed"
	expect_nogrep "^ec \(disabled\)" "$T/kdfull.keys" "ec disabled anyway"
	[ ! -s "$T/kdfull-state" ] && ok || fail "StateFile written"
	rm -f "$T/kdfull/filler"
	check "disable-key once there is room" kdc admin disable-key ec \
		--reason "exposed"
	check "the StateFile names it" grep -q "^ec	" "$T/kdfull-state"
	check "the audit log fills up again" kd_fill
	expect_rc 4 "enable-key with a full audit log fails" kdc admin \
		enable-key ec
	expect_grep "the key was not enabled \\(nothing changed\\)" \
		"$T/rc.out" "the admin is told nothing changed"
	kdc keys > "$T/kdfull.keys" 2>&1
	expect_grep "^ec \\(disabled\\)" "$T/kdfull.keys" "ec still disabled"
	check "the StateFile still names it" grep -q "^ec	" "$T/kdfull-state"
	rm -f "$T/kdfull/filler"
	expect_rc 3 "the key still refuses" kdc sign -k ec -f raw \
		-o kdfull2.sig kd.txt
	check "enable-key once there is room" kdc admin enable-key ec
	check "signs again" kdc sign -k ec -f raw -o kdfull3.sig kd.txt
	n=$(grep -c '"event":"key-\(dis\|en\)able"' "$T/kdfull/audit.jsonl")
	[ "$n" -eq 2 ] && ok || fail "$n key-disable/enable records, wanted 2"
	check "the chain is intact" "$T/bin/csign-audit" verify \
		"$T/kdfull/audit.jsonl"
	kill -TERM "$KPID"
	wait "$KPID" 2>/dev/null
	umount "$T/kdfull"
}
CASES="$CASES t_key_disable_needs_its_record"
