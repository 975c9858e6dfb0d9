# The drop-in front ends (csign-sign-file, csign-sbsign), sourced by run.sh.
#
# Each is called exactly as its reference tool is, with csign:NAME for the
# key; the output is compared with the reference tool's own output on the
# same key (sign-file: byte for byte; sbsign: the image and signed content,
# and sbverify accepts it), and the refusals leave the inputs alone.
# Uses mod_build (module.sh) and pe_build (pe.sh).

# Run front end $2 as user $1 in that user's directory.
as_fe() {
	user=$1 prog=$2
	shift 2
	(cd "$T/home/$user" && runuser -u "$user" -- env \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/$prog" "$@")
}

fe_install() {
	for p in csign-sign-file csign-sbsign; do
		[ -x "$T/bin/$p" ] || install -m 755 "$build/$p" "$T/bin/$p"
	done
}

t_frontend_sign_file() {
	begin "csign-sign-file: sign-file's arguments, sign-file's bytes"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	fe_install
	a=$T/home/$ALICE
	crt=$T/kmod.crt
	mkdir -p "$T/fe"
	for dig in sha256 sha512; do
		mod_copy "fe.$dig.ko"
		check "in place ($dig)" as_fe $ALICE csign-sign-file "$dig" \
			csign:kmod "$crt" "fe.$dig.ko"
		mod_reference "$T/kmod.key" "$crt" "$dig" "$T/fe/ref.$dig.ko"
		check "in place = sign-file ($dig)" cmp "$a/fe.$dig.ko" \
			"$T/fe/ref.$dig.ko"
	done
	cp "$a/fe.sha256.ko" "$T/fe/signed.ko"
	expect_rc 5 "a signed module is refused" as_fe $ALICE csign-sign-file \
		sha256 csign:kmod "$crt" fe.sha256.ko
	check "the signed module is unchanged" cmp "$a/fe.sha256.ko" \
		"$T/fe/signed.ko"
	modinfo "$a/fe.sha256.ko" > "$T/fe/modinfo" 2>&1
	expect_grep "sig_hashalgo: *sha256" "$T/fe/modinfo" "modinfo reads it"

	# DEST: the module stays as it was.
	mod_copy fe.dest.ko
	check "with DEST" as_fe $ALICE csign-sign-file sha256 csign:kmod \
		"$crt" fe.dest.ko fe.out.ko
	check "DEST = sign-file" cmp "$a/fe.out.ko" "$T/fe/ref.sha256.ko"
	check "module untouched with DEST" cmp "$a/fe.dest.ko" "$T/mod/hello.ko"

	# -k: the signer named by subject key identifier.
	mod_copy fe.k.ko
	check "-k" as_fe $ALICE csign-sign-file -k sha256 csign:kmod "$crt" \
		fe.k.ko
	mod_reference "$T/kmod.key" "$crt" sha256 "$T/fe/ref.k.ko" keyid
	check "-k = sign-file -k" cmp "$a/fe.k.ko" "$T/fe/ref.k.ko"

	# -p and -d: MODULE.p7s as sign-file writes it.
	cp "$T/mod/hello.ko" "$T/fe/p.ko"
	"$SIGN_FILE" -p sha256 "$T/kmod.key" "$crt" "$T/fe/p.ko"
	mod_copy fe.p.ko
	check "-p" as_fe $ALICE csign-sign-file -p sha256 csign:kmod "$crt" \
		fe.p.ko
	check "-p: module = sign-file" cmp "$a/fe.p.ko" "$T/fe/p.ko"
	check "-p: .p7s = sign-file's" cmp "$a/fe.p.ko.p7s" "$T/fe/p.ko.p7s"
	mod_copy fe.d.ko
	check "-d" as_fe $ALICE csign-sign-file -d sha256 csign:kmod "$crt" \
		fe.d.ko
	check "-d: module untouched" cmp "$a/fe.d.ko" "$T/mod/hello.ko"
	check "-d: .p7s = sign-file's" cmp "$a/fe.d.ko.p7s" "$T/fe/p.ko.p7s"
	check "-d: no scratch file left" test -z \
		"$(ls "$a" | grep 'fe.d.ko.csign-')"

	# -s: a PKCS#7 made elsewhere, appended without the daemon.
	mod_copy fe.s.ko
	cp "$T/fe/p.ko.p7s" "$a/raw.p7s"
	check "-s" as_fe $ALICE csign-sign-file -s raw.p7s sha256 "$crt" \
		fe.s.ko
	check "-s = sign-file" cmp "$a/fe.s.ko" "$T/fe/ref.sha256.ko"

	# Refusals: the module is left as it was.
	mod_copy fe.no.ko
	expect_rc 2 "a key file, not csign:NAME" as_fe $ALICE csign-sign-file \
		sha256 "$T/kmod.key" "$crt" fe.no.ko
	expect_grep "not a csign key" "$T/rc.out" "says how to name the key"
	expect_rc 1 "another key's certificate" as_fe $ALICE csign-sign-file \
		sha256 csign:kmod "$T/efi.crt" fe.no.ko
	expect_grep "is not the certificate of csign key kmod" "$T/rc.out" \
		"names the mismatch"
	mod_copy fe.bob.ko
	cp "$a/fe.bob.ko" "$T/home/$BOB/fe.bob.ko"
	chown "$BOB" "$T/home/$BOB/fe.bob.ko"
	expect_rc 3 "ungranted user, real module" as_fe $BOB csign-sign-file \
		sha256 csign:kmod "$crt" fe.bob.ko
	check "ungranted: module untouched" cmp "$T/home/$BOB/fe.bob.ko" \
		"$T/mod/hello.ko"
	expect_rc 2 "unknown hash" as_fe $ALICE csign-sign-file md5 \
		csign:kmod "$crt" fe.no.ko
	expect_rc 2 "too few arguments" as_fe $ALICE csign-sign-file sha256 \
		csign:kmod "$crt"
	check "refusals left the module alone" cmp "$a/fe.no.ko" \
		"$T/mod/hello.ko"
	expect_grep_soon "\"event\":\"sign\".*\"key\":\"kmod\".*\"artifact\":\"fe.sha256.ko\"" \
		"$T/audit.jsonl" "audited as any sign request"
}

t_frontend_sbsign() {
	begin "csign-sbsign: sbsign's options, sbverify accepts the result"
	if ! pe_build; then
		fail "cannot build the test images (see $T/pe/build.log)"
		return
	fi
	fe_install
	a=$T/home/$ALICE
	pe_copy "$T/pe/sdboot.efi" sb.efi
	check "sign" as_fe $ALICE csign-sbsign --key csign:efi \
		--cert "$T/efi.crt" sb.efi
	check "sbverify accepts IN.signed" sbverify --cert "$T/ca.crt" \
		"$a/sb.efi.signed"
	sbsign --key "$T/efi.key" --cert "$T/efi.crt" \
		--output "$T/pe/sb.ref" "$T/pe/sdboot.efi" 2>/dev/null
	check "image and signed content are sbsign's" \
		pe_py cmp "$a/sb.efi.signed" "$T/pe/sb.ref"
	check "--output, --engine ignored" as_fe $ALICE csign-sbsign \
		--engine pkcs11 --key csign:efi --cert "$T/efi.crt" \
		--output sb.out sb.efi
	check "sbverify accepts --output" sbverify --cert "$T/ca.crt" \
		"$a/sb.out"
	check "--detached" as_fe $ALICE csign-sbsign --key csign:efi \
		--cert "$T/efi.crt" --detached sb.efi
	check "sbverify --detached accepts IN.pk7" sbverify --cert \
		"$T/ca.crt" --detached "$a/sb.efi.pk7" "$a/sb.efi"
	check "--detached: no scratch file left" test -z \
		"$(ls "$a" | grep 'csign-')"
	check "the input is unchanged" cmp "$a/sb.efi" "$T/pe/sdboot.efi"
	# An already signed image gets a second signature, as with sbsign.
	check "sign a signed image" as_fe $ALICE csign-sbsign --key csign:efi \
		--cert "$T/efi.crt" --output sb.twice sb.efi.signed
	check "two signatures" test "$(pe_py entries "$a/sb.twice")" = 2
	expect_rc 2 "a key file, not csign:NAME" as_fe $ALICE csign-sbsign \
		--key "$T/efi.key" --cert "$T/efi.crt" --output sb.no sb.efi
	expect_rc 1 "another key's certificate" as_fe $ALICE csign-sbsign \
		--key csign:efi --cert "$T/kmod.crt" --output sb.no sb.efi
	expect_rc 2 "no --cert" as_fe $ALICE csign-sbsign --key csign:efi \
		--output sb.no sb.efi
	check "refusals wrote nothing" test ! -e "$a/sb.no"
	check "--help" as_fe $ALICE csign-sbsign --help
}

CASES="$CASES t_frontend_sign_file t_frontend_sbsign"

# kbuild's modules_install with CONFIG_MODULE_SIG_ALL, on a copy of the
# Debian headers whose scripts/sign-file is csign-sign-file: kbuild calls
# it as "scripts/sign-file sha256 ./csign:kmod certs/signing_key.x509 M".
t_frontend_modules_install() {
	begin "csign-sign-file as kbuild's scripts/sign-file (make modules_install)"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	fe_install
	kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | tail -1)
	k=$T/ktree
	rm -rf "$k" "$T/kinst"
	cp -a "$kdir" "$k" && rm -f "$k/scripts" &&
		cp -rL "$kdir/scripts" "$k/scripts" || {
		fail "cannot copy the kernel headers"; return; }
	cat > "$k/scripts/sign-file" <<EOF2
#!/bin/sh
exec env CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-sign-file" "\$@"
EOF2
	chmod 755 "$k/scripts/sign-file"
	mkdir -p "$k/certs"
	cp "$T/kmod.crt" "$k/certs/signing_key.x509"
	mkdir -p "$T/kinst" "$T/fe"
	chown -R "$ALICE" "$T/kinst"
	(cd "$k" && runuser -u "$ALICE" -- make -s -C "$k" M="$T/mod" \
		modules_install INSTALL_MOD_PATH="$T/kinst" \
		CONFIG_MODULE_SIG_ALL=y CONFIG_MODULE_SIG_KEY=csign:kmod \
		CONFIG_MODULE_SIG_HASH=sha256) > "$T/kinst.log" 2>&1
	out=$(find "$T/kinst" -name hello.ko | head -1)
	[ -n "$out" ] && ok || { fail "modules_install wrote no hello.ko";
		sed 's/^/    /' "$T/kinst.log" >&2; return; }
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha256 "$T/fe/ref.kinst.ko"
	check "the installed module = sign-file's" cmp "$out" \
		"$T/fe/ref.kinst.ko"
	expect_grep_soon "\"event\":\"sign\".*\"key\":\"kmod\".*\"artifact\":\"hello.ko\"" \
		"$T/audit.jsonl" "audited"
}

CASES="$CASES t_frontend_modules_install"
