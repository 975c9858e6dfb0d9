# OpenPGP (-f openpgp, -f openpgp-clear, cert --openpgp), sourced by run.sh.
#
# A csignd of its own (opg.sock, audit log opg.jsonl) on the suite's
# config, where the keys rsa (RSA-2048), ec (P-256) and p384 also allow
# the OpenPGP formats and have an OpenPGP identity.  Every signature is
# checked by verifiers that share no code with csign: gpgv, sqv and rnp
# (P-384 too where they take it), apt-get update on a file: repository,
# and rpm -K on a package rpmsign signed through csign-client.

OPG_CREATED=2026-01-01T00:00:00Z
OPG_EPOCH=1767225600

# opg_conf: the suite's config with OpenPGP identities on rsa, ec, p384
# (and pss, whose RSA-PSS OpenPGP cannot carry), in $T/opg.conf.
opg_conf() {
	awk -v t="$T" -v created=$OPG_CREATED '
	/^Listen / { print "Listen " t "/opg.sock"; next }
	/^AuditLog / { print "AuditLog " t "/opg.jsonl"; next }
	/^Key / { key = $2 }
	/^    Formats raw cms$/ && key ~ /^(rsa|ec|p384|pss)$/ {
		print "    Formats raw cms openpgp openpgp-clear"
		print "    OpenPGPUserID \"csign " key " <" key "@csign.test>\""
		print "    OpenPGPCreated " created
		next
	}
	{ print }' "$T/csignd.conf" > "$T/opg.conf"
}

# opg_start: the case's csignd, its pid in OPG_PID.
opg_start() {
	opg_conf
	rm -f "$T/opg.sock"
	it_spawn_csignd "$T/opg.conf" "$T/opg.sock" "$T/opg.log" || return 1
	OPG_PID=$SPAWNED
}

opg_stop() {
	kill -TERM "$OPG_PID" 2>/dev/null
	wait "$OPG_PID" 2>/dev/null
}

# opc USER ARGS...: csign-client as USER against the case's csignd.
opc() {
	u=$1
	shift
	(cd "$T/home/$u" && runuser -u "$u" -- "$T/bin/csign-client" \
		-S "$T/opg.sock" "$@")
}

# opg_keyring KEY: export KEY's OpenPGP public key into $O/KEY.asc and
# make $O/KEY.gpg (binary keyring for gpgv) and $O/KEY.home (rnp's).
opg_keyring() {
	opc $ALICE cert --openpgp -o "$1.asc" "$1" &&
		cp "$T/home/$ALICE/$1.asc" "$O/$1.asc" &&
		gpg --dearmor < "$O/$1.asc" > "$O/$1.gpg" &&
		mkdir -p "$O/$1.home" &&
		rnpkeys --homedir "$O/$1.home" --import "$O/$1.asc"
}

# gpg_fpr KEY: the fingerprint gpg computes for the exported key.
gpg_fpr() {
	gpg --with-colons --import-options show-only --import "$O/$1.asc" \
		2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
}

opg_setup() {
	O=$T/opg
	mkdir -p "$O"
	export GNUPGHOME=$O/gnupg
	mkdir -p -m 700 "$GNUPGHOME"
	[ -n "${OPG_PID:-}" ] && kill -0 "$OPG_PID" 2>/dev/null && return 0
	opg_start
}

