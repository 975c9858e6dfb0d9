# One private key, one Key block; grants that narrow formats; StrictModes
# for the files csignd trusts; a StateFile directory that must exist.
# Sourced by run.sh.  Each refusal is checked twice: by csignd -t and by
# a real start (exit 1 both times, the same message).

# keys_conf NAME [EXTRA]: the suite's config with its own socket, audit
# log and StateFile, and EXTRA lines at the end, as $T/NAME.conf.
keys_conf() {
	sed -e "s|^Listen .*|Listen $T/$1.sock|" \
	    -e "s|^AuditLog .*|AuditLog $T/$1.jsonl|" \
	    -e "s|^StateFile .*|StateFile $T/$1.state|" \
		"$T/csignd.conf" > "$T/$1.conf"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >> "$T/$1.conf"
	chmod 644 "$T/$1.conf"
}

# The line of the first line of $T/NAME.conf that is exactly $2.
keys_line() { grep -nxF -- "$2" "$T/$1.conf" | head -1 | cut -d: -f1; }

# expect_text TEXT FILE DESCRIPTION: TEXT (not a pattern) is in FILE.
expect_text() {
	if grep -Fq -- "$1" "$2"; then ok; else
		fail "$3: '$1' not in $2"; tail -3 "$2" | sed 's/^/    /' >&2
	fi
}

# csignd on $T/NAME.conf, in the foreground; at most 20 s.
keys_start() {
	env SOFTHSM2_CONF="$SOFTHSM2_CONF" timeout 20 "$T/bin/csignd" -d \
		-f "$T/$1.conf"
}

# keys_refused NAME TEXT DESCRIPTION: csignd -t and a start on
# $T/NAME.conf both exit 1 and say TEXT.
keys_refused() {
	expect_rc 1 "$3: csignd -t refuses" "$T/bin/csignd" -t -f "$T/$1.conf"
	expect_text "$2" "$T/rc.out" "$3: csignd -t says so"
	expect_rc 1 "$3: csignd does not start" keys_start "$1"
	expect_text "$2" "$T/rc.out" "$3: the start says so"
}

t_key_alias_config() {
	begin "two Key blocks for one token key: refused at -t and at start, both named"
	keys_conf alias1 "Key rsa-module
    Token hsm0
    Label rsa2048
    Certificate $T/rsa2048.crt
    Formats module"
	la=$(keys_line alias1 "Key rsa")
	lb=$(keys_line alias1 "Key rsa-module")
	keys_refused alias1 "$T/alias1.conf:$lb: Key 'rsa-module' and Key 'rsa' (line $la) name the same private key (token hsm0, Label rsa2048)" \
		"same Label"
	keys_conf alias2 "Key pss-raw
    Token hsm0
    Id 03
    Certificate $T/rsapss.crt
    Formats raw"
	la=$(keys_line alias2 "Key pss")
	lb=$(keys_line alias2 "Key pss-raw")
	keys_refused alias2 "$T/alias2.conf:$lb: Key 'pss-raw' and Key 'pss' (line $la) name the same private key (token hsm0, Id 03)" \
		"same Id"
}

t_key_alias_pubkey() {
	begin "one key by Label and by Id, or imported twice: refused at start, both named"
	# p256 is "Label p256" for Key ec, and id 02 on the token.
	keys_conf alias3 "Key ec-by-id
    Token hsm0
    Id 02
    Certificate $T/p256.crt
    Formats cms"
	la=$(keys_line alias3 "Key ec")
	lb=$(keys_line alias3 "Key ec-by-id")
	# The config alone cannot tell (-n passes); -t logs in, as a start.
	check "csignd -n cannot see it" "$T/bin/csignd" -n -f "$T/alias3.conf"
	expect_rc 1 "csignd -t sees it" "$T/bin/csignd" -t -f "$T/alias3.conf"
	expect_rc 1 "csignd does not start" keys_start alias3
	expect_text "$T/alias3.conf:$lb: Key 'ec-by-id' and Key 'ec' (line $la) are the same private key (same public key, on token hsm0)" \
		"$T/rc.out" "the start names both blocks and lines"
	[ ! -S "$T/alias3.sock" ] && ok || fail "a socket was bound"
	# The same key material under another label and id: another object,
	# the same public key.
	openssl pkcs8 -topk8 -nocrypt -in "$T/p256.key" -out "$T/copy.p8"
	softhsm2-util --import "$T/copy.p8" --token csign --label p256-copy \
		--id 0b --pin "$PIN" > /dev/null
	rm -f "$T/copy.p8"
	keys_conf alias4 "Key ec-copy
    Token hsm0
    Label p256-copy
    Certificate $T/p256.crt
    Formats cms"
	la=$(keys_line alias4 "Key ec")
	lb=$(keys_line alias4 "Key ec-copy")
	expect_rc 1 "a copy of the key: csignd does not start" keys_start alias4
	expect_text "$T/alias4.conf:$lb: Key 'ec-copy' and Key 'ec' (line $la) are the same private key" \
		"$T/rc.out" "the start names both"
	pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label csign \
		--login --pin "$PIN" --delete-object --type privkey \
		--label p256-copy > /dev/null 2>&1
}

