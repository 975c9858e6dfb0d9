#!/bin/bash
# csign integration tests: the real daemon, client, sandbox and token.
# Usage: tests/integration/run.sh BUILD   (as root: creates test users)
# KEEP=1 keeps the temporary directory for inspection; ONLY=REGEX runs
# the matching cases only; LIST=1 prints the case names (those ONLY
# matches), one a line, and runs nothing (tests/integration/isolated.sh
# runs each alone); IT_TOKEN_FROM=DIR copies the token that
# tests/lib/token.sh made in DIR instead of making one.
set -u
build=${1:-build}
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
WRAP=${WRAP:-}

# Verify a detached CMS signature of a file: der|pem.
cms_ok() {
	openssl cms -verify -binary -inform "$3" -in "$1" -content "$2" \
		-CAfile "$T/ca.crt" -purpose any -out /dev/null
}
# Verify a raw signature: pubkey file, digest, signature, file [pss].
raw_ok() {
	if [ "${5:-}" = pss ]; then
		openssl dgst -"$2" -sigopt rsa_padding_mode:pss \
			-sigopt rsa_pss_saltlen:-1 -verify "$1" -signature "$3" "$4"
	else
		openssl dgst -"$2" -verify "$1" -signature "$3" "$4"
	fi
}
sign_records() { grep -c '"event":"sign"' "$T/audit.jsonl"; }

t_raw_signatures() {
	begin "granted user signs raw with RSA, PSS and ECDSA keys"
	a=$T/home/$ALICE
	head -c 100000 /dev/urandom > "$a/art.bin"
	chmod 644 "$a/art.bin"
	for k in rsa:rsa2048:sha256 ec:p256:sha256 pss:rsapss:sha256:pss \
	    p384:p384:sha384; do
		IFS=: read -r key label dig pad <<EOF2
$k
EOF2
		check "sign raw $key" as $ALICE sign -k "$key" -f raw \
			-o "art.$key.raw" art.bin
		check "openssl verifies raw $key" raw_ok "$T/$label.pub" \
			"$dig" "$a/art.$key.raw" "$a/art.bin" "$pad"
		# raw hashes the whole artifact (signop_sign_artifact).
		expect_audit_digest "$a/art.bin" "$key" art.bin "$dig"
	done
	check "sign raw rsa with sha384" as $ALICE sign -k rsa -f raw -d sha384 \
		-o art.384.raw art.bin
	check "openssl verifies sha384" raw_ok "$T/rsa2048.pub" sha384 \
		"$a/art.384.raw" "$a/art.bin"
	expect_audit_digest "$a/art.bin" rsa art.bin sha384
	expect_rc 3 "digest not allowed for the key" \
		as $ALICE sign -k rsa -f raw -d sha512 -o x.raw art.bin
}

t_cms_signatures() {
	begin "granted user signs cms (DER and PEM) and openssl cms verifies"
	a=$T/home/$ALICE
	it_art
	for key in rsa ec pss; do
		check "sign cms $key" as $ALICE sign -k $key -f cms \
			-o "art.$key.p7s" art.bin
		check "openssl cms -verify $key" cms_ok "$a/art.$key.p7s" \
			"$a/art.bin" DER
		# cms audits the hash of the whole artifact, the one its
		# messageDigest attribute carries (cms.c, artifact_hash).
		expect_audit_digest "$a/art.bin" "$key" art.bin sha256
	done
	check "sign cms --pem" as $ALICE sign -k ec -f cms --pem \
		-o art.pem art.bin
	check "PEM output verifies" cms_ok "$a/art.pem" "$a/art.bin" PEM
	expect_grep "BEGIN CMS" "$a/art.pem" "PEM armour"
	openssl cms -cmsout -print -inform DER -in "$a/art.rsa.p7s" \
		> "$T/cms.txt" 2>&1
	for attr in contentType signingTime messageDigest; do
		expect_grep "$attr" "$T/cms.txt" "signed attribute $attr"
	done
	printf 'tampered' >> "$a/art.bin"
	expect_rc 4 "openssl rejects the signature of a modified file" \
		cms_ok "$a/art.rsa.p7s" "$a/art.bin" DER
}