t_openpgp_detached() {
	begin "openpgp: detached signatures from token keys, verified by gpgv, sqv and rnp"
	opg_setup || { fail "csignd with OpenPGP keys does not start"; return; }
	a=$T/home/$ALICE
	head -c 70000 /dev/urandom > "$a/pgp.bin"
	chmod 644 "$a/pgp.bin"
	for key in rsa ec p384; do
		check "$key: cert --openpgp" opg_keyring $key || continue
		expect_grep "^-----BEGIN PGP PUBLIC KEY BLOCK-----$" "$O/$key.asc" \
			"$key: an armoured public key"
		gpg --with-colons --import-options show-only --import \
			"$O/$key.asc" > "$O/$key.show" 2>&1
		expect_grep "^pub:.*:$OPG_EPOCH:" "$O/$key.show" \
			"$key: created at OpenPGPCreated"
		expect_grep "^uid:.*csign $key <$key@csign.test>" "$O/$key.show" \
			"$key: its user ID"
		check "$key: gpg imports it" gpg --batch --import "$O/$key.asc"
		check "$key: binary signature" opc $ALICE sign -k $key \
			-f openpgp -o pgp.$key.sig pgp.bin
		check "$key: armoured signature" opc $ALICE sign -k $key \
			-f openpgp --armor -o pgp.$key.asc pgp.bin
		expect_grep "^-----BEGIN PGP SIGNATURE-----$" "$a/pgp.$key.asc" \
			"$key: --armor is armoured"
		for s in sig asc; do
			check "$key $s: gpgv" gpgv --keyring "$O/$key.gpg" \
				"$a/pgp.$key.$s" "$a/pgp.bin"
			check "$key $s: sqv" sqv --keyring "$O/$key.asc" \
				"$a/pgp.$key.$s" "$a/pgp.bin"
			check "$key $s: rnp" rnp --homedir "$O/$key.home" \
				--verify "$a/pgp.$key.$s" --source "$a/pgp.bin"
		done
		gpgv --keyring "$O/$key.gpg" "$a/pgp.$key.sig" "$a/pgp.bin" \
			> "$O/$key.gpgv" 2>&1
		fpr=$(gpg_fpr $key)
		expect_grep "using (RSA|ECDSA) key $fpr" "$O/$key.gpgv" \
			"$key: gpgv names the issuer fingerprint"
		expect_audit_digest "$a/pgp.bin" $key pgp.bin sha$(
			[ $key = p384 ] && echo 384 || echo 256) sign "$T/opg.jsonl"
	done
	# The self-signature is a signature like any other: audited.
	expect_grep '"key":"rsa".*"format":"openpgp".*"artifact":"openpgp self-signature: csign rsa <rsa@csign.test>"' \
		"$T/opg.jsonl" "the self-signature is audited as one"
	# sha384 and sha512 where the key allows them; md5 is no digest.
	check "rsa: -d sha384" opc $ALICE sign -k rsa -f openpgp -d sha384 \
		-o pgp.384.sig pgp.bin
	check "sha384 signature: gpgv" gpgv --keyring "$O/rsa.gpg" \
		"$a/pgp.384.sig" "$a/pgp.bin"
	expect_rc 2 "an unknown hash is refused" opc $ALICE sign -k rsa \
		-f openpgp -d md5 -o pgp.md5.sig pgp.bin
	expect_grep "unknown digest 'md5'" "$T/rc.out" "md5: says why"
	expect_rc 3 "a digest the key does not allow" opc $ALICE sign -k rsa \
		-f openpgp -d sha512 -o pgp.512.sig pgp.bin
	# A changed byte: every verifier refuses.
	cp "$a/pgp.bin" "$O/tampered.bin"
	printf 'X' | dd of="$O/tampered.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
	expect_rc 1 "gpgv refuses changed data" gpgv --keyring "$O/rsa.gpg" \
		"$a/pgp.rsa.sig" "$O/tampered.bin"
	if sqv --keyring "$O/ec.asc" "$a/pgp.ec.sig" "$O/tampered.bin" \
	    > /dev/null 2>&1; then
		fail "sqv accepts changed data"
	else ok; fi
	# Keys and flags that cannot make OpenPGP signatures.
	expect_rc 3 "a key without the openpgp format" opc $ALICE sign \
		-k kmod -f openpgp -o kmod.sig pgp.bin
	expect_rc 3 "cert --openpgp of a key without it" opc $ALICE cert \
		--openpgp kmod
	expect_rc 1 "--pem is not for openpgp" opc $ALICE sign -k rsa \
		-f openpgp --pem -o pem.sig pgp.bin
	expect_grep "use --armor" "$T/rc.out" "--pem: says why"
	expect_rc 1 "--armor is not for cms" opc $ALICE sign -k rsa -f cms \
		--armor -o armor.p7s pgp.bin
	expect_grep "applies to the openpgp format only" "$T/rc.out" \
		"--armor: says why"
	expect_rc 1 "an RSA-PSS key is refused" opc $ALICE sign -k pss \
		-f openpgp -o pss.sig pgp.bin
	expect_grep "RSA-PSS" "$T/rc.out" "RSA-PSS: says why"
	expect_rc 3 "bob has no grant" opc $BOB cert --openpgp rsa
	# From a pipe, as rpm gives it.
	(cd "$a" && runuser -u $ALICE -- "$T/bin/csign-client" -S \
		"$T/opg.sock" sign -k ec -f openpgp -o piped.sig - < pgp.bin) \
		> "$O/pipe.out" 2>&1
	check "from a pipe: gpgv" gpgv --keyring "$O/ec.gpg" "$a/piped.sig" \
		"$a/pgp.bin"
	opg_stop
}

