# The token goes away mid-service and comes back: requests fail fast with
# exit 4 meanwhile, and the monitor logs in again without a restart.

t_token_lost() {
	begin "a lost token: exit 4 at once, then a new login without restart"
	a=$T/home/$ALICE
	echo "token test" > "$a/tok.txt"
	check "signing works before" as $ALICE sign -k ec -f raw -o tok0.sig tok.txt
	mv "$T/tokens" "$T/tokens.away"
	start=$(date +%s)
	expect_rc 4 "token gone: unavailable" as $ALICE sign -k ec -f raw \
		-o tok1.sig tok.txt
	[ $(($(date +%s) - start)) -le 5 ] && ok || fail "the failure was slow"
	as $ALICE status > "$T/tokstatus.out" 2>&1
	expect_grep "hsm0: unavailable" "$T/tokstatus.out" "status shows it"
	expect_rc 4 "still unavailable" as $ALICE sign -k ec -f raw \
		-o tok2.sig tok.txt
	mv "$T/tokens.away" "$T/tokens"
	for _ in $(seq 40); do
		as $ALICE status > /dev/null 2>&1 && break
		sleep 0.5
	done
	check "signing works again" as $ALICE sign -k ec -f raw \
		-o tok3.sig tok.txt
	check "and verifies" raw_ok "$T/p256.pub" sha256 "$a/tok3.sig" \
		"$a/tok.txt"
	expect_grep "logged in again" "$T/csignd.log" "the new login is logged"
	expect_grep '"event":"token","result":"ok"' "$T/audit.jsonl" \
		"and audited"
}
CASES="$CASES t_token_lost"
