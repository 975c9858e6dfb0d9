# A second real token: a TPM 2.0 (swtpm) through tpm2-pkcs11, sourced by
# run.sh after module.sh, pe.sh and ima.sh (whose helpers it uses).
#
# The case starts its own software TPM (tests/lib/tpm.sh: swtpm, a private
# dbus, tpm2-abrmd, a tpm2-pkcs11 store in $T/tpm), provisions it with
# csign-admin (keygen RSA-3072 and P-256 on the TPM, CSR, certificate
# import to the token and to a file), adds two RSA-2048 keys made by
# tpm2_ptool itself (one used with PSS), starts a csignd of its own on that token and signs
# every format each key type allows, checked by the same independent
# verifiers as the SoftHSM cases: openssl (raw, cms, the module's PKCS#7),
# modinfo, sbverify and osslsigncode, evmctl.  Everything it started is
# stopped by pid at the end.

TPM_DIR=""

# csign-admin on the TPM configuration.
tpm_adm() { "$T/bin/csign-admin" -f "$T/tpm.conf" "$@"; }

# Issue a certificate for request $T/$1.csr into $T/$1.crt (the test CA).
tpm_issue() {
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-set_serial "$2" -days 365 -extfile "$T/leaf.ext" \
		-out "$T/$1.crt" 2>/dev/null && chmod 644 "$T/$1.crt"
}

# Verify the PKCS#7 appended to signed module $1 over the module's own
# bytes, with openssl (the kernel's format: PKCS#7 DER, a 12-byte
# struct module_signature ending in the big-endian signature length, and
# the magic string).
tpm_module_ok() {
	python3 - "$1" "$T/tpm-mod" <<'EOF' || return 1
import struct, sys
b = open(sys.argv[1], "rb").read()
magic = b"~Module signature appended~\n"
assert b.endswith(magic)
n = struct.unpack(">I", b[-len(magic) - 4:-len(magic)])[0]
end = len(b) - len(magic) - 12
open(sys.argv[2] + ".p7", "wb").write(b[end - n:end])
open(sys.argv[2] + ".body", "wb").write(b[:end - n])
EOF
	openssl cms -verify -binary -inform DER -in "$T/tpm-mod.p7" \
		-content "$T/tpm-mod.body" -certfile "$2" -CAfile "$T/ca.crt" \
		-purpose any -out /dev/null
}

# The configuration of the TPM's csignd.
tpm_config() {
	cat > "$T/tpm.conf" <<CONF
Listen $T/tpm.sock
SandboxUser $SANDBOX
SandboxProgram $T/bin/csign-sandbox
AuditLog $T/tpm-audit.jsonl
PoolSize 1
SessionTimeout 10

Token tpm0
    Module $TPM_MODULE
    TokenLabel $TPM_LABEL
    PinFile $TPM_PIN

Key tpm-rsa
    Token tpm0
    Label tpm-rsa
    Certificate $T/tpm-rsa.pem
    Formats raw cms module pe ima
    Digest sha256 sha384 sha512
Key tpm-ec
    Token tpm0
    Label tpm-ec
    Certificate token
    Chain $T/ca.crt
    Formats raw cms ima
Key tpm-pt
    Token tpm0
    Label tpm-pt
    Certificate $T/tpm-pt.crt
    Formats raw cms
Key tpm-pss
    Token tpm0
    Label tpm-pss
    Certificate $T/tpm-pss.crt
    Formats raw
    Padding pss

Allow group $IT_SIGNERS keys tpm-rsa tpm-ec tpm-pt tpm-pss
CONF
}

# Start the TPM and source its environment; 1 if it cannot run here.
tpm_up() {
	TPM_DIR=$T/tpm
	mkdir -p "$TPM_DIR"
	sh tests/lib/tpm.sh start "$TPM_DIR" > "$T/tpm-start.out" \
		2>"$T/tpm-start.err" || return 1
	TPM_MODULE=$(sed -n 's/^module //p' "$T/tpm-start.out")
	TPM_LABEL=$(sed -n 's/^label //p' "$T/tpm-start.out")
	TPM_PIN=$(sed -n 's/^pinfile //p' "$T/tpm-start.out")
	. "$TPM_DIR/tpm.env"
}

