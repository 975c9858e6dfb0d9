# Tests with teeth (issue 17): each case drives one defence from the
# outside and fails when that defence is taken out of the code.
#  - a token that returns bad signatures (tests/tools/p11fault.c): the
#    session child refuses to ship them;
#  - a hostile session child (sandbox/testhook.c, sign-*): the monitor
#    refuses SIGN without KEYINFO, for another key, format or digest,
#    with a wrong digest length, and after the grant was revoked;
#  - the audit log's syncs counted and failed (tests/tools/syncspy.c):
#    one sync before each signature, none released when it fails;
#  - csignd started with supplementary groups: the child has none;
#  - seccomp's argument rules: PROT_EXEC mmap/mprotect and a path given
#    to newfstatat kill the child.
# Every case starts what it needs and passes when run alone.

# teeth_daemon NAME SEDEXPR WRAPPER: it_own_daemon (lib.sh); pid in TPID.
teeth_daemon() {
	it_own_daemon "$@"
	r=$?
	TPID=$SPAWNED
	return $r
}

teeth_stop() {
	it_stop "$TPID"
	TPID=""
}

# tc SOCKNAME USER ARGS...: csign-client as USER against $T/SOCKNAME.sock.
tc() {
	sock=$1 user=$2
	shift 2
	(cd "$T/home/$user" && runuser -u "$user" -- \
		"$T/bin/csign-client" -S "$T/$sock.sock" "$@")
}

# An artifact of alice's for the cases' own checks.
teeth_artifact() {
	echo "teeth" > "$T/home/$ALICE/teeth.bin"
	chmod 644 "$T/home/$ALICE/teeth.bin"
}

# Copy a fault-injection library of the build next to the suite's programs.
teeth_tool() {
	cp "$build/test/$1" "$T/bin/$1" && chmod 755 "$T/bin/$1"
}

# Lines of FILE matching the extended regex (0 if none or no file).
count() {
	n=$(grep -Ec -- "$1" "$2" 2>/dev/null)
	echo "${n:-0}"
}

t_teeth_token_fault() {
	begin "a token that returns a bad signature: nothing is shipped"
	teeth_tool p11fault.so || { fail "no p11fault.so in $build/test"; return; }
	a=$T/home/$ALICE
	ctl=$T/p11fault.on
	rm -f "$ctl"
	head -c 5000 /dev/urandom > "$a/fault.bin"
	chmod 644 "$a/fault.bin"
	if ! check "csignd with the fault module starts" it_fault_daemon fault \
	    "P11FAULT_CONTROL=$ctl"; then
		return
	fi
	TPID=$SPAWNED
	# The module forwards faithfully until told otherwise.
	check "signs through the fault module" tc fault $ALICE sign -k rsa \
		-f raw -o fault.good.sig fault.bin
	check "that signature verifies" raw_ok "$T/rsa2048.pub" sha256 \
		"$a/fault.good.sig" "$a/fault.bin"
	touch "$ctl"
	printf 'old contents\n' > "$a/fault.raw.sig"
	cp "$a/fault.raw.sig" "$T/fault.before"
	before=$(count '"event":"sign".*"artifact":"fault.bin"' "$T/fault.jsonl")
	for kf in rsa:raw:fault.raw.sig ec:cms:fault.p7s pss:raw:fault.pss.sig; do
		IFS=: read -r key fmt out <<EOF2
$kf
EOF2
		[ "$out" = fault.raw.sig ] || rm -f "$a/$out"
		expect_rc 1 "$key $fmt: a corrupted signature is an error" \
			tc fault $ALICE sign -k "$key" -f "$fmt" -o "$out" fault.bin
		expect_grep "does not verify with the key's certificate; nothing was written" \
			"$T/rc.out" "$key $fmt: the client is told why"
		if [ "$out" = fault.raw.sig ]; then
			check "$key $fmt: the existing output is unchanged" \
				cmp "$T/fault.before" "$a/$out"
		else
			[ ! -e "$a/$out" ] && ok ||
				fail "$key $fmt: output written from a bad signature"
		fi
	done
	n=$(count 'p11fault: corrupted' "$T/fault.log")
	[ "$n" -ge 3 ] && ok || fail "the fault module corrupted $n signatures, wanted 3"
	# Finding (issue 17): the monitor writes its "sign ok" record when the
	# token returns, before the child checks the signature, so each of
	# these refusals has a sign record; nothing tells the audit trail that
	# the signature never left.  Shown, not asserted.
	after=$(count '"event":"sign".*"artifact":"fault.bin"' "$T/fault.jsonl")
	echo "    note: $((after - before)) sign ok records for 3 refused signatures (audited before the child verifies)"
	rm -f "$ctl"
	check "signs again once the token is sound" tc fault $ALICE sign -k rsa \
		-f raw -o fault.after.sig fault.bin
	check "and it verifies" raw_ok "$T/rsa2048.pub" sha256 \
		"$a/fault.after.sig" "$a/fault.bin"
	teeth_stop
}