t_batch() {
	begin "several files share one connection, default output FILE.sig"
	a=$T/home/$ALICE
	for i in 1 2 3; do echo "file $i" > "$a/f$i.txt"; done
	chmod 644 "$a"/f*.txt
	before=$(sign_records)
	check "batch sign" as $ALICE sign -k ec -f cms f1.txt f2.txt f3.txt
	for i in 1 2 3; do
		check "f$i.txt.sig verifies" cms_ok "$a/f$i.txt.sig" \
			"$a/f$i.txt" DER
	done
	after=$(sign_records)
	[ $((after - before)) -eq 3 ] && ok || fail "3 sign records, got $((after - before))"
	pids=$(grep '"event":"sign"' "$T/audit.jsonl" | tail -3 |
		sed 's/.*"pid":\([0-9]*\).*/\1/' | sort -u | wc -l)
	[ "$pids" -eq 1 ] && ok || fail "batch used $pids connections"
}

t_denied() {
	begin "a user in no granted group is denied (exit 3) and audited"
	b=$T/home/$BOB
	echo data > "$b/x.txt"
	expect_rc 3 "bob denied" as $BOB sign -k rsa -f raw x.txt
	[ ! -e "$b/x.txt.sig" ] && ok || fail "output written on denial"
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$BOB\".*\"key\":\"rsa\",\"format\":\"raw\",\"artifact\":\"x.txt\"" \
		"$T/audit.jsonl" "deny record for bob names key, format, artifact"
	expect_rc 3 "unknown key looks the same" as $BOB sign -k nosuch -f raw x.txt
	as $BOB sign -k rsa -f raw x.txt 2> "$T/bob.err"
	expect_grep "not granted" "$T/bob.err" "clear denial message"
}

t_format_binding() {
	begin "a key granted for raw only is refused for cms"
	c=$T/home/$CAROL
	echo data > "$c/y.txt"
	check "carol (primary group) signs raw" as $CAROL sign -k rawkey -f raw y.txt
	check "raw signature verifies" raw_ok "$T/rawkey.pub" sha256 \
		"$c/y.txt.sig" "$c/y.txt"
	expect_rc 3 "cms refused for a raw-only key" \
		as $CAROL sign -k rawkey -f cms -o y.p7s y.txt
	expect_grep_soon "\"event\":\"deny\".*\"key\":\"rawkey\".*\"format\":\"cms\"" \
		"$T/audit.jsonl" "deny record names key and format"
	expect_rc 3 "carol not granted rsa" as $CAROL sign -k rsa -f raw y.txt
}

t_queries() {
	begin "keys, whoami, cert and status show what the daemon sees"
	as $ALICE whoami > "$T/whoami.out" 2>&1
	expect_grep "$ALICE" "$T/whoami.out" "whoami names the user"
	expect_grep "$IT_SIGNERS" "$T/whoami.out" "whoami lists the group"
	as $ALICE keys > "$T/keys.out" 2>&1
	for k in rsa ec pss p384 rawkey; do
		expect_grep "^$k " "$T/keys.out" "keys lists $k"
	done
	as $ALICE --json keys > "$T/keys.json"
	check "keys --json is JSON" python3 -m json.tool "$T/keys.json"
	expect_run "carol keys" "$T/ckeys.out" as $CAROL keys
	expect_grep '^rawkey ' "$T/ckeys.out" "carol sees rawkey"
	expect_nogrep '^rsa ' "$T/ckeys.out" "carol sees rsa"
	as $ALICE cert rsa > "$T/cert.pem"
	check "cert is the configured certificate" cmp "$T/cert.pem" \
		"$T/rsa2048.crt"
	expect_rc 3 "cert of a key not granted" as $BOB cert rsa
	as $BOB status > "$T/status.out" 2>&1
	expect_grep "hsm0: ready" "$T/status.out" "status shows token ready"
}

t_bad_artifacts() {
	begin "artifacts that are not files, missing files, no daemon"
	a=$T/home/$ALICE
	mkdir -p "$a/dir"
	expect_rc 5 "a device is a bad artifact" as $ALICE sign -k rsa -f raw \
		-o d.sig /dev/null
	expect_grep "not a regular file or a pipe" "$T/rc.out" "says why"
	expect_rc 1 "a directory is refused" as $ALICE sign -k rsa -f raw -o d.sig dir
	expect_rc 1 "a missing file is an error" as $ALICE sign -k rsa -f raw nosuch
	expect_rc 4 "no daemon: unavailable" runuser -u $ALICE -- \
		"$T/bin/csign-client" -S "$T/nosuch.sock" status
	expect_rc 2 "usage error" as $ALICE sign -f raw
	echo piped | as $ALICE sign -k ec -f raw -o pipe.sig - > /dev/null
	[ $? -eq 0 ] && ok || fail "signing from a pipe"
}

