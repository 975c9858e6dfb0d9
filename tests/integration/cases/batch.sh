# Batches of files on one command line (issue 14), sourced by run.sh:
# several requests in flight on several connections must change nothing
# of what is signed, written, printed and audited; a failed file is
# reported as itself; a per-user connection limit below --jobs is not an
# error; outputs are synced once per batch, not once per file (counted
# with tests/tools/syncspy.c preloaded into the client).
# Uses mod_build, mod_copy and mod_m (module.sh).

# batch_files PREFIX N: N small files PREFIX1.txt .. PREFIXN.txt, each
# its own content, in alice's directory, no outputs left from before.
batch_files() {
	for i in $(seq "$2"); do
		echo "batch $1 file $i $$" > "$T/home/$ALICE/$1$i.txt"
		rm -f "$T/home/$ALICE/$1$i.txt.sig"
	done
	chmod 644 "$T/home/$ALICE/$1"*.txt
}

# batch_list PREFIX N: the file names, in order.
batch_list() {
	for i in $(seq "$2"); do
		printf '%s ' "$1$i.txt"
	done
}

# batch_unverified PREFIX N: how many of PREFIX1.txt .. PREFIXN.txt in
# alice's directory have no .sig that verifies (CMS, DER).
batch_unverified() {
	bad=0
	for i in $(seq "$2"); do
		cms_ok "$T/home/$ALICE/$1$i.txt.sig" "$T/home/$ALICE/$1$i.txt" \
			DER >/dev/null 2>&1 || bad=$((bad + 1))
	done
	echo $bad
}

# batch_records ARTIFACT: sign records of ARTIFACT in the suite's log.
batch_records() {
	grep -c "\"event\":\"sign\".*\"artifact\":\"$1\"" "$T/audit.jsonl"
}

# batch_sessions: how many sessions alice has had (csignd -v logs each
# hand-off to a child; the audit records' pid is the client's).
batch_sessions() {
	grep -c "session [0-9]*: uid $(id -u "$ALICE") (" "$T/csignd.log"
}

t_batch_many() {
	begin "batch: 60 files, several in flight, each signed once and verified"
	a=$T/home/$ALICE
	batch_files bm 60
	before=$(sign_records)
	s0=$(batch_sessions)
	expect_run "60 files, --jobs 3, -v" "$T/bm.out" as $ALICE -v sign \
		-k ec -f cms --jobs 3 $(batch_list bm 60)
	after=$(sign_records)
	[ $((after - before)) -eq 60 ] && ok ||
		fail "60 sign records, got $((after - before))"
	bad=0
	for i in $(seq 60); do
		cms_ok "$a/bm$i.txt.sig" "$a/bm$i.txt" DER >/dev/null 2>&1 ||
			bad=$((bad + 1))
		[ "$(batch_records "bm$i.txt")" -eq 1 ] || bad=$((bad + 1))
	done
	[ $bad -eq 0 ] && ok || fail "$bad outputs or audit records wrong"
	# The -v lines come in the order of the command line.
	sed -n 's/^\(bm[0-9]*\.txt\): signed with ec (cms) -> .*/\1/p' \
		"$T/bm.out" > "$T/bm.order"
	batch_list bm 60 | tr ' ' '\n' | sed '/^$/d' > "$T/bm.want"
	check "-v lines in file order" cmp "$T/bm.order" "$T/bm.want"
	n=$(($(batch_sessions) - s0))
	[ "$n" -ge 2 ] && [ "$n" -le 3 ] && ok ||
		fail "60 files over --jobs 3 used $n sessions"
	ls "$a" | grep -q '\.sig\.' && fail "a temporary file was left" || ok
	# --json: one object per file, in order, and nothing else.
	batch_files bj 12
	as $ALICE --json sign -k ec -f cms $(batch_list bj 12) > "$T/bj.json"
	check "--json: 12 objects in order" python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert [o["file"] for o in objs] == ["bj%d.txt" % i for i in range(1, 13)], objs
assert all(o["status"] == "ok" for o in objs)' "$T/bj.json"
}

t_batch_modules() {
	begin "batch: 16 modules in place, each sign-file's bytes"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	mod_m
	a=$T/home/$ALICE
	list=""
	for i in $(seq 16); do
		mod_copy "bmod$i.ko"
		chmod 640 "$a/bmod$i.ko"
		list="$list bmod$i.ko"
	done
	check "16 modules" as $ALICE sign -k kmod -f module -d sha256 \
		--jobs 4 $list
	bad=0
	for i in $(seq 16); do
		cmp -s "$a/bmod$i.ko" "$T/ref.kmod.sha256.ko" || bad=$((bad + 1))
		[ "$(stat -c %a "$a/bmod$i.ko")" = 640 ] || bad=$((bad + 1))
	done
	[ $bad -eq 0 ] && ok || fail "$bad modules not sign-file's, or mode lost"
	ls "$a" | grep -q '^bmod.*\.ko\.' && fail "a temporary file was left" || ok
}

