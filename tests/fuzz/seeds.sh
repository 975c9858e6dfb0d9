#!/bin/sh
# tests/fuzz/seeds.sh BUILD GEN...: write every seed corpus again
# (make fuzz-seeds), from the real encoders and tools, so that no seed
# outlives the codec it was made for:
#   GEN...    build-fuzz/seeds_GEN DIR (C, on the project's encoders)
#   config    the shipped example (contrib/csignd.conf.example), with
#             names of groups and users every system has, and a config
#             with a key of every kind of option
#   pe        EXE and DLL images from mingw-w64 (as tests/integration
#             cases/pe.sh builds them)
#   module    a kernel module from the installed kbuild, unsigned and
#             signed with the kernel's sign-file (as cases/module.sh)
#   openpgp   texts for the cleartext canonicaliser (fuzz_openpgp: the
#             first byte is the piece size): dashes, trailing blanks,
#             CR LF, UTF-8, and a Release file from apt-ftparchive
#   tsa       the whole HTTP answers of the test TSA (BUILD/test/
#             tsaserver) in each of its modes, to a request with the nonce
#             and imprint fuzz_tsa checks against
# Each corpus is written to a new directory that replaces the old one only
# when complete; a missing tool fails that corpus (and the run) and keeps
# the old one.
set -u
build=$1
shift
corpus=tests/fuzz/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/csign-seeds.XXXXXX") || exit 1
trap 'rm -rf "$tmp"; rm -rf "$corpus"/*.new' EXIT INT TERM
failed=

# regen NAME CMD...: run CMD with $new, a fresh directory, then swap it in.
regen() {
	name=$1
	shift
	new=$corpus/$name.new
	rm -rf "$new"
	mkdir -p "$new"
	if "$@" > "$tmp/$name.log" 2>&1 && [ -n "$(ls "$new")" ]; then
		rm -rf "${corpus:?}/$name"
		mv "$new" "$corpus/$name"
		echo "seeds $name: $(ls "$corpus/$name" | wc -l) files"
	else
		echo "seeds $name: FAILED, old corpus kept:" >&2
		sed 's/^/    /' "$tmp/$name.log" >&2
		rm -rf "$new"
		failed="$failed $name"
	fi
}

# C generators on the real encoders.
gen_c() {
	"build-fuzz/seeds_$1" "$new"
}

# The example as shipped, on any system: its groups and users are root.
gen_config() {
	sed -e 's/^\(Allow group\) [^ ]*/\1 root/' \
	    -e 's/^\(Allow user\) [^ ]*/\1 root/' \
		contrib/csignd.conf.example > "$new/example.conf" &&
	cat > "$new/full.conf" <<'EOF'
Listen /run/csign/csignd.sock
Token hsm0
    Module /usr/lib/softhsm/libsofthsm2.so
    TokenLabel csign
    PinFile credential:hsm0.pin
Key efi
    Token hsm0
    Label efi
    Id 0a0b
    Certificate token
    Chain /etc/csign/ca.pem
    Formats pe
    Digest sha256 sha384
    Padding pkcs1
Key pgp
    Token hsm0
    Label pgp
    Formats openpgp openpgp-clear
    OpenPGPUserID "Packages <packages@example.org>"
    OpenPGPCreated 2026-01-01T00:00:00Z
Allow user root keys efi pgp
MaxArtifactSize 1G
EOF
}

# EXE (64 and 32 bit) and a DLL, stripped to keep the seeds small.
gen_pe() {
	printf '#include <stdio.h>\nint main(void) { puts("csign"); return 0; }\n' \
		> "$tmp/hello.c" &&
	printf '__declspec(dllexport) int add(int a, int b) { return a + b; }\n' \
		> "$tmp/lib.c" &&
	x86_64-w64-mingw32-gcc -O2 -s -Wl,--no-insert-timestamp -o "$new/pe32plus.exe" "$tmp/hello.c" &&
	i686-w64-mingw32-gcc -O2 -s -Wl,--no-insert-timestamp -o "$new/pe32.exe" "$tmp/hello.c" &&
	x86_64-w64-mingw32-gcc -O2 -s -shared -Wl,--no-insert-timestamp -o "$new/lib.dll" "$tmp/lib.c"
}

