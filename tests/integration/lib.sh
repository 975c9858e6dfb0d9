# Shared set-up and assertions for csign's integration tests (sourced).
#
# Everything real: a SoftHSM2 token in a temporary directory, Unix users
# and groups created here (and removed at exit), the real csignd running
# as root with the test build of the sandbox, the real csign-client run as
# those users with runuser, and outputs checked with openssl.

IT_PREFIX=${IT_PREFIX:-csign-it}	# set it to run two suites at once
IT_SIGNERS=$IT_PREFIX-signers	# granted every key of it_config
IT_RAWONLY=$IT_PREFIX-rawonly	# granted rawkey (raw only)
ALICE=$IT_PREFIX-alice		# in $IT_SIGNERS (supplementary)
BOB=$IT_PREFIX-bob		# in no granted group
CAROL=$IT_PREFIX-carol		# primary group $IT_RAWONLY
SANDBOX=$IT_PREFIX-sandbox
IT_APPROVERS=$IT_PREFIX-approvers	# approve held requests (approval.sh)
DAVE=$IT_PREFIX-dave		# in $IT_APPROVERS
ERIN=$IT_PREFIX-erin		# in $IT_APPROVERS

passed=0
failed=0
current=""

# Record the outcome of one check of the current test.
ok() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	printf 'FAIL [%s]: %s\n' "$current" "$*" >&2
}
# check DESCRIPTION CMD...: the command must succeed.
check() {
	desc=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then ok; else
		fail "$desc"; sed 's/^/    /' "$T/check.out" >&2
	fi
}
# expect_rc RC DESCRIPTION CMD...: the command must exit with RC.
expect_rc() {
	want=$1 desc=$2
	shift 2
	"$@" >"$T/rc.out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		fail "$desc: exit $got, wanted $want"
		sed 's/^/    /' "$T/rc.out" >&2
	fi
}
# expect_grep PATTERN FILE DESCRIPTION
expect_grep() {
	if grep -Eq -- "$1" "$2"; then ok; else
		fail "$3: /$1/ not in $2"; tail -5 "$2" | sed 's/^/    /' >&2
	fi
}
# expect_run DESCRIPTION FILE CMD...: the command must succeed; its
# output (stdout and stderr) is left in FILE for the checks that follow,
# so that a check of what the output lacks cannot pass because the
# command failed.
expect_run() {
	desc=$1 out=$2
	shift 2
	if "$@" >"$out" 2>&1; then ok; else
		fail "$desc: exit $?"; sed 's/^/    /' "$out" >&2
	fi
}
# expect_nogrep PATTERN FILE DESCRIPTION: FILE holds something and no
# line of it matches PATTERN (an empty or missing FILE proves nothing).
expect_nogrep() {
	if [ ! -s "$2" ]; then
		fail "$3: $2 is empty or missing"
	elif grep -Eq -- "$1" "$2"; then
		fail "$3: /$1/ in $2"
		grep -E -- "$1" "$2" | head -5 | sed 's/^/    /' >&2
	else
		ok
	fi
}
# expect_grep_soon PATTERN FILE DESCRIPTION: the same, for a record the
# daemon writes after its reply (deny records are not waited for).
expect_grep_soon() {
	for _ in $(seq 50); do
		grep -Eq -- "$1" "$2" && break
		sleep 0.1
	done
	expect_grep "$@"
}
begin() { current=$1; printf 'test: %s\n' "$1"; }

# expect_audit_digest FILE KEY ARTIFACT ALG [EVENT] [LOG]: the last EVENT
# record (default "sign", result ok or held) for KEY and ARTIFACT in LOG
# (default $T/audit.jsonl) names digest_alg ALG and, as "digest", the ALG
# hash of FILE, computed here with openssl: the bytes csign says it
# signed are the bytes it was given.  FILE is what the format hashes
# (for a module, the module without its signature).
expect_audit_digest() {
	want=$(openssl dgst -"$4" -r "$1" | cut -d' ' -f1)
	got=$(python3 - "${6:-$T/audit.jsonl}" "${5:-sign}" "$2" "$3" <<'PY'
import json, sys
log, event, key, artifact = sys.argv[1:]
last = "none"
with open(log) as f:
    for line in f:
        r = json.loads(line)
        if (r.get("event") == event and r.get("key") == key and
                r.get("artifact") == artifact and
                r.get("result") in ("ok", "held")):
            last = "%s %s" % (r.get("digest_alg"), r.get("digest"))
print(last)
PY
)
	if [ -n "$want" ] && [ "$got" = "$4 $want" ]; then ok; else
		fail "audit ${5:-sign} record of $2 $3: digest '$got'," \
		    "wanted '$4 $want'"
	fi
}

