# Two-person approval: "Approval group NAME [count N] [expires D]" holds a
# sign request until N members of the group other than the requester
# approve it.  alice requests (she is an approver too, which must not
# help her), bob is outside the group, dave and erin approve.  Every step
# is checked in the audit log, and the signed outputs with openssl.

# Keys with approval rules, added to the test config (and granted); new
# keys need a restart (a reload only changes the rules of known keys).
# Also the artifact every case signs.
appr_setup() {
	a=$T/home/$ALICE
	if [ ! -f "$a/ap.bin" ]; then
		head -c 20000 /dev/urandom > "$a/ap.bin"
		chmod 644 "$a/ap.bin"
	fi
	grep -q '^Key appr$' "$T/csignd.conf" && return
	# Each its own key: an approval rule on a key that another block
	# also names would be a rule around which that block leads.
	it_token_key appr 10 ec && it_token_key appr2 11 rsa &&
	it_token_key apprx 12 ec && it_token_key apprmod 13 rsa ||
		fail "cannot add the approval keys to the token"
	it_config "$(appr_keys)"
	it_stop_daemon
	it_start_daemon
}

# The approval keys and their grant; $1 replaces the Allow line.
appr_keys() {
	echo "Key appr
    Token hsm0
    Label appr
    Certificate $T/appr.crt
    Formats raw cms
    Approval group $IT_APPROVERS
Key appr2
    Token hsm0
    Label appr2
    Certificate $T/appr2.crt
    Formats cms
    Approval group $IT_APPROVERS count 2 expires 10m
Key apprx
    Token hsm0
    Label apprx
    Certificate $T/apprx.crt
    Formats cms
    Approval group $IT_APPROVERS expires 3s
Key apprmod
    Token hsm0
    Label apprmod
    Certificate $T/apprmod.crt
    Formats module
    Approval group $IT_APPROVERS
${1-Allow group $IT_SIGNERS keys appr appr2 apprx apprmod}"
}