# opg_text FILE: a text with what a cleartext signature must escape and
# canonicalise: dashes, trailing blanks, CR LF, no final newline.
opg_text() {
	printf '%s\n' "Origin: csign" "-----BEGIN PGP SIGNATURE-----" \
		"- a dash" "trailing blanks   	 " "" "	tab first" \
		"From the start" > "$1"
	printf 'crlf line\r\nlast, without a newline ünï' >> "$1"
}

t_openpgp_clear() {
	begin "openpgp-clear: cleartext signatures as InRelease, checked by gpgv, sqv, rnp and apt"
	opg_setup || { fail "csignd with OpenPGP keys does not start"; return; }
	a=$T/home/$ALICE
	for key in rsa ec; do
		[ -f "$O/$key.gpg" ] || opg_keyring $key ||
			{ fail "$key: no OpenPGP key"; continue; }
	done
	opg_text "$a/text.txt"
	chown $ALICE "$a/text.txt"
	check "sign a text" opc $ALICE sign -k rsa -f openpgp-clear \
		-o text.asc text.txt
	expect_grep "^-----BEGIN PGP SIGNED MESSAGE-----$" "$a/text.asc" \
		"the cleartext header"
	expect_grep "^Hash: SHA256$" "$a/text.asc" "the Hash: header"
	expect_grep "^- -----BEGIN PGP SIGNATURE-----$" "$a/text.asc" \
		"a line starting with a dash is escaped"
	expect_grep "^- - a dash$" "$a/text.asc" "every one"
	check "gpgv" gpgv --keyring "$O/rsa.gpg" "$a/text.asc"
	rm -f "$a/text.txt.asc"
	check "without -o: FILE.asc, as gpg --clearsign" opc $ALICE sign \
		-k rsa -f openpgp-clear text.txt
	check "FILE.asc: gpgv" gpgv --keyring "$O/rsa.gpg" "$a/text.txt.asc"
	# sqv 1.1 checks detached signatures only: it gets Release.gpg below.
	check "rnp" rnp --homedir "$O/rsa.home" --verify "$a/text.asc"
	# What gpgv says was signed: the text, trailing blanks gone, LF ends.
	gpgv --keyring "$O/rsa.gpg" -o "$O/text.out" "$a/text.asc" 2>/dev/null
	sed -e 's/[ 	]*\r*$//' "$a/text.txt" > "$O/text.want"
	printf '\n' >> "$O/text.want"
	check "the signed text is the canonical text" cmp "$O/text.out" \
		"$O/text.want"
	# Malformed texts: exit 5, naming what and where.
	printf 'one\ntwo\0three\n' > "$a/nul.txt"
	printf 'one\n\377\376 not utf-8\n' > "$a/latin.txt"
	printf 'one\rtwo\n' > "$a/cr.txt"
	chown $ALICE "$a/nul.txt" "$a/latin.txt" "$a/cr.txt"
	expect_rc 5 "a NUL byte" opc $ALICE sign -k rsa -f openpgp-clear \
		-o nul.asc nul.txt
	expect_grep "line 2: a NUL byte" "$T/rc.out" "NUL: says what and where"
	expect_rc 5 "not UTF-8" opc $ALICE sign -k rsa -f openpgp-clear \
		-o latin.asc latin.txt
	expect_grep "line 2: not UTF-8 text" "$T/rc.out" "not UTF-8: says so"
	expect_rc 5 "a bare CR" opc $ALICE sign -k rsa -f openpgp-clear \
		-o cr.asc cr.txt
	expect_grep "line 1: a carriage return" "$T/rc.out" "CR: says so"
	[ -e "$a/nul.asc" ] && fail "a refused text left an output" || ok
	expect_rc 1 "--armor with openpgp-clear" opc $ALICE sign -k rsa \
		-f openpgp-clear --armor -o x.asc text.txt
	# Over a connection without descriptor passing (ssh forwarding), the
	# text and its signature come back inline.
	check "inline" runuser -u $ALICE -- env CSIGN_INLINE=1 \
		"$T/bin/csign-client" -S "$T/opg.sock" sign -k ec \
		-f openpgp-clear -o "$a/inline.asc" "$a/text.txt"
	check "inline: gpgv" gpgv --keyring "$O/ec.gpg" "$a/inline.asc"
	opg_apt
	opg_stop
}