t_batch_failure() {
	begin "batch: a bad file in the middle fails as itself, the others are kept"
	a=$T/home/$ALICE
	batch_files bf 30
	rm -f "$a/bf15.txt" && mkdir "$a/bf15.txt"
	before=$(sign_records)
	expect_rc 1 "a directory in the middle" as $ALICE sign -k ec \
		-f cms --jobs 3 $(batch_list bf 30)
	rmdir "$a/bf15.txt"
	expect_grep "^csign-client: bf15.txt: Is a directory$" \
		"$T/rc.out" "the error names the directory"
	[ "$(grep -c . "$T/rc.out")" -eq 1 ] && ok ||
		fail "one error line wanted: $(cat "$T/rc.out")"
	bad=$(batch_unverified bf 14)
	[ $bad -eq 0 ] && ok || fail "$bad of the files before it not signed"
	# Files after it were in flight or never started: signed and
	# audited, or neither.
	written=0
	for i in $(seq 16 30); do
		[ -e "$a/bf$i.txt.sig" ] || continue
		written=$((written + 1))
		cms_ok "$a/bf$i.txt.sig" "$a/bf$i.txt" DER >/dev/null 2>&1 ||
			bad=$((bad + 1))
		[ "$(batch_records "bf$i.txt")" -eq 1 ] || bad=$((bad + 1))
	done
	after=$(sign_records)
	[ $bad -eq 0 ] && [ $((after - before)) -eq $((14 + written)) ] && ok ||
		fail "$((after - before)) records for $((14 + written)) outputs ($bad bad)"
	echo "    $written of the 15 files after it were in flight"
	# A file the daemon refuses (exit 5) among modules.
	if mod_build; then
		mod_m
		for i in 1 2 3 4 5 6 7 8; do mod_copy "bfm$i.ko"; done
		cp "$T/mod/plain.o" "$a/bfm4.ko"
		expect_rc 5 "a bad module in the middle" as $ALICE sign \
			-k kmod -f module -d sha256 --jobs 2 bfm1.ko bfm2.ko \
			bfm3.ko bfm4.ko bfm5.ko bfm6.ko bfm7.ko bfm8.ko
		expect_grep "^csign-client: bfm4.ko: .*no .modinfo section" \
			"$T/rc.out" "the refusal names the bad module"
		check "the module before it is signed" cmp "$a/bfm3.ko" \
			"$T/ref.kmod.sha256.ko"
		check "the bad one is untouched" cmp "$a/bfm4.ko" \
			"$T/mod/plain.o"
	fi
}

t_batch_user_limit() {
	begin "batch: MaxSessionsPerUser below --jobs means fewer connections"
	if ! check "csignd with MaxSessionsPerUser 1" it_own_daemon blim \
	    's|^PoolSize .*|PoolSize 2\nMaxSessionsPerUser 1|'; then
		return
	fi
	lpid=$SPAWNED
	a=$T/home/$ALICE
	batch_files bl 24
	check "24 files, --jobs 8" runuser -u "$ALICE" -- sh -c \
		"cd '$a' && '$T/bin/csign-client' -S '$T/blim.sock' sign -k ec \
		-f cms --jobs 8 $(batch_list bl 24)"
	bad=$(batch_unverified bl 24)
	[ $bad -eq 0 ] && ok || fail "$bad outputs do not verify"
	n=$(grep -c '"event":"sign"' "$T/blim.jsonl")
	[ "$n" -eq 24 ] && ok || fail "24 sign records wanted, got $n"
	expect_grep "too many sessions for uid" "$T/blim.log" \
		"the extra connections were refused"
	it_stop "$lpid"
}

# load_sessions LOG UID: sessions handed to UID in a csignd -v log.
load_sessions() {
	grep -c "session [0-9]*: uid $2 (" "$1"
}

