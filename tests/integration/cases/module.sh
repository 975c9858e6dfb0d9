# Kernel module signatures (-f module), sourced by run.sh.
#
# A real out-of-tree module is built once per run against Debian's kernel
# headers; csign's output must be byte-for-byte what the kernel's own
# sign-file writes with the key file that was imported into the token,
# modinfo must read the signature, and malformed modules (generated here)
# must be refused with exit 5 and a message naming the field at fault.

SIGN_FILE=/usr/lib/linux-kbuild-6.1/scripts/sign-file
MOD_BUILT=""

# Build hello.ko into $T/mod once; 1 if the toolchain or headers are missing.
mod_build() {
	[ -n "$MOD_BUILT" ] && return "$MOD_BUILT"
	MOD_BUILT=1
	kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | tail -1)
	[ -n "$kdir" ] && [ -x "$SIGN_FILE" ] || return 1
	mkdir -p "$T/mod"
	cat > "$T/mod/hello.c" <<'EOF'
#include <linux/init.h>
#include <linux/module.h>
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("csign integration test module");
static int __init hello_init(void) { return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
EOF
	echo 'obj-m := hello.o' > "$T/mod/Kbuild"
	make -C "$kdir" M="$T/mod" modules > "$T/mod/build.log" 2>&1 ||
		return 1
	# A plain object file: ELF ET_REL, but no .modinfo.
	printf 'int f(void) { return 1; }\n' > "$T/mod/plain.c"
	gcc -c -o "$T/mod/plain.o" "$T/mod/plain.c" || return 1
	chmod 644 "$T/mod/hello.ko" "$T/mod/plain.o"
	MOD_BUILT=0
}

# Copy the module into alice's directory as $1.
mod_copy() {
	cp "$T/mod/hello.ko" "$T/home/$ALICE/$1"
	chown "$ALICE" "$T/home/$ALICE/$1"
}

# m.ko in alice's directory and sign-file's kmod sha256 signature of it
# in $T/ref.kmod.sha256.ko, for the cases that sign m.ko.
mod_m() {
	[ -f "$T/home/$ALICE/m.ko" ] || mod_copy m.ko
	[ -f "$T/ref.kmod.sha256.ko" ] || mod_reference "$T/kmod.key" \
		"$T/kmod.crt" sha256 "$T/ref.kmod.sha256.ko"
}

# sign-file's output for key file $1, cert $2, digest $3 into $4 [-k].
mod_reference() {
	cp "$T/mod/hello.ko" "$4"
	if [ "${5:-}" = keyid ]; then
		"$SIGN_FILE" -k "$3" "$1" "$2" "$4"
	else
		"$SIGN_FILE" "$3" "$1" "$2" "$4"
	fi
}

# The certificate's serial as modinfo prints it (10:01).
cert_serial() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' |
		sed 's/../&:/g; s/:$//'
}

t_module_sign_file_identity() {
	begin "module: byte-identical to sign-file for RSA-2048 and RSA-4096"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	a=$T/home/$ALICE
	mod_copy m.ko
	for spec in kmod:kmod:sha256 kmod:kmod:sha384 \
	    kmod:kmod:sha512 kmod4096:rsa4096:sha256 \
	    kmod4096:rsa4096:sha512; do
		IFS=: read -r key label dig <<EOF2
$spec
EOF2
		check "sign $key $dig" as $ALICE sign -k "$key" -f module \
			-d "$dig" -o "m.$key.$dig.ko" m.ko
		mod_reference "$T/$label.key" "$T/$label.crt" "$dig" \
			"$T/ref.$key.$dig.ko"
		check "cmp with sign-file ($key $dig)" cmp \
			"$a/m.$key.$dig.ko" "$T/ref.$key.$dig.ko"
		# module.c audits the digest of the module bytes it signs:
		# the module without any signature (here it has none).
		expect_audit_digest "$T/mod/hello.ko" "$key" m.ko "$dig"
	done
	check "sign --keyid" as $ALICE sign -k kmod -f module --keyid \
		-o m.keyid.ko m.ko
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha256 \
		"$T/ref.keyid.ko" keyid
	check "cmp with sign-file -k" cmp "$a/m.keyid.ko" "$T/ref.keyid.ko"
	mod_copy inplace.ko
	check "sign in place (no -o)" as $ALICE sign -k kmod -f module \
		inplace.ko
	check "in-place result is sign-file's" cmp "$a/inplace.ko" \
		"$T/ref.kmod.sha256.ko"
	check "the module is unchanged" cmp "$a/m.ko" "$T/mod/hello.ko"
	expect_audit_digest "$T/mod/hello.ko" kmod inplace.ko sha256
}