# A file: repository: apt-ftparchive's Release, signed into InRelease
# and Release.gpg; apt-get update with a private state, sources list and
# signed-by key must accept both, and refuse a changed Release.
opg_apt() {
	r=$O/repo
	rm -rf "$r" "$O/apt"
	mkdir -p "$r/dists/csign/main/binary-amd64" "$O/apt/lists/partial" \
		"$O/apt/cache/archives/partial" "$O/apt/etc/trusted.gpg.d" \
		"$O/apt/etc/preferences.d"
	printf 'Package: csign-test\nVersion: 1\nArchitecture: all\n' \
		> "$r/dists/csign/main/binary-amd64/Packages"
	gzip -k "$r/dists/csign/main/binary-amd64/Packages"
	(cd "$r/dists/csign" && apt-ftparchive -o APT::FTPArchive::Release::Suite=csign \
		-o APT::FTPArchive::Release::Codename=csign \
		-o APT::FTPArchive::Release::Components=main \
		-o APT::FTPArchive::Release::Architectures=amd64 \
		release . > "$O/Release")
	check "apt-ftparchive made a Release" grep -q "^SHA256:" "$O/Release"
	cp "$O/Release" "$T/home/$ALICE/Release"
	chown $ALICE "$T/home/$ALICE/Release"
	check "InRelease" opc $ALICE sign -k ec -f openpgp-clear \
		-o InRelease Release
	check "Release.gpg" opc $ALICE sign -k ec -f openpgp --armor \
		-o Release.gpg Release
	check "gpgv: InRelease" gpgv --keyring "$O/ec.gpg" \
		"$T/home/$ALICE/InRelease"
	check "gpgv: Release.gpg" gpgv --keyring "$O/ec.gpg" \
		"$T/home/$ALICE/Release.gpg" "$O/Release"
	check "sqv: Release.gpg" sqv --keyring "$O/ec.asc" \
		"$T/home/$ALICE/Release.gpg" "$O/Release"
	check "rnp: InRelease" rnp --homedir "$O/ec.home" --verify \
		"$T/home/$ALICE/InRelease"
	chmod -R a+rX "$r" "$O"
	cp "$T/home/$ALICE/InRelease" "$r/dists/csign/InRelease"
	check "apt-get update takes InRelease" opg_apt_update
	check "apt knows the repository's package" opg_aptrun apt-cache show \
		csign-test
	rm -f "$r/dists/csign/InRelease"
	find "$O/apt/lists" "$O/apt/cache" -type f -delete
	cp "$O/Release" "$r/dists/csign/Release"
	cp "$T/home/$ALICE/Release.gpg" "$r/dists/csign/Release.gpg"
	check "apt-get update takes Release + Release.gpg" opg_apt_update
	find "$O/apt/lists" "$O/apt/cache" -type f -delete
	sed -i 's/^Suite: csign$/Suite: csigm/' "$r/dists/csign/Release"
	expect_rc 1 "apt-get update refuses a changed Release" opg_apt_update
	expect_grep "BADSIG" "$T/rc.out" "apt says the signature is bad"
}

