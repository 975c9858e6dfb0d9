# The pesign listener (PesignListen, PesignMap), sourced by run.sh.
#
# Debian's unmodified pesign-client (0.112) connects to
# /run/pesign/socket and nowhere else: each call runs in a private mount
# namespace whose /run is a tmpfs with $T/pesign bound at /run/pesign, so
# the test's socket is the one it finds and the host's /run is never
# touched.  The raw test client (tests/tools/pesignclient.c) speaks what
# 0.112 does not: the _WITH_FILE_TYPE commands (PE and kernel module)
# and malformed messages.  Every record of a pesign session must carry
# "via":"pesign"; no record of csign-client's carries it.

PESIGN_READY=""
PESIGN_TOKEN="NSS Certificate DB"
PESIGN_FEDORA_TOKEN="OpenSC Card (Fedora Signer)"
PESIGN_FEDORA_CERT="/CN=Fedora Secure Boot Signer"

# Restart the suite's csignd with the pesign listener, once per run.
pesign_setup() {
	[ -n "$PESIGN_READY" ] && return "$PESIGN_READY"
	PESIGN_READY=1
	pe_build || return 1
	cp "$build/test/pesignclient" "$T/bin/" || return 1
	mkdir -p "$T/pesign"
	chmod 755 "$T/pesign"
	cp "$T/csignd.conf" "$T/csignd.conf.pesign-saved"
	it_config "PesignListen $T/pesign/socket
LoginGraceTime 3
PesignMap \"$PESIGN_TOKEN\" \"csign efi\" efi
PesignMap \"$PESIGN_TOKEN\" \"csign kmod\" kmod
PesignMap \"$PESIGN_TOKEN\" \"csign cms only\" rsa-pe
PesignMap \"$PESIGN_TOKEN\" \"csign approval\" pe-appr
PesignMap \"$PESIGN_FEDORA_TOKEN\" \"$PESIGN_FEDORA_CERT\" efi
Key rsa-pe
    Token hsm0
    Label rsa-pe
    Certificate $T/rsa-pe.crt
    Formats pe
Key pe-appr
    Token hsm0
    Label pe-appr
    Certificate $T/pe-appr.crt
    Formats pe
    Approval group $IT_APPROVERS
Allow group $IT_SIGNERS keys pe-appr"
	it_token_key rsa-pe 70 rsa && it_token_key pe-appr 71 rsa || return 1
	it_stop_daemon
	it_start_daemon || return 1
	[ -S "$T/pesign/socket" ] || return 1
	PESIGN_READY=0
}

# pesign-client as user $1 with the rest of the arguments, in $1's
# directory, in a mount namespace where /run/pesign is $T/pesign.
pesign_as() {
	user=$1
	shift
	unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir /run/pesign &&
		mount --bind "$1" /run/pesign && shift &&
		cd "$1" && shift && exec runuser -u "$@"' sh "$T/pesign" \
		"$T/home/$user" "$user" -- pesign-client "$@"
}

# The raw test client as user $1 (pesignclient SOCKET MODE ARGS).
pesignraw_as() {
	user=$1
	shift
	(cd "$T/home/$user" && runuser -u "$user" -- "$T/bin/pesignclient" \
		"$T/pesign/socket" "$@")
}

# Each line of the audit log about pesign requests says so (but an
# approver's decision, made through csign-client, is the approver's).
pesign_records() {
	grep '"event":"pesign-\|"artifact":"pesign-client input"' \
		"$T/audit.jsonl" | grep -v '"event":"approval-\(grant\|deny\)"'
}
pesign_records_via() {
	n=$(pesign_records | grep -c .)
	m=$(pesign_records | grep -c '"via":"pesign"')
	[ "$n" -gt 0 ] && [ "$n" = "$m" ]
}

# The daemon still serves both listeners.
pesign_still_serving() {
	check "$1: pesign listener answers" pesignraw_as "$ALICE" version 7
	check "$1: csign-client still served" as "$ALICE" keys
}