t_grant_formats() {
	begin "a grant narrowed to module: signs a module, is denied cms (exit 3)"
	mod_build || { fail "no test module"; return; }
	it_token_key narrow 30 rsa || { fail "cannot add the key"; return; }
	keys_conf narrow "Key narrow
    Token hsm0
    Label narrow
    Certificate $T/narrow.crt
    Formats cms module
Allow group $IT_RAWONLY keys narrow formats module
Allow group $IT_SIGNERS keys narrow"
	it_spawn_csignd "$T/narrow.conf" "$T/narrow.sock" "$T/narrow.log" ||
		{ fail "csignd did not start"; return; }
	NPID=$SPAWNED
	c=$T/home/$CAROL
	cp "$T/mod/hello.ko" "$c/n.ko"
	echo "narrow" > "$c/n.txt"
	chown "$CAROL" "$c/n.ko" "$c/n.txt"
	check "carol signs a module" as $CAROL -S "$T/narrow.sock" sign \
		-k narrow -f module -o n.signed.ko n.ko
	mod_reference "$T/narrow.key" "$T/narrow.crt" sha256 "$T/ref.narrow.ko"
	check "it is sign-file's" cmp "$c/n.signed.ko" "$T/ref.narrow.ko"
	expect_rc 3 "carol is denied cms" as $CAROL -S "$T/narrow.sock" sign \
		-k narrow -f cms -o n.p7s n.txt
	expect_text "key not allowed for this format" "$T/rc.out" "says why"
	[ ! -e "$c/n.p7s" ] && ok || fail "output written on denial"
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$CAROL\".*\"key\":\"narrow\",\"format\":\"cms\"" \
		"$T/narrow.jsonl" "deny record"
	expect_run "carol's keys" "$T/narrow.keys" as $CAROL -S "$T/narrow.sock" keys
	expect_grep "^narrow .* module " "$T/narrow.keys" "carol's keys: module"
	expect_nogrep "^narrow .*cms" "$T/narrow.keys" "carol's keys list cms"
	a=$T/home/$ALICE
	echo "wide" > "$a/w.txt"
	check "alice's grant is the key's: cms" as $ALICE -S "$T/narrow.sock" \
		sign -k narrow -f cms -o w.p7s w.txt
	check "and it verifies" openssl cms -verify -binary -inform DER \
		-in "$a/w.p7s" -content "$a/w.txt" -CAfile "$T/ca.crt" \
		-purpose any -out /dev/null
	kill -TERM "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
	# A grant cannot widen a key.
	keys_conf narrow2 "Allow group $IT_RAWONLY keys kmod formats pe"
	lb=$(keys_line narrow2 "Allow group $IT_RAWONLY keys kmod formats pe")
	lk=$(keys_line narrow2 "Key kmod")
	expect_rc 1 "a format the key does not allow" "$T/bin/csignd" -t -f \
		"$T/narrow2.conf"
	expect_text "$T/narrow2.conf:$lb: key 'kmod' (line $lk) does not allow format 'pe'" \
		"$T/rc.out" "names the line and the key"
}

t_raw_warning() {
	begin "csignd -t warns of raw beside other formats, and still passes"
	"$T/bin/csignd" -t -f "$T/csignd.conf" > "$T/warn.out" 2> "$T/warn.err"
	[ $? -eq 0 ] && ok || fail "csignd -t failed on a warning"
	l=$(grep -nx "Key rsa" "$T/csignd.conf" | cut -d: -f1)
	expect_text "key 'rsa' (line $l) allows raw beside cms: a raw signature over chosen bytes is also a valid signature in those formats" \
		"$T/warn.err" "the warning names the key and says why"
	expect_text "configuration OK" "$T/warn.out" "the result is OK"
	expect_nogrep "key 'rawkey'" "$T/warn.err" "raw alone warned"
	expect_nogrep "key 'kmod'" "$T/warn.err" "module alone warned"
}

