# No starvation, no floods: an ungranted local user ($BOB) attacks a
# csignd of its own with short limits; each time a granted user ($ALICE)
# still signs within a bound, and the daemon's CPU time and log stay
# bounded.  Each assertion fails when its defence is taken out.

FL=$T/flood
FL_SOCK=$FL/f.sock
FL_BOUND=10		# seconds within which alice must sign
FL_CPU=50		# clock ticks (1/100 s) the daemon may use per attack
FL_LINES=40		# log lines an attack may cause

# Write the flood daemon's config $FL/$1.conf: short limits and its own
# socket, audit log, state and sandbox program; extra lines from $2.
fl_config() {
	mkdir -p "$FL"
	chmod 755 "$FL"
	[ -f "$FL/csign-sandbox" ] || cp "$T/bin/csign-sandbox" "$FL/"
	sed -e "s|^Listen .*|Listen $FL_SOCK|" \
	    -e "s|^AuditLog .*|AuditLog $FL/audit.jsonl|" \
	    -e "s|^StateFile .*|StateFile $FL/keystate|" \
	    -e "s|^SandboxProgram .*|SandboxProgram $FL/csign-sandbox|" \
	    -e "s|^SessionTimeout .*|SessionTimeout ${FL_TIMEOUT:-3}|" \
	    -e "s|^PoolSize .*|PoolSize 2|" \
	    "$T/csignd.conf" > "$FL/$1.conf"
	cat >> "$FL/$1.conf" <<CONF
MaxSessions ${FL_MAX_SESSIONS:-4}
MaxSessionsPerUser ${FL_PER_USER:-40}
LoginGraceTime 2
SessionLifetime ${FL_LIFETIME:-6}
${2:-}
CONF
}

# Start the flood daemon with config $1 (under wrapper $2); pid in FLPID.
fl_start() {
	fl_config "$1" "${3:-}"
	rm -f "$FL_SOCK"
	: > "$FL/$1.log"
	FLLOG=$FL/$1.log
	it_spawn_csignd "$FL/$1.conf" "$FL_SOCK" "$FLLOG" "${2:-}"
	r=$?
	FLPID=$SPAWNED
	return $r
}

fl_stop() {
	[ -n "${FLPID:-}" ] || return 0
	kill -TERM "$FLPID" 2>/dev/null
	wait "$FLPID" 2>/dev/null
	FLPID=""
}

# csign-client as user $1 against the flood daemon.
fl_as() {
	user=$1
	shift
	(cd "$T/home/$user" && runuser -u "$user" -- env \
		CSIGN_SOCKET="$FL_SOCK" "$T/bin/csign-client" "$@")
}

# rawclient as user $1 against the flood daemon, in the background, its
# pid (runuser's, which passes SIGTERM on) in FLOODER; output to $2.
fl_raw_bg() {
	user=$1 out=$2
	shift 2
	runuser -u "$user" -- "$T/bin/rawclient" "$FL_SOCK" "$@" \
		> "$out" 2> /dev/null &
	FLOODER=$!
}
fl_raw_stop() {
	kill -TERM "$FLOODER" 2>/dev/null
	wait "$FLOODER" 2>/dev/null
}

# The daemon's user and system time so far, in clock ticks.
fl_cpu() { awk '{ print $14 + $15 }' "/proc/$FLPID/stat"; }
fl_lines() { wc -l < "$FLLOG"; }
fl_now() { date +%s%N; }
# Milliseconds since a fl_now reading.
fl_ms_since() { echo $((($(fl_now) - $1) / 1000000)); }

# Mark the start of an attack: CPU ticks and log lines so far.
fl_attack_begin() {
	FL_CPU0=$(fl_cpu)
	FL_LINES0=$(fl_lines)
}

# The attack is over: the daemon used little CPU and wrote few lines.
fl_attack_end() {
	cpu=$(($(fl_cpu) - FL_CPU0))
	lines=$(($(fl_lines) - FL_LINES0))
	echo "    $1: daemon CPU $cpu ticks, $lines log lines" >&2
	[ "$cpu" -le "$FL_CPU" ] && ok ||
		fail "$1: the daemon used $cpu ticks of CPU (at most $FL_CPU)"
	[ "$lines" -le "$FL_LINES" ] && ok ||
		fail "$1: $lines log lines (at most $FL_LINES)"
}

