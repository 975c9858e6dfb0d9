# PE/COFF Authenticode signatures (-f pe), sourced by run.sh.
#
# Test images are built once per run into $T/pe: PE32+ and PE32
# executables and a DLL with mingw-w64, systemd-boot's UEFI binary, and
# systemd-boot with bytes appended after its last section (odd length, so
# the signer pads).  Every signed output must pass `sbverify --cert` and
# `osslsigncode verify` (with a correct PE checksum), fresh, re-signed and
# appended; its image part and its SpcIndirectDataContent must be byte
# for byte sbsign's for the same key; a flipped byte must fail both tools;
# malformed images (generated here) get exit 5 and a message naming the
# field, and the daemon carries on.
#
# Facts about the verifiers these tests rely on (FORMATS-NOTES.md):
# sbverify accepts only SHA-256 image digests, so SHA-384/512 outputs are
# checked with osslsigncode; a Chain that ends in a self-signed root makes
# `sbverify --cert LEAF` fail (its callback forgives only a missing
# issuer), so sbverify is given the CA; osslsigncode refuses files with
# more than one WIN_CERTIFICATE and sbverify is fooled by them, so
# appended outputs are checked one entry at a time.

PE_BUILT=""
PE_IMAGES="hello.exe hello32.exe lib.dll sdboot.efi tail.efi"

