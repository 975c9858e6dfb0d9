#!/bin/sh
# Create a throwaway SoftHSM2 token with demo/test keys in directory $1:
#   token label "csign", user PIN in $1/hsm.pin (mode 0600)
#   rsa2048 (id 01) RSA-2048, p256 (id 02) EC P-256, rsapss (id 03) RSA-2048,
#   p384 (id 04) EC P-384 (its certificate also stored on the token),
#   rsa4096 (id 05) RSA-4096, and for the test suite's Key blocks that
#   must not share a private key (csignd refuses two blocks for one key):
#   rawkey (06), kmod (07), efi (08), ima-rsa (09) RSA-2048, ima-ec (0a)
#   EC P-256;
#   certificates $1/<label>.crt, signed by a test CA
#   ($1/ca.crt) so that `openssl cms -verify -CAfile ca.crt` has a chain.
# Prints the SOFTHSM2_CONF path.  Keys are generated with openssl and
# imported, so the tests can also compare against the key files.
#
#   token.sh --add DIR LABEL ID rsa|ec
# adds one more key (RSA-2048 or EC P-256) to the token made in DIR.
set -eu
if [ "${1:-}" = --add ]; then
	add=1
	shift
else
	add=0
fi
dir=$1
conf="$dir/softhsm2.conf"
pin=csign-test-pin-7731
export SOFTHSM2_CONF="$conf"
RSA="-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
EC="-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
# Serial numbers count up from 4097 in ca.serial, also for keys added later.
mkkey() {	# label id genpkey-args...
	label=$1 id=$2
	shift 2
	openssl genpkey "$@" -out "$label.key" 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$label.key" -out "$label.p8"
	openssl req -new -key "$label.key" -subj "/CN=csign test $label" \
		-out "$label.csr"
	serial=$(($(cat ca.serial 2>/dev/null || echo 4096) + 1))
	echo $serial > ca.serial
	openssl x509 -req -in "$label.csr" -CA ca.crt -CAkey ca.key \
		-set_serial $serial -days 3650 -extfile leaf.ext \
		-out "$label.crt" 2>/dev/null
	openssl x509 -in "$label.crt" -pubkey -noout > "$label.pub"
	softhsm2-util --import "$label.p8" --token csign --label "$label" \
		--id "$id" --pin $pin >/dev/null
	rm -f "$label.csr" "$label.p8"
}
if [ $add = 1 ]; then
	cd "$dir"
	case $4 in
	rsa) mkkey "$2" "$3" $RSA ;;
	ec) mkkey "$2" "$3" $EC ;;
	*) echo "token.sh --add: type rsa or ec, not $4" >&2; exit 2 ;;
	esac
	exit 0
fi
mkdir -p "$dir/tokens"
cat > "$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
softhsm2-util --init-token --free --label csign --pin $pin --so-pin 87654321 >/dev/null
printf '%s\n' $pin > "$dir/hsm.pin"
chmod 600 "$dir/hsm.pin"

cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
	-subj "/CN=csign test CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cat > leaf.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
mkkey rsa2048 01 $RSA
mkkey p256 02 $EC
mkkey rsapss 03 $RSA
mkkey p384 04 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
mkkey rsa4096 05 -algorithm RSA -pkeyopt rsa_keygen_bits:4096
mkkey rawkey 06 $RSA
mkkey kmod 07 $RSA
mkkey efi 08 $RSA
mkkey ima-rsa 09 $RSA
mkkey ima-ec 0a $EC
# p384's certificate also lives on the token (Certificate token).
openssl x509 -in p384.crt -outform DER -out p384.der
pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label csign \
	--login --pin $pin --write-object p384.der --type cert --id 04 \
	--label p384 >/dev/null 2>&1
rm -f p384.der
echo "$conf"
