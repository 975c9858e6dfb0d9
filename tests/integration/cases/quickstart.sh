# README.md's admin quick start, run as written (issue 12), sourced by
# run.sh.
#
# The commands are not copied here: they are read from README.md, from
# the fenced blocks that a marker comment introduces:
#   <!-- quickstart -->                 shell commands, run as root
#   <!-- quickstart file PATH -->       the block is the contents of PATH
#   <!-- quickstart append PATH -->     the block is added to PATH
#   <!-- quickstart as USER -->         shell commands, run as USER
# in README order, in one root shell (variables carry over), with "sh -e"
# (every command must succeed), on a fresh SoftHSM token of its own.
#
# So that the run can go beside the other suites and leaves the host as
# it was, the names the README uses for the system are mapped into the
# test: /etc/csign, /run/csign, /var/log/csign and /var/lib/csign live
# under $T/qs, the users and group the README creates are $IT_PREFIX-qs*,
# SOFTHSM2_CONF points at a token directory of the test's, and csignd and
# csign-admin are the build's, run with -f on the test's config (their
# compiled-in default is /etc/csign/csignd.conf).  The only lines the
# test adds to the README's config are the paths of those defaults
# (Listen, AuditLog, StateFile, SandboxUser, SandboxProgram).

QS_SANDBOX=$IT_PREFIX-qsbox	# the README's csign-sandbox
QS_GROUP=$IT_PREFIX-qsrel	# the README's release-eng
QS_CI=$IT_PREFIX-qsci		# the README's ci-bot
QS_ALICE=$IT_PREFIX-qsalice	# the README's alice, who exists before

# qs_extract README DIR: one file per marked block, DIR/NN, and the list
# DIR/steps of "NN KIND [ARG]" lines, KIND one of root, file, append, as.
qs_extract() {
	awk -v dir="$2" '
	/^<!-- quickstart( (file|append|as) [^ ]+)? -->$/ {
		n++
		kind = $3 == "-->" ? "root" : $3
		arg = $3 == "-->" ? "" : $4
		want = 1
		next
	}
	want == 1 && /^```/ { want = 2; f = sprintf("%s/%02d", dir, n);
		printf "" > f
		printf "%02d %s %s\n", n, kind, arg > (dir "/steps"); next }
	want == 1 && !/^[[:space:]]*$/ {
		print "quickstart marker " n " is not followed by a fenced block" > "/dev/stderr"
		exit 1
	}
	want == 2 && /^```/ { want = 0; close(f); next }
	want == 2 { print > f }
	END { if (want == 2) { print "unterminated block" > "/dev/stderr"; exit 1 } }
	' "$1"
}

# The README's names for the system, mapped to the test's (stdin to
# stdout).
qs_map() {
	sed -e "s|/etc/csign|$QS/etc/csign|g" \
	    -e "s|/run/csign|$QS/run/csign|g" \
	    -e "s|/var/log/csign|$QS/var/log/csign|g" \
	    -e "s|/var/lib/csign|$QS/var/lib/csign|g" \
	    -e "s|\\<csign-sandbox\\>|$QS_SANDBOX|g" \
	    -e "s|\\<release-eng\\>|$QS_GROUP|g" \
	    -e "s|\\<ci-bot\\>|$QS_CI|g" \
	    -e "s|\\<alice\\>|$QS_ALICE|g"
}

# Remove what a run made on the host (also what an earlier, interrupted
# run left): the daemon of the test's PID file, the users and the group.
qs_cleanup() {
	p=$(cat "$QS/run/csign/csignd.pid" 2>/dev/null)
	if [ -n "$p" ] && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
	    grep -qF -- "$QS/etc/csign/csignd.conf"; then
		kill -TERM "$p"
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	fi
	for u in $QS_ALICE $QS_CI $QS_SANDBOX; do
		getent passwd "$u" >/dev/null && userdel "$u"
	done
	for g in $QS_GROUP $QS_CI $QS_ALICE $QS_SANDBOX; do
		getent group "$g" >/dev/null && groupdel "$g"
	done
	return 0
}

# Build the root script $QS/run.sh from the extracted steps.
qs_script() {
	s=$QS/run.sh
	printf 'set -e\n' > "$s"
	while read -r n kind arg; do
		tgt=$(printf '%s\n' "$arg" | qs_map)
		printf '# README quick start, block %s (%s %s)\n' "$n" "$kind" "$tgt" >> "$s"
		case $kind in
		root)
			qs_map < "$QS/steps.d/$n" >> "$s"
			;;
		file|append)
			op='>>'
			[ "$kind" = file ] && op='>'
			printf 'cat %s %s <<'"'"'QS_EOF'"'"'\n' "$op" "$tgt" >> "$s"
			# The compiled-in defaults, mapped: before the
			# README's first line, so that its own lines win.
			[ "$kind" = file ] && [ "$arg" = /etc/csign/csignd.conf ] &&
				cat "$QS/defaults.conf" >> "$s"
			qs_map < "$QS/steps.d/$n" >> "$s"
			printf 'QS_EOF\n' >> "$s"
			;;
		as)
			u=$(printf '%s\n' "$arg" | qs_map)
			qs_map < "$QS/steps.d/$n" > "$QS/as-$n.sh"
			chmod 644 "$QS/as-$n.sh"
			printf '(cd %s && runuser -u %s -- env -i HOME=%s PATH=%s CSIGN_SOCKET=%s sh -e -x %s)\n' \
				"$QS/home/$u" "$u" "$QS/home/$u" \
				"$QS/bin:/usr/local/bin:/usr/bin:/bin" \
				"$QS/run/csign/csignd.sock" "$QS/as-$n.sh" >> "$s"
			;;
		esac
	done < "$QS/steps.d/steps"
}