# hc USER NAME: the test hook NAME in a child serving USER; output in
# $T/hc.out, and the daemon's "killed" lines before it in HC_KILLS.
hc() {
	HC_KILLS=$(count 'protocol violation \(message sign' "$T/csignd.log")
	runuser -u "$1" -- "$T/bin/rawclient" "$T/csignd.sock" syscall "$2" \
		> "$T/hc.out" 2>&1
}
# The child was killed for its SIGN: the client heard it, the daemon
# logged one more protocol violation, no signature was made.
hc_killed() {
	expect_grep "session ended by the daemon" "$T/hc.out" "$1: child killed"
	n=$(count 'protocol violation \(message sign' "$T/csignd.log")
	[ "$n" -eq $((HC_KILLS + 1)) ] && ok ||
		fail "$1: $((n - HC_KILLS)) protocol violations logged, wanted 1"
	grep -q "\"event\":\"sign\".*\"artifact\":\"$1\"" "$T/audit.jsonl" &&
		fail "$1: a signature was made" || ok
}
# The monitor refused with a deny record; the child lives on.
hc_denied() {
	expect_grep "monitor answered denied" "$T/hc.out" "$1: denied"
	expect_grep_soon "\"event\":\"deny\".*\"artifact\":\"$1\"" \
		"$T/audit.jsonl" "$1: deny record"
	grep -q "session ended" "$T/hc.out" && fail "$1: child killed" || ok
	grep -q "\"event\":\"sign\".*\"artifact\":\"$1\"" "$T/audit.jsonl" &&
		fail "$1: a signature was made" || ok
}

t_teeth_hostile_child() {
	begin "a hostile child: SIGN without KEYINFO, other keys, formats, digests"
	teeth_artifact
	# The control: the hook's well-formed request is signed, so the
	# refusals below are the monitor's and not the harness's.
	hc $ALICE sign-ok
	expect_grep "monitor answered ok: signed \(256 signature bytes\)" \
		"$T/hc.out" "sign-ok: a well-formed SIGN is signed"
	expect_grep '"event":"sign".*"artifact":"sign-ok"' "$T/audit.jsonl" \
		"sign-ok: its sign record"
	# A granted key, never described (KEYINFO) to this session.
	hc $ALICE sign-nokeyinfo
	hc_killed sign-nokeyinfo
	# carol is granted rawkey only: KEYINFO rsa is denied, SIGN rsa kills.
	hc $CAROL sign-ungranted
	hc_killed sign-ungranted
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$CAROL\".*\"key\":\"rsa\"" \
		"$T/audit.jsonl" "sign-ungranted: KEYINFO's deny record"
	# KEYINFO for her own key, then SIGN for another.
	hc $CAROL sign-otherkey
	hc_killed sign-otherkey
	# A format the key does not allow (rsa: raw cms), a digest it does not
	# allow (rsa: sha256 sha384): the monitor's own policy check.
	hc $ALICE sign-format
	hc_denied sign-format
	expect_grep '"event":"deny".*"key":"rsa","format":"module","artifact":"sign-format"' \
		"$T/audit.jsonl" "sign-format: the record names the format"
	hc $ALICE sign-digest
	hc_denied sign-digest
	# Out of the protocol: a format number past the table, a digest to
	# sign or an artifact digest whose length is not the algorithm's.
	hc $ALICE sign-badformat
	hc_killed sign-badformat
	hc $ALICE sign-digestlen
	hc_killed sign-digestlen
	hc $ALICE sign-adigestlen
	hc_killed sign-adigestlen
	check "the daemon serves on" as $ALICE sign -k rsa -f raw \
		-o hostile.sig teeth.bin
}

