# IMA/EVM v2 signatures (-f ima), sourced by run.sh.
#
# csign's FILE.sig must be what `evmctl ima_verify --sigfile` accepts for
# RSA and ECDSA keys, carry the kernel's key identifier (the end of the
# certificate's subject key identifier), work as a security.ima value set
# with setfattr (tested in the user.ima namespace with --xattr-user), and
# for RSA be the same bytes that `evmctl ima_sign` makes with the key file.

# The DER certificate evmctl wants for --key (it reads certificates as DER).
ima_der() {
	[ -f "$T/$1.der" ] ||
		openssl x509 -in "$T/$1.crt" -outform DER -out "$T/$1.der"
	echo "$T/$1.der"
}

# evmctl ima_verify FILE (with FILE.sig) against certificate label $2.
ima_ok() {
	evmctl -v ima_verify --sigfile --key "$(ima_der "$2")" "$1"
}

# evmctl rejects FILE with FILE.sig against certificate label $2 (its exit
# codes vary with the reason); both files exist: a missing one is no proof.
ima_rejects() { [ -s "$1" ] && [ -s "$1.sig" ] && ! ima_ok "$1" "$2"; }

# Hex of a file, one line.
hex_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# The last 4 bytes of a certificate's subject key identifier, lowercase hex.
skid_tail() {
	openssl x509 -in "$1" -noout -ext subjectKeyIdentifier |
		sed -n '2p' | tr -d ' :\n' | tr 'A-F' 'a-f' | tail -c 8
}

# 1 if key $1 is listed with digest $2 by `csign-client keys`.
key_has_digest() {
	as $ALICE keys 2>/dev/null | grep "^$1 " | grep -qw "$2"
}

# ima.bin in alice's directory and csign's sha256 signatures of it with
# ima-rsa and ima-ec (KEY.sha256.bin.sig), for the cases that use them.
ima_fixture() {
	a=$T/home/$ALICE
	if [ ! -f "$a/ima.bin" ]; then
		head -c 70000 /dev/urandom > "$a/ima.bin"
		chmod 644 "$a/ima.bin"
	fi
	for key in ima-rsa ima-ec; do
		[ -f "$a/$key.sha256.bin.sig" ] && continue
		cp "$a/ima.bin" "$a/$key.sha256.bin"
		check "sign ima $key for the case" as $ALICE sign -k "$key" \
			-f ima "$key.sha256.bin"
	done
}

t_ima_evmctl() {
	begin "ima: evmctl ima_verify accepts RSA and ECDSA signatures"
	a=$T/home/$ALICE
	head -c 70000 /dev/urandom > "$a/ima.bin"
	: > "$a/empty.bin"
	chmod 644 "$a/ima.bin" "$a/empty.bin"
	for spec in ima-rsa:ima-rsa ima-ec:ima-ec; do
		IFS=: read -r key label <<EOF2
$spec
EOF2
		for dig in sha256 sha384 sha512; do
			[ $dig = sha256 ] || key_has_digest "$key" $dig || continue
			cp "$a/ima.bin" "$a/$key.$dig.bin"
			check "sign ima $key $dig" as $ALICE sign -k "$key" \
				-f ima -d $dig "$key.$dig.bin"
			check "evmctl ima_verify $key $dig" ima_ok \
				"$a/$key.$dig.bin" "$label"
			expect_grep "verification is OK" "$T/check.out" \
				"evmctl says OK ($key $dig)"
			# ima hashes the whole file (signop_sign_artifact).
			expect_audit_digest "$a/$key.$dig.bin" "$key" \
				"$key.$dig.bin" $dig
		done
		h=$(hex_of "$a/$key.sha256.bin.sig")
		case $h in
		030204$(skid_tail "$T/$label.crt")*) ok ;;
		*) fail "$key: header is not 03 02 04 <keyid>: ${h%"${h#??????????????????}"}" ;;
		esac
		len=$(($(stat -c %s "$a/$key.sha256.bin.sig") - 9))
		[ "$(printf '%04x' $len)" = "$(echo "$h" | cut -c15-18)" ] &&
			ok || fail "$key: sig_size is not the signature's length"
		cp "$a/empty.bin" "$a/$key.empty"
		check "sign an empty file ($key)" as $ALICE sign -k "$key" \
			-f ima "$key.empty"
		check "evmctl verifies it ($key)" ima_ok "$a/$key.empty" "$label"
		expect_audit_digest "$a/$key.empty" "$key" "$key.empty" sha256
		cp "$a/ima.bin" "$a/$key.tampered"
		cp "$a/$key.sha256.bin.sig" "$a/$key.tampered.sig"
		printf x >> "$a/$key.tampered"
		check "evmctl rejects a modified file ($key)" ima_rejects \
			"$a/$key.tampered" "$label"
	done
	cp "$a/ima.bin" "$a/cross.bin"
	cp "$a/ima-rsa.sha256.bin.sig" "$a/cross.bin.sig"
	check "evmctl rejects the RSA signature with the EC key" \
		ima_rejects "$a/cross.bin" ima-ec
	# The same, computed another way than expect_audit_digest does.
	expect_grep '"key":"ima-ec".*"format":"ima".*"digest":"'"$(sha256sum < "$a/ima.bin" | cut -d' ' -f1)"'"' \
		"$T/audit.jsonl" "audit records the file digest"
}