# opg_aptrun PROGRAM ARGS...: an apt program on the case's own state and
# sources only, nothing of the host's.
opg_aptrun() {
	p=$1
	shift
	"$p" -o Dir::Etc::sourcelist="$O/apt/etc/sources.list" \
		-o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::Etc::trusted="$O/apt/etc/trusted.gpg" \
		-o Dir::Etc::trustedparts="$O/apt/etc/trusted.gpg.d" \
		-o Dir::Etc::preferencesparts="$O/apt/etc/preferences.d" \
		-o Dir::State::Lists="$O/apt/lists" \
		-o Dir::State::status="$O/apt/status" \
		-o Dir::Cache="$O/apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root \
		-o Acquire::Languages=none "$@"
}

# apt-get update on the file: repository only, nothing of the host's.
opg_apt_update() {
	echo "deb [signed-by=$O/ec.gpg] file:$O/repo csign main" \
		> "$O/apt/etc/sources.list"
	touch "$O/apt/status"
	opg_aptrun apt-get update > "$O/apt.out" 2>&1
	rc=$?
	cat "$O/apt.out"
	[ $rc = 0 ] && ! grep -Eq "^(W|E):" "$O/apt.out"
}

t_openpgp_rpm() {
	begin "openpgp: rpmsign --addsign through csign-client, rpm -K checks it"
	opg_setup || { fail "csignd with OpenPGP keys does not start"; return; }
	[ -f "$O/rsa.asc" ] || opg_keyring rsa || { fail "no key"; return; }
	rb=$T/home/$ALICE/rpmbuild
	rm -rf "$rb"
	mkdir -p "$rb/SPECS"
	cat > "$rb/SPECS/csign-test.spec" <<'SPEC'
Name: csign-test
Version: 1
Release: 1
Summary: a package for csign's tests
License: MIT
BuildArch: noarch
%description
A package that rpmsign signs through csign-client.
%install
mkdir -p %{buildroot}/usr/share/csign-test
echo csign > %{buildroot}/usr/share/csign-test/file
%files
/usr/share/csign-test/file
SPEC
	chown -R $ALICE "$rb"
	check "rpmbuild" runuser -u $ALICE -- rpmbuild --define "_topdir $rb" \
		-bb "$rb/SPECS/csign-test.spec"
	pkg=$rb/RPMS/noarch/csign-test-1-1.noarch.rpm
	# The macro lines of docs/migration.md, with this suite's socket.
	sed -n '/^%_gpg_name/,/^%__gpg_sign_cmd/p' docs/migration.md |
		sed -e "s|/usr/bin/csign-client csign-client|$T/bin/csign-client csign-client -S $T/opg.sock|" \
		-e 's|^%_gpg_name .*|%_gpg_name rsa|' > "$T/home/$ALICE/.rpmmacros"
	check "the macros are in docs/migration.md" grep -q "__gpg_sign_cmd" \
		"$T/home/$ALICE/.rpmmacros"
	chown $ALICE "$T/home/$ALICE/.rpmmacros"
	check "rpmsign --addsign" runuser -u $ALICE -- env \
		HOME="$T/home/$ALICE" rpmsign --addsign "$pkg"
	db=$O/rpmdb
	rm -rf "$db"
	mkdir -p "$db"
	rpm --dbpath "$db" --initdb
	check "rpm --import" rpm --dbpath "$db" --import "$O/rsa.asc"
	rpm --dbpath "$db" -Kv "$pkg" > "$O/rpmk.out" 2>&1
	expect_grep "Header V4 RSA/SHA256 Signature, key ID [0-9a-f]+: OK" \
		"$O/rpmk.out" "rpm -K: the header signature is OK"
	check "rpm -K: digests signatures OK" rpm --dbpath "$db" -K "$pkg"
	rpm --dbpath "$db" -K "$pkg" > "$O/rpmk2.out" 2>&1
	expect_grep "digests signatures OK" "$O/rpmk2.out" "rpm -K says so"
	cp "$pkg" "$O/tampered.rpm"
	sz=$(stat -c %s "$O/tampered.rpm")
	printf 'X' | dd of="$O/tampered.rpm" bs=1 seek=$((sz - 40)) \
		conv=notrunc 2>/dev/null
	expect_rc 1 "rpm -K refuses a changed package" rpm --dbpath "$db" \
		-K "$O/tampered.rpm"
	opg_stop
}