# Reload the config with extra lines $1 and wait until it applied.
appr_reload() {
	it_config "$1"
	n=$(grep -c "configuration reloaded" "$T/csignd.log")
	kill -HUP "$DPID"
	for _ in $(seq 50); do
		[ "$(grep -c "configuration reloaded" "$T/csignd.log")" -gt "$n" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# Run a client as a user in the background: out and rc land in $T/NAME.*
appr_bg() {
	name=$1
	shift
	rm -f "$T/$name.out" "$T/$name.rc"
	(as "$@" > "$T/$name.out" 2> "$T/$name.err"; echo $? > "$T/$name.rc") &
}
# The id of the request announced in $T/NAME.err (waits up to 10 s).
appr_id() {
	for _ in $(seq 100); do
		id=$(sed -n 's/.*request \([0-9]*\) is waiting for approval.*/\1/p' \
			"$T/$1.err" 2>/dev/null | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
# The exit status of background client NAME (waits up to $2 s, def. 10).
appr_rc() {
	for _ in $(seq $((${2:-10} * 10))); do
		[ -f "$T/$1.rc" ] && { cat "$T/$1.rc"; return 0; }
		sleep 0.1
	done
	echo none
}
# An audit record of event $1 for request $2 that also matches $3.
appr_audit() {
	for _ in $(seq 50); do
		grep "\"event\":\"$1\"" "$T/audit.jsonl" |
			grep "\"request\":$2[,}]" | grep -Eq -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
cms_verify() {
	openssl cms -verify -binary -inform DER -in "$1" -content "$2" \
		-CAfile "$T/ca.crt" -purpose any -out /dev/null
}

t_approval_grant() {
	begin "approval: held, self and outsider refused, a member approves"
	appr_setup
	appr_bg ap $ALICE sign -k appr -f cms -o ap.p7s ap.bin
	if ! id=$(appr_id ap); then
		fail "no held notice"; cat "$T/ap.err" >&2; return
	fi
	expect_grep "request $id is waiting for approval by group $IT_APPROVERS \\(0 of 1\\), expires in (1h 0m|59m)" \
		"$T/ap.err" "status line on stderr"
	check "held, audited as pending" appr_audit approval-pending "$id" \
		"\"user\":\"$ALICE\".*\"key\":\"appr\".*\"artifact\":\"ap.bin\".*\"digest\":\"[0-9a-f]{64}\""
	as $DAVE pending > "$T/pend.out" 2>&1
	expect_grep "^$id +$ALICE +appr +cms +ap.bin +20000 .* 0/1 +$IT_APPROVERS .*sha256:[0-9a-f]{64}$" \
		"$T/pend.out" "pending lists it to an approver"
	as $DAVE --json pending > "$T/pend.json"
	check "pending --json is JSON" python3 -m json.tool "$T/pend.json"
	expect_grep "\"id\":$id,\"requester\":\"$ALICE\"" "$T/pend.json" \
		"JSON names id and requester"
	expect_run "bob lists pending" "$T/bobpend.out" as $BOB pending
	grep -q "^$id " "$T/bobpend.out" && fail "bob sees the request" || ok
	expect_rc 3 "the requester cannot approve" as $ALICE approve "$id"
	expect_grep "cannot approve their own request" "$T/rc.out" "says why"
	expect_rc 3 "bob (outside the group) cannot approve" as $BOB approve "$id"
	expect_grep "not a member of the approval group" "$T/rc.out" "says why"
	[ ! -s "$a/ap.p7s" ] && ok || fail "output before approval"
	[ "$(appr_rc ap 0)" = none ] && ok || fail "client ended before approval"
	check "dave approves" as $DAVE approve "$id"
	rc=$(appr_rc ap)
	[ "$rc" = 0 ] && ok || { fail "requester's client: exit $rc"; cat "$T/ap.err" >&2; }
	check "the signature verifies" cms_verify "$a/ap.p7s" "$a/ap.bin"
	check "grant audited" appr_audit approval-grant "$id" "\"user\":\"$DAVE\""
	check "sign record names request and approver" appr_audit sign "$id" \
		"\"user\":\"$ALICE\".*\"result\":\"ok\".*\"approvers\":\"$DAVE\""
	# Held, granted and signed: each record carries the digest of the
	# bytes the requester sent (cms hashes the whole artifact).
	for ev in approval-pending approval-grant sign; do
		expect_audit_digest "$a/ap.bin" appr ap.bin sha256 $ev
	done
	check "refusals audited" appr_audit deny "$id" "\"user\":\"$BOB\""
	expect_rc 1 "a decided request cannot be approved again" \
		as $ERIN approve "$id"
}

t_approval_two() {
	begin "approval: count 2 needs two distinct approvers"
	appr_setup
	a=$T/home/$ALICE
	appr_bg ap2 $ALICE sign -k appr2 -f cms -o ap2.p7s ap.bin
	id=$(appr_id ap2) || { fail "no held notice"; return; }
	expect_grep "\\(0 of 2\\), expires in (10m 0s|9m)" "$T/ap2.err" "count and expiry"
	check "dave approves" as $DAVE approve "$id"
	expect_rc 3 "dave cannot approve twice" as $DAVE approve "$id"
	expect_grep "already approved by you" "$T/rc.out" "says why"
	for _ in $(seq 30); do
		grep -q "approved by $DAVE (1 of 2)" "$T/ap2.err" && break
		sleep 0.1
	done
	expect_grep "request $id approved by $DAVE \\(1 of 2\\)" "$T/ap2.err" \
		"the requester sees the progress"
	[ "$(appr_rc ap2 0)" = none ] && ok || fail "signed after one approval"
	check "erin approves" as $ERIN approve "$id" --reason "checked the tag"
	rc=$(appr_rc ap2)
	[ "$rc" = 0 ] && ok || { fail "client exit $rc"; cat "$T/ap2.err" >&2; }
	check "the signature verifies" cms_verify "$a/ap2.p7s" "$a/ap.bin"
	check "sign record names both approvers" appr_audit sign "$id" \
		"\"approvers\":\"$DAVE,$ERIN\""
	"$T/bin/csign-audit" search --user $ALICE "$T/audit.jsonl" \
		> "$T/ap2.search"
	expect_grep " ok request=$id approvers=$DAVE,$ERIN$" "$T/ap2.search" \
		"csign-audit search shows the request and its approvers"
}

t_approval_deny() {
	begin "approval: a denied request fails with who and why (exit 3)"
	appr_setup
	a=$T/home/$ALICE
	appr_bg apd $ALICE sign -k appr -f cms -o apd.p7s ap.bin
	id=$(appr_id apd) || { fail "no held notice"; return; }
	expect_rc 2 "deny needs a reason" as $ERIN deny "$id"
	expect_rc 3 "bob cannot deny" as $BOB deny "$id" --reason "mine now"
	check "erin denies" as $ERIN deny "$id" --reason "not a release build"
	rc=$(appr_rc apd)
	[ "$rc" = 3 ] && ok || fail "requester's client: exit $rc"
	expect_grep "denied by $ERIN: not a release build" "$T/apd.err" \
		"the requester hears who and why"
	[ ! -e "$a/apd.p7s" ] && ok || fail "output written on denial"
	check "deny audited" appr_audit approval-deny "$id" \
		"\"user\":\"$ERIN\".*\"reason\":\"not a release build\""
}

t_approval_expire() {
	begin "approval: an expired request fails and is audited"
	appr_setup
	appr_bg apx $ALICE sign -k apprx -f cms -o apx.p7s ap.bin
	id=$(appr_id apx) || { fail "no held notice"; return; }
	rc=$(appr_rc apx 10)
	[ "$rc" = 4 ] && ok || fail "requester's client: exit $rc"
	expect_grep "approval expired after 3s" "$T/apx.err" "says it expired"
	check "expiry audited" appr_audit approval-expire "$id" \
		"\"user\":\"$ALICE\".*\"reason\":\"no decision within 3s"
	expect_rc 1 "an expired request cannot be approved" as $DAVE approve "$id"
}

t_approval_nowait() {
	begin "approval: --no-wait prints the id; wait collects the signature"
	appr_setup
	a=$T/home/$ALICE
	as $ALICE sign -k appr -f cms --no-wait -o nw.p7s ap.bin \
		> "$T/nw.out" 2> "$T/nw.err"
	[ $? -eq 0 ] && ok || { fail "--no-wait exit"; cat "$T/nw.err" >&2; }
	id=$(cat "$T/nw.out")
	expr "$id" : '[0-9][0-9]*$' > /dev/null && ok || fail "id on stdout: '$id'"
	expect_rc 3 "bob cannot wait for it" as $BOB wait "$id"
	expect_grep "not your request" "$T/rc.out" "says why"
	appr_bg nww $ALICE wait "$id" -o nw.p7s
	sleep 0.5
	[ "$(appr_rc nww 0)" = none ] && ok || fail "wait ended before approval"
	check "dave approves" as $DAVE approve "$id"
	rc=$(appr_rc nww)
	[ "$rc" = 0 ] && ok || { fail "wait: exit $rc"; cat "$T/nww.err" >&2; }
	check "the collected signature verifies" cms_verify "$a/nw.p7s" \
		"$a/ap.bin"
	expect_rc 1 "a collected result is gone" as $ALICE wait "$id"
	check "sign record" appr_audit sign "$id" "\"approvers\":\"$DAVE\""

	begin "approval: --no-wait -o X, then wait ID writes X"
	id=$(as $ALICE sign -k appr -f cms --no-wait -o nw3.p7s ap.bin)
	check "dave approves" as $DAVE approve "$id"
	sleep 0.5
	as $ALICE wait "$id" > "$T/nw3.out" 2> "$T/nw3.err"
	[ $? -eq 0 ] && ok || { fail "wait"; cat "$T/nw3.err" >&2; }
	[ ! -s "$T/nw3.out" ] && ok || fail "the signature went to stdout"
	check "X holds the signature" cms_verify "$a/nw3.p7s" "$a/ap.bin"
	id=$(as $ALICE sign -k appr -f cms --no-wait -o nw4.p7s ap.bin)
	check "erin approves" as $ERIN approve "$id"
	sleep 0.5
	check "wait -o Y overrides X" as $ALICE wait -o nw5.p7s "$id"
	check "Y verifies" cms_verify "$a/nw5.p7s" "$a/ap.bin"
	[ ! -e "$a/nw4.p7s" ] && ok || fail "X written although -o Y was given"

	begin "approval: --no-wait, approved first, collected later to stdout"
	id=$(as $ALICE sign -k appr -f raw --no-wait ap.bin)
	check "erin approves" as $ERIN approve "$id"
	sleep 0.5
	as $ALICE wait "$id" > "$a/nw2.sig" 2> "$T/nw2.err"
	[ $? -eq 0 ] && ok || { fail "wait to stdout"; cat "$T/nw2.err" >&2; }
	check "raw signature verifies" openssl dgst -sha256 -verify \
		"$T/appr.pub" -signature "$a/nw2.sig" "$a/ap.bin"
	expect_audit_digest "$a/ap.bin" appr ap.bin sha256

	begin "approval: --no-wait on a module writes the output given then"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	mod_copy apm.ko
	expect_rc 2 "in place is refused" as $ALICE sign -k apprmod -f module \
		--no-wait apm.ko
	id=$(as $ALICE sign -k apprmod -f module --no-wait -o apm.signed.ko \
		apm.ko)
	[ -f "$a/apm.signed.ko" ] && [ ! -s "$a/apm.signed.ko" ] && ok ||
		fail "output not created empty"
	check "dave approves" as $DAVE approve "$id"
	check "wait reports" as $ALICE wait "$id"
	mod_reference "$T/apprmod.key" "$T/apprmod.crt" sha256 \
		"$T/ref.apm.ko"
	check "the module is sign-file's" cmp "$a/apm.signed.ko" "$T/ref.apm.ko"
	# A held module: the digest of the module without a signature.
	for ev in approval-pending sign; do
		expect_audit_digest "$T/mod/hello.ko" apprmod apm.ko sha256 $ev
	done
}

t_approval_cancel() {
	begin "approval: a client that gives up cancels; a restart or a crash cancels"
	appr_setup
	appr_bg apc $ALICE sign -k appr -f cms --wait-timeout 2 -o apc.p7s ap.bin
	id=$(appr_id apc) || { fail "no held notice"; return; }
	rc=$(appr_rc apc)
	[ "$rc" = 4 ] && ok || fail "timed out client: exit $rc"
	expect_grep "no decision in time" "$T/apc.err" "says why"
	check "cancel audited" appr_audit approval-cancel "$id" \
		"client hung up"
	expect_rc 1 "a cancelled request cannot be approved" as $DAVE approve "$id"

	appr_bg aps $ALICE sign -k appr -f cms -o aps.p7s ap.bin
	id=$(appr_id aps) || { fail "no held notice"; return; }
	it_stop_daemon
	rc=$(appr_rc aps)
	[ "$rc" = 4 ] && ok || fail "requester's client at stop: exit $rc"
	expect_grep "daemon is stopping" "$T/aps.err" "says why"
	[ "$DRC" -eq 0 ] && ok || fail "csignd exit status $DRC"
	check "cancel at stop audited" appr_audit approval-cancel "$id" \
		"daemon stopping"
	it_start_daemon
	expect_rc 1 "gone after the restart" as $DAVE approve "$id"
	check "nothing left in the held list" sh -c "! [ -s '$T/keystate.held' ]"

	# A crash: the next start audits the requests it dropped.
	id=$(as $ALICE sign -k appr -f cms --no-wait -o apk.p7s ap.bin)
	[ -n "$id" ] && ok || fail "no id from --no-wait"
	check "the held list names it" grep -q "^$id	" "$T/keystate.held"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	rm -f "$T/csignd.sock"	# left by the crash; csignd replaces it
	it_start_daemon
	check "cancel after a crash audited" appr_audit approval-cancel "$id" \
		"without a clean stop"
	expect_grep "1 request was held for approval when csignd last stopped" \
		"$T/csignd.log" "logged at start"
	check "the held list is empty again" sh -c "! [ -s '$T/keystate.held' ]"
	expect_rc 1 "gone after the crash" as $DAVE approve "$id"
	check "chain verifies" "$T/bin/csign-audit" verify "$T/audit.jsonl"
	it_config
	it_stop_daemon
	it_start_daemon
}
# Hold a request of alice on key appr (cms, output $1.p7s) in the
# background; its id in $id.  (Not in a command substitution: that would
# wait for the background client.)
appr_hold() {
	signs_before=$(grep -c '"event":"sign"' "$T/audit.jsonl")
	appr_bg "$1" $ALICE sign -k appr -f cms -o "$1.p7s" ap.bin
	id=$(appr_id "$1")
}

# The requester's client of $1 ends with exit 3 and message $2, with no
# output, and the refusal is audited with request $3 (and no signature
# since appr_hold).
appr_refused() {
	rc=$(appr_rc "$1")
	[ "$rc" = 3 ] && ok || { fail "requester's client: exit $rc"; cat "$T/$1.err" >&2; }
	expect_grep "approved, but refused at signing: $2" "$T/$1.err" \
		"the requester hears why"
	[ ! -s "$T/home/$ALICE/$1.p7s" ] && ok || fail "signed after all"
	check "refusal audited" appr_audit deny "$3" \
		"\"reason\":\"approved, but refused at signing: $2"
	[ "$(grep -c '"event":"sign"' "$T/audit.jsonl")" = "$signs_before" ] &&
		ok || fail "a sign record since the hold"
}

t_approval_recheck() {
	begin "approval: the last approval is checked against the policy in force then"
	appr_setup
	# An admin disables the key while the request waits.
	appr_hold apk || { fail "no held notice"; return; }
	check "alice (admin) disables the key" as $ALICE admin disable-key \
		appr --reason "incident 7"
	as $DAVE approve "$id" > "$T/apk.appr" 2>&1
	expect_grep "approved \(1 of 1\), but not signed: key disabled: incident 7" \
		"$T/apk.appr" "the approver hears it was not signed"
	appr_refused apk "key disabled: incident 7" "$id"
	check "enabled again" as $ALICE admin enable-key appr

	# A reload removes the grant while the request waits.
	appr_hold apg || { fail "no held notice"; return; }
	check "reload without the grant" appr_reload "$(appr_keys \
		"Allow group $IT_SIGNERS keys appr2 apprx apprmod")"
	check "dave approves" as $DAVE approve "$id"
	appr_refused apg "key not granted" "$id"
	check "reload with the grant" appr_reload "$(appr_keys)"

	# A reload removes the key block itself.
	appr_hold apb || { fail "no held notice"; return; }
	check "reload without the key" appr_reload "$(appr_keys \
		"Allow group $IT_SIGNERS keys appr2 apprx apprmod" |
		sed '/^Key appr$/,/^Key appr2$/{/^Key appr2$/!d}')"
	check "dave approves" as $DAVE approve "$id"
	appr_refused apb "key not granted" "$id"
	check "reload with the key" appr_reload "$(appr_keys)"

	# A reload that narrows the key's formats.
	appr_hold apf || { fail "no held notice"; return; }
	check "reload with raw only" appr_reload "$(appr_keys |
		sed '0,/^    Formats raw cms$/s//    Formats raw/')"
	check "dave approves" as $DAVE approve "$id"
	appr_refused apf "key not allowed for this format" "$id"
	check "reload as before" appr_reload "$(appr_keys)"

	# The rate is charged at signing: the second approved one is refused.
	check "reload with a rate" appr_reload "$(appr_keys \
		"Allow group $IT_SIGNERS keys appr rate 1/hour
Allow group $IT_SIGNERS keys appr2 apprx apprmod")"
	appr_hold apr1 || { fail "no held notice"; return; }
	id1=$id
	appr_hold apr2 || { fail "no second held notice (the rate must be "\
		"charged at signing, not at the hold)"; return; }
	id2=$id
	id=$id1
	check "dave approves the first" as $DAVE approve "$id"
	rc=$(appr_rc apr1)
	[ "$rc" = 0 ] && ok || fail "first: exit $rc"
	signs_before=$(grep -c '"event":"sign"' "$T/audit.jsonl")
	check "dave approves the second" as $DAVE approve "$id2"
	appr_refused apr2 "rate limit: 1 signatures per hour" "$id2"
	check "reload as before" appr_reload "$(appr_keys)"
	appr_bg apok $ALICE sign -k appr -f cms -o apok.p7s ap.bin
	id=$(appr_id apok) || { fail "no held notice"; return; }
	check "dave approves" as $DAVE approve "$id"
	rc=$(appr_rc apok)
	[ "$rc" = 0 ] && ok || fail "a request after the reloads: exit $rc"
}

# A --no-wait request of alice (raw, key appr) with a time bound; its id.
appr_nowait() {
	(cd "$T/home/$ALICE" && timeout 10 runuser -u $ALICE -- env \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" sign \
		-k appr -f raw --no-wait -o "$1.sig" ap.bin)
}

t_approval_slots() {
	begin "approval: --no-wait pins no session; a decided request frees its slot at once"
	appr_setup
	check "reload with MaxSessions 2" appr_reload "$(appr_keys)
MaxSessions 2"
	ids=""
	for i in 1 2 3 4 5 6 7 8; do
		if id=$(appr_nowait nws$i 2> "$T/nws.err"); then
			ids="$ids $id"
		else
			fail "--no-wait request $i of 8 (MaxSessions 2): no id"
			cat "$T/nws.err" >&2
		fi
	done
	n=$(echo $ids | wc -w)
	[ "$n" -eq 8 ] && ok || fail "$n of 8 held"
	expect_rc 3 "a ninth is refused" appr_nowait nws9
	expect_grep "too many requests waiting for approval \(at most 8\)" \
		"$T/rc.out" "says why"
	start=$(date +%s)
	check "alice still signs with MaxSessions 2 and 8 held" sh -c \
		"cd '$T/home/$ALICE' && timeout 10 runuser -u $ALICE -- env \
		CSIGN_SOCKET='$T/csignd.sock' '$T/bin/csign-client' sign -k ec \
		-f raw -o nws.ec.sig ap.bin"
	[ $(($(date +%s) - start)) -le 5 ] && ok || fail "signing took over 5 s"
	first=$(echo $ids | cut -d' ' -f1)
	check "erin denies one" as $ERIN deny "$first" --reason "not now"
	check "a new request is accepted at once" appr_nowait nws10
	check "alice withdraws another" as $ALICE deny \
		"$(echo $ids | cut -d' ' -f2)" --reason "mine"
	id=$(appr_nowait nws11) && ok || fail "not accepted after a withdrawal"
	check "dave approves it" as $DAVE approve "$id"
	as $ALICE wait "$id" > "$T/home/$ALICE/nws11.sig" 2> "$T/nws11.err"
	[ $? -eq 0 ] && ok || { fail "wait"; cat "$T/nws11.err" >&2; }
	check "its signature verifies" openssl dgst -sha256 -verify \
		"$T/appr.pub" -signature "$T/home/$ALICE/nws11.sig" \
		"$T/home/$ALICE/ap.bin"
	expect_rc 3 "the denied one is collected as denied" as $ALICE wait \
		"$first"
	expect_grep "denied by $ERIN: not now" "$T/rc.out" "says who and why"
	# The rest are cancelled (and audited) by a restart.
	it_config "$(appr_keys)"
	it_stop_daemon
	it_start_daemon
}
t_approval_keys() {
	begin "keys shows which keys need approval, and from whom"
	appr_setup
	expect_run "keys" "$T/apk.keys" as $ALICE keys
	expect_grep "^KEY .* APPROVAL$" "$T/apk.keys" "an APPROVAL column"
	expect_grep "^appr2 .* 2-of-$IT_APPROVERS/10m$" "$T/apk.keys" \
		"appr2: 2 of the group, 10 minutes"
	expect_grep "^appr .* 1-of-$IT_APPROVERS/1h$" "$T/apk.keys" \
		"appr: 1 of the group, the default hour"
	expect_grep "^apprx .* 1-of-$IT_APPROVERS/3s$" "$T/apk.keys" \
		"apprx: expires in seconds"
	expect_grep "^rsa .* -$" "$T/apk.keys" "a key without approval shows -"
	as $ALICE --json keys > "$T/apk.json" 2>&1
	check "--json carries the approval" python3 -c '
import json, sys
keys = {k["key"]: k for k in json.load(open(sys.argv[1]))}
assert keys["appr2"]["approval"] == {"group": sys.argv[2], "count": 2, "expires": 600}, keys["appr2"]
assert "approval" not in keys["rsa"], keys["rsa"]
' "$T/apk.json" "$IT_APPROVERS"
}

CASES="$CASES t_approval_keys t_approval_grant t_approval_two t_approval_deny
t_approval_expire t_approval_nowait t_approval_cancel t_approval_recheck
t_approval_slots"