# load_wait LOG UID N: wait (up to 5 s) until UID has N sessions in LOG.
load_wait() {
	for _ in $(seq 100); do
		[ "$(load_sessions "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

t_batch_load() {
	begin "batch: extra connections follow the load the first reply reports"
	# Every signature takes 1 s at the token once it has started (the
	# fault file): a batch's first reply comes well after others have
	# had time to connect.
	mkdir -p "$T/bload.faults"
	if ! check "csignd on the fault module" it_fault_daemon bload \
	    "P11FAULT_DIR=$T/bload.faults"; then
		return
	fi
	lpid=$SPAWNED
	echo "delay ms=1000" > "$T/bload.faults/csign"
	a=$T/home/$ALICE
	uid=$(id -u "$ALICE")
	log=$T/bload.log
	# Alone: the hello and the first reply both say nobody else is
	# served, and the batch opens its second connection once answered.
	batch_files blo 6
	s0=$(load_sessions "$log" "$uid")
	check "6 files alone" runuser -u "$ALICE" -- sh -c "cd '$a' && \
		'$T/bin/csign-client' -S '$T/bload.sock' sign -k ec -f cms \
		$(batch_list blo 6)"
	n=$(($(load_sessions "$log" "$uid") - s0))
	[ "$n" -eq 2 ] && ok || fail "a batch alone used $n sessions, 2 wanted"
	# Four of bob's sessions start after the batch's hello, before its
	# first reply: the reply's figure counts them, and the batch keeps
	# its one connection (it opened two at once, on the hello's figure).
	batch_files bld 6
	s0=$(load_sessions "$log" "$uid")
	b0=$(load_sessions "$log" "$(id -u "$BOB")")
	runuser -u "$ALICE" -- sh -c "cd '$a' && '$T/bin/csign-client' \
		-S '$T/bload.sock' sign -k ec -f cms $(batch_list bld 6)" \
		> "$T/bld.out" 2>&1 &
	bpid=$!
	load_wait "$log" "$uid" $((s0 + 1)) || fail "the batch did not connect"
	runuser -u "$BOB" -- "$T/bin/rawclient" "$T/bload.sock" flood 4 4 \
		idle > /dev/null 2>&1 &
	hold=$!
	load_wait "$log" "$(id -u "$BOB")" $((b0 + 4)) ||
		fail "bob's four sessions did not start"
	wait $bpid && ok || fail "the batch failed: $(cat "$T/bld.out")"
	n=$(($(load_sessions "$log" "$uid") - s0))
	[ "$n" -eq 1 ] && ok ||
		fail "with four other sessions, the batch used $n sessions"
	bad=$(batch_unverified bld 6)
	[ $bad -eq 0 ] && ok || fail "$bad outputs do not verify"
	kill -TERM $hold 2>/dev/null
	wait $hold 2>/dev/null
	it_stop "$lpid"
}

# spy_sign LOG FAIL ARG...: csign-client sign ARG... as alice in her
# home, with syncspy counting the client's syncs of files and directories
# there into LOG, failing them while FAIL exists (an ASan client lets
# the spy be preloaded ahead of its runtime).
spy_sign() {
	log=$1 failfile=$2
	shift 2
	(cd "$T/home/$ALICE" && runuser -u "$ALICE" -- env \
		LD_PRELOAD="$T/bin/syncspy.so" SYNCSPY_UNDER="$T/home/$ALICE" \
		SYNCSPY_LOG="$log" SYNCSPY_FAIL="$failfile" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" sign "$@")
}

# batch_spy PREFIX N LOG [FAIL]: sign N files under the spy (spy_sign).
batch_spy() {
	spy_sign "$3" "${4:-/nonexistent}" -k ec -f cms $(batch_list "$1" "$2")
}

t_batch_sync() {
	begin "batch: outputs synced once per batch, not once per file"
	cp "$build/test/syncspy.so" "$T/bin/syncspy.so" &&
		chmod 755 "$T/bin/syncspy.so" || {
		fail "no syncspy.so in $build/test"
		return
	}
	a=$T/home/$ALICE
	rm -f "$T/bs.4" "$T/bs.40" "$T/bs.1"
	: > "$T/bs.4" && : > "$T/bs.40" && : > "$T/bs.1"
	chmod 666 "$T/bs.4" "$T/bs.40" "$T/bs.1"
	batch_files bs 40
	check "4 files under the spy" batch_spy bs 4 "$T/bs.4"
	batch_files bs 40
	check "40 files under the spy" batch_spy bs 40 "$T/bs.40"
	s4=$(grep -c '^sync' "$T/bs.4")
	s40=$(grep -c '^sync' "$T/bs.40")
	echo "    client syncs: $s4 for 4 files, $s40 for 40"
	# Dropping the sync (or doing it per file) must fail here.
	[ "$s4" -ge 1 ] && ok || fail "no sync of the outputs at all"
	[ "$s40" -eq "$s4" ] && ok ||
		fail "syncs grow with the files: $s4 for 4, $s40 for 40"
	grep -q '^sync .* syncfs$' "$T/bs.40" && ok ||
		fail "no syncfs in the batch"
	# The one-file path still syncs its output itself.
	rm -f "$a/bs1.txt.sig"
	check "one file under the spy" batch_spy bs 1 "$T/bs.1"
	[ "$(grep -c '^sync' "$T/bs.1")" -ge 1 ] && ok ||
		fail "one file: no sync"
	# A failing sync: no output is put in place, exit 1, nothing left.
	batch_files bs 40
	touch "$T/bs.fail"
	expect_rc 1 "a failing syncfs fails the batch" batch_spy bs 8 \
		"$T/bs.4" "$T/bs.fail"
	rm -f "$T/bs.fail"
	expect_grep "^csign-client: bs1.txt: cannot write bs1.txt.sig: Input/output error" \
		"$T/rc.out" "the error names the first output"
	ls "$a" | grep -q '^bs[0-9]*\.txt\.sig' &&
		fail "an output was put in place unsynced" || ok
}

CASES="$CASES t_batch_many t_batch_modules t_batch_failure t_batch_user_limit
t_batch_sync t_batch_load"
