# Modules signed in place by appending (issue 14, client/inplace.h),
# sourced by run.sh: the module keeps its inode, mode and extended
# attributes and ends up with sign-file's bytes; a module that cannot be
# appended to (a second hard link, a symbolic link, no write permission,
# --atomic) is written anew and renamed as before; the daemon refuses
# in-place requests that do not fit, and the append is made durable
# once per batch.  Uses mod_build, mod_copy and mod_m (module.sh) and
# spy_sign (batch.sh).

# inode FILE
inode() { stat -c %i "$1"; }

t_module_inplace() {
	begin "module in place: appended, same inode, sign-file's bytes"
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return
	fi
	mod_m
	a=$T/home/$ALICE
	ref=$T/ref.kmod.sha256.ko
	mod_copy ip1.ko
	chmod 640 "$a/ip1.ko"
	setfattr -n user.csign -v kept "$a/ip1.ko"
	i0=$(inode "$a/ip1.ko")
	check "one module in place" as $ALICE sign -k kmod -f module \
		-d sha256 ip1.ko
	check "sign-file's bytes" cmp "$a/ip1.ko" "$ref"
	[ "$(inode "$a/ip1.ko")" = "$i0" ] && ok ||
		fail "the module was replaced, not appended to"
	[ "$(stat -c %a "$a/ip1.ko")" = 640 ] && ok || fail "mode lost"
	[ "$(getfattr --only-values -n user.csign "$a/ip1.ko" 2>/dev/null)" = kept ] &&
		ok || fail "extended attribute lost"
	expect_audit_digest "$T/mod/hello.ko" kmod ip1.ko sha256
	# A batch: every module appended to, none replaced.
	list="" inos=""
	for i in 1 2 3 4 5 6; do
		mod_copy "ipb$i.ko"
		list="$list ipb$i.ko"
		inos="$inos $(inode "$a/ipb$i.ko")"
	done
	check "6 modules in place" as $ALICE sign -k kmod -f module \
		-d sha256 --jobs 2 $list
	bad=0 after=""
	for i in 1 2 3 4 5 6; do
		cmp -s "$a/ipb$i.ko" "$ref" || bad=$((bad + 1))
		after="$after $(inode "$a/ipb$i.ko")"
	done
	[ $bad -eq 0 ] && ok || fail "$bad modules not sign-file's"
	[ "$after" = "$inos" ] && ok || fail "inodes $inos became $after"
	ls "$a" | grep -q '^ipb.*\.ko\.' && fail "a temporary file was left" || ok
}

t_module_inplace_fallback() {
	begin "module in place: written anew where appending does not fit"
	if ! mod_build; then
		fail "cannot build the test module"
		return
	fi
	mod_m
	a=$T/home/$ALICE
	ref=$T/ref.kmod.sha256.ko
	# --atomic: a new file renamed over the module.
	mod_copy ipa.ko
	i0=$(inode "$a/ipa.ko")
	check "--atomic" as $ALICE sign -k kmod -f module -d sha256 --atomic \
		ipa.ko
	check "--atomic: sign-file's bytes" cmp "$a/ipa.ko" "$ref"
	[ "$(inode "$a/ipa.ko")" != "$i0" ] && ok ||
		fail "--atomic appended instead of renaming"
	# A second hard link keeps the unsigned module, as a rename leaves it.
	mod_copy iph.ko
	ln -f "$a/iph.ko" "$a/iph-link.ko"
	check "a hard-linked module" as $ALICE sign -k kmod -f module \
		-d sha256 iph.ko
	check "hard link: the name signed" cmp "$a/iph.ko" "$ref"
	check "hard link: the other name untouched" cmp "$a/iph-link.ko" \
		"$T/mod/hello.ko"
	# A symbolic link is not written through.
	mod_copy ips-target.ko
	ln -sf ips-target.ko "$a/ips.ko"
	check "a module named by a symbolic link" as $ALICE sign -k kmod \
		-f module -d sha256 ips.ko
	check "symlink: the name signed" cmp "$a/ips.ko" "$ref"
	check "symlink: its target untouched" cmp "$a/ips-target.ko" \
		"$T/mod/hello.ko"
	# No write permission on the module, but on its directory.
	mod_copy ipr.ko
	chmod 444 "$a/ipr.ko"
	check "a read-only module" as $ALICE sign -k kmod -f module -d sha256 \
		ipr.ko
	check "read-only: sign-file's bytes" cmp "$a/ipr.ko" "$ref"
	[ "$(stat -c %a "$a/ipr.ko")" = 444 ] && ok || fail "read-only: mode lost"
	# A compressed module is compressed again, not appended to.
	mod_copy ipx.ko
	xz -f "$a/ipx.ko" && chown "$ALICE" "$a/ipx.ko.xz"
	check "a compressed module" as $ALICE sign -k kmod -f module \
		-d sha256 ipx.ko.xz
	xz -dc "$a/ipx.ko.xz" > "$T/ipx.ko" 2>/dev/null
	check "compressed: sign-file's bytes inside" cmp "$T/ipx.ko" "$ref"
}