# Stop the TPM's csignd and the TPM, and forget its environment.
tpm_down() {
	if [ -n "${TPDPID:-}" ]; then
		kill -TERM "$TPDPID" 2>/dev/null
		wait "$TPDPID" 2>/dev/null
		TPDPID=""
	fi
	[ -n "$TPM_DIR" ] && sh tests/lib/tpm.sh stop "$TPM_DIR"
	unset DBUS_SESSION_BUS_ADDRESS TPM2TOOLS_TCTI TPM2_PKCS11_TCTI \
		TPM2_PKCS11_STORE
}

# Provision: two keys made by csign-admin, one by tpm2_ptool; requests,
# certificates, imports.
tpm_provision() {
	for k in tpm-rsa:rsa:3072 tpm-ec:ec:p256; do
		IFS=: read -r label kind bits <<EOF2
$k
EOF2
		check "keygen $kind:$bits on the TPM" tpm_adm keygen \
			--token tpm0 --label "$label" --type "$kind:$bits"
	done
	# swtpm makes RSA keys up to 3072 bits: the refusal says what.
	expect_rc 1 "keygen rsa:4096 is refused" tpm_adm keygen --token tpm0 \
		--label tpm-big --type rsa:4096
	expect_grep "the token does not make rsa:4096 keys" "$T/rc.out" \
		"and the message says why"
	for label in tpm-pt tpm-pss; do
		check "tpm2_ptool addkey rsa2048 $label" tpm2_ptool addkey \
			--label=csign --key-label=$label \
			--userpin="$(cat "$TPM_PIN")" --algorithm=rsa2048
	done
	tpm_adm keys --token tpm0 > "$T/tpm-keys.out" 2>&1
	expect_grep 'type +rsa-3072' "$T/tpm-keys.out" "keys lists the RSA key"
	expect_grep 'type +ec-p256' "$T/tpm-keys.out" "keys lists the EC key"
	expect_grep 'type +rsa-2048' "$T/tpm-keys.out" \
		"keys lists tpm2_ptool's key"
	serial=9100
	for label in tpm-rsa tpm-ec tpm-pt tpm-pss; do
		serial=$((serial + 1))
		check "csr for $label" tpm_adm csr --token tpm0 --key "$label" \
			--subject "/CN=csign tpm $label" -o "$T/$label.csr"
		check "the request's self-signature ($label)" openssl req \
			-in "$T/$label.csr" -verify -noout
		tpm_issue "$label" $serial || fail "issue $label"
	done
	check "import tpm-ec's certificate to the TPM" tpm_adm import-cert \
		--token tpm0 --key tpm-ec --to-token "$T/tpm-ec.crt"
	check "and again, replacing it" tpm_adm import-cert --token tpm0 \
		--key tpm-ec --to-token --replace "$T/tpm-ec.crt"
	check "import tpm-rsa's certificate to a file" tpm_adm import-cert \
		--token tpm0 --key tpm-rsa --chain "$T/ca.crt" \
		-o "$T/tpm-rsa.pem" "$T/tpm-rsa.crt"
	chmod 644 "$T/tpm-rsa.pem"
	expect_rc 5 "a certificate for another key is refused" tpm_adm \
		import-cert --token tpm0 --key tpm-ec -o "$T/x.pem" \
		"$T/tpm-rsa.crt"
	# One wrong PIN (the TPM's dictionary-attack counter allows 3).
	printf 'not-the-pin\n' > "$T/tpm-bad.pin"
	chmod 600 "$T/tpm-bad.pin"
	sed "s|PinFile .*|PinFile $T/tpm-bad.pin|" "$T/tpm.conf" \
		> "$T/tpm-bad.conf"
	expect_rc 1 "a wrong PIN is refused" "$T/bin/csign-admin" \
		-f "$T/tpm-bad.conf" keys --token tpm0
	expect_grep "login failed .*not retrying" "$T/rc.out" \
		"and reported as a refused login"
	for label in tpm-rsa tpm-ec tpm-pt tpm-pss; do
		openssl x509 -in "$T/$label.crt" -pubkey -noout > "$T/$label.pub"
	done
}

# As alice, against the TPM's csignd.
tas() { as $ALICE -S "$T/tpm.sock" "$@"; }