t_quickstart() {
	begin "README's admin quick start, extracted and run as written"
	QS=$T/qs
	qs_cleanup
	rm -rf "$QS"
	mkdir -p "$QS/steps.d" "$QS/bin" "$QS/libexec" "$QS/softhsm/tokens"
	if qs_extract README.md "$QS/steps.d"; then ok; else
		fail "README.md's quickstart markers"; return
	fi
	# What the issue asked of the quick start is there to be run.
	for k in root file append as; do
		grep -q " $k" "$QS/steps.d/steps" && ok ||
			fail "no '$k' quickstart block in README.md"
	done
	cat "$QS/steps.d"/[0-9]* > "$QS/all.txt"
	for want in 'install -d -m 0700 /var/lib/csign' 'SO_PIN=' 'PIN=' \
	    'Formats module' 'Formats pe' '-f module' '-f pe' 'csignd -t'; do
		grep -qF -- "$want" "$QS/all.txt" && ok ||
			fail "the quick start has no '$want'"
	done
	# The group and user that Allow lines name exist before csignd -t.
	t_line=$(grep -n '^csignd -t' "$QS/all.txt" | head -1 | cut -d: -f1)
	g_line=$(grep -n '^groupadd release-eng' "$QS/all.txt" | head -1 | cut -d: -f1)
	[ -n "$t_line" ] && [ -n "$g_line" ] && [ "$g_line" -lt "$t_line" ] &&
		ok || fail "groupadd release-eng does not come before csignd -t"
	# One key, one Key block: no Label twice.
	dup=$(grep -h '^[[:space:]]*Label ' "$QS/all.txt" | sort | uniq -d)
	[ -z "$dup" ] && ok || fail "two Key blocks for one key: $dup"

	# The programs as the README calls them.
	cp "$build/csign-admin" "$build/csign-client" "$QS/libexec/"
	chmod 755 "$QS/libexec"/*
	cat > "$QS/bin/csignd" <<EOF
#!/bin/sh
exec "$T/bin/csignd" -f "$QS/etc/csign/csignd.conf" "\$@"
EOF
	cat > "$QS/bin/csign-admin" <<EOF
#!/bin/sh
exec "$QS/libexec/csign-admin" -f "$QS/etc/csign/csignd.conf" "\$@"
EOF
	ln -s "$QS/libexec/csign-client" "$QS/bin/csign-client"
	chmod 755 "$QS/bin/csignd" "$QS/bin/csign-admin"
	cat > "$QS/softhsm2.conf" <<EOF
directories.tokendir = $QS/softhsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
	cat > "$QS/defaults.conf" <<EOF
# t_quickstart: the test's places for the compiled-in defaults
Listen $QS/run/csign/csignd.sock
AuditLog $QS/var/log/csign/audit.jsonl
StateFile $QS/var/lib/csign/keystate
SandboxUser $QS_SANDBOX
SandboxProgram $T/bin/csign-sandbox

EOF
	mkdir -p "$QS/etc" "$QS/run" "$QS/var/log" "$QS/var/lib"

	# alice exists before, with artifacts: a tarball, a module, an image.
	useradd -M "$QS_ALICE"
	h=$QS/home/$QS_ALICE
	mkdir -p "$h"
	tar -czf "$h/app.tar.gz" -C "$QS" defaults.conf
	if mod_build; then
		cp "$T/mod/hello.ko" "$h/hello.ko"
	else
		fail "no kernel module to sign (headers or sign-file missing)"
	fi
	cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi "$h/bootx64.efi" ||
		fail "no UEFI image to sign"
	chown -R "$QS_ALICE" "$h"

	qs_script
	# Nothing may reach the host's own csign paths.
	if grep -nE '(^|[^[:alnum:]_.-])/(etc|run|var/log|var/lib)/csign' \
	    "$QS/run.sh" "$QS"/as-*.sh > "$QS/leak.txt"; then
		fail "the mapped script still names host paths"
		sed 's/^/    /' "$QS/leak.txt" >&2
		qs_cleanup
		return
	fi
	ok
	(cd "$QS" && env SOFTHSM2_CONF="$QS/softhsm2.conf" \
	    PATH="$QS/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	    timeout 300 sh -e -x "$QS/run.sh") > "$QS/run.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then ok; else
		fail "the quick start failed (exit $rc); its last lines:"
		tail -25 "$QS/run.log" | sed 's/^/    /' >&2
	fi
	expect_grep "configuration OK \\(1 token logged in, 3 keys checked" \
		"$QS/run.log" "csignd -t checked the three keys"
	[ -d "$QS/var/lib/csign" ] && ok || fail "no /var/lib/csign"
	[ -s "$QS/run/csign/csignd.pid" ] && ok || fail "no PID file"
	for k in release kmod efi; do
		expect_grep "^$k " "$QS/run.log" "alice's keys lists $k"
	done
	[ -s "$h/app.tar.gz.sig" ] && ok || fail "no app.tar.gz.sig"
	expect_grep "^Signature verification OK" "$QS/run.log" \
		"sbverify accepts bootx64.efi.signed"
	expect_grep "^Trial CA\$" "$QS/run.log" "modinfo names the module's signer"
	tail -c 28 "$h/hello.ko" | grep -q 'Module signature appended' &&
		ok || fail "hello.ko was not signed in place"
	n=$(grep -c '"event":"sign"' "$QS/var/log/csign/audit.jsonl" 2>/dev/null)
	[ "${n:-0}" -eq 3 ] && ok || fail "3 sign records, got ${n:-0}"
	check "the quick start's audit log verifies" "$T/bin/csign-audit" \
		verify "$QS/var/log/csign/audit.jsonl"
	qs_cleanup
}

CASES="$CASES t_quickstart"