t_pesign_attached_pe() {
	begin "pesign-client 0.112: attached PE signature, verified by sbverify and osslsigncode"
	pesign_setup || { fail "pesign listener did not start"; return; }
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" ps.efi
	check "pesign-client -s" pesign_as "$ALICE" -t "$PESIGN_TOKEN" \
		-c "csign efi" -s -i ps.efi -o ps.signed.efi
	pe_check_both "$a/ps.signed.efi" "pesign-client attached"
	# pesignd replaces an existing signature: one entry, not two.
	check "re-sign the signed image" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -c "csign efi" -s -i ps.signed.efi \
		-o ps.resigned.efi
	[ "$(pe_py entries "$a/ps.resigned.efi")" = 1 ] && ok ||
		fail "re-signing did not replace the signature"
	pe_check_both "$a/ps.resigned.efi" "re-signed"
	# The output is truncated first: a longer old file leaves nothing.
	head -c 3000000 /dev/urandom > "$a/big.out"
	chown "$ALICE" "$a/big.out"
	check "over a longer file" pesign_as "$ALICE" -t "$PESIGN_TOKEN" \
		-c "csign efi" -s -i ps.efi -o big.out
	pe_check_both "$a/big.out" "output truncated first"
	expect_grep_soon '"event":"sign".*"via":"pesign".*"key":"efi".*"format":"pe".*"artifact":"pesign-client input"' \
		"$T/audit.jsonl" "sign record with via pesign"
}

t_pesign_detached_pe() {
	begin "pesign-client -e: detached PE signature verified by sbverify --detached"
	pesign_setup || { fail "pesign listener did not start"; return; }
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" pd.efi
	check "pesign-client -s -e" pesign_as "$ALICE" -t "$PESIGN_TOKEN" \
		-c "csign efi" -s -i pd.efi -e pd.sig
	check "sbverify --detached" sbverify --cert "$T/ca.crt" \
		--detached "$a/pd.sig" "$a/pd.efi"
	check "the detached file is one DER PKCS#7" openssl pkcs7 -inform DER \
		-in "$a/pd.sig" -noout
}

t_pesign_refusals() {
	begin "pesign: ungranted user, unmapped token or certificate, wrong format: refused, nothing written"
	pesign_setup || { fail "pesign listener did not start"; return; }
	b=$T/home/$BOB
	cp "$T/pe/sdboot.efi" "$b/x.efi"
	chown "$BOB" "$b/x.efi"
	expect_rc 1 "ungranted user" pesign_as "$BOB" -t "$PESIGN_TOKEN" \
		-c "csign efi" -s -i x.efi -o x.signed.efi
	expect_grep "signing failed" "$T/rc.out" "pesign-client says so"
	[ ! -s "$b/x.signed.efi" ] && ok || fail "output written for bob"
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$BOB\".*\"via\":\"pesign\".*\"key\":\"efi\"" \
		"$T/audit.jsonl" "deny record for bob"
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" u.efi
	expect_rc 1 "unmapped token" pesign_as "$ALICE" -t "Other Token" \
		-c "csign efi" -s -i u.efi -o u.signed.efi
	expect_grep "no PesignMap for token" "$T/rc.out" "says why"
	[ ! -s "$a/u.signed.efi" ] && ok || fail "output written (token)"
	expect_rc 1 "unmapped certificate" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -c "no such cert" -s -i u.efi \
		-o u2.signed.efi
	[ ! -s "$a/u2.signed.efi" ] && ok || fail "output written (cert)"
	expect_grep_soon '"event":"deny".*"via":"pesign".*"reason":"no PesignMap for token \\"Other Token\\"' \
		"$T/audit.jsonl" "deny record for the unmapped token"
	# A map to a key the user is not granted (rsa-pe: no Allow line).
	expect_rc 1 "mapped key not granted" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -c "csign cms only" -s -i u.efi \
		-o u3.signed.efi
	[ ! -s "$a/u3.signed.efi" ] && ok || fail "output written (grant)"
	# A module key asked for a PE (commands 2/3 are PE only).
	expect_rc 1 "kmod key asked for a PE" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -c "csign kmod" -s -i u.efi \
		-o u4.signed.efi
	[ ! -s "$a/u4.signed.efi" ] && ok || fail "output written (format)"
	pesign_still_serving "after refusals"
}