t_module_modinfo() {
	begin "module: modinfo shows signer, sig_key and sig_hashalgo"
	mod_build || { fail "no test module"; return; }
	a=$T/home/$ALICE
	mod_m
	for spec in kmod:kmod:sha256 kmod4096:rsa4096:sha512; do
		IFS=: read -r key label dig <<EOF2
$spec
EOF2
		[ -f "$a/m.$key.$dig.ko" ] || as $ALICE sign -k "$key" \
			-f module -d "$dig" -o "m.$key.$dig.ko" m.ko
		modinfo "$a/m.$key.$dig.ko" > "$T/modinfo.$key.out" 2>&1
		# The signer is named by issuer and serial: modinfo shows
		# the issuer's CN (the certificate's own for a self-signed one).
		cn=$(openssl x509 -in "$T/$label.crt" -noout -issuer \
			-nameopt multiline | sed -n 's/^ *commonName *= //p')
		expect_grep "^signer: +$cn\$" "$T/modinfo.$key.out" \
			"signer is the issuer's CN ($key)"
		expect_grep "^sig_key: +$(cert_serial "$T/$label.crt")\$" \
			"$T/modinfo.$key.out" "sig_key is the serial ($key)"
		expect_grep "^sig_hashalgo: +$dig\$" "$T/modinfo.$key.out" \
			"sig_hashalgo ($key)"
		expect_grep "^sig_id: +PKCS#7\$" "$T/modinfo.$key.out" \
			"sig_id ($key)"
	done
}

t_module_replace() {
	begin "module: a signed module is refused, --replace re-signs it"
	mod_build || { fail "no test module"; return; }
	a=$T/home/$ALICE
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha256 "$a/signed.ko"
	chown "$ALICE" "$a/signed.ko"
	cp "$a/signed.ko" "$T/signed.orig"
	expect_rc 5 "already signed: refused" as $ALICE sign -k kmod \
		-f module signed.ko
	expect_grep "already carries a signature" "$T/rc.out" "says why"
	check "refused module left as it was" cmp "$a/signed.ko" \
		"$T/signed.orig"
	check "--replace" as $ALICE sign -k kmod -f module -d sha512 \
		--replace -o resigned.ko signed.ko
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha512 "$T/ref.r.ko"
	check "re-signed equals sign-file on the unsigned module" cmp \
		"$a/resigned.ko" "$T/ref.r.ko"
	want=$(sha512sum < "$T/mod/hello.ko" | cut -d' ' -f1)
	size=$(stat -c %s "$T/mod/hello.ko")
	expect_grep "\"format\":\"module\",\"artifact\":\"signed.ko\",\"size\":$size,\"digest_alg\":\"sha512\",\"digest\":\"$want\"" \
		"$T/audit.jsonl" "audit: size and digest exclude the old signature"
	# sign-file appends a second signature to a signed module.
	"$SIGN_FILE" sha384 "$T/rsa4096.key" "$T/rsa4096.crt" "$a/signed.ko"
	check "--replace strips both signatures" as $ALICE sign -k kmod \
		-f module -d sha512 --replace signed.ko
	check "in place, equals sign-file" cmp "$a/signed.ko" "$T/ref.r.ko"
	# Audited: the digest of the module without either signature.
	expect_audit_digest "$T/mod/hello.ko" kmod signed.ko sha512
	modinfo "$a/signed.ko" > "$T/modinfo.r.out" 2>&1
	expect_grep "^sig_hashalgo: +sha512\$" "$T/modinfo.r.out" \
		"modinfo reads the new signature"
}

t_module_refused_requests() {
	begin "module: keys not granted for module, and pipes, are refused"
	mod_build || { fail "no test module"; return; }
	a=$T/home/$ALICE
	mod_m
	expect_rc 3 "a cms key is refused for module" as $ALICE sign -k rsa \
		-f module -o x.ko m.ko
	expect_rc 3 "an ima key is refused for module" as $ALICE sign \
		-k ima-rsa -f module -o x.ko m.ko
	cat "$a/m.ko" | as $ALICE sign -k kmod -f module -o pipe.ko - \
		> "$T/pipe.out" 2>&1
	rc=$?
	[ $rc -eq 5 ] && ok || fail "module from a pipe: exit $rc, wanted 5"
	expect_grep "regular file" "$T/pipe.out" "pipe: says why"
}

# Write malformed module $1 (in alice's directory) made by python from
# hello.ko; $2 is the python code, with b the module's bytes (bytearray).
mod_mutate() {
	python3 - "$T/mod/hello.ko" "$T/home/$ALICE/$1" "$2" <<'EOF'
import struct, sys
src, dst, code = sys.argv[1:4]
b = bytearray(open(src, 'rb').read())
shoff, = struct.unpack_from('<Q', b, 40)
shnum, = struct.unpack_from('<H', b, 60)
def sh(i, off):		# offset of a section header field
    return shoff + 64 * i + off
def trailer(siglen, id_type=2):
    return (bytes([0, 0, id_type, 0, 0, 0, 0, 0]) + struct.pack('>I', siglen)
            + b'~Module signature appended~\n')
exec(code)
open(dst, 'wb').write(b)
EOF
}