t_teeth_grant_rechecked() {
	begin "a grant revoked between KEYINFO and SIGN: the monitor re-checks"
	teeth_artifact
	rm -f "$T/late.go"
	cp "$T/csignd.conf" "$T/late.conf.good"
	reloads=$(count 'configuration reloaded' "$T/csignd.log")
	runuser -u $ALICE -- "$T/bin/rawclient" "$T/csignd.sock" syscall-wait \
		sign-late "$T/late.go" > "$T/late.out" 2>&1 &
	late=$!
	for _ in $(seq 100); do
		grep -q "keyinfo done" "$T/late.out" && break
		sleep 0.1
	done
	expect_grep "ok: keyinfo done" "$T/late.out" "KEYINFO rsa was answered"
	# The signers' grant of rsa is taken away.
	sed -i "s/^\(Allow group $IT_SIGNERS keys\) rsa /\1 /" "$T/csignd.conf"
	kill -HUP "$DPID"
	for _ in $(seq 100); do
		[ "$(count 'configuration reloaded' "$T/csignd.log")" -gt "$reloads" ] && break
		sleep 0.1
	done
	touch "$T/late.go"
	wait $late
	expect_grep "monitor answered denied" "$T/late.out" "SIGN after the revocation is denied"
	expect_grep_soon '"event":"deny".*"key":"rsa".*"artifact":"sign-late"' \
		"$T/audit.jsonl" "deny record"
	grep -q '"event":"sign".*"artifact":"sign-late"' "$T/audit.jsonl" &&
		fail "signed with a revoked grant" || ok
	cp "$T/late.conf.good" "$T/csignd.conf"
	kill -HUP "$DPID"
	for _ in $(seq 100); do
		[ "$(count 'configuration reloaded' "$T/csignd.log")" -gt $((reloads + 1)) ] && break
		sleep 0.1
	done
	check "the grant is back" as $ALICE sign -k rsa -f raw -o late.sig teeth.bin
}

t_teeth_audit_sync() {
	begin "the audit log is synced before each signature; a failed sync withholds it"
	teeth_tool syncspy.so || { fail "no syncspy.so in $build/test"; return; }
	spy=$T/sync.count
	rm -f "$spy" "$T/sync.fail" "$T/sync.jsonl"
	# An ASan csignd insists on its runtime coming first; the spy is
	# loaded before it, harmlessly.
	if ! check "csignd under the sync spy starts" teeth_daemon sync "" \
	    "env LD_PRELOAD=$T/bin/syncspy.so SYNCSPY_PATH=$T/sync.jsonl SYNCSPY_LOG=$spy SYNCSPY_FAIL=$T/sync.fail ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"; then
		return
	fi
	a=$T/home/$ALICE
	for i in 1 2 3 4 5; do echo "sync $i" > "$a/s$i.txt"; done
	chmod 644 "$a"/s*.txt
	syncs=$(count '^sync' "$spy")
	signs=$(count '"event":"sign"' "$T/sync.jsonl")
	# --jobs 1: one session, which has at most two requests at the
	# monitor (sandbox/pipeline.c); more connections would let the audit
	# log's group commit share a sync among more records.
	check "a batch of 5 on one connection" tc sync $ALICE sign -k ec -f cms \
		--jobs 1 s1.txt s2.txt s3.txt s4.txt s5.txt
	ds=$(( $(count '^sync' "$spy") - syncs ))
	dn=$(( $(count '"event":"sign"' "$T/sync.jsonl") - signs ))
	[ "$dn" -eq 5 ] && ok || fail "$dn sign records, wanted 5"
	# Each request waits for its own record's sync, which the one beside
	# it may share: at least a sync for every two signatures.
	[ $((ds * 2)) -ge "$dn" ] && [ "$dn" -gt 0 ] && ok ||
		fail "$ds syncs of the audit log for $dn signatures"
	echo "    $ds syncs for $dn signatures"
	touch "$T/sync.fail"
	rm -f "$a/s1.txt.sig"
	expect_rc 4 "a failing sync: unavailable" tc sync $ALICE sign -k ec \
		-f cms s1.txt
	expect_grep "audit log cannot be written; signature withheld" \
		"$T/rc.out" "the client is told why"
	[ ! -e "$a/s1.txt.sig" ] && ok || fail "signature released without a durable record"
	n=$(count '^fail' "$spy")
	[ "$n" -ge 1 ] && ok || fail "the spy failed no sync"
	rm -f "$T/sync.fail"
	check "signs again once syncs work" tc sync $ALICE sign -k ec -f cms \
		s1.txt
	check "the chain is intact" "$T/bin/csign-audit" verify "$T/sync.jsonl"
	teeth_stop
}