# raw and cms with each key, openssl verifies.
tpm_sign_raw_cms() {
	a=$T/home/$ALICE
	head -c 50000 /dev/urandom > "$a/tpm.bin"
	chmod 644 "$a/tpm.bin"
	for key in tpm-rsa tpm-ec tpm-pt; do
		check "raw $key" tas sign -k $key -f raw -o "tpm.$key.raw" \
			tpm.bin
		check "openssl verifies raw $key" raw_ok "$T/$key.pub" sha256 \
			"$a/tpm.$key.raw" "$a/tpm.bin"
		check "cms $key" tas sign -k $key -f cms -o "tpm.$key.p7s" \
			tpm.bin
		check "openssl cms -verify $key" cms_ok "$a/tpm.$key.p7s" \
			"$a/tpm.bin" DER
	done
	check "raw tpm-pss (RSA-PSS)" tas sign -k tpm-pss -f raw \
		-o tpm.pss.raw tpm.bin
	check "openssl verifies the PSS signature" raw_ok "$T/tpm-pss.pub" \
		sha256 "$a/tpm.pss.raw" "$a/tpm.bin" pss
	check "raw tpm-rsa sha512" tas sign -k tpm-rsa -f raw -d sha512 \
		-o tpm.512.raw tpm.bin
	check "openssl verifies it" raw_ok "$T/tpm-rsa.pub" sha512 \
		"$a/tpm.512.raw" "$a/tpm.bin"
}

# module (RSA): openssl verifies the PKCS#7, modinfo names the signer.
tpm_sign_module() {
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	a=$T/home/$ALICE
	mod_copy tpm.ko
	check "module tpm-rsa" tas sign -k tpm-rsa -f module -o tpm.s.ko tpm.ko
	check "the module's PKCS#7 verifies" tpm_module_ok "$a/tpm.s.ko" \
		"$T/tpm-rsa.crt"
	modinfo "$a/tpm.s.ko" > "$T/tpm-modinfo.out" 2>&1
	# The signer by issuer and serial, as module.sh checks it.
	expect_grep "^signer: +csign test CA\$" "$T/tpm-modinfo.out" \
		"modinfo names the issuer"
	expect_grep "^sig_key: +$(cert_serial "$T/tpm-rsa.crt")\$" \
		"$T/tpm-modinfo.out" "modinfo names the serial"
	expect_grep "^sig_hashalgo: +sha256\$" "$T/tpm-modinfo.out" \
		"modinfo reads the digest"
}

# pe (RSA): sbverify and osslsigncode accept it.
tpm_sign_pe() {
	if ! pe_build; then
		fail "cannot build the test images (see $T/pe/build.log)"
		return
	fi
	a=$T/home/$ALICE
	for img in hello.exe sdboot.efi; do
		pe_copy "$T/pe/$img" "tpm-$img"
		check "pe $img" tas sign -k tpm-rsa -f pe "tpm-$img"
		pe_check_both "$a/tpm-$img.signed" "tpm $img"
	done
}

# ima (RSA and EC): evmctl ima_verify accepts it.
tpm_sign_ima() {
	a=$T/home/$ALICE
	for key in tpm-rsa tpm-ec; do
		head -c 3000 /dev/urandom > "$a/tpm-ima.$key"
		chmod 644 "$a/tpm-ima.$key"
		check "ima $key" tas sign -k $key -f ima "tpm-ima.$key"
		check "evmctl ima_verify $key" ima_ok "$a/tpm-ima.$key" "$key"
	done
}

t_tpm_token() {
	begin "tpm: csign-admin provisions a TPM 2.0 (tpm2-pkcs11), csignd signs every format"
	if ! sh tests/lib/tpm.sh check 2>"$T/tpm-check.err"; then
		echo "tpm: SKIPPED, the TPM packages are missing" \
			"($(cat "$T/tpm-check.err"); run 'make deps' as root)"
		return
	fi
	cp "$build/csign-admin" "$T/bin/"
	if ! tpm_up; then
		fail "the software TPM did not start"
		sed 's/^/    /' "$T/tpm-start.err" >&2
		tpm_down
		return
	fi
	tpm_config
	tpm_provision
	if it_spawn_csignd "$T/tpm.conf" "$T/tpm.sock" "$T/tpm-csignd.log"
	then
		TPDPID=$SPAWNED
		ok
		tpm_sign_raw_cms
		tpm_sign_module
		tpm_sign_pe
		tpm_sign_ima
		expect_grep '"event":"sign".*"key":"tpm-ec"' \
			"$T/tpm-audit.jsonl" "the TPM's signatures are audited"
	else
		TPDPID=$SPAWNED
		fail "csignd did not start on the TPM"
	fi
	tpm_down
	for f in tpm-swtpm tpm-dbus tpm-abrmd; do
		[ ! -f "$TPM_DIR/$f.pid" ] && ok || fail "$f left running"
	done
}

CASES="$CASES t_tpm_token"