# opg_conf_bad LINES DESC TEXT: the suite's config with LINES after the
# first key's Formats (LINES with a Formats line replace it): csignd -t
# must exit 1 naming the file, a line and TEXT.
opg_conf_bad() {
	awk -v line="$1" '/^    Formats raw cms$/ && !done {
		done = 1; print line; if (line !~ /Formats/) print; next }
		{ print }' "$T/csignd.conf" > "$T/opgbad.conf"
	expect_rc 1 "$2: csignd -t refuses it" "$T/bin/csignd" -t -f \
		"$T/opgbad.conf"
	expect_grep "opgbad.conf:[0-9]+: .*$3" "$T/rc.out" "$2: says where and why"
}

t_openpgp_config() {
	begin "openpgp: OpenPGPCreated and OpenPGPUserID are checked by csignd -t"
	opg_conf
	"$T/bin/csignd" -T -f "$T/opg.conf" > "$T/opgdump.conf" 2>/dev/null
	[ $? -eq 0 ] && ok || fail "csignd -T"
	expect_grep "^    OpenPGPCreated $OPG_CREATED$" "$T/opgdump.conf" \
		"-T: OpenPGPCreated as given"
	expect_grep '^    OpenPGPUserID "csign rsa <rsa@csign.test>"$' \
		"$T/opgdump.conf" "-T: OpenPGPUserID, quoted"
	chmod 644 "$T/opgdump.conf"
	check "-T output reads back (-n)" "$T/bin/csignd" -n -f \
		"$T/opgdump.conf"
	opg_conf_bad "    OpenPGPCreated 2026-01-01 00:00:00" "two words" \
		"OpenPGPCreated"
	opg_conf_bad "    OpenPGPCreated 2026-02-30T00:00:00Z" "no 30 February" \
		"bad OpenPGPCreated"
	opg_conf_bad "    OpenPGPCreated 2026-01-01T00:00:00+01:00" "not UTC" \
		"bad OpenPGPCreated"
	opg_conf_bad "    OpenPGPCreated 2200-01-01T00:00:00Z" "past 2106" \
		"bad OpenPGPCreated"
	opg_conf_bad "    OpenPGPUserID \"tab	inside\"" "a control character" \
		"bad OpenPGPUserID"
	opg_conf_bad "    Formats raw cms openpgp" "openpgp without an identity" \
		"has no OpenPGPCreated"
	opg_conf_bad "    OpenPGPCreated 2026-01-01T00:00:00Z
    Formats raw openpgp" "openpgp without a user ID" "has no OpenPGPUserID"
}


# opg_pl_daemon: a csignd of its own on the OpenPGP config whose token
# answers 150 ms late (tests/tools/p11fault.c, faults from the files in
# $T/opgpl.faults), two signing threads; pid in OPGPL_PID.
opg_pl_daemon() {
	cp "$build/test/p11fault.so" "$T/bin/p11fault.so" &&
		chmod 755 "$T/bin/p11fault.so" || return 1
	mkdir -p "$T/opgpl.faults"
	rm -f "$T/opgpl.faults/csign" "$T/opgpl.sock"
	sed -e "s|^Listen .*|Listen $T/opgpl.sock\nSignWorkers 2|" \
	    -e "/^PesignListen /d" -e "s|^AuditLog .*|AuditLog $T/opgpl.jsonl|" \
	    -e "s|Module /usr/lib/softhsm/libsofthsm2.so|Module $T/bin/p11fault.so|" \
	    "$T/opg.conf" > "$T/opgpl.conf"
	it_spawn_csignd "$T/opgpl.conf" "$T/opgpl.sock" "$T/opgpl.log" \
	    "env P11FAULT_DIR=$T/opgpl.faults P11FAULT_DELAY_MS=150 P11FAULT_MODULE=/usr/lib/softhsm/libsofthsm2.so" ||
		return 1
	OPGPL_PID=$SPAWNED
}

