# Compressed kernel modules (-f module on .ko.xz, .ko.zst, .ko.gz), sourced
# by run.sh.  The signature goes on the uncompressed ELF: decompressing
# csign's output must give exactly what sign-file writes for the
# uncompressed module, the output must stay in its compression format and
# pass that tool's own integrity test, and bombs and corrupt streams are
# refused with exit 5.  Uses mod_build and mod_reference (module.sh).

# Compress the test module as the kernel's modules_install does.
cmod_make() {
	src=$T/mod/hello.ko
	xz --check=crc32 --lzma2=dict=1MiB -c "$src" > "$T/cmod/hello.ko.xz" &&
	zstd -q -c "$src" > "$T/cmod/hello.ko.zst" &&
	gzip -n -c "$src" > "$T/cmod/hello.ko.gz"
}

# Copy $T/cmod/$1 into alice's directory as $2.
cmod_copy() {
	cp "$T/cmod/$1" "$T/home/$ALICE/$2"
	chown "$ALICE" "$T/home/$ALICE/$2"
}

t_module_compressed() {
	begin "module: .ko.xz, .ko.zst, .ko.gz signed inside the compression"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	mkdir -p "$T/cmod"
	cmod_make || { fail "cannot compress the test module"; return; }
	a=$T/home/$ALICE
	mod_reference "$T/kmod.key" "$T/kmod.crt" sha256 "$T/cmod/ref.ko"
	mdig=$(sha256sum < "$T/mod/hello.ko" | cut -d" " -f1)
	for spec in xz:"xz -dc":"xz -t" zst:"zstd -dc":"zstd -tq" \
	    gz:"gzip -dc":"gzip -t"; do
		IFS=: read -r ext dec tst <<EOF2
$spec
EOF2
		cmod_copy "hello.ko.$ext" "c.ko.$ext"
		check "sign .ko.$ext in place" as $ALICE sign -k kmod \
			-f module "c.ko.$ext"
		check ".ko.$ext passes its own integrity test" $tst \
			"$a/c.ko.$ext"
		$dec "$a/c.ko.$ext" > "$T/cmod/c.$ext.ko" 2>/dev/null
		check ".ko.$ext decompresses to sign-file's bytes" cmp \
			"$T/cmod/c.$ext.ko" "$T/cmod/ref.ko"
		expect_grep_soon "\"event\":\"sign\".*\"artifact\":\"c.ko.$ext\".*\"digest\":\"$mdig\"" \
			"$T/audit.jsonl" ".ko.$ext: the uncompressed module's digest is audited"
		expect_rc 5 ".ko.$ext already signed: refused" as $ALICE sign \
			-k kmod -f module -o "again.ko.$ext" "c.ko.$ext"
		expect_grep "already carries a signature" "$T/rc.out" \
			".ko.$ext: says why"
		check ".ko.$ext --replace" as $ALICE sign -k kmod -f module \
			--replace -o "again.ko.$ext" "c.ko.$ext"
		$dec "$a/again.ko.$ext" > "$T/cmod/again.$ext.ko" 2>/dev/null
		check ".ko.$ext re-signed = a fresh signature" cmp \
			"$T/cmod/again.$ext.ko" "$T/cmod/ref.ko"
	done
	# xz is written with the kernel's settings: CRC32 check.
	xz --robot -lv "$a/c.ko.xz" > "$T/cmod/xzlist" 2>&1
	expect_grep "CRC32" "$T/cmod/xzlist" ".ko.xz: CRC32 check, as modules_install"

	# A bomb: 64 MiB of zeros in a few KiB.
	head -c 64M /dev/zero | xz -0 -c > "$a/bomb.ko.xz"
	chown "$ALICE" "$a/bomb.ko.xz"
	expect_rc 5 "decompression bomb refused" as $ALICE sign -k kmod \
		-f module -o bomb.out bomb.ko.xz
	expect_grep "decompression bomb" "$T/rc.out" "says it is a bomb"
	check "bomb: nothing written" test ! -s "$a/bomb.out"
	# Corrupt and truncated streams.
	head -c 2000 "$T/cmod/hello.ko.zst" > "$a/cut.ko.zst"
	cp "$T/cmod/hello.ko.gz" "$a/bad.ko.gz"
	printf 'XXXXXXXX' | dd of="$a/bad.ko.gz" bs=1 seek=100 conv=notrunc \
		2>/dev/null
	chown "$ALICE" "$a/cut.ko.zst" "$a/bad.ko.gz"
	expect_rc 5 "truncated zstd refused" as $ALICE sign -k kmod -f module \
		-o cut.out cut.ko.zst
	expect_rc 5 "corrupt gzip refused" as $ALICE sign -k kmod -f module \
		-o bad.out bad.ko.gz
	# On a pipe there is no size to bound the decompression by: the
	# client refuses it and says to give the module as a file.
	expect_rc 5 "compressed module on a pipe refused" sh -c \
		"cat '$T/cmod/hello.ko.zst' | (cd '$a' && runuser -u $ALICE -- env \
		CSIGN_SOCKET='$T/csignd.sock' '$T/bin/csign-client' sign -k kmod \
		-f module -o pipe.out -)"
	expect_grep "must be a regular file, not a pipe" "$T/rc.out" \
		"pipe: says what to do"
	check "the daemon still serves" as $ALICE keys
}

CASES="$CASES t_module_compressed"