t_malformed_frames() {
	begin "malformed frames get bad-request and the next client is served"
	for mode in garbage badtlv oversize nohello keysfd; do
		expect_rc 2 "rawclient $mode" "$T/bin/rawclient" "$T/csignd.sock" $mode
	done
	it_art
	check "next client is served" as $ALICE sign -k ec -f raw -o after.sig art.bin
	begin "a client that stalls half-way through a frame is cut off"
	"$T/bin/rawclient" "$T/csignd.sock" half 8 > "$T/half.out"
	rc=$?
	[ $rc -eq 5 ] || [ $rc -eq 10 ] && ok || fail "stalled client: rc $rc"
	check "daemon still serves" as $ALICE status
}

t_child_killed() {
	begin "a session child killed mid-request: client error, daemon serves on"
	it_art
	rm -f "$T/killed.rc" "$T/killed.sleep"
	# The client reads a pipe that stays open: a sleep killed by its pid
	# when the case is done (other suites' sleeps are not ours to kill).
	( (sleep 20 & echo $! > "$T/killed.sleep"; wait) |
		(as $ALICE sign -k ec -f raw -o killed.sig - \
		> "$T/killed.out" 2>&1; echo $? > "$T/killed.rc")) &
	child=""
	for _ in $(seq 50); do
		sleep 0.1
		child=$(sed -n 's/.*session [0-9]*: uid [0-9]* ('$ALICE') pid [0-9]* -> child \([0-9]*\).*/\1/p' \
			"$T/csignd.log" | tail -1)
		[ -n "$child" ] && kill -0 "$child" 2>/dev/null &&
			grep -q State:.S /proc/$child/status && break
	done
	sleep 0.3
	kill -KILL "$child"
	for _ in $(seq 50); do [ -f "$T/killed.rc" ] && break; sleep 0.1; done
	rc=$(cat "$T/killed.rc" 2>/dev/null || echo none)
	[ "$rc" = 1 ] && ok || fail "client exit $rc after its child was killed"
	expect_grep "session process|killed" "$T/killed.out" "client told why"
	kill "$(cat "$T/killed.sleep")" 2>/dev/null
	check "next client is served" as $ALICE sign -k ec -f raw -o next.sig art.bin
}

t_seccomp() {
	begin "forbidden system calls kill the child (seccomp), daemon serves on"
	it_art
	for sc in open socket exec ptrace kill setuid mount; do
		"$T/bin/rawclient" "$T/csignd.sock" syscall $sc > "$T/sc.out"
		expect_grep "SIGSYS" "$T/sc.out" "$sc blocked by seccomp"
	done
	expect_grep "SIGSYS: seccomp" "$T/csignd.log" "the daemon logs the kill"
	check "next client is served" as $ALICE sign -k rsa -f raw -o sc.sig art.bin
}

