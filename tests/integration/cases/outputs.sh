# Outputs that are not regular files (issue 12), sourced by run.sh: -o
# naming /dev/null, a device node or a FIFO writes through it, and never
# renames a temporary file over it (which, for a root client, would have
# replaced /dev/null itself).

t_output_special() {
	begin "-o a device or a FIFO: written through, never replaced"
	a=$T/home/$ALICE
	head -c 1000 /dev/urandom > "$a/os.bin"
	chown "$ALICE" "$a/os.bin"
	check "raw -o /dev/null" as $ALICE sign -k ec -f raw -o /dev/null os.bin
	check "cert -o /dev/null" as $ALICE cert -o /dev/null ec
	[ -c /dev/null ] && ok || fail "/dev/null is no longer a device"
	# The same danger without a root client: a device node alice may write.
	rm -f "$a/null"
	mknod "$a/null" c 1 3 && chmod 666 "$a/null"
	check "raw -o a device node" as $ALICE sign -k ec -f raw -o null os.bin
	[ -c "$a/null" ] && ok || fail "the device node was replaced by a file"
	ls "$a" | grep -q '^null\.' && fail "a temporary file was left" || ok
	# A FIFO carries the signature.
	rm -f "$a/os.fifo"
	mkfifo "$a/os.fifo" && chown "$ALICE" "$a/os.fifo"
	cat "$a/os.fifo" > "$T/os.fifo.sig" &
	reader=$!
	check "raw -o a FIFO" as $ALICE sign -k ec -f raw -o os.fifo os.bin
	wait "$reader"
	check "the FIFO carried the signature" raw_ok "$T/p256.pub" sha256 \
		"$T/os.fifo.sig" "$a/os.bin"
	[ -p "$a/os.fifo" ] && ok || fail "the FIFO was replaced by a file"
	# An artifact-writing format into /dev/null.
	if mod_build; then
		mod_copy os.ko
		check "module -o /dev/null" as $ALICE sign -k kmod -f module \
			-o /dev/null os.ko
		check "the module is untouched" cmp "$a/os.ko" "$T/mod/hello.ko"
	fi
}

CASES="$CASES t_output_special"