t_pesign_unlock_kill_query() {
	begin "pesign-client -u, -k, -q: no PIN taken, no kill, audited; -q answers"
	pesign_setup || { fail "pesign listener did not start"; return; }
	printf 'not-the-pin' > "$T/home/$ALICE/pin.txt"
	chown "$ALICE" "$T/home/$ALICE/pin.txt"
	check "-q on a logged-in token" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -q
	expect_grep "is unlocked" "$T/check.out" "says unlocked"
	check "-u (the token is logged in: rc 0)" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -u -F pin.txt
	expect_grep_soon '"event":"pesign-unlock".*"via":"pesign".*"result":"ok".*PIN was not used' \
		"$T/audit.jsonl" "unlock audited"
	grep -q 'not-the-pin' "$T/audit.jsonl" "$T/csignd.log" &&
		fail "the client's PIN reached a record or the log" || ok
	expect_rc 1 "-u on an unmapped token" pesign_as "$ALICE" \
		-t "Other Token" -u -F pin.txt
	pesign_as "$ALICE" -k > "$T/kill.out" 2>&1
	sleep 0.3
	kill -0 "$DPID" && ok || fail "csignd died on -k"
	expect_grep_soon '"event":"pesign-kill".*"via":"pesign".*"result":"denied"' \
		"$T/audit.jsonl" "kill audited"
	pesign_still_serving "after -k"
	expect_rc 1 "raw kill: refused" pesignraw_as "$ALICE" kill
	expect_grep "does not stop" "$T/rc.out" "says why"
	expect_rc 1 "raw unlock of an unmapped token" pesignraw_as "$ALICE" \
		unlock "Other Token" 1234
}

t_pesign_file_types() {
	begin "pesign commands 7/8: PE and kernel module, attached and detached"
	pesign_setup || { fail "pesign listener did not start"; return; }
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" t.efi
	check "version of 7" pesignraw_as "$ALICE" version 7
	check "version of 8" pesignraw_as "$ALICE" version 8
	expect_rc 1 "version of 4 (RESPONSE)" pesignraw_as "$ALICE" version 4
	expect_rc 1 "version of 9" pesignraw_as "$ALICE" version 9
	check "7 PE" pesignraw_as "$ALICE" sign 7 0 "$PESIGN_TOKEN" \
		"csign efi" t.efi t7.efi
	pe_check_both "$a/t7.efi" "command 7, PE"
	check "8 PE" pesignraw_as "$ALICE" sign 8 0 "$PESIGN_TOKEN" \
		"csign efi" t.efi t8.sig
	check "8 PE: sbverify --detached" sbverify --cert "$T/ca.crt" \
		--detached "$a/t8.sig" "$a/t.efi"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	mod_copy pm.ko
	check "7 module" pesignraw_as "$ALICE" sign 7 1 "$PESIGN_TOKEN" \
		"csign kmod" pm.ko pm.signed.ko
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha256 "$T/ref.pesign.ko"
	check "module attached = sign-file's bytes" cmp "$a/pm.signed.ko" \
		"$T/ref.pesign.ko"
	check "8 module" pesignraw_as "$ALICE" sign 8 1 "$PESIGN_TOKEN" \
		"csign kmod" pm.ko pm.sig
	modsize=$(stat -c %s "$T/mod/hello.ko")
	tail -c +$((modsize + 1)) "$T/ref.pesign.ko" > "$T/ref.pesign.tail"
	check "module detached = PKCS#7 + module_signature + magic" cmp \
		"$a/pm.sig" "$T/ref.pesign.tail"
	expect_rc 1 "a PE key asked for a module" pesignraw_as "$ALICE" \
		sign 7 1 "$PESIGN_TOKEN" "csign efi" pm.ko pm.bad.ko
	expect_rc 1 "a module given as a PE" pesignraw_as "$ALICE" \
		sign 7 0 "$PESIGN_TOKEN" "csign efi" pm.ko pm.bad2.efi
	[ ! -s "$a/pm.bad.ko" ] && [ ! -s "$a/pm.bad2.efi" ] && ok ||
		fail "output written after a refusal"
	expect_grep_soon '"event":"sign".*"via":"pesign".*"key":"kmod".*"format":"module"' \
		"$T/audit.jsonl" "module sign record with via pesign"
}