# The malformed modules: name|python (b = hello.ko)|expected message.
MOD_BAD="empty|b = bytearray()|empty \\(0 bytes\\)
text|b = bytearray(b'#!/bin/sh\\necho not a module\\n')|e_ident: not an ELF file
xz-text|import lzma; b = bytearray(lzma.compress(b'#!/bin/sh\\necho not a module\\n'))|e_ident: not an ELF file
short|b = b[:10]|too short for an ELF header \\(e_ident\\)
cut-header|b = b[:40]|too short for an ELF64 header
bad-class|b[4] = 7|EI_CLASS 7
bad-data|b[5] = 9|EI_DATA 9
exec-type|struct.pack_into('<H', b, 16, 2)|e_type is 2 \\(ET_EXEC
shoff-past-eof|struct.pack_into('<Q', b, 40, len(b) + 4096)|e_shoff [0-9]+ is not between
shoff-huge|struct.pack_into('<Q', b, 40, 2**64 - 64)|e_shoff 18446744073709551552
shnum-huge|struct.pack_into('<H', b, 60, 65535)|e_shnum 65535 \\* e_shentsize 64\\) runs past the end
shnum-zero|struct.pack_into('<H', b, 60, 0)|e_shnum is 0
shentsize|struct.pack_into('<H', b, 58, 1)|e_shentsize is 1, not 64
shstrndx|struct.pack_into('<H', b, 62, shnum)|e_shstrndx [0-9]+ is not a section
sh-offset|struct.pack_into('<Q', b, sh(1, 24), 2**63)|section 1: sh_offset 9223372036854775808
sh-size|struct.pack_into('<Q', b, sh(1, 32), 2**64 - 1)|section 1: sh_offset [0-9]+ \\+ sh_size 18446744073709551615
sh-name|struct.pack_into('<I', b, sh(1, 0), 2**31)|section 1: sh_name 2147483648 is outside
truncated|b = b[:len(b) // 2]|e_shoff [0-9]+ is not between|section header table
trailer-too-long|b += b'0' * 16 + trailer(2**31 - 1)|sig_len 2147483647 exceeds
trailer-id-type|b += b'0' * 16 + trailer(16, 1)|id_type 1 is not PKEY_ID_PKCS7
trailer-signer-len|b += b'0' * 16 + trailer(16); b[-40 + 3] = 5|signer_len is 5
magic-only|b = bytearray(b'~Module signature appended~\\n')|too short for the trailer
nested|b += (b'0' * 16 + trailer(16)) * 5|more than 4 nested signatures"

t_module_malformed() {
	begin "module: malformed modules get exit 5 and name the field at fault"
	mod_build || { fail "no test module"; return; }
	a=$T/home/$ALICE
	mod_m
	while IFS='|' read -r name code msg; do
		mod_mutate "bad-$name.ko" "$code" || { fail "generate $name"; continue; }
		chown "$ALICE" "$a/bad-$name.ko"
		cp "$a/bad-$name.ko" "$T/bad.orig"
		expect_rc 5 "$name refused" as $ALICE sign -k kmod -f module \
			"bad-$name.ko"
		expect_grep "$msg" "$T/rc.out" "$name: message"
		check "$name: file left as it was" cmp "$a/bad-$name.ko" \
			"$T/bad.orig"
	done <<EOF2
$MOD_BAD
EOF2
	cp "$T/mod/plain.o" "$a/plain.o"
	expect_rc 5 "an object without .modinfo" as $ALICE sign -k kmod \
		-f module -o plain.signed plain.o
	expect_grep "no .modinfo section" "$T/rc.out" "plain.o: message"
	cp /bin/true "$a/true"
	expect_rc 5 "an executable" as $ALICE sign -k kmod -f module \
		-o true.signed true
	expect_grep "e_type is 3 \\(ET_DYN" "$T/rc.out" "true: message"
	truncate -s 4G "$a/sparse.ko"
	expect_rc 5 "a 4 GiB sparse file" as $ALICE sign -k kmod -f module \
		-o sparse.signed sparse.ko
	expect_grep "e_ident: not an ELF file" "$T/rc.out" "sparse: message"
	head -c 64 "$T/mod/hello.ko" > "$a/sparse-elf.ko"
	truncate -s 4G "$a/sparse-elf.ko"
	expect_rc 5 "a 4 GiB sparse file with an ELF header" as $ALICE sign \
		-k kmod -f module -o sparse.signed sparse-elf.ko
	expect_grep "is not SHT_STRTAB" "$T/rc.out" "sparse ELF: message"
	truncate -s 4294967297 "$a/sparse-big.ko"
	expect_rc 5 "over MaxArtifactSize" as $ALICE sign -k kmod -f module \
		-o sparse.signed sparse-big.ko
	expect_grep "MaxArtifactSize" "$T/rc.out" "over the limit: message"
	rm -f "$a"/sparse*.ko
	check "daemon still running" kill -0 "$DPID"
	check "next module is signed" as $ALICE sign -k kmod -f module \
		-o after.ko m.ko
	check "and is still sign-file's" cmp "$a/after.ko" \
		"$T/ref.kmod.sha256.ko"
}

CASES="$CASES t_module_sign_file_identity t_module_modinfo t_module_replace
t_module_refused_requests t_module_malformed"