t_strict_modes() {
	begin "StrictModes: files others could change are refused, by name and line"
	mkdir -p "$T/strict"
	chmod 755 "$T/strict"
	cp "$T/rsa2048.crt" "$T/strict/gw.crt"
	chmod 664 "$T/strict/gw.crt"
	keys_conf sm1
	sed -i "0,\|Certificate $T/rsa2048.crt|s||Certificate $T/strict/gw.crt|" \
		"$T/sm1.conf"
	l=$(keys_line sm1 "    Certificate $T/strict/gw.crt")
	keys_refused sm1 "$T/sm1.conf:$l: Certificate $T/strict/gw.crt: writable by group (mode 0664): refusing" \
		"a group-writable certificate"
	# A closed file in a directory the group may write.
	mkdir -p "$T/strict/gwdir"
	chmod 775 "$T/strict/gwdir"
	cp "$T/rsa2048.crt" "$T/strict/gwdir/x.crt"
	chmod 644 "$T/strict/gwdir/x.crt"
	sed "s|Certificate $T/strict/gw.crt|Certificate $T/strict/gwdir/x.crt|" \
		"$T/sm1.conf" > "$T/sm2.conf"
	keys_refused sm2 "$T/sm2.conf:$l: Certificate $T/strict/gwdir/x.crt: directory $T/strict/gwdir: writable by group (mode 0775): refusing" \
		"a certificate in a group-writable directory"
	# A file of another user.
	cp "$T/hsm.pin" "$T/strict/alice.pin"
	chown "$ALICE" "$T/strict/alice.pin"
	keys_conf sm3
	sed -i "s|PinFile .*|PinFile $T/strict/alice.pin|" "$T/sm3.conf"
	l=$(keys_line sm3 "    PinFile $T/strict/alice.pin")
	keys_refused sm3 "$T/sm3.conf:$l: PinFile $T/strict/alice.pin: owned by uid $(id -u "$ALICE"), not root: refusing" \
		"a PinFile of another user"
	# The config file itself.
	keys_conf sm4
	chmod 666 "$T/sm4.conf"
	keys_refused sm4 "$T/sm4.conf: writable by group and others (mode 0666): refusing" \
		"a world-writable config"
	# The audit log's directory: sticky is not enough there.
	mkdir -p "$T/strict/tmp"
	chmod 1777 "$T/strict/tmp"
	keys_conf sm5
	sed -i "s|^AuditLog .*|AuditLog $T/strict/tmp/audit.jsonl|" "$T/sm5.conf"
	l=$(keys_line sm5 "AuditLog $T/strict/tmp/audit.jsonl")
	keys_refused sm5 "$T/sm5.conf:$l: AuditLog $T/strict/tmp/audit.jsonl: directory $T/strict/tmp: writable by group and others (mode 1777): refusing" \
		"an audit log in a sticky world-writable directory"
	# A reload keeps the running config when the new one is refused.
	chmod 664 "$T/csignd.conf"
	kill -HUP "$DPID"
	sleep 0.5
	chmod 644 "$T/csignd.conf"
	expect_grep "reload failed, keeping the running config: .*csignd.conf: writable by group \\(mode 0664\\): refusing" \
		"$T/csignd.log" "a reload refuses it too"
	check "the daemon serves on" as $ALICE status
}

t_statefile_dir() {
	begin "StateFile: its directory must exist when AdminGroup or Approval is set"
	keys_conf sf1
	sed -i "s|^StateFile .*|StateFile $T/nostate/keystate|" "$T/sf1.conf"
	l=$(keys_line sf1 "StateFile $T/nostate/keystate")
	keys_refused sf1 "$T/sf1.conf:$l: StateFile $T/nostate/keystate: directory $T/nostate: No such file or directory: refusing" \
		"a missing StateFile directory with AdminGroup"
	# Nothing writes it without AdminGroup and Approval: no error.
	sed -e '/^AdminGroup /d' -e '/^ *Approval /d' "$T/sf1.conf" \
		> "$T/sf2.conf"
	check "without AdminGroup, -t passes" "$T/bin/csignd" -t -f \
		"$T/sf2.conf"
	# With an Approval instead of AdminGroup it is needed again.
	sed -i "/^Key ec\$/a\\    Approval group $IT_APPROVERS" "$T/sf2.conf"
	expect_rc 1 "an Approval needs it too" "$T/bin/csignd" -t -f \
		"$T/sf2.conf"
	expect_text "StateFile $T/nostate/keystate: directory $T/nostate: No such file or directory" \
		"$T/rc.out" "says so"
}
CASES="$CASES t_key_alias_config t_key_alias_pubkey t_grant_formats
t_raw_warning t_strict_modes t_statefile_dir"
