# Remote use through OpenSSH's Unix-socket forwarding: an sshd started
# here on a loopback port, configured as docs/scaling.md tells a signing
# host to treat its CI accounts (key only, forwarding to a Unix socket,
# no shell), and root on the "build host" forwarding a local socket to
# csignd's as $ALICE or $BOB.  The identity csignd sees is the SSH
# account, never the local caller: root signs through alice's forward as
# alice and is denied through bob's.

SSH_DIR=""
SSHD_PID=""
SSH_PIDS=""

# Stop the forwards, then sshd and the sessions it still runs.
ssh_cleanup() {
	for c in "$SSH_DIR"/ctl-*; do
		[ -S "$c" ] && ssh -S "$c" -O exit csign-it 2>/dev/null
	done
	for p in $SSH_PIDS; do
		for _ in $(seq 20); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -TERM "$p" 2>/dev/null
	done
	SSH_PIDS=""
	if [ -n "$SSHD_PID" ]; then
		for p in $(pgrep -P "$SSHD_PID"); do
			kill -TERM "$p" 2>/dev/null
		done
		kill -TERM "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=""
	fi
	rm -f "$T/fwd-alice.sock" "$T/fwd-bob.sock"
}

# The sshd configuration for port $1.
ssh_config() {
	cat > "$SSH_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1:$1
HostKey $SSH_DIR/host_key
PidFile $SSH_DIR/sshd.pid
LogLevel VERBOSE
AllowUsers $ALICE $BOB
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# StrictModes (on) checks every directory above an AuthorizedKeysFile,
# and /tmp is world-writable: the public keys are read by a command.
AuthorizedKeysFile none
AuthorizedKeysCommand /bin/cat $SSH_DIR/keys/%u
AuthorizedKeysCommandUser nobody
# A CI account: forwarding to a Unix socket, no shell, no terminal.
# OpenSSH refuses Unix-socket forwarding too under AllowTcpForwarding no.
AllowStreamLocalForwarding local
AllowTcpForwarding local
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitTTY no
PermitUserRC no
ForceCommand /bin/false
CONF
}

# Start sshd on a free random port; SSH_PORT.  1 if it does not start.
ssh_start_sshd() {
	for _ in 1 2 3 4 5; do
		SSH_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		ssh_config "$SSH_PORT"
		/usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" || return 1
		: > "$SSH_DIR/sshd.log"
		/usr/sbin/sshd -D -f "$SSH_DIR/sshd_config" \
			-E "$SSH_DIR/sshd.log" &
		SSHD_PID=$!
		for _ in $(seq 50); do
			grep -q "Server listening on 127.0.0.1 port $SSH_PORT" \
				"$SSH_DIR/sshd.log" && return 0
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=""
	done
	return 1
}

# ssh USER [ssh arguments...] as a build host would run it.
ssh_as() {
	user=$1
	shift
	# ssh_as USER -- CMD...: a command, which follows the destination.
	if [ "${1:-}" = -- ]; then
		shift
		ssh -F /dev/null -i "$SSH_DIR/id" -o IdentitiesOnly=yes \
			-o BatchMode=yes -o StrictHostKeyChecking=yes \
			-o UserKnownHostsFile="$SSH_DIR/known_hosts" \
			-o LogLevel=ERROR -p "$SSH_PORT" "$user@127.0.0.1" "$@"
		return
	fi
	ssh -F /dev/null -i "$SSH_DIR/id" -o IdentitiesOnly=yes \
		-o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$SSH_DIR/known_hosts" \
		-o LogLevel=ERROR -p "$SSH_PORT" "$@" "$user@127.0.0.1"
}

# Forward local socket $2 to csignd's socket as USER $1, the way the
# recipes in contrib/ci/ do: a master connection in the background (-f)
# with a control socket ($3) for "ssh -O exit" at the end.
ssh_forward() {
	ssh_as "$1" -M -S "$3" -f -N -o ExitOnForwardFailure=yes \
		-o StreamLocalBindUnlink=yes -L "$2:$T/csignd.sock" \
		2>> "$SSH_DIR/client.log" || return 1
	SSH_PIDS="$SSH_PIDS $(ssh -S "$3" -O check csign-it 2>&1 |
		sed -n 's/.*pid=\([0-9]*\).*/\1/p')"
	[ -S "$2" ]
}

# csign-client as root on the build host, through forwarded socket $1.
fwd_client() {
	sock=$1
	shift
	(cd "$SSH_DIR" && "$T/bin/csign-client" -S "$sock" "$@")
}

# Explain a sign that failed because the descriptor did not arrive.
fwd_sign_failed() {
	fail "$1"
	sed 's/^/    /' "$T/fwd.out" >&2
	grep -q "artifact descriptor" "$T/fwd.out" &&
		echo "    (the artifact is passed as an SCM_RIGHTS descriptor," \
			"which SSH forwarding does not carry)" >&2
}