t_ima_same_as_evmctl() {
	begin "ima: RSA signature is byte-identical to evmctl ima_sign's"
	a=$T/home/$ALICE
	ima_fixture
	cp "$a/ima.bin" "$T/evm.bin"
	check "evmctl ima_sign with the key file" evmctl ima_sign --sigfile \
		--key "$T/ima-rsa.key" "$T/evm.bin"
	check "cmp with evmctl" cmp "$a/ima-rsa.sha256.bin.sig" \
		"$T/evm.bin.sig"
}

t_ima_setfattr() {
	begin "ima: the .sig is ready for setfattr -n security.ima"
	a=$T/home/$ALICE
	ima_fixture
	cp "$a/ima.bin" "$T/xattr.bin"
	if ! setfattr -n user.ima -v "0x$(hex_of "$a/ima-ec.sha256.bin.sig")" \
	    "$T/xattr.bin" 2>/dev/null; then
		echo "    (no user xattrs on $T: skipped)"
		return
	fi
	check "evmctl verifies the xattr" evmctl --xattr-user ima_verify \
		--key "$(ima_der ima-ec)" "$T/xattr.bin"
	getfattr -n user.ima -e hex "$T/xattr.bin" > "$T/getfattr.out" 2>&1
	expect_grep "^user.ima=0x$(hex_of "$a/ima-ec.sha256.bin.sig")\$" \
		"$T/getfattr.out" "xattr holds the .sig bytes"
}

t_ima_pipe() {
	begin "ima: an artifact read from a pipe"
	a=$T/home/$ALICE
	ima_fixture
	cat "$a/ima.bin" | as $ALICE sign -k ima-ec -f ima -o piped.sig - \
		> /dev/null 2>&1
	[ $? -eq 0 ] && ok || fail "signing from a pipe"
	cp "$a/ima.bin" "$T/piped.bin"
	cp "$a/piped.sig" "$T/piped.bin.sig"
	check "evmctl verifies the piped signature" ima_ok "$T/piped.bin" \
		ima-ec
}

# Artifacts refused for ima: name|how to make it (in alice's dir)|message.
IMA_BAD="device|ln -sf /dev/zero dev.bin|not a regular file or a pipe
over-limit|truncate -s 4294967297 dev.bin|MaxArtifactSize"

t_ima_refused() {
	begin "ima: refused artifacts and keys get their exit code, daemon serves on"
	a=$T/home/$ALICE
	ima_fixture
	while IFS='|' read -r name make msg; do
		rm -f "$a/dev.bin"
		(cd "$a" && eval "$make")
		expect_rc 5 "$name refused" as $ALICE sign -k ima-rsa -f ima \
			-o dev.sig dev.bin
		expect_grep "$msg" "$T/rc.out" "$name: message"
	done <<EOF2
$IMA_BAD
EOF2
	rm -f "$a/dev.bin"
	expect_rc 3 "a module key is refused for ima" as $ALICE sign -k kmod \
		-f ima -o x.sig ima.bin
	expect_rc 3 "a cms key is refused for ima" as $ALICE sign -k rsa \
		-f ima -o x.sig ima.bin
	check "daemon still running" kill -0 "$DPID"
	check "next file is signed" as $ALICE sign -k ima-rsa -f ima \
		-o next.sig ima.bin
	cp "$a/ima.bin" "$T/next.bin"
	cp "$a/next.sig" "$T/next.bin.sig"
	check "and verifies" ima_ok "$T/next.bin" ima-rsa
}

CASES="$CASES t_ima_evmctl t_ima_same_as_evmctl t_ima_setfattr t_ima_pipe
t_ima_refused"
