# Token replicas and failover (issue 16): a key on two SoftHSM tokens that
# hold the same private key ("Token hsm-a hsm-b"), each wrapped by the
# fault-injection module tests/tools/p11fault.c with a fault file per
# token label in $T/faults.  For each fault (fail, hang, wrong signature,
# session lost, login refused): no wrong signature is released (every
# output is checked with openssl), the audit log verifies and has a
# record per signature, the exit code is right, the request moves to the
# replica when there is one and fails with exit 4 when there is none, and
# once the fault is healed the probe brings the first token back and it
# signs again (csign-client status --json counts each token's signatures).
#
# hsm-a is the suite's token (label csign), hsm-b a second token (label
# csign-b) made here.  Keys: repl on both, solo on hsm-a only, bonly on
# hsm-b only.  TokenTimeout 2, TokenProbeInterval 1: the cases take
# seconds.  Each case starts its own csignd and stops it by pid.

RPID=""

# Import the PEM private key $T/$1.key into token csign-b as label $2, id $3.
repl_import() {
	openssl pkcs8 -topk8 -nocrypt -in "$T/$1.key" -out "$T/repl-imp.p8" &&
		softhsm2-util --import "$T/repl-imp.p8" --token csign-b \
			--label "$2" --id "$3" --pin "$PIN" >/dev/null
	r=$?
	rm -f "$T/repl-imp.p8"
	return $r
}

# The second token and the keys, made once for every case.
repl_setup() {
	[ -f "$T/repl.ready" ] && return 0
	it_token_key repl 20 rsa && it_token_key bonly 22 ec &&
		it_token_key mism 23 rsa || return 1
	softhsm2-util --init-token --free --label csign-b --pin "$PIN" \
		--so-pin 87654321 >/dev/null || return 1
	# repl and bonly: the same keys as on csign; mism: another key
	# under the same label, for the start check.
	repl_import repl repl 20 && repl_import bonly bonly 22 &&
		repl_import rawkey mism 23 || return 1
	cp "$build/test/p11fault.so" "$T/bin/p11fault.so" &&
		chmod 755 "$T/bin/p11fault.so" || return 1
	mkdir -p "$T/faults" && chmod 755 "$T/faults"
	touch "$T/repl.ready"
}

# The replica daemon's config, extra lines from $1.
repl_config() {
	cat > "$T/repl.conf" <<CONF
Listen $T/repl.sock
SandboxUser $SANDBOX
SandboxProgram $T/bin/csign-sandbox
AuditLog $T/repl.jsonl
PoolSize 1
SessionTimeout 10
TokenTimeout 2
TokenProbeInterval ${REPL_PROBE:-1}

Token hsm-a
    Module $T/bin/p11fault.so
    TokenLabel csign
    PinFile $T/hsm.pin
Token hsm-b
    Module $T/bin/p11fault.so
    TokenLabel csign-b
    PinFile $T/hsm.pin

Key repl
    Token hsm-a hsm-b
    Label repl
    Certificate $T/repl.crt
    Formats raw cms
Key solo
    Token hsm-a
    Label rawkey
    Certificate $T/rawkey.crt
    Formats raw
Key bonly
    Token hsm-b
    Label bonly
    Certificate $T/bonly.crt
    Formats raw
${1:-}
Allow group $IT_SIGNERS keys repl solo bonly ${2:-}
CONF
}