t_ssh_forward() {
	begin "signing through an SSH-forwarded socket: the SSH account is the identity"
	if [ ! -x /usr/sbin/sshd ] || ! command -v ssh > /dev/null ||
	    ! command -v ssh-keygen > /dev/null; then
		fail "needs openssh-server and openssh-client"
		return
	fi
	SSH_DIR=$T/ssh
	mkdir -p "$SSH_DIR/keys"
	chmod 755 "$SSH_DIR" "$SSH_DIR/keys"
	trap 'ssh_cleanup; it_cleanup' EXIT
	ssh-keygen -q -t ed25519 -N '' -C csign-it-host -f "$SSH_DIR/host_key"
	ssh-keygen -q -t ed25519 -N '' -C csign-it-ci -f "$SSH_DIR/id"
	for u in $ALICE $BOB; do
		# As docs/scaling.md has it: nothing but forwarding.
		printf 'restrict,port-forwarding %s\n' "$(cat "$SSH_DIR/id.pub")" \
			> "$SSH_DIR/keys/$u"
		chmod 644 "$SSH_DIR/keys/$u"
		# Without PAM, sshd refuses a locked account ("!", as useradd
		# leaves it); "*" is an account with no password instead.
		usermod -p '*' "$u"
	done
	# sshd's privilege-separation directory (made at boot when installed).
	[ -d /run/sshd ] || install -d -m 0755 /run/sshd
	if ssh_start_sshd; then ok; else
		fail "sshd did not start"
		sed 's/^/    /' "$SSH_DIR/sshd.log" >&2
		ssh_cleanup
		trap it_cleanup EXIT
		return
	fi
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" \
		"$(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")" > "$SSH_DIR/known_hosts"

	for who in alice bob; do
		[ $who = alice ] && u=$ALICE || u=$BOB
		if ssh_forward "$u" "$T/fwd-$who.sock" "$SSH_DIR/ctl-$who"; then
			ok
		else
			fail "no forwarded socket for $u"
			sed 's/^/    /' "$SSH_DIR/client.log" >&2
			tail -5 "$SSH_DIR/sshd.log" | sed 's/^/    /' >&2
		fi
	done

	# whoami: the daemon sees the SSH account and its groups.
	fwd_client "$T/fwd-alice.sock" whoami > "$T/fwd.out" 2>&1
	expect_grep "^uid=$(id -u "$ALICE")\($ALICE\).*$IT_SIGNERS" "$T/fwd.out" \
		"whoami through alice's forward is $ALICE with her group"
	fwd_client "$T/fwd-bob.sock" whoami > "$T/fwd.out" 2>&1
	expect_grep "^uid=$(id -u "$BOB")\($BOB\)" "$T/fwd.out" \
		"whoami through bob's forward is $BOB"

	# Root signs through alice's forward: signed as alice.
	head -c 20000 /dev/urandom > "$SSH_DIR/fwd-art.bin"
	if fwd_client "$T/fwd-alice.sock" sign -k ec -f raw -o fwd-art.sig \
	    fwd-art.bin > "$T/fwd.out" 2>&1; then
		ok
		check "the signature verifies" raw_ok "$T/p256.pub" sha256 \
			"$SSH_DIR/fwd-art.sig" "$SSH_DIR/fwd-art.bin"
		expect_grep "\"event\":\"sign\",\"uid\":$(id -u "$ALICE"),\"user\":\"$ALICE\".*\"artifact\":\"fwd-art.bin\"" \
			"$T/audit.jsonl" "the sign record names $ALICE"
	else
		fwd_sign_failed "sign through alice's forward"
	fi
	grep -q '"uid":0,.*"artifact":"fwd-art' "$T/audit.jsonl" &&
		fail "a record names root, the local caller" || ok

	# Through bob's forward: denied (exit 3) and audited as bob.
	fwd_client "$T/fwd-bob.sock" sign -k ec -f raw -o fwd-bob.sig \
		fwd-art.bin > "$T/fwd.out" 2>&1
	rc=$?
	if [ "$rc" -eq 3 ]; then
		ok
		expect_grep "\"event\":\"deny\",\"uid\":$(id -u "$BOB"),\"user\":\"$BOB\".*\"artifact\":\"fwd-art.bin\"" \
			"$T/audit.jsonl" "the deny record names $BOB"
	else
		fwd_sign_failed "sign through bob's forward: exit $rc, wanted 3"
	fi
	[ -e "$SSH_DIR/fwd-bob.sig" ] && fail "output written on denial" || ok

	# The account forwards but runs nothing (ForceCommand): id asked for,
	# /bin/false run instead.  Its exit 1 shows that ssh got in (255 if
	# it did not), so the missing uid= is ForceCommand's doing.
	ssh_as "$ALICE" -- id > "$T/fwd.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && ok || { fail "ssh id: exit $rc, wanted /bin/false's 1"
		sed 's/^/    /' "$T/fwd.out" >&2; }
	grep -q "uid=" "$T/fwd.out" && fail "a command ran over ssh" || ok

	ssh_cleanup
	trap it_cleanup EXIT
	[ -z "$(pgrep -f "$SSH_DIR/(sshd_config|ctl-)")" ] && ok ||
		fail "ssh or sshd left running"
}
CASES="$CASES t_ssh_forward"
