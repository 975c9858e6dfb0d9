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