# The request id of the newest held pesign request (waits up to 10 s).
pesign_held_id() {
	for _ in $(seq 100); do
		id=$(grep '"event":"approval-pending".*"via":"pesign"' \
			"$T/audit.jsonl" | tail -1 |
			sed -n 's/.*"request":\([0-9]*\).*/\1/p')
		[ -n "$id" ] && [ "$id" != "${1:-}" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

t_pesign_approval() {
	begin "pesign: a key with Approval holds the request; pesign-client waits and gets the signed image"
	pesign_setup || { fail "pesign listener did not start"; return; }
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" ap.efi
	old=$(pesign_held_id "" 2>/dev/null || true)
	(pesign_as "$ALICE" -t "$PESIGN_TOKEN" -c "csign approval" -s \
		-i ap.efi -o ap.signed.efi > "$T/pap.out" 2>&1
	echo $? > "$T/pap.rc") &
	bg=$!
	if ! id=$(pesign_held_id "$old"); then
		fail "no held pesign request"; wait $bg; return
	fi
	[ ! -s "$a/ap.signed.efi" ] && ok || fail "output written before approval"
	check "an approver approves" as "$DAVE" approve "$id"
	wait $bg
	[ "$(cat "$T/pap.rc")" = 0 ] && ok ||
		fail "pesign-client: $(cat "$T/pap.out")"
	pe_check_both "$a/ap.signed.efi" "approved pesign request"
	expect_grep_soon "\"event\":\"sign\".*\"via\":\"pesign\".*\"key\":\"pe-appr\".*\"request\":$id" \
		"$T/audit.jsonl" "sign record names the request"
}

t_pesign_malformed() {
	begin "pesign: junk, missing descriptors, half a header, oversized payload: the daemon serves on"
	pesign_setup || { fail "pesign listener did not start"; return; }
	pe_copy "$T/pe/sdboot.efi" t.efi
	# A header that is not pesign's.
	expect_rc 1 "bad magic" pesignraw_as "$ALICE" raw \
		0102030405000000040000000600000000
	expect_grep "version|magic" "$T/rc.out" "bad magic: says why"
	# Announces 100000 payload bytes.
	expect_rc 1 "oversized payload" pesignraw_as "$ALICE" raw \
		f0da9e2a05000000a0860100
	# A string length past the payload.
	expect_rc 1 "string past the payload" pesignraw_as "$ALICE" raw \
		f0da9e2a0500000008000000ff00000041424300
	# Half a payload: the loop waits for the whole first message (the
	# child never sees it) and cuts the client at LoginGraceTime.
	expect_rc 1 "half a first message" pesignraw_as "$ALICE" raw \
		f0da9e2a060000000800000007000000
	expect_grep "no complete first message within LoginGraceTime" \
		"$T/rc.out" "cut by the loop at LoginGraceTime"
	# A sign payload followed by two bytes and no descriptor.
	expect_rc 1 "no descriptors" pesignraw_as "$ALICE" nofds \
		"$PESIGN_TOKEN" "csign efi"
	expect_grep "descriptor" "$T/rc.out" "nofds: says why"
	# The client hangs up after half a header, or sends junk and leaves.
	check "half a header" pesignraw_as "$ALICE" half
	pesignraw_as "$ALICE" junk 00112233 > /dev/null 2>&1
	pesignraw_as "$ALICE" junk f0da9e2a00000000ffff0000 > /dev/null 2>&1
	sleep 0.3
	kill -0 "$DPID" && ok || fail "csignd died"
	pesign_still_serving "after malformed messages"
	check "pesign-client still signs" pesign_as "$ALICE" \
		-t "$PESIGN_TOKEN" -c "csign efi" -s -i t.efi -o after.efi
	pe_check_both "$T/home/$ALICE/after.efi" "after malformed messages"
}

# Debian's rpm and pesign ship no %pesign macro (Fedora's pesign does,
# in macros.pesign): this file defines one that does what Fedora's does
# when /var/run/pesign/socket exists, so that the macro rpm expands is
# the path a Fedora build takes to the signing host.
pesign_macros() {
	cat > "$T/pesign/macros.pesign" <<'EOF'
%_pesign_client /usr/bin/pesign-client
%pesign(i:o:C:e:s) \
if [ -S /var/run/pesign/socket ]; then \
  %{_pesign_client} -t "OpenSC Card (Fedora Signer)" \\\
    -c "/CN=Fedora Secure Boot Signer" %{-i} %{-o} %{-e} %{-s} %{-C} \
else \
  echo "no pesign socket" >&2; exit 1 \
fi \
[ -s %{-o*}%{-e*} ] || exit 1 ;
EOF
}

t_pesign_rpm_macro() {
	begin "rpm's %pesign (rpm --eval) signs a PE through the listener"
	pesign_setup || { fail "pesign listener did not start"; return; }
	a=$T/home/$ALICE
	pesign_macros
	pe_copy "$T/pe/sdboot.efi" rpm.efi
	rpm --load "$T/pesign/macros.pesign" \
		--eval '%pesign -s -i rpm.efi -o rpm.signed.efi' \
		> "$T/pesign/rpm.sh" 2>"$T/pesign/rpm.err"
	check "the macro expands to pesign-client" grep -q pesign-client \
		"$T/pesign/rpm.sh"
	chmod 644 "$T/pesign/rpm.sh"
	check "the expanded %pesign runs" unshare -m --propagation private \
		sh -c 'mount -t tmpfs tmpfs /run && mkdir /run/pesign &&
		mount --bind "$1" /run/pesign && cd "$2" &&
		runuser -u "$3" -- sh "$1/rpm.sh"' sh "$T/pesign" "$a" \
		"$ALICE"
	pe_check_both "$a/rpm.signed.efi" "%pesign"
}

t_pesign_listen_rules() {
	begin "PesignListen: not over a file, not over a live socket (pesignd); csignd -t says so"
	pesign_setup || { fail "pesign listener did not start"; return; }
	sed "s|^Listen .*|Listen $T/second.sock|" "$T/csignd.conf" \
		> "$T/pesign-live.conf"
	SOFTHSM2_CONF=$SOFTHSM2_CONF timeout 60 "$T/bin/csignd" -d \
		-f "$T/pesign-live.conf" > "$T/pesign-live.out" 2>&1
	[ $? -eq 1 ] && ok || fail "a second csignd started on a live PesignListen"
	expect_grep "PesignListen $T/pesign/socket: another process \(pid $DPID, pesignd\?\) is serving" \
		"$T/pesign-live.out" "names the process that answers"
	[ ! -e "$T/second.sock" ] && ok || fail "it bound its Listen first"
	: > "$T/pesign/notasocket"
	sed "s|^PesignListen .*|PesignListen $T/pesign/notasocket|" \
		"$T/csignd.conf" > "$T/pesign-file.conf"
	expect_rc 1 "csignd -t: PesignListen over a file" "$T/bin/csignd" -t \
		-f "$T/pesign-file.conf"
	expect_grep "PesignListen $T/pesign/notasocket: exists and is not a socket" \
		"$T/rc.out" "csignd -t says why"
	[ -f "$T/pesign/notasocket" ] && ok || fail "the file was removed"
	check "csignd -t beside the running daemon" "$T/bin/csignd" -t \
		-f "$T/csignd.conf"
	pesign_still_serving "after the refused starts"
}

t_pesign_via() {
	begin "pesign: every record of a pesign session says via pesign, no other does"
	pesign_setup || { fail "pesign listener did not start"; return; }
	# A signature, a refusal, an unlock and a kill of its own.
	pe_copy "$T/pe/sdboot.efi" via.efi
	check "a pesign signature" pesign_as "$ALICE" -t "$PESIGN_TOKEN" \
		-c "csign efi" -s -i via.efi -o via.signed.efi
	pesign_as "$BOB" -t "$PESIGN_TOKEN" -c "csign efi" -s -i /dev/null \
		-o /dev/null > /dev/null 2>&1
	pesignraw_as "$ALICE" kill > /dev/null 2>&1
	pesignraw_as "$ALICE" unlock "$PESIGN_TOKEN" 0000 > /dev/null 2>&1
	check "a csign-client signature" as "$ALICE" sign -k efi -f pe \
		-o via.csign.efi via.efi
	expect_grep_soon '"event":"pesign-unlock"' "$T/audit.jsonl" \
		"the unlock is recorded"
	check "every pesign record carries via pesign" pesign_records_via
	check "the chain verifies" "$T/bin/csign-audit" verify "$T/audit.jsonl"
	grep -v '"artifact":"pesign-client input"' "$T/audit.jsonl" |
		grep -v '"event":"pesign-' | grep '"via":' |
		grep -v '"event":"deny".*"via":"pesign"' > "$T/via.other"
	[ ! -s "$T/via.other" ] && ok ||
		fail "a record of another session says via: $(head -1 "$T/via.other")"
	# Put the suite's own configuration back.
	cp "$T/csignd.conf.pesign-saved" "$T/csignd.conf"
	it_stop_daemon
	it_start_daemon
	[ ! -e "$T/pesign/socket" ] && ok ||
		fail "the pesign socket was left behind"
	PESIGN_READY=""
}

CASES="$CASES t_pesign_attached_pe t_pesign_detached_pe t_pesign_refusals
t_pesign_unlock_kill_query t_pesign_file_types t_pesign_approval
t_pesign_malformed
t_pesign_rpm_macro t_pesign_listen_rules t_pesign_via"