t_sandbox_status() {
	begin "live session children: sandbox uid, no capabilities, no_new_privs, seccomp"
	uid=$(id -u $SANDBOX)
	# A child the pool is starting (a refill after the last case's
	# sessions) is still root until its sandbox is set up: look at one
	# that says it is ready, i.e. has its filter (at most 10 s; without
	# the sandbox none ever does, and the checks below fail).
	pid=
	for _ in $(seq 100); do
		for p in $(pgrep -P "$DPID" -f csign-sandbox); do
			grep -Eq "^Seccomp:[[:space:]]+2" "/proc/$p/status" 2>/dev/null &&
				pid=$p && break
		done
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || pid=$(pgrep -P "$DPID" -f csign-sandbox | head -1)
	st=/proc/$pid/status
	check "child exists" test -n "$pid"
	expect_grep "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid" $st "uid"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_grep "^$c:[[:space:]]+0000000000000000" $st "$c empty"
	done
	expect_grep "^NoNewPrivs:[[:space:]]+1" $st "no_new_privs"
	expect_grep "^Seccomp:[[:space:]]+2" $st "seccomp filter"
	# stdin, stdout, stderr, the channel, the two scratch memfds of
	# inline transfers and the two pairs of compressed modules.
	n=$(ls /proc/$pid/fd | wc -l)
	[ "$n" -le 10 ] && ok || fail "child has $n fds open"
	readlink "/proc/$pid/fd/4" > "$T/fd4.out"
	expect_grep "memfd:csign-artifact" "$T/fd4.out" \
		"fd 4 is the inline scratch file"
	# (fd 2 too is /dev/null: children never get the daemon's stderr)
	for fd in $(ls /proc/$pid/fd); do
		readlink "/proc/$pid/fd/$fd"
	done > "$T/childfds.out"
	# No descriptors read (no child) would make the next check pass.
	[ -s "$T/childfds.out" ] && ok || fail "no descriptors of the child"
	grep -Ev '^(/dev/null|socket:|/memfd:csign-(artifact|output|module|module-signed)(-2)? )' \
		"$T/childfds.out" > "$T/childfds.bad" && fail "child holds \
		$(cat "$T/childfds.bad")" || ok
}

t_config_check() {
	begin "csignd -t reports bad configs with file and line"
	cp "$T/csignd.conf" "$T/bad.conf"
	sed -i 's/^    Formats raw$/    Formats raw bogus/' "$T/bad.conf"
	line=$(grep -n 'Formats raw bogus' "$T/bad.conf" | cut -d: -f1)
	expect_rc 1 "bad config refused" "$T/bin/csignd" -t -f "$T/bad.conf"
	"$T/bin/csignd" -t -f "$T/bad.conf" 2> "$T/t.err"
	expect_grep "^$T/bad.conf:$line: " "$T/t.err" "error names file:line"
	check "good config accepted" "$T/bin/csignd" -t -f "$T/csignd.conf"
}

t_pinfile_mode() {
	begin "a world-readable PinFile is refused"
	cp "$T/hsm.pin" "$T/open.pin"
	chmod 644 "$T/open.pin"
	sed "s|PinFile $T/hsm.pin|PinFile $T/open.pin|; s|Listen .*|Listen $T/pin.sock|; s|AuditLog .*|AuditLog $T/pin.jsonl|" \
		"$T/csignd.conf" > "$T/pin.conf"
	expect_rc 1 "daemon refuses to start" env SOFTHSM2_CONF=$SOFTHSM2_CONF \
		"$T/bin/csignd" -d -f "$T/pin.conf"
	expect_grep "open.pin.*(group or others|mode)" "$T/rc.out" "message names the file"
	expect_nogrep "$PIN" "$T/rc.out" "PIN printed"
}

t_reload() {
	begin "SIGHUP: a bad config keeps the old one, a good one applies"
	it_art
	cp "$T/csignd.conf" "$T/csignd.conf.good"
	echo "Bogus keyword" >> "$T/csignd.conf"
	kill -HUP "$DPID"
	sleep 0.5
	expect_grep "reload failed, keeping" "$T/csignd.log" "reload failure logged"
	check "old config still serves" as $ALICE sign -k ec -f raw -o r1.sig art.bin
	it_config "Allow user $BOB keys ec"
	kill -HUP "$DPID"
	sleep 0.5
	expect_grep "configuration reloaded" "$T/csignd.log" "reload logged"
	echo data > "$T/home/$BOB/z.txt"
	check "new grant applies" as $BOB sign -k ec -f raw z.txt
	cp "$T/csignd.conf.good" "$T/csignd.conf"
	kill -HUP "$DPID"
	sleep 0.5
	expect_rc 3 "revoked grant applies" as $BOB sign -k ec -f raw z.txt
}