repl_start() {
	rm -f "$T/faults"/* "$T/repl.sock" "$T/repl.jsonl" "$T/repl.log"
	repl_config "$@"
	it_spawn_csignd "$T/repl.conf" "$T/repl.sock" "$T/repl.log" \
		"env P11FAULT_DIR=$T/faults P11FAULT_MODULE=/usr/lib/softhsm/libsofthsm2.so"
	r=$?
	RPID=$SPAWNED
	return $r
}

repl_stop() {
	rm -f "$T/faults"/*
	[ -n "$RPID" ] || return 0
	kill -TERM "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=""
}

# rc ARGS...: csign-client as alice against the replica daemon.
rc() {
	(cd "$T/home/$ALICE" && runuser -u "$ALICE" -- \
		"$T/bin/csign-client" -S "$T/repl.sock" "$@")
}

# Signatures token $1 made for requests, from status --json.
repl_count() {
	rc status --json 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tokens"]:
    if t["token"] == sys.argv[1]:
        print(t.get("signatures", 0))' "$1"
}

# The state (and reason) of token $1 from status --json: "unavailable/timeout".
repl_state() {
	rc status --json 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tokens"]:
    if t["token"] == sys.argv[1]:
        print(t["state"] + ("/" + t["reason"] if "reason" in t else ""))' "$1"
}

# Wait up to $2 seconds for token $1 to be in state $3.
repl_wait_state() {
	for _ in $(seq $(($2 * 5))); do
		[ "$(repl_state "$1")" = "$3" ] && return 0
		sleep 0.2
	done
	echo "token $1: $(repl_state "$1"), wanted $3" >&2
	return 1
}

# Sign the case's artifact with key $1 into $2 (raw); rc in $T/rc.out.
repl_sign() {
	rc sign -k "$1" -f raw -o "$2" repl.bin
}

# Output $2 of key $1 verifies over the artifact (or does not exist).
repl_ok() {
	raw_ok "$T/$1.pub" sha256 "$T/home/$ALICE/$2" "$T/home/$ALICE/repl.bin"
}

# Every output left in alice's home by these cases verifies: no wrong
# signature was ever released.
repl_outputs_verify() {
	bad=0
	for f in "$T/home/$ALICE"/repl-*.sig; do
		[ -e "$f" ] || continue
		k=$(basename "$f" | cut -d- -f2)
		raw_ok "$T/$k.pub" sha256 "$f" "$T/home/$ALICE/repl.bin" ||
			{ echo "    $f does not verify" >&2; bad=1; }
	done
	[ $bad = 0 ]
}

# The audit log verifies and has $1 (to $2) sign records.
repl_audit() {
	check "the audit log verifies" "$T/bin/csign-audit" verify "$T/repl.jsonl"
	n=$(grep -c '"event":"sign"' "$T/repl.jsonl")
	[ "$n" -ge "$1" ] && [ "$n" -le "${2:-$1}" ] && ok ||
		fail "$n sign records, wanted $1${2:+ to $2}"
}

# A case's opening: setup, artifact, daemon, a first signature on hsm-a.
repl_begin() {
	repl_setup || { fail "replica setup"; return 1; }
	head -c 3000 /dev/urandom > "$T/home/$ALICE/repl.bin"
	chmod 644 "$T/home/$ALICE/repl.bin"
	rm -f "$T/home/$ALICE"/repl-*.sig
	check "csignd starts on two replicas" repl_start || return 1
	check "signs on the first token" repl_sign repl repl-repl-0.sig
	[ "$(repl_count hsm-a)" = 1 ] && ok ||
		fail "hsm-a made $(repl_count hsm-a) signatures, wanted 1"
}

# "Back in service" records of hsm-a so far.
repl_returns() {
	grep -c '"event":"token".*token hsm-a back in service' "$T/repl.jsonl"
}

# A case's end: heal, wait for the probe, sign on hsm-a again.  The
# daemon audits a token's return before any status can show it ready, so
# the record is looked for at once, not waited for.
repl_heal() {
	a0=$(repl_count hsm-a)
	n0=$(repl_returns)
	rm -f "$T/faults"/*
	check "the probe brings hsm-a back" repl_wait_state hsm-a 10 ready
	[ "$(repl_returns)" -gt "$n0" ] && ok ||
		fail "status shows hsm-a ready before its back-in-service record"
	check "signs again after healing" repl_sign repl repl-repl-healed.sig
	[ "$(repl_count hsm-a)" = $((a0 + 1)) ] && ok ||
		fail "hsm-a did not sign after healing (it is $(repl_state hsm-a))"
	expect_grep '"event":"token".*token hsm-a out of service' \
		"$T/repl.jsonl" "a record when hsm-a went out of service"
	check "no wrong signature was released" repl_outputs_verify
}

t_replica_start_check() {
	begin "replicas: a token holding another key is refused at start"
	repl_setup || { fail "replica setup"; return; }
	repl_config "Key mism
    Token hsm-a hsm-b
    Label mism
    Certificate $T/mism.crt
    Formats raw" mism
	expect_rc 1 "csignd refuses replicas of different keys" \
		env SOFTHSM2_CONF=$SOFTHSM2_CONF \
		P11FAULT_MODULE=/usr/lib/softhsm/libsofthsm2.so \
		P11FAULT_DIR=$T/faults "$T/bin/csignd" -d -f "$T/repl.conf"
	expect_grep "key mism: token hsm-b does not hold the same key as token hsm-a" \
		"$T/rc.out" "the message names the key and both tokens"
}

t_replica_fail() {
	begin "replicas: C_Sign fails (CKR_DEVICE_ERROR) on hsm-a"
	repl_begin || { repl_stop; return; }
	echo "fail" > "$T/faults/csign"
	b0=$(repl_count hsm-b)
	check "the request fails over to hsm-b" repl_sign repl repl-repl-1.sig
	check "and verifies" repl_ok repl repl-repl-1.sig
	[ "$(repl_count hsm-b)" = $((b0 + 1)) ] && ok || fail "hsm-b did not sign"
	# "probe failed" when the probe met the fault before the request.
	st=$(repl_state hsm-a)
	case $st in
	"unavailable/sign error" | "unavailable/probe failed") ok ;;
	*) fail "hsm-a is $st" ;;
	esac
	rc keys --json > "$T/repl.keys" 2>&1
	expect_grep '"key":"repl"[^}]*"token":"hsm-b"' "$T/repl.keys" \
		"keys shows the key signing on hsm-b"
	rc keys > "$T/repl.keys" 2>&1
	expect_grep "^repl \(on hsm-b\)" "$T/repl.keys" "also in the table"
	expect_rc 4 "a key without a replica fails with exit 4" \
		repl_sign solo repl-rawkey-1.sig
	expect_grep "unavailable" "$T/rc.out" "and says the token is unavailable"
	check "another key on hsm-b signs" repl_sign bonly repl-bonly-1.sig
	repl_heal
	rc keys --json > "$T/repl.keys" 2>&1
	expect_grep '"key":"repl"[^}]*"token":"hsm-a"' "$T/repl.keys" \
		"keys shows it back on hsm-a"
	repl_audit 4
	repl_stop
}

t_replica_hang() {
	begin "replicas: C_Sign hangs on hsm-a (TokenTimeout 2)"
	repl_begin || { repl_stop; return; }
	echo "hang" > "$T/faults/csign"
	start=$(date +%s)
	rc sign -k repl -f raw -o repl-repl-1.sig repl.bin > "$T/repl.hang" 2>&1 &
	hpid=$!
	sleep 0.5
	# While hsm-a hangs, the loop and hsm-b's keys are not blocked.
	t0=$(date +%s%N)
	check "status answers while a token hangs" rc status
	check "a key on hsm-b signs meanwhile" repl_sign bonly repl-bonly-1.sig
	# The fault hangs until it is healed below: a loop or a key blocked
	# by it would not answer at all; 5 s leaves room for a loaded host.
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 5000 ] && ok || fail "status and bonly took ${ms}ms"
	echo "    note: status and a signature on hsm-b took ${ms}ms while hsm-a hung"
	wait $hpid
	hrc=$?
	took=$(($(date +%s) - start))
	[ $hrc = 0 ] && ok || fail "the hung request failed ($hrc): $(cat "$T/repl.hang")"
	check "it moved to hsm-b and verifies" repl_ok repl repl-repl-1.sig
	[ $took -ge 2 ] && [ $took -le 8 ] && ok ||
		fail "the failover took ${took}s (TokenTimeout 2)"
	echo "    note: a hung C_Sign failed over in ${took}s (TokenTimeout 2)"
	[ "$(repl_state hsm-a)" = "unavailable/timeout" ] && ok ||
		fail "hsm-a is $(repl_state hsm-a)"
	expect_grep "signing thread is abandoned" "$T/repl.log" \
		"the stuck worker is abandoned"
	expect_rc 4 "a key without a replica fails with exit 4" \
		repl_sign solo repl-rawkey-1.sig
	# Every thread abandoned in hsm-a (the request's, and a probe's
	# queued before the request timed out) returns, with an error, once
	# the fault is healed.  The token is probed back only after all of
	# them returned, and none of them may take it out of service again
	# when it does: it would be "ready" in status and unused by the next
	# request.
	repl_heal
	na=$(grep -c "signing thread is abandoned" "$T/repl.log")
	nr=$(grep -c "abandoned in token hsm-a returned" "$T/repl.log")
	[ "$na" -ge 1 ] && [ "$nr" = "$na" ] && ok ||
		fail "hsm-a was ready with $nr of $na abandoned threads returned"
	if grep -q "token hsm-a out of service: sign error" "$T/repl.log"; then
		fail "a thread abandoned in hsm-a took it out of service again"
	else
		ok
	fi
	# No replica: a request stuck in hsm-a fails after TokenTimeout.
	echo "hang" > "$T/faults/csign"
	expect_rc 4 "a hung token without a replica: exit 4" \
		repl_sign solo repl-rawkey-2.sig
	expect_grep "did not answer within TokenTimeout" "$T/rc.out" \
		"the client is told the token timed out"
	rm -f "$T/faults/csign"
	check "the probe brings hsm-a back" repl_wait_state hsm-a 10 ready
	check "solo signs again" repl_sign solo repl-rawkey-3.sig
	check "no wrong signature was released" repl_outputs_verify
	repl_audit 5
	# SIGTERM while a request hangs in hsm-a: csignd still exits (the
	# drain gives up after 10 s; the stuck thread is abandoned, not
	# joined).
	echo "hang" > "$T/faults/csign"
	repl_sign solo repl-rawkey-4.sig > /dev/null 2>&1 &
	spid=$!
	sleep 1
	start=$(date +%s)
	kill -TERM "$RPID"
	for _ in $(seq 60); do
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.5
	done
	took=$(($(date +%s) - start))
	if kill -0 "$RPID" 2>/dev/null; then
		fail "csignd did not exit with a thread stuck in a token"
		kill -KILL "$RPID"
	else
		ok
		echo "    note: csignd exited ${took}s after SIGTERM with a token hung"
	fi
	wait "$RPID" 2>/dev/null
	wait "$spid" 2>/dev/null
	RPID=""
	rm -f "$T/faults"/*
	check "the audit log still verifies" "$T/bin/csign-audit" verify "$T/repl.jsonl"
	[ ! -e "$T/home/$ALICE/repl-rawkey-4.sig" ] && ok ||
		fail "an output from the hung request"
}

t_replica_wrong() {
	begin "replicas: hsm-a returns wrong signatures"
	# The probe (every 3 s here) verifies its own signatures and may
	# catch the fault before the request does: then the request signs on
	# hsm-b (and verifies); the fault is healed and set again.
	REPL_PROBE=3 repl_begin || { repl_stop; return; }
	good=1 refused=0
	for i in 1 2 3 4 5; do
		echo "wrong" > "$T/faults/csign"
		printf 'old\n' > "$T/home/$ALICE/repl-repl-w.sig"
		repl_sign repl repl-repl-w.sig > "$T/rc.out" 2>&1
		r=$?
		if [ $r = 1 ]; then
			refused=1
			break
		fi
		[ $r = 0 ] && repl_ok repl repl-repl-w.sig && ok ||
			fail "try $i: exit $r, or a signature that does not verify"
		good=$((good + 1))
		mv "$T/home/$ALICE/repl-repl-w.sig" "$T/home/$ALICE/repl-repl-w$i.sig"
		rm -f "$T/faults/csign"
		repl_wait_state hsm-a 10 ready
	done
	[ $refused = 1 ] && ok || fail "the request never met the wrong signature"
	expect_grep "does not verify with the key's certificate" "$T/rc.out" \
		"the session child refuses it and says why"
	check "the old output is untouched" grep -q old "$T/home/$ALICE/repl-repl-w.sig"
	rm -f "$T/home/$ALICE/repl-repl-w.sig"
	# The probe verifies its own signature: hsm-a leaves service.
	check "the probe finds the wrong signatures" \
		repl_wait_state hsm-a 10 "unavailable/wrong signature"
	check "the key now signs on hsm-b" repl_sign repl repl-repl-2.sig
	check "and verifies" repl_ok repl repl-repl-2.sig
	repl_heal
	# The refused signature may have a sign record too (audited before
	# the child checks it, see teeth.sh).
	repl_audit $((good + 2)) $((good + 3))
	repl_stop
}

t_replica_lost() {
	begin "replicas: hsm-a loses its session; logging in again heals it"
	repl_begin || { repl_stop; return; }
	echo "lost heal=login" > "$T/faults/csign"
	check "the request fails over to hsm-b" repl_sign repl repl-repl-1.sig
	check "and verifies" repl_ok repl repl-repl-1.sig
	# The probe logs in again, which heals the session (the module
	# removes the fault file), and verifies a signature.
	check "the probe logs in again and brings hsm-a back" \
		repl_wait_state hsm-a 10 ready
	expect_grep "login heals the session" "$T/repl.log" "a login healed it"
	a0=$(repl_count hsm-a)
	check "signs on hsm-a again" repl_sign repl repl-repl-2.sig
	[ "$(repl_count hsm-a)" = $((a0 + 1)) ] && ok || fail "hsm-a did not sign"
	echo "lost rv=removed" > "$T/faults/csign"
	check "CKR_DEVICE_REMOVED: fails over too" repl_sign repl repl-repl-3.sig
	repl_heal
	repl_audit 5
	repl_stop
}

t_replica_login() {
	begin "replicas: hsm-a refuses the login that would bring it back"
	repl_begin || { repl_stop; return; }
	printf 'lost\nlogin rv=device\n' > "$T/faults/csign"
	check "the request fails over to hsm-b" repl_sign repl repl-repl-1.sig
	check "the probe's login is refused" \
		repl_wait_state hsm-a 10 "unavailable/login failed"
	expect_rc 4 "a key without a replica fails with exit 4" \
		repl_sign solo repl-rawkey-1.sig
	check "repl still signs on hsm-b" repl_sign repl repl-repl-2.sig
	repl_heal
	# A refused PIN locks the token: never retried (each wrong PIN
	# brings it closer to locking), the replica serves on.
	printf 'lost\nlogin rv=pin\n' > "$T/faults/csign"
	check "the request fails over to hsm-b" repl_sign repl repl-repl-3.sig
	check "a refused PIN locks hsm-a" repl_wait_state hsm-a 10 locked
	rm -f "$T/faults/csign"
	sleep 2
	[ "$(repl_state hsm-a)" = locked ] && ok ||
		fail "a locked token was retried: $(repl_state hsm-a)"
	check "repl signs on hsm-b" repl_sign repl repl-repl-4.sig
	check "no wrong signature was released" repl_outputs_verify
	repl_audit 6
	repl_stop
}

CASES="$CASES t_replica_start_check t_replica_fail t_replica_hang
t_replica_wrong t_replica_lost t_replica_login"
