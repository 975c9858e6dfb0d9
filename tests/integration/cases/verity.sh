# dm-verity root hash signatures (-f verity), sourced by run.sh.
#
# The root hash comes from `veritysetup format` on a small image file.
# The output must be exactly what `openssl cms -sign -nocerts -noattr
# -binary` makes over the bare hex root hash with the key file (what
# systemd-repart and `veritysetup --root-hash-signature` use), whether the
# root hash comes from a file (with or without its newline) or a pipe.

t_verity() {
	begin "verity: PKCS#7 over the root hash as openssl cms makes it"
	a=$T/home/$ALICE
	mkdir -p "$T/verity"
	# A real root hash: veritysetup format on a small image (plain files,
	# no loop device), and veritysetup verify agrees it is the image's.
	head -c 262144 /dev/urandom > "$T/verity/data.img"
	: > "$T/verity/hash.img"
	veritysetup format "$T/verity/data.img" "$T/verity/hash.img" \
		> "$T/verity/format.out" 2>&1
	rh=$(awk '/^Root hash:/ { print $3 }' "$T/verity/format.out")
	check "veritysetup format gave a root hash" test ${#rh} -eq 64
	check "veritysetup verify: the image's root hash" veritysetup verify \
		"$T/verity/data.img" "$T/verity/hash.img" "$rh"
	printf '%s' "$rh" > "$T/verity/roothash"
	printf '%s\n' "$rh" > "$a/roothash.txt"
	chown "$ALICE" "$a/roothash.txt"
	openssl cms -sign -nocerts -noattr -binary -outform DER -md sha256 \
		-in "$T/verity/roothash" -signer "$T/kmod.crt" \
		-inkey "$T/kmod.key" -out "$T/verity/ref.p7s"
	check "sign a root hash file" as $ALICE sign -k kmod -f verity \
		-o roothash.p7s roothash.txt
	check "= openssl cms -sign -nocerts -noattr" cmp "$a/roothash.p7s" \
		"$T/verity/ref.p7s"
	check "openssl cms -verify accepts it" openssl cms -verify -binary \
		-inform DER -in "$a/roothash.p7s" -content "$T/verity/roothash" \
		-certfile "$T/kmod.crt" -CAfile "$T/ca.crt" -purpose any \
		-out /dev/null
	openssl cms -cmsout -print -inform DER -in "$a/roothash.p7s" \
		> "$T/verity/print" 2>&1
	check "no certificates" grep -A1 -q "certificates:" "$T/verity/print"
	grep -A1 "certificates:" "$T/verity/print" | tail -1 > "$T/verity/certs"
	expect_grep "<ABSENT>" "$T/verity/certs" "certificates absent"
	grep -A1 "signedAttrs:" "$T/verity/print" | tail -1 > "$T/verity/attrs"
	expect_grep "<ABSENT>" "$T/verity/attrs" "signed attributes absent"
	want=$(printf '%s' "$rh" | sha256sum | cut -d' ' -f1)
	expect_grep_soon "\"format\":\"verity\".*\"digest\":\"$want\"" \
		"$T/audit.jsonl" "the signed hex text's digest is audited"
	# From a pipe, without the newline.
	(cd "$a" && printf '%s' "$rh" | runuser -u "$ALICE" -- env \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" sign \
		-k kmod -f verity -o piped.p7s -) > "$T/verity/pipe.out" 2>&1
	check "from a pipe: the same bytes" cmp "$a/piped.p7s" \
		"$T/verity/ref.p7s"
	# Not a root hash.
	printf '%s\n' "$(echo "$rh" | tr a-f A-F)" > "$a/upper.txt"
	printf 'abcd\n' > "$a/short.txt"
	head -c 64 /dev/urandom > "$a/binary.txt"
	printf '%s\n\n' "$rh" > "$a/twonl.txt"
	chown "$ALICE" "$a/upper.txt" "$a/short.txt" "$a/binary.txt" \
		"$a/twonl.txt"
	for f in upper short binary twonl; do
		expect_rc 5 "$f: refused" as $ALICE sign -k kmod -f verity \
			-o "$f.p7s" "$f.txt"
		expect_grep "not a dm-verity root hash" "$T/rc.out" "$f: says why"
	done
	expect_rc 1 "--pem refused" as $ALICE sign -k kmod -f verity --pem \
		-o pem.p7s roothash.txt
	expect_grep "does not apply to verity" "$T/rc.out" "--pem: says why"
	expect_rc 3 "a key without verity" as $ALICE sign -k efi -f verity \
		-o efi.p7s roothash.txt
}

CASES="$CASES t_verity"