t_audit() {
	begin "csign-audit verify passes, and fails on one edited byte"
	# Two sign records of its own: the second one is edited.
	it_art
	for i in 1 2; do
		check "sign $i for the log" as $ALICE sign -k ec -f raw \
			-o "audit$i.sig" art.bin
	done
	check "chain verifies" "$T/bin/csign-audit" verify "$T/audit.jsonl"
	cp "$T/audit.jsonl" "$T/edited.jsonl"
	n=$(grep -n '"event":"sign"' "$T/edited.jsonl" | sed -n 2p | cut -d: -f1)
	[ -n "$n" ] && ok || fail "no second sign record to edit"
	sed -i "${n}s/\"size\":/\"size\":1/" "$T/edited.jsonl"
	expect_rc 1 "edited log fails" "$T/bin/csign-audit" verify "$T/edited.jsonl"
	expect_grep "edited.jsonl:$n:" "$T/rc.out" "names the edited record"
	expect_grep '"cert_sha256":"[0-9a-f]{64}".*"digest":"[0-9a-f]+"' \
		"$T/audit.jsonl" "sign records carry fingerprint and digest"
}

t_shutdown() {
	begin "SIGTERM: in-flight requests finish, clean exit, chain intact"
	echo slow > "$T/home/$ALICE/slow.txt"
	sessions() { grep -c "session [0-9]*: uid [0-9]* ($ALICE) pid" \
		"$T/csignd.log"; }
	n=$(sessions)
	( (sleep 1; cat "$T/home/$ALICE/slow.txt") | (as $ALICE sign -k ec \
		-f raw -o slow.sig - > "$T/slow.out" 2>&1;
		echo $? > "$T/slow.rc") ) &
	slow=$!
	# Stop once the client holds a session (a loaded machine may take
	# longer than the feed's second to start it: then it waits).
	for _ in $(seq 100); do
		[ "$(sessions)" -gt "$n" ] && break
		sleep 0.1
	done
	sleep 0.3
	it_stop_daemon
	wait $slow
	[ "$(cat "$T/slow.rc")" = 0 ] && ok || { fail "in-flight request cut off"
		sed 's/^/    /' "$T/slow.out" >&2; }
	check "in-flight signature verifies" raw_ok "$T/p256.pub" sha256 \
		"$T/home/$ALICE/slow.sig" "$T/home/$ALICE/slow.txt"
	[ "$DRC" -eq 0 ] && ok || fail "csignd exit status $DRC"
	expect_grep '"event":"stop"' "$T/audit.jsonl" "stop record"
	check "chain verifies after stop" "$T/bin/csign-audit" verify "$T/audit.jsonl"
	[ ! -S "$T/csignd.sock" ] && ok || fail "socket left behind"
	expect_nogrep "$PIN" "$T/csignd.log" "PIN appears in the log"
}

# Format and feature suites add their cases from cases/*.sh: each file
# defines t_* functions and appends their names to CASES.  Some read $T
# as they are sourced, so they are sourced after it_setup.
it_load_cases() {
	CASES="t_raw_signatures t_cms_signatures t_batch t_denied t_format_binding
t_queries t_bad_artifacts t_malformed_frames t_child_killed t_seccomp
t_sandbox_status t_config_check t_pinfile_mode t_reload t_audit"
	for f in tests/integration/cases/*.sh; do
		[ -f "$f" ] && . "$f"
	done
}
# it_selected NAME: the case is in the ONLY selection.
it_selected() {
	[ -z "${ONLY:-}" ] || printf '%s\n' "$1" | grep -Eq -- "$ONLY"
}

if [ -n "${LIST:-}" ]; then
	# Nothing is set up: $T names a directory that does not exist, and
	# the exit traps the case files set are dropped.
	T=/nonexistent/csign-it
	it_load_cases
	trap - EXIT
	n=0
	for t in $CASES; do
		it_selected "$t" || continue
		printf '%s\n' "$t"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && exit 0
	echo "integration: ONLY='${ONLY:-}' matches no case" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they create users and groups)" >&2
	exit 1
fi
trap it_cleanup EXIT
it_setup "$build" || exit 1
it_load_cases
# ONLY=REGEX runs the matching cases only (and the final shutdown).
selected=0
for t in $CASES; do
	it_selected "$t" || continue
	selected=$((selected + 1))
	start=$(date +%s)
	$t
	# Where the suite's time goes (make check's budget): one line a case.
	echo "time: $t $(($(date +%s) - start))s"
done
t_shutdown
echo "integration: $passed passed, $failed failed"
# A selection that matched no case is a mistake, not a green run.
if [ "$selected" -eq 0 ]; then
	echo "integration: ONLY='${ONLY:-}' matches no case" >&2
	exit 1
fi
[ "$failed" -eq 0 ]