# A module without debug information, and the same signed by sign-file
# with a throwaway key (the trailer and PKCS#7 the kernel expects).
gen_module() {
	kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | tail -1)
	kbuild=$(ls -d /usr/lib/linux-kbuild-* 2>/dev/null | tail -1)
	[ -n "$kdir" ] && [ -x "$kbuild/scripts/sign-file" ] || {
		echo "no kernel headers or sign-file"
		return 1
	}
	# A fixed directory: the build path ends up in the module.
	mod=$PWD/build-fuzz/seeds-module
	rm -rf "$mod" && mkdir -p "$mod" &&
	cat > "$mod/hello.c" <<'EOF' &&
#include <linux/init.h>
#include <linux/module.h>
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("csign fuzz seed");
static int __init hello_init(void) { return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
EOF
	echo 'obj-m := hello.o' > "$mod/Kbuild" &&
	make -C "$kdir" M="$mod" modules &&
	strip --strip-debug -o "$new/hello.ko" "$mod/hello.ko" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" \
		-out "$tmp/c.pem" -days 1 -subj "/CN=csign fuzz seed" &&
	cp "$new/hello.ko" "$new/hello-signed.ko" &&
	"$kbuild/scripts/sign-file" sha256 "$tmp/k.pem" "$tmp/c.pem" \
		"$new/hello-signed.ko"
}

# POST a TimeStampReq (sha256 imprint 0x5a..., nonce 0x4142434445464748,
# certReq) to the TSA on port $1 and write the raw answer to $2.
tsa_ask() {
	python3 - "$1" "$2" <<'EOF'
import socket, sys
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + body
sha256 = tlv(0x30, tlv(0x06, bytes.fromhex("608648016503040201")) + b"\x05\x00")
imprint = tlv(0x30, sha256 + tlv(0x04, b"\x5a" * 32))
req = tlv(0x30, tlv(0x02, b"\x01") + imprint +
          tlv(0x02, bytes.fromhex("4142434445464748")) + tlv(0x01, b"\xff"))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(b"POST /tsr HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          b"Content-Type: application/timestamp-query\r\n"
          b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(req) + req)
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
open(sys.argv[2], "wb").write(out)
EOF
}

# The test TSA's answer in each mode that still speaks HTTP.
gen_tsa() {
	TSASERVER=$build/test/tsaserver
	. tests/lib/tsa.sh
	tsa_make_ca "$tmp/tsa" && tsa_start "$tmp/tsa" seeds ok || return 1
	port=$(cat "$tmp/tsa/seeds.port")
	r=0
	for m in ok chunked rejection http500 garbage badnonce badimprint \
	    nocert; do
		tsa_mode "$tmp/tsa" seeds "$m"
		tsa_ask "$port" "$new/http-$m" || r=1
	done
	tsa_stop "$tmp/tsa" seeds
	return $r
}

# Texts a cleartext signature must escape and canonicalise.
gen_openpgp() {
	printf '\001Origin: csign\n-----BEGIN PGP SIGNATURE-----\n- dash\n' \
		> "$new/dashes"
	printf '\007trailing  \t \n\n\ttab first\r\ncrlf\r\nlast' \
		> "$new/blanks"
	printf '\077J\303\266rg \342\202\254 \360\237\224\221\n' \
		> "$new/utf8"
	mkdir -p "$tmp/repo/main"
	printf 'Package: csign\n' > "$tmp/repo/main/Packages"
	printf '\003' > "$new/release"
	(cd "$tmp/repo" && apt-ftparchive release .) >> "$new/release"
}

for g in "$@"; do
	regen "$g" gen_c "$g"
done
regen config gen_config
regen pe gen_pe
regen module gen_module
regen tsa gen_tsa
regen openpgp gen_openpgp
if [ -n "$failed" ]; then
	echo "seeds: FAILED:$failed" >&2
	exit 1
fi