# Alice signs on the flood daemon within FL_BOUND seconds ($1: what).
fl_alice_signs() {
	a=$T/home/$ALICE
	[ -f "$a/flood.bin" ] || { echo flood > "$a/flood.bin"; chmod 644 "$a/flood.bin"; }
	t0=$(fl_now)
	timeout 30 runuser -u "$ALICE" -- env CSIGN_SOCKET="$FL_SOCK" \
		"$T/bin/csign-client" sign -k ec -f raw -o "$a/flood.sig" \
		"$a/flood.bin" > "$FL/alice.out" 2>&1
	rc=$?
	ms=$(fl_ms_since "$t0")
	echo "    $1: alice signed in $ms ms (exit $rc)" >&2
	[ "$rc" -eq 0 ] && ok || { fail "$1: alice's sign exit $rc"; cat "$FL/alice.out" >&2; }
	[ "$ms" -lt $((FL_BOUND * 1000)) ] && ok ||
		fail "$1: alice waited $ms ms (bound ${FL_BOUND}000)"
}

# Wait until file $1 has a line matching $2 (at most 10 s).
fl_wait_for() {
	for _ in $(seq 100); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A count from the flooder's summary line: fl_count FILE WORD.
fl_count() { sed -n "s/.* $2 \([0-9]*\).*/\1/p; s/^$2 \([0-9]*\).*/\1/p" "$1" | head -1; }

t_flood_per_user() {
	begin "flood: hundreds of connections of one uid are refused beyond MaxSessionsPerUser"
	# Bob's sessions stay open (30 s of silence allowed): only his
	# share of MaxSessions keeps a session free for alice.
	# Nor may their lifetime end them while bob's client is tried (20
	# runs can take longer than the 6 s default on a loaded machine).
	FL_MAX_SESSIONS=8 FL_PER_USER=4 FL_TIMEOUT=30 FL_LIFETIME=60 \
		fl_start fa ||
		{ fail "flood daemon did not start"; return; }
	fl_attack_begin
	fl_raw_bg $BOB "$FL/fa.out" flood 300 40 idle
	fl_wait_for "$FL/fa.out" "^refusal" || fail "no flood summary"
	sed 's/^/    /' "$FL/fa.out" >&2
	refused=$(fl_count "$FL/fa.out" refused)
	held=$(($(fl_count "$FL/fa.out" served) + $(fl_count "$FL/fa.out" queued)))
	# (a few may not even get into the listen backlog)
	[ "${refused:-0}" -ge 250 ] && ok || fail "only ${refused:-0} of 300 refused"
	[ "$held" -le 4 ] && ok || fail "bob holds $held connections (MaxSessionsPerUser 4)"
	expect_grep "too many sessions for uid $(id -u $BOB) \(MaxSessionsPerUser 4\)" \
		"$FL/fa.out" "the refusal says why"
	# The refusal may come before the client has sent its hello, or
	# after: either way the client prints it (tried 20 times).
	told=0
	for _ in $(seq 20); do
		fl_as $BOB status > "$FL/bob.out" 2>&1
		rc=$?
		if grep -q "too many sessions for uid $(id -u $BOB) (MaxSessionsPerUser 4)" \
		    "$FL/bob.out" && [ "$rc" -eq 4 ]; then
			told=$((told + 1))
		else
			cp "$FL/bob.out" "$FL/bob.miss"
		fi
	done
	[ -f "$FL/bob.miss" ] && { echo "    a miss (exit $rc):"; \
		sed 's/^/    /' "$FL/bob.miss"; } >&2
	[ "$told" -eq 20 ] && ok ||
		fail "bob's client printed the refusal and exited 4 $told times of 20"
	sed 's/^/    /' "$FL/bob.out" >&2
	fl_alice_signs "per-user flood"
	fl_raw_stop
	fl_attack_end "per-user flood"
	fl_stop
}

t_flood_fair() {
	begin "flood: waiting clients are served by turns of uid, not first come first served"
	# A lifetime long enough that bob's queue is not cut short by it.
	FL_LIFETIME=60 fl_start ff || { fail "flood daemon did not start"; return; }
	fl_attack_begin
	fl_raw_bg $BOB "$FL/ff.out" flood 300 40 idle
	fl_wait_for "$FL/ff.out" "^refusal" || fail "no flood summary"
	sed 's/^/    /' "$FL/ff.out" >&2
	held=$(($(fl_count "$FL/ff.out" served) + $(fl_count "$FL/ff.out" queued)))
	[ "$held" -eq 40 ] && ok || fail "bob holds $held connections, not 40"
	# 4 sessions and 36 queued of bob's, each session idle for 3 s:
	# alice is served next, not 37th (first come, first served: 27 s).
	fl_alice_signs "queue of one uid"
	fl_raw_stop
	fl_attack_end "queue of one uid"
	fl_stop
}

t_flood_hangup() {
	begin "flood: waiting clients that hang up are dropped at once"
	fl_start fh || { fail "flood daemon did not start"; return; }
	base=$(ls "/proc/$FLPID/fd" | wc -l)
	fl_attack_begin
	# 4 sessions kept busy, 36 waiting clients that hang up.
	fl_raw_bg $BOB "$FL/fh.out" flood 40 8 busy-drop
	fl_wait_for "$FL/fh.out" "^refusal" || fail "no flood summary"
	sed 's/^/    /' "$FL/fh.out" >&2
	sleep 0.5
	n=$(ls "/proc/$FLPID/fd" | wc -l)
	echo "    descriptors: $base before, $n after the hang-ups" >&2
	[ "$n" -le $((base + 16)) ] && ok ||
		fail "the daemon holds $n descriptors ($base before): hung-up clients kept"
	# The busy sessions end at their SessionLifetime (6 s).
	FL_BOUND=12 fl_alice_signs "hang-ups"
	fl_raw_stop
	fl_attack_end "hang-ups"
	fl_stop
}

t_flood_grace() {
	begin "flood: connections that never say hello are cut at LoginGraceTime"
	fl_start fg || { fail "flood daemon did not start"; return; }
	fl_attack_begin
	pids=""
	for i in $(seq 10); do
		runuser -u $BOB -- "$T/bin/rawclient" "$FL_SOCK" silent 20 \
			> "$FL/fg.$i.out" 2>&1 &
		pids="$pids $!"
	done
	runuser -u $BOB -- "$T/bin/rawclient" "$FL_SOCK" partial 20 \
		> "$FL/fg.partial.out" 2>&1 &
	pids="$pids $!"
	t0=$(fl_now)
	fl_alice_signs "silent connections"
	for p in $pids; do wait "$p"; done
	ms=$(fl_ms_since "$t0")
	for f in "$FL"/fg.*.out; do
		expect_grep "^timeout: no hello within LoginGraceTime \(2 s\)" \
			"$f" "$(basename "$f"): cut at the grace time"
	done
	# Without the grace they last their full 20 s; the bound leaves room
	# for a loaded machine and the ASan build.
	[ "$ms" -lt 10000 ] && ok || fail "silent clients lasted $ms ms (LoginGraceTime 2 s)"
	grep -q "uid $(id -u $BOB) .* -> child" "$FLLOG" &&
		fail "a silent client was given a session child" || ok
	fl_attack_end "silent connections"
	fl_stop
}

t_flood_lifetime() {
	begin "flood: a session kept busy forever is cut at SessionLifetime"
	fl_start fl || { fail "flood daemon did not start"; return; }
	fl_attack_begin
	t0=$(fl_now)
	runuser -u $BOB -- "$T/bin/rawclient" "$FL_SOCK" busy 20 \
		> "$FL/fl.out" 2>&1 &
	busy=$!
	fl_alice_signs "busy session"
	wait "$busy"
	rc=$?
	ms=$(fl_ms_since "$t0")
	sed 's/^/    /' "$FL/fl.out" >&2
	[ "$rc" -eq 5 ] && ok || fail "the busy client ended with $rc, not timeout (5)"
	expect_grep "timeout: session ended: SessionLifetime \(6 s\) reached" \
		"$FL/fl.out" "the client is told why"
	[ "$ms" -ge 5500 ] && [ "$ms" -lt 15000 ] && ok ||
		fail "the busy session lasted $ms ms (SessionLifetime 6 s)"
	expect_grep "SessionLifetime \(6 s\) reached; killed" "$FLLOG" "logged"
	fl_attack_end "busy session"
	fl_stop
}

t_flood_descriptors() {
	begin "flood: out of descriptors, csignd pauses accept instead of spinning, and recovers"
	FL_PER_USER=1000 fl_start fd "prlimit --nofile=40:40" ||
		{ fail "flood daemon did not start"; return; }
	expect_grep "RLIMIT_NOFILE is 40 \(hard limit 40\), below the" "$FLLOG" \
		"a hard limit too low is reported at start"
	fl_raw_bg $BOB "$FL/fd.out" flood 300 20 idle
	fl_wait_for "$FL/fd.out" "^refusal" || fail "no flood summary"
	sed 's/^/    /' "$FL/fd.out" >&2
	fl_attack_begin
	sleep 3
	fl_attack_end "descriptor exhaustion"
	expect_grep "accept: Too many open files .*not accepting for 250 ms" \
		"$FLLOG" "the pause is logged"
	fl_raw_stop
	fl_alice_signs "after descriptor exhaustion"
	fl_stop
}

t_flood_sandbox_program() {
	begin "the sandbox program is opened once: replacing the file changes nothing"
	fl_start fs || { fail "flood daemon did not start"; return; }
	fl_attack_begin
	cat > "$FL/evil" <<EOF
#!/bin/sh
touch $FL/evil.ran
exit 1
EOF
	chmod 755 "$FL/evil"
	mv "$FL/csign-sandbox" "$FL/csign-sandbox.orig"
	mv "$FL/evil" "$FL/csign-sandbox"
	# PoolSize 2: from the third request on, children start after the swap.
	for i in 1 2 3 4; do
		fl_alice_signs "sandbox replaced, request $i"
	done
	[ ! -e "$FL/evil.ran" ] && ok || fail "the replaced program was run"
	mv "$FL/csign-sandbox.orig" "$FL/csign-sandbox"
	fl_attack_end "sandbox replaced"
	fl_stop
}

t_flood_startup() {
	begin "start-up: RLIMIT_NOFILE raised to its hard limit; children do not inherit the daemon's stderr"
	fl_start fe "prlimit --nofile=100:2000" ||
		{ fail "flood daemon did not start"; return; }
	expect_grep "^Max open files +2000 +2000 " "/proc/$FLPID/limits" \
		"the soft limit is raised to the hard one"
	child=$(pgrep -P "$FLPID" -f csign-sandbox | head -1)
	check "a child is running" test -n "$child"
	err=$(readlink "/proc/$child/fd/2")
	[ "$err" = /dev/null ] && ok || fail "the child's stderr is $err"
	[ "$err" != "$(readlink "/proc/$FLPID/fd/2")" ] && ok ||
		fail "the child shares the daemon's stderr ($err)"
	fl_stop
}

# fl_children N TENTHS: the daemon's session children once there are N,
# or after TENTHS tenths of a second.
fl_children() {
	n=0
	for _ in $(seq "$2"); do
		n=$(pgrep -P "$FLPID" -c -f csign-sandbox)
		[ "$n" -eq "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}

# The pool starts its new children once no session is left, or a second
# after a hand-off (while one is still idle), so that their start does
# not compete with the sessions: it must still come back to PoolSize.
t_flood_refill() {
	begin "the pool is refilled to PoolSize after sessions, if a moment later"
	fl_start fr || { fail "flood daemon did not start"; return; }
	for i in 1 2 3; do
		fl_alice_signs "refill, request $i"
	done
	n=$(fl_children 2 50)
	[ "$n" -eq 2 ] && ok || fail "$n children 5 s after the sessions (PoolSize 2)"
	# A session that goes on does not hold the refill back for long:
	# within POOL_REFILL_MS (1 s) and a child's start, two are idle
	# beside it.
	runuser -u "$ALICE" -- "$T/bin/rawclient" "$FL_SOCK" busy 6 \
		> "$FL/busy.out" 2>&1 &
	bpid=$!
	sleep 0.5
	n=$(fl_children 3 30)
	[ "$n" -eq 3 ] && ok ||
		fail "$n children 3.5 s into a session that goes on (PoolSize 2, wanted 2 idle + 1)"
	kill "$bpid" 2>/dev/null
	wait "$bpid" 2>/dev/null
	fl_stop
}

CASES="$CASES t_flood_refill t_flood_per_user t_flood_fair t_flood_hangup t_flood_grace t_flood_lifetime
t_flood_descriptors t_flood_sandbox_program t_flood_startup"