t_teeth_groups() {
	begin "csignd with supplementary groups: the child keeps none of them"
	g1=$(getent group $IT_SIGNERS | cut -d: -f3)
	g2=$(getent group $IT_APPROVERS | cut -d: -f3)
	if ! check "csignd starts with groups $g1,$g2,4" teeth_daemon groups "" \
	    "setpriv --groups=$g1,$g2,4 --"; then
		return
	fi
	expect_grep "^Groups:.*\b$g1\b" /proc/$TPID/status \
		"the daemon itself has the groups (the test means something)"
	pid=""
	for _ in $(seq 50); do
		pid=$(pgrep -P "$TPID" -f csign-sandbox | head -1)
		[ -n "$pid" ] && grep -q '^Seccomp:[[:space:]]*2' \
			/proc/$pid/status 2>/dev/null && break
		sleep 0.1
	done
	if ! check "a sandboxed child is running" test -n "$pid"; then
		teeth_stop
		return
	fi
	cp /proc/$pid/status "$T/groups.status"
	st=$T/groups.status
	uid=$(id -u $SANDBOX)
	gid=$(id -g $SANDBOX)
	extra=$(sed -n 's/^Groups:[[:space:]]*//p' "$st" | tr ' \t' '\n\n' |
		grep -v "^$gid\$" | grep -v '^$' | tr '\n' ' ')
	[ -z "$extra" ] && ok || fail "the child keeps groups: $extra"
	expect_grep "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid\$" \
		"$st" "uid is the sandbox user's"
	expect_grep "^Gid:[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid\$" \
		"$st" "gid is the sandbox user's"
	expect_grep "^CapEff:[[:space:]]+0000000000000000" "$st" "no effective capabilities"
	expect_grep "^NoNewPrivs:[[:space:]]+1" "$st" "no_new_privs"
	expect_grep "^Seccomp:[[:space:]]+2" "$st" "seccomp filter"
	echo data > "$T/home/$ALICE/groups.txt"
	check "and it signs" tc groups $ALICE sign -k ec -f raw groups.txt
	teeth_stop
}

t_teeth_seccomp_args() {
	begin "seccomp's argument rules: executable memory and path lookups kill the child"
	teeth_artifact
	for sc in mmap-exec mprotect-exec stat-path; do
		"$T/bin/rawclient" "$T/csignd.sock" syscall $sc > "$T/sc.out" 2>&1
		# Sanitizer builds allow mprotect outright (sandbox/seccomp.c).
		expect_grep "SIGSYS|sanitizer build allows mprotect" "$T/sc.out" \
			"$sc blocked by seccomp"
	done
	check "the daemon serves on" as $ALICE sign -k rsa -f raw \
		-o scargs.sig teeth.bin
}

CASES="$CASES t_teeth_token_fault t_teeth_hostile_child t_teeth_grant_rechecked
t_teeth_audit_sync t_teeth_groups t_teeth_seccomp_args"