# The helper that takes images apart: cmp, entries, isolate, flip, malformed.
pe_helper() {
	cat > "$T/pe/pe.py" <<'PY'
import os, struct, sys

def le(d, off, n):
    return int.from_bytes(d[off:off + n], 'little')

def layout(d):
    lf = le(d, 0x3c, 4)
    opt = lf + 24
    magic = le(d, opt, 2)
    dd = opt + (128 if magic == 0x10b else 144)
    st = opt + le(d, lf + 20, 2)
    secs = []
    for i in range(le(d, lf + 6, 2)):
        h = st + 40 * i
        secs.append((le(d, h + 20, 4), le(d, h + 16, 4), h))
    return {'ck': opt + 64, 'dd': dd, 'st': st, 'opt': opt,
            'cert': (le(d, dd, 4), le(d, dd + 4, 4)),
            'secs': sorted(s for s in secs if s[1])}

def checksum(d, ck):
    b = bytearray(d)
    b[ck:ck + 4] = bytes(4)
    if len(b) % 2:
        b += b'\0'
    s = 0
    for i in range(0, len(b), 2):
        s += b[i] | b[i + 1] << 8
        s = (s & 0xffff) + (s >> 16)
    return ((s & 0xffff) + (s >> 16) + len(d)) & 0xffffffff

def entries(d):
    off, size = layout(d)['cert']
    out, end = [], off + size
    while off < end:
        n = le(d, off, 4)
        out.append(d[off:off + n])
        off += (n + 7) & ~7
    return out

def image_part(d):
    l = layout(d)
    b = bytearray(d[:l['cert'][0]])
    b[l['ck']:l['ck'] + 4] = bytes(4)
    b[l['dd']:l['dd'] + 8] = bytes(8)
    return bytes(b)

def idc(entry):
    p = entry[8:]
    oid = bytes.fromhex('060a2b060104018237020104')
    j = p.index(oid) + len(oid)
    n, hl = p[j + 1], 2
    if n & 0x80:
        hl = 2 + (n & 0x7f)
        n = int.from_bytes(p[j + 2:j + hl], 'big')
    return p[j + hl:j + hl + n]

def write(path, d):
    with open(path, 'wb') as f:
        f.write(d)

def cmd_cmp(a, b):
    # same image part (all but CheckSum and the certificate-table entry)
    # and the same SpcIndirectDataContent
    da, db = open(a, 'rb').read(), open(b, 'rb').read()
    if image_part(da) != image_part(db):
        sys.exit('image parts differ')
    if idc(entries(da)[0]) != idc(entries(db)[0]):
        sys.exit('SpcIndirectDataContent differs')

def cmd_entries(a):
    d = open(a, 'rb').read()
    l = layout(d)
    if checksum(d, l['ck']) != le(d, l['ck'], 4):
        sys.exit('bad checksum')
    print(len(entries(d)))

def cmd_isolate(a, i, out):
    # a copy of a that keeps only WIN_CERTIFICATE number i
    d = open(a, 'rb').read()
    l = layout(d)
    e = entries(d)[int(i)]
    e += bytes(-len(e) % 8)
    b = bytearray(d[:l['cert'][0]] + e)
    b[l['dd'] + 4:l['dd'] + 8] = len(e).to_bytes(4, 'little')
    b[l['ck']:l['ck'] + 4] = checksum(b, l['ck']).to_bytes(4, 'little')
    write(out, b)

def cmd_flip(a, out):
    # flip one byte in the middle of the first section's data
    b = bytearray(open(a, 'rb').read())
    ptr, size, _ = layout(b)['secs'][0]
    b[ptr + size // 2] ^= 0x01
    write(out, b)

def put(b, off, n, v):
    b[off:off + n] = (v & ((1 << (8 * n)) - 1)).to_bytes(n, 'little')

def cmd_malformed(good, signed, outdir):
    # one file per case, and a manifest: name|words of the refusal
    g = open(good, 'rb').read()
    s = open(signed, 'rb').read()
    gl, sl = layout(g), layout(s)
    first, second, last = gl['secs'][0], gl['secs'][1], gl['secs'][-1]
    cases = []
    def case(name, data, words):
        write(os.path.join(outdir, name), data)
        cases.append('%s|%s' % (name, words))
    def patched(src, off, n, v):
        b = bytearray(src)
        put(b, off, n, v)
        return bytes(b)
    case('empty.exe', b'', 'the file is empty')
    case('cut-dos.exe', g[:0x30], 'ends inside the DOS header')
    case('lfanew.exe', patched(g, 0x3c, 4, 0x7ffffff0),
         'e_lfanew 0x7ffffff0 is past the end of the file')
    case('nsect.exe', patched(g, le(g, 0x3c, 4) + 6, 2, 0xffff),
         'NumberOfSections 65535 is over the limit')
    case('cut-sections.exe', g[:gl['st'] + 40 * 3],
         'section table .* runs past the end of the file')
    case('sect-eof.exe', patched(g, first[2] + 16, 4, 0x1000000),
         'SizeOfRawData 0x1000000 is past the end of the file')
    case('sect-wrap.exe', patched(g, first[2] + 20, 4, 0xfffffe00),
         'PointerToRawData 0xfffffe00 .* wraps past 32 bits')
    case('sect-overlap.exe', patched(g, second[2] + 20, 4, second[0] - 16),
         'overlaps section')
    case('sect-gap.exe', patched(g, last[2] + 20, 4, last[0] + 0x200),
         'leaves a gap')
    case('cert-eof.exe', patched(s, sl['dd'] + 4, 4, sl['cert'][1] + 8),
         'certificate table .* is past the end of the file')
    case('cert-small.exe', patched(s, sl['dd'] + 4, 4, 4),
         'certificate table Size 0x4 is smaller than a WIN_CERTIFICATE')
    case('wincert-len.exe', patched(s, sl['cert'][0], 4, 0x100000),
         'dwLength 0x100000 does not fit the certificate table')
    case('cert-trailing.exe', s + b'trailing',
         'does not end at the end of the file')
    case('optmagic.exe', patched(g, gl['opt'], 2, 0x107),
         'optional header Magic 0x107')
    write(os.path.join(outdir, 'manifest'), ('\n'.join(cases) + '\n').encode())

cmds = {'cmp': cmd_cmp, 'entries': cmd_entries, 'isolate': cmd_isolate,
        'flip': cmd_flip, 'malformed': cmd_malformed}
cmds[sys.argv[1]](*sys.argv[2:])
PY
}

# Build the images into $T/pe once; 1 if a tool is missing.
pe_build() {
	[ -n "$PE_BUILT" ] && return "$PE_BUILT"
	PE_BUILT=1
	mkdir -p "$T/pe"
	chmod 755 "$T/pe"
	pe_helper
	cat > "$T/pe/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("csign test"); return 0; }
EOF
	cat > "$T/pe/lib.c" <<'EOF'
__declspec(dllexport) int add(int a, int b) { return a + b; }
EOF
	(
		cd "$T/pe" &&
		x86_64-w64-mingw32-gcc -O2 -o hello.exe hello.c &&
		i686-w64-mingw32-gcc -O2 -o hello32.exe hello.c &&
		x86_64-w64-mingw32-gcc -shared -o lib.dll lib.c &&
		cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi sdboot.efi &&
		{ cat sdboot.efi; printf 'appended after the sections'; } \
			> tail.efi &&
		command -v sbsign && command -v osslsigncode
	) > "$T/pe/build.log" 2>&1 || return 1
	chmod 644 "$T/pe"/*
	PE_BUILT=0
}

pe_py() { python3 "$T/pe/pe.py" "$@"; }

# Copy an image into alice's directory as $2.
pe_copy() {
	cp "$1" "$T/home/$ALICE/$2"
	chown "$ALICE" "$T/home/$ALICE/$2"
}

# pe_ready: the images built and in alice's directory (t_pe_sign copies
# them; a case run alone finds them here).  1 if they cannot be built.
pe_ready() {
	pe_build || return 1
	for img in $PE_IMAGES; do
		[ -f "$T/home/$ALICE/$img" ] || pe_copy "$T/pe/$img" "$img"
	done
}
# pe_signed IMG: csign's IMG.signed in alice's directory and sbsign's
# $T/pe/IMG.sb, as t_pe_sign leaves them, made if missing.
pe_signed() {
	[ -f "$T/home/$ALICE/$1.signed" ] || check "sign $1 for the case" \
		as $ALICE sign -k efi -f pe "$1"
	[ -f "$T/pe/$1.sb" ] || sbsign --key "$T/efi.key" \
		--cert "$T/efi.crt" --output "$T/pe/$1.sb" "$T/pe/$1" 2>/dev/null
}

pe_sbverify() { sbverify --cert "$T/ca.crt" "$1"; }
# osslsigncode verify, with a PE checksum it agrees with.
pe_osslverify() {
	osslsigncode verify -CAfile "$T/ca.crt" -in "$1" > "$T/ossl.out" 2>&1 &&
		grep -q "Signature verification: ok" "$T/ossl.out" &&
		! grep -q "invalid PE checksum" "$T/ossl.out"
}
# A verifier rejects $1, which exists (a missing file is no proof).
pe_fails_sbverify() { [ -s "$1" ] && ! sbverify --cert "$T/ca.crt" "$1"; }
pe_fails_osslverify() { [ -s "$1" ] && ! pe_osslverify "$1"; }

# Both verifiers accept $1 (a file with one signature).
pe_check_both() {
	check "$2: sbverify" pe_sbverify "$1"
	check "$2: osslsigncode verify" pe_osslverify "$1"
}

# Each of the $2 entries of $1, isolated, passes both verifiers.
pe_check_entries() {
	n=$(pe_py entries "$1")
	[ "$n" = "$2" ] && ok || fail "$1: $n signatures, wanted $2"
	i=0
	while [ "$i" -lt "$2" ]; do
		pe_py isolate "$1" "$i" "$T/pe/isolated.$i"
		pe_check_both "$T/pe/isolated.$i" "$3 (signature $i)"
		i=$((i + 1))
	done
}

t_pe_sign() {
	begin "pe: PE32+, PE32, DLL, UEFI, trailing data: sbverify, osslsigncode, sbsign"
	if ! pe_build; then
		fail "cannot build the test images (see $T/pe/build.log)"
		return
	fi
	a=$T/home/$ALICE
	for img in $PE_IMAGES; do
		pe_copy "$T/pe/$img" "$img"
		check "sign $img" as $ALICE sign -k efi -f pe "$img"
		pe_check_both "$a/$img.signed" "$img"
		check "$img: one signature, right checksum" test \
			"$(pe_py entries "$a/$img.signed")" = 1
		check "$img: the input is unchanged" cmp "$a/$img" "$T/pe/$img"
		sbsign --key "$T/efi.key" --cert "$T/efi.crt" \
			--output "$T/pe/$img.sb" "$T/pe/$img" 2>/dev/null
		check "$img: image and SpcIndirectDataContent are sbsign's" \
			pe_py cmp "$a/$img.signed" "$T/pe/$img.sb"
	done
	# The audit record carries the Authenticode digest osslsigncode computes.
	osslsigncode verify -CAfile "$T/ca.crt" -in "$a/sdboot.efi.signed" \
		> "$T/ossl.out" 2>&1
	want=$(sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' \
		"$T/ossl.out" | tr 'A-F' 'a-f')
	expect_grep "\"event\":\"sign\".*\"key\":\"efi\".*\"format\":\"pe\".*\"artifact\":\"sdboot.efi\".*\"digest\":\"$want\"" \
		"$T/audit.jsonl" "audit records the Authenticode digest"
	check "sign -o to another name" as $ALICE sign -k efi -f pe \
		-o other.efi tail.efi
	check "same bytes as the first signature" cmp "$a/other.efi" \
		"$a/tail.efi.signed"
}

t_pe_digests() {
	begin "pe: SHA-384 and SHA-512 image digests (osslsigncode)"
	pe_ready || { fail "no test images"; return; }
	a=$T/home/$ALICE
	for dig in sha384 sha512; do
		check "sign hello.exe $dig" as $ALICE sign -k efi -f pe \
			-d "$dig" -o "hello.$dig.exe" hello.exe
		check "osslsigncode verify $dig" pe_osslverify \
			"$a/hello.$dig.exe"
		expect_grep "Message digest algorithm *: *$(echo $dig |
			tr a-z A-Z)" "$T/ossl.out" "digest algorithm is $dig"
	done
}

t_pe_resign() {
	begin "pe: signed images need --replace or --append"
	pe_ready || { fail "no test images"; return; }
	a=$T/home/$ALICE
	for img in hello32.exe sdboot.efi; do
		pe_signed "$img"
		pe_copy "$a/$img.signed" "s.$img"
		expect_rc 5 "$img: already signed" as $ALICE sign -k efi \
			-f pe -o "x.$img" "s.$img"
		expect_grep "already signed .*--replace.*--append" "$T/rc.out" \
			"$img: says what to do"
		[ ! -e "$a/x.$img" ] && ok || fail "$img: output left behind"
		check "$img --replace" as $ALICE sign -k efi -f pe --replace \
			-d sha256 -o "r.$img" "s.$img"
		pe_check_both "$a/r.$img" "$img replaced"
		check "$img: replaced = fresh" cmp "$a/r.$img" \
			"$a/$img.signed"
		check "$img --append" as $ALICE sign -k efi -f pe --append \
			-o "a.$img" "s.$img"
		pe_check_entries "$a/a.$img" 2 "$img appended"
		check "$img --append again" as $ALICE sign -k efi -f pe \
			--append -o "aa.$img" "a.$img"
		pe_check_entries "$a/aa.$img" 3 "$img appended twice"
		check "$img --replace of two signatures" as $ALICE sign -k efi \
			-f pe --replace -o "ra.$img" "a.$img"
		check "$img: back to one" cmp "$a/ra.$img" "$a/$img.signed"
	done
	# sbsign's signature, then ours (a UEFI db transition).
	pe_copy "$T/pe/sdboot.efi.sb" "sb.efi"
	check "--append to sbsign's signature" as $ALICE sign -k efi -f pe \
		--append -o sb2.efi sb.efi
	pe_check_entries "$a/sb2.efi" 2 "sbsign + csign"
	expect_rc 2 "--replace with --append" as $ALICE sign -k efi -f pe \
		--replace --append -o x.efi sb.efi
}

t_pe_tamper() {
	begin "pe: a flipped byte in a section fails both verifiers"
	pe_ready || { fail "no test images"; return; }
	a=$T/home/$ALICE
	for img in hello.exe hello32.exe sdboot.efi; do
		pe_signed "$img"
		pe_py flip "$a/$img.signed" "$T/pe/tampered.$img"
		check "$img: sbverify rejects" pe_fails_sbverify \
			"$T/pe/tampered.$img"
		check "$img: osslsigncode rejects" pe_fails_osslverify \
			"$T/pe/tampered.$img"
	done
	# t_pe_resign's sdboot.efi with two signatures, or one made here.
	if [ ! -f "$a/a.sdboot.efi" ]; then
		pe_copy "$a/sdboot.efi.signed" s.sdboot.efi
		check "sign --append for the case" as $ALICE sign -k efi \
			-f pe --append -o a.sdboot.efi s.sdboot.efi
	fi
	check "appended output: one flip fails every signature" \
		pe_py flip "$a/a.sdboot.efi" "$T/pe/tampered.a.efi"
	for i in 0 1; do
		rm -f "$T/pe/tampered.$i"
		check "signature $i: isolated" pe_py isolate \
			"$T/pe/tampered.a.efi" $i "$T/pe/tampered.$i"
		check "signature $i: sbverify rejects" pe_fails_sbverify \
			"$T/pe/tampered.$i"
		check "signature $i: osslsigncode rejects" \
			pe_fails_osslverify "$T/pe/tampered.$i"
	done
}

t_pe_refused_requests() {
	begin "pe: key binding, non-files, options of other formats"
	pe_ready || { fail "no test images"; return; }
	a=$T/home/$ALICE
	expect_rc 3 "a raw/cms key is refused for pe" as $ALICE sign -k rsa \
		-f pe -o x.efi hello.exe
	expect_grep "\"event\":\"deny\".*\"key\":\"rsa\",\"format\":\"pe\"" \
		"$T/audit.jsonl" "deny record names key rsa and format pe"
	cp "$T/pe/hello.exe" "$T/home/$BOB/hello.exe"
	chown "$BOB" "$T/home/$BOB/hello.exe"
	expect_rc 3 "bob is not granted efi" as $BOB sign -k efi -f pe \
		-o x.efi hello.exe
	(cd "$a" && cat hello.exe | runuser -u "$ALICE" -- env \
		CSIGN_SOCKET="$T/csignd.sock" "$T/bin/csign-client" sign \
		-k efi -f pe -o pipe.exe -) > "$T/rc.out" 2>&1
	rc=$?
	[ "$rc" -eq 5 ] && ok || fail "a pipe: exit $rc, wanted 5"
	expect_grep "pe format needs a regular file" "$T/rc.out" "pipe: message"
	expect_rc 1 "--pem is refused" as $ALICE sign -k efi -f pe --pem \
		-o x.efi hello.exe
	expect_grep "pem does not apply to pe" "$T/rc.out" "--pem: message"
}

t_pe_malformed() {
	begin "pe: malformed images get exit 5 naming the field; daemon stays up"
	pe_ready || { fail "no test images"; return; }
	a=$T/home/$ALICE
	pe_signed hello.exe
	bad=$T/pe/bad
	mkdir -p "$bad"
	pe_py malformed "$T/pe/hello.exe" "$T/pe/hello.exe.sb" "$bad"
	killed=$(grep -c "killed by" "$T/csignd.log")
	while IFS='|' read -r name words; do
		pe_copy "$bad/$name" "$name"
		expect_rc 5 "$name" as $ALICE sign -k efi -f pe \
			-o "$name.signed" "$name"
		expect_grep "pe: .*$words" "$T/rc.out" "$name: message"
		[ ! -e "$a/$name.signed" ] && ok ||
			fail "$name: output left behind"
	done < "$bad/manifest"
	truncate -s 4G "$a/sparse.exe"
	expect_rc 5 "a 4 GiB sparse file" as $ALICE sign -k efi -f pe \
		-o sparse.signed sparse.exe
	expect_grep "file size 4294967296 is over the 4 GiB" "$T/rc.out" \
		"sparse: message"
	head -c 4096 "$T/pe/hello.exe" > "$a/sparse-pe.exe"
	truncate -s 4294967295 "$a/sparse-pe.exe"
	expect_rc 5 "4 GiB - 1 with PE headers" as $ALICE sign -k efi -f pe \
		-o sparse.signed sparse-pe.exe
	expect_grep "leaves no room below 4 GiB" "$T/rc.out" \
		"sparse PE: message"
	rm -f "$a"/sparse*.exe
	check "daemon still running" kill -0 "$DPID"
	[ "$(grep -c "killed by" "$T/csignd.log")" = "$killed" ] && ok ||
		fail "a session child died on a malformed image"
	# The next request is served as before (the client stops a batch at
	# its first failure, so this is a new connection).
	check "next image is signed" as $ALICE sign -k efi -f pe \
		-o after.exe hello.exe
	check "and is the same as before" cmp "$a/after.exe" \
		"$a/hello.exe.signed"
}

CASES="$CASES t_pe_sign t_pe_digests t_pe_resign t_pe_tamper
t_pe_refused_requests t_pe_malformed"
