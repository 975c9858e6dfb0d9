# Inline transfers: where descriptors do not travel (a socket forwarded by
# OpenSSH), csign-client sends the artifact in F_DATA frames and receives
# the daemon-written output the same way.  CSIGN_INLINE=1 forces that mode
# on the local socket; every format must give the same verified results.

t_inline_formats() {
	begin "inline transfers (no descriptors): raw, cms, ima, module, pe"
	a=$T/home/$ALICE
	head -c 300000 /dev/urandom > "$a/in.bin"
	chmod 644 "$a/in.bin"
	ai() { (cd "$a" && runuser -u $ALICE -- env CSIGN_INLINE=1 \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" "$@"); }
	check "raw, inline" ai sign -k rsa -f raw -o in.raw in.bin
	check "raw verifies" raw_ok "$T/rsa2048.pub" sha256 "$a/in.raw" \
		"$a/in.bin"
	check "cms, inline" ai sign -k ec -f cms -o in.p7s in.bin
	check "cms verifies" cms_ok "$a/in.p7s" "$a/in.bin" DER
	check "ima, inline" ai sign -k ima-rsa -f ima -o in.ima in.bin
	check "same bytes as with descriptors" as $ALICE sign -k ima-rsa \
		-f ima -o in2.ima in.bin
	check "ima outputs equal" cmp "$a/in.ima" "$a/in2.ima"
	if mod_build; then
		mod_copy in.ko
		check "module, inline" ai sign -k kmod -f module -o in.signed.ko \
			in.ko
		check "module output equals the descriptor path's" as $ALICE \
			sign -k kmod -f module -o in2.signed.ko in.ko
		check "module outputs equal" cmp "$a/in.signed.ko" \
			"$a/in2.signed.ko"
	else
		fail "cannot build the test module"
	fi
	cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi "$a/in.efi"
	chmod 644 "$a/in.efi"
	check "pe, inline" ai sign -k efi -f pe -o in.efi.signed in.efi
	check "pe verifies" osslsigncode verify -CAfile "$T/ca.crt" \
		-in "$a/in.efi.signed"
	expect_rc 2 "standard input cannot go inline" sh -c \
		"echo x | (cd '$a' && runuser -u $ALICE -- env CSIGN_INLINE=1 \
		CSIGN_SOCKET='$T/csignd.sock' '$T/bin/csign-client' sign -k rsa \
		-f raw -o x.sig -)"
	expect_rc 3 "a denied inline request" sh -c \
		"cd '$T/home/$BOB' && echo y > y.bin && runuser -u $BOB -- env \
		CSIGN_INLINE=1 CSIGN_SOCKET='$T/csignd.sock' \
		'$T/bin/csign-client' sign -k rsa -f raw -o y.sig y.bin"
	check "the next client is served" as $ALICE sign -k ec -f raw \
		-o in3.sig in.bin
}
CASES="$CASES t_inline_formats"