t_module_inplace_refused() {
	begin "module in place: the daemon refuses what does not fit"
	if ! mod_build; then
		fail "cannot build the test module"
		return
	fi
	mod_m
	a=$T/home/$ALICE
	echo "not a module" > "$a/ipq.txt"
	chown "$ALICE" "$a/ipq.txt"
	before=$(sign_records)
	expect_rc 2 "in place for cms" runuser -u "$ALICE" -- \
		"$T/bin/rawclient" "$T/csignd.sock" inplace ec cms "$a/ipq.txt"
	expect_grep "in-place signing applies to a module" "$T/rc.out" \
		"the refusal says why"
	check "the file is untouched" test "$(cat "$a/ipq.txt")" = "not a module"
	# Signed already: refused before the token signs, left as it was.
	cp "$T/ref.kmod.sha256.ko" "$a/ipd.ko" && chown "$ALICE" "$a/ipd.ko"
	expect_rc 3 "in place, signed already" runuser -u "$ALICE" -- \
		"$T/bin/rawclient" "$T/csignd.sock" inplace kmod module "$a/ipd.ko"
	expect_grep "already carries a signature" "$T/rc.out" "the refusal says why"
	check "the signed module is untouched" cmp "$a/ipd.ko" \
		"$T/ref.kmod.sha256.ko"
	[ "$(sign_records)" -eq "$before" ] && ok ||
		fail "a refused request was signed"
	# The raw request does what the client does.
	mod_copy ipw.ko
	expect_rc 0 "in place by the raw protocol" runuser -u "$ALICE" -- \
		"$T/bin/rawclient" "$T/csignd.sock" inplace kmod module "$a/ipw.ko"
	check "raw: sign-file's bytes" cmp "$a/ipw.ko" "$T/ref.kmod.sha256.ko"
}

t_module_inplace_sync() {
	begin "module in place: appends made durable once per batch"
	if ! mod_build; then
		fail "cannot build the test module"
		return
	fi
	cp "$build/test/syncspy.so" "$T/bin/syncspy.so" &&
		chmod 755 "$T/bin/syncspy.so" || {
		fail "no syncspy.so in $build/test"
		return
	}
	a=$T/home/$ALICE
	rm -f "$T/ips.2" "$T/ips.12" "$T/ips.1"
	: > "$T/ips.2" && : > "$T/ips.12" && : > "$T/ips.1"
	chmod 666 "$T/ips.2" "$T/ips.12" "$T/ips.1"
	for n in 1 2 12; do
		list=""
		for i in $(seq $n); do
			mod_copy "ipy$n-$i.ko"
			list="$list ipy$n-$i.ko"
		done
		check "$n modules under the spy" spy_sign "$T/ips.$n" \
			/nonexistent -k kmod -f module -d sha256 $list
	done
	s2=$(grep -c '^sync' "$T/ips.2")
	s12=$(grep -c '^sync' "$T/ips.12")
	echo "    client syncs: $s2 for 2 modules, $s12 for 12"
	[ "$s2" -ge 1 ] && ok || fail "no sync of the appended modules"
	[ "$s12" -eq "$s2" ] && ok ||
		fail "syncs grow with the modules: $s2 for 2, $s12 for 12"
	grep -q '^sync .* fdatasync$' "$T/ips.1" && ok ||
		fail "one module: its append is not synced"
}

CASES="$CASES t_module_inplace t_module_inplace_fallback
t_module_inplace_refused t_module_inplace_sync"