# opg_pl_sign ARGS...: csign-client sign -k ec --jobs 1 as alice against
# the 150 ms daemon (ARGS name the format).
opg_pl_sign() {
	(cd "$T/home/$ALICE" && runuser -u "$ALICE" -- "$T/bin/csign-client" \
		-S "$T/opgpl.sock" sign -k ec --jobs 1 "$@")
}

# opg_pl_batch WHAT ARGS...: sign $pl_list with ARGS; the session had two
# at the token (pl_two, pipeline.sh).
opg_pl_batch() {
	what=$1
	shift
	pl_two "$T/opgpl.log" "$what: 6 files over one connection" \
		opg_pl_sign "$@" $pl_list
}

# opg_pl_state FILE: signed (FILE.sig verifies with gpgv), corrupt (it
# does not) or untouched (no FILE.sig).
opg_pl_state() {
	if [ ! -e "$1.sig" ]; then echo untouched
	elif gpgv --keyring "$O/ec.gpg" "$1.sig" "$1" > /dev/null 2>&1; then
		echo signed
	else echo corrupt; fi
}

t_openpgp_batch() {
	begin "openpgp: a batch's signatures two at a time, each verified by gpgv"
	# (detached binary and armoured, cleartext)
	opg_setup || { fail "csignd with OpenPGP keys does not start"; return; }
	[ -s "$O/ec.gpg" ] || check "ec: cert --openpgp" opg_keyring ec
	check "csignd with a 150 ms token starts" opg_pl_daemon ||
		{ opg_stop; return; }
	a=$T/home/$ALICE
	pl_files opb 9000 # (pipeline.sh)
	for armor in "" --armor; do
		rm -f "$a"/opb?.bin.sig
		opg_pl_batch "${armor:-binary}" -f openpgp $armor
		bad=""
		for f in $pl_list; do
			[ "$(opg_pl_state "$a/$f")" = signed ] || bad="$bad $f"
		done
		[ -z "$bad" ] && ok || fail "${armor:-binary}: gpgv refuses:$bad"
	done
	# Cleartext signatures: gpgv gives back each text as it was.
	for f in $pl_list; do
		head -c 20000 /dev/urandom | base64 > "$a/$f"
	done
	rm -f "$a"/opb?.bin.asc
	opg_pl_batch cleartext -f openpgp-clear
	bad=""
	for f in $pl_list; do
		rm -f "$O/$f.text"
		gpgv --keyring "$O/ec.gpg" -o "$O/$f.text" "$a/$f.asc" \
			> /dev/null 2>&1 && cmp -s "$O/$f.text" "$a/$f" ||
			bad="$bad $f"
	done
	[ -z "$bad" ] && ok || fail "cleartext: gpgv refuses or changes:$bad"
	# The token corrupts a signature mid-batch: refused, no output for
	# that file; those before it are signed, none has a bad signature.
	rm -f "$a"/opb?.bin.sig
	echo "wrong nth=3 times=1" > "$T/opgpl.faults/csign"
	expect_rc 1 "a corrupted signature fails the batch" \
		opg_pl_sign -f openpgp $pl_list
	rm -f "$T/opgpl.faults/csign"
	expect_grep "does not verify with the key's certificate" "$T/rc.out" \
		"the bad signature is refused"
	pl_after_bad 'opb[0-9]\.bin' opg_pl_state signature
	it_stop "$OPGPL_PID"
	opg_stop
}

CASES="$CASES t_openpgp_config t_openpgp_detached t_openpgp_clear t_openpgp_rpm"
CASES="$CASES t_openpgp_batch"