# it_descendants PID: the pids of PID's children, theirs, and so on: for
# killing a case's own processes by pid (never by name: other suites on
# the machine run the same programs).
it_descendants() {
	for c in $(pgrep -P "$1"); do
		echo "$c"
		it_descendants "$c"
	done
}

# it_art: alice's art.bin, 100 kB of random bytes, for the cases that
# sign something and do not care what (made once per suite).
it_art() {
	[ -f "$T/home/$ALICE/art.bin" ] && return 0
	head -c 100000 /dev/urandom > "$T/home/$ALICE/art.bin"
	chmod 644 "$T/home/$ALICE/art.bin"
}

# Run csign-client as a user, in that user's directory.
as() {
	user=$1
	shift
	(cd "$T/home/$user" && runuser -u "$user" -- env \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" "$@")
}

it_users() {
	for g in $IT_SIGNERS $IT_RAWONLY $IT_APPROVERS; do
		getent group "$g" >/dev/null || groupadd "$g"
	done
	getent passwd $SANDBOX >/dev/null ||
		useradd --system --no-create-home -s /usr/sbin/nologin $SANDBOX
	getent passwd $ALICE >/dev/null || useradd -M -G $IT_SIGNERS $ALICE
	getent passwd $BOB >/dev/null || useradd -M $BOB
	getent passwd $CAROL >/dev/null || useradd -M -g $IT_RAWONLY $CAROL
	# alice is an approver too: only the requester rule keeps her out.
	usermod -a -G $IT_APPROVERS $ALICE
	for u in $DAVE $ERIN; do
		getent passwd $u >/dev/null || useradd -M -G $IT_APPROVERS $u
	done
	for u in $ALICE $BOB $CAROL $DAVE $ERIN; do
		mkdir -p "$T/home/$u"
		chown "$u" "$T/home/$u"
	done
}

it_cleanup() {
	it_stop_daemon
	for u in $ALICE $BOB $CAROL $DAVE $ERIN $SANDBOX; do
		userdel "$u" 2>/dev/null
	done
	for g in $IT_SIGNERS $IT_RAWONLY $IT_APPROVERS; do
		groupdel "$g" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

# it_token_key LABEL ID rsa|ec: a key of its own on the test token, for a
# case's Key block (csignd refuses two Key blocks for one private key),
# with $T/LABEL.crt, .key and .pub as tests/lib/token.sh makes them.
# Made once; a running csignd sees it after a restart.
it_token_key() {
	[ -f "$T/$1.crt" ] ||
		SOFTHSM2_CONF=$SOFTHSM2_CONF sh tests/lib/token.sh --add "$T" \
		"$@" || return 1
	chmod 644 "$T/$1.crt" "$T/$1.pub"
}

# Write the daemon's config to $T/csignd.conf (extra lines from $1).
# Each Key block names a key of its own on the token: one private key,
# one Key block.
it_config() {
	cat > "$T/csignd.conf" <<CONF
# csign integration test configuration
Listen $T/csignd.sock
SandboxUser $SANDBOX
SandboxProgram $T/bin/csign-sandbox
AuditLog $T/audit.jsonl
PoolSize 2
SessionTimeout 5
AdminGroup $IT_SIGNERS
StateFile $T/keystate

Token hsm0
    Module /usr/lib/softhsm/libsofthsm2.so
    TokenLabel csign
    PinFile $T/hsm.pin

Key rsa
    Token hsm0
    Label rsa2048
    Certificate $T/rsa2048.crt
    Formats raw cms
    Digest sha256 sha384
Key ec
    Token hsm0
    Label p256
    Certificate $T/p256.crt
    Formats raw cms
Key pss
    Token hsm0
    Id 03
    Certificate $T/rsapss.crt
    Formats raw cms
    Padding pss
Key p384
    Token hsm0
    Label p384
    Certificate token
    Formats raw cms
    Digest sha384
Key rawkey
    Token hsm0
    Label rawkey
    Certificate $T/rawkey.crt
    Formats raw
Key kmod
    Token hsm0
    Label kmod
    Certificate $T/kmod.crt
    Formats module verity
    Digest sha256 sha384 sha512
Key kmod4096
    Token hsm0
    Label rsa4096
    Certificate $T/rsa4096.crt
    Formats module
    Digest sha256 sha384 sha512
Key efi
    Token hsm0
    Label efi
    Certificate $T/efi.crt
    Chain $T/ca.crt
    Formats pe
    Digest sha256 sha384 sha512
Key ima-rsa
    Token hsm0
    Label ima-rsa
    Certificate $T/ima-rsa.crt
    Formats ima
    Digest sha256 sha384 sha512
Key ima-ec
    Token hsm0
    Label ima-ec
    Certificate $T/ima-ec.crt
    Formats ima
    Digest sha256 sha384 sha512

Allow group $IT_SIGNERS keys rsa ec pss p384 rawkey kmod kmod4096 efi ima-rsa ima-ec
Allow group $IT_RAWONLY keys rawkey
${1:-}
CONF
}

# it_own_daemon NAME [SEDEXPR [WRAPPER]]: a csignd of its own beside the
# suite's, from the suite's configuration with Listen $T/NAME.sock and
# AuditLog $T/NAME.jsonl, then SEDEXPR applied (sed -e); run under
# WRAPPER (split into words, e.g. "env VAR=..."), its log $T/NAME.log.
# Its pid in SPAWNED.
it_own_daemon() {
	# Not the suite daemon's pesign socket either (t_pesign_* adds one).
	sed -e "s|^Listen .*|Listen $T/$1.sock|" -e "/^PesignListen /d" \
	    -e "s|^AuditLog .*|AuditLog $T/$1.jsonl|" -e "${2:-}" \
	    "$T/csignd.conf" > "$T/$1.conf"
	rm -f "$T/$1.sock"
	it_spawn_csignd "$T/$1.conf" "$T/$1.sock" "$T/$1.log" "${3:-}"
}

# it_fault_daemon NAME SETTINGS [SEDEXPR]: it_own_daemon NAME whose token
# goes through the fault module tests/tools/p11fault.c over SoftHSM, with
# SETTINGS (P11FAULT_DIR=..., P11FAULT_DELAY_MS=...) in its environment.
it_fault_daemon() {
	cp "$build/test/p11fault.so" "$T/bin/p11fault.so" &&
		chmod 755 "$T/bin/p11fault.so" || return 1
	it_own_daemon "$1" \
	    "s|Module /usr/lib/softhsm/libsofthsm2.so|Module $T/bin/p11fault.so|${3:+;$3}" \
	    "env $2 P11FAULT_MODULE=/usr/lib/softhsm/libsofthsm2.so"
}

# it_stop PID: stop a csignd of a case's own (SIGTERM) and reap it.
it_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# it_spawn_csignd CONF SOCKET LOG [WRAPPER]: start a csignd in the
# foreground (debug log to LOG) and wait for SOCKET; its pid in SPAWNED.
it_spawn_csignd() {
	SOFTHSM2_CONF=$SOFTHSM2_CONF ${4:-} "$T/bin/csignd" -d -v -f "$1" \
		>>"$3" 2>&1 &
	SPAWNED=$!
	for _ in $(seq 100); do
		[ -S "$2" ] && return 0
		kill -0 $SPAWNED 2>/dev/null || break
		sleep 0.1
	done
	echo "csignd did not start:" >&2
	cat "$3" >&2
	return 1
}

# Start the suite's csignd (under $WRAP, e.g. valgrind); its pid in DPID.
it_start_daemon() {
	it_spawn_csignd "$T/csignd.conf" "$T/csignd.sock" "$T/csignd.log" \
		"$WRAP"
	r=$?
	DPID=$SPAWNED
	return $r
}

it_stop_daemon() {
	[ -n "${DPID:-}" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DRC=$?
	DPID=""
}

# Set up everything: tmp dir, token, users, config, binaries, daemon.
it_setup() {
	build=$1
	# Files csignd trusts must not be writable by group or others
	# (its StrictModes): the suite's files are made that way.
	umask 022
	T=$(mktemp -d /tmp/csign-it.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/bin"
	cp "$build/csignd" "$build/csign-client" "$build/csign-audit" \
		"$build/test/csign-sandbox" "$build/test/rawclient" "$T/bin/"
	chmod 755 "$T/bin"/*
	if [ -n "${IT_TOKEN_FROM:-}" ]; then
		# A copy of a token tests/lib/token.sh made once (isolated.sh:
		# making one for every case would take most of its time); the
		# copy is this suite's own to change.
		cp -a "$IT_TOKEN_FROM"/. "$T"/ || return 1
		sed "s|^directories.tokendir = .*|directories.tokendir = $T/tokens|" \
			"$IT_TOKEN_FROM/softhsm2.conf" > "$T/softhsm2.conf"
		SOFTHSM2_CONF=$T/softhsm2.conf
	else
		SOFTHSM2_CONF=$(sh tests/lib/token.sh "$T")
	fi
	export SOFTHSM2_CONF
	PIN=$(cat "$T/hsm.pin")
	chmod 644 "$T"/*.crt "$T"/*.pub
	it_users
	it_config
	it_start_daemon
}
