# csign-admin: key provisioning on the SoftHSM test token.  Keys of each
# type are generated on the token (never extractable), requests signed on
# the token verify and carry the token key, certificates a test CA issues
# from them are imported (and one for another key is refused), a second
# csignd signs with the new keys, and certificates close to or past their
# expiry are reported at start and by csign-client keys.

# csign-admin on the suite's configuration.
adm() { "$T/bin/csign-admin" -f "$T/csignd.conf" "$@"; }
# SHA-256 of the DER public key of a request or a certificate.
spki_csr() {
	openssl req -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
spki_crt() {
	openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
# The same of the token's public-key object LABEL, read with pkcs11-tool
# (which cannot rebuild P-384 keys: nothing then).
spki_p11() {
	rm -f "$T/p11pub.der"
	pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
		--token-label csign --read-object --type pubkey --label "$1" \
		-o "$T/p11pub.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$T/p11pub.der" \
			-outform DER | sha256sum | cut -d' ' -f1
}
# The EC point of a request, in hex, as long as the hex string $2.
point_csr() {
	openssl req -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		tail -c $((${#2} / 2)) | od -An -tx1 | tr -d ' \n'
}
# Does request $1 carry the public key of the token's key $2?  Checked
# against pkcs11-tool's view of the token: the whole public key, or for
# EC keys it cannot rebuild the EC_POINT of --list-objects.
csr_has_token_key() {
	want=$(spki_p11 "$2")
	if [ -n "$want" ]; then
		[ "$(spki_csr "$1")" = "$want" ]
		return
	fi
	# EC_POINT is a DER OCTET STRING: 04, a one-byte length, the point.
	pt=$(p11_line "$T/p11objs.out" Public "$2" EC_POINT | cut -c5-)
	[ -n "$pt" ] && [ "$(point_csr "$1" "$pt")" = "$pt" ]
}
# FIELD of the object "KIND LABEL" in csign-admin keys output FILE.
keys_field() {
	awk -v head="$2 \"$3\"" -v f="$4" '
		/^[a-z]/ { cur = ($0 == head) }
		cur && $1 == f { print $2; exit }' "$1"
}
# Field F (Usage, Access, EC_POINT) of the KIND (Private, Public) key
# object LABEL in pkcs11-tool --list-objects output FILE.
p11_line() {
	awk -v k="^$2 Key Object" -v l="$3" -v f="$4:" '
		function flush() {
			if (!done && in_k && lab == l && (f in v)) {
				print v[f]
				done = 1
			}
		}
		/^[A-Z].* Object;/ { flush(); in_k = ($0 ~ k); lab = ""
			split("", v); next }
		$1 == "label:" { lab = $2 }
		{ line = $0; sub(/^ *[A-Za-z_]+: */, "", line); v[$1] = line }
		END { flush() }' "$1"
}
ADM_KEYS="adm-rsa3072:rsa:3072:rsa-3072 adm-rsa4096:rsa:4096:rsa-4096
adm-ec-p256:ec:p256:ec-p256 adm-ec-p384:ec:p384:ec-p384"

# The token's objects as pkcs11-tool lists them, in $T/p11objs.out.
adm_p11objs() {
	pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
		--token-label csign --login --pin "$PIN" --list-objects \
		> "$T/p11objs.out" 2>&1
}

# What each case finds when the ones before it ran, made here when a case
# runs alone: the keys of t_admin_keygen (with $T/adm-keys.out and
# $T/p11objs.out), the requests of t_admin_csr, the certificates
# t_admin_import puts on the token and in $T/adm-rsa3072.pem.
adm_keys_ready() {
	[ -x "$T/bin/csign-admin" ] || cp "$build/csign-admin" "$T/bin/"
	[ -f "$T/adm-keys.out" ] && return 0
	for k in $ADM_KEYS; do
		IFS=: read -r label kind bits type <<EOF2
$k
EOF2
		check "keygen $label for the case" adm keygen --token hsm0 \
			--label "$label" --type "$kind:$bits"
	done
	adm keys --token hsm0 > "$T/adm-keys.out" 2>&1
	adm_p11objs
}
adm_csrs_ready() {
	adm_keys_ready
	for k in $ADM_KEYS; do
		label=${k%%:*}
		[ -f "$T/$label.csr" ] || check "csr $label for the case" \
			adm csr --token hsm0 --key "$label" \
			--subject "/CN=csign admin $label/O=csign tests" \
			--eku codeSigning -o "$T/$label.csr"
	done
}
adm_imported() {
	adm_csrs_ready
	[ -f "$T/adm-rsa3072.pem" ] && return 0
	adm_issue adm-ec-p256 365 "$T/adm-ec-p256.crt"
	adm_issue adm-rsa3072 365 "$T/adm-rsa3072.crt"
	check "import adm-ec-p256 for the case" adm import-cert --token hsm0 \
		--key adm-ec-p256 --chain "$T/ca.crt" --to-token \
		"$T/adm-ec-p256.crt"
	check "import adm-rsa3072 for the case" adm import-cert --token hsm0 \
		--key adm-rsa3072 --chain "$T/ca.crt" -o "$T/adm-rsa3072.pem" \
		"$T/adm-rsa3072.crt"
}

t_admin_keygen() {
	begin "csign-admin keygen: every key type on the token, never extractable"
	cp "$build/csign-admin" "$T/bin/"
	adm tokens > "$T/adm-tokens.out" 2>&1
	expect_grep 'token "csign" +initialized.*\[Token hsm0\]' \
		"$T/adm-tokens.out" "tokens shows the slot of Token hsm0"
	for k in $ADM_KEYS; do
		IFS=: read -r label kind bits type <<EOF2
$k
EOF2
		check "keygen $kind:$bits" adm keygen --token hsm0 \
			--label "$label" --type "$kind:$bits"
	done
	adm keys --token hsm0 > "$T/adm-keys.out" 2>&1
	for k in $ADM_KEYS; do
		IFS=: read -r label kind bits type <<EOF2
$k
EOF2
		[ "$(keys_field "$T/adm-keys.out" "private key" "$label" type)" \
		    = "$type" ] && ok || fail "keys lists private key $label ($type)"
		[ "$(keys_field "$T/adm-keys.out" "public key" "$label" type)" \
		    = "$type" ] && ok || fail "keys lists public key $label"
		id=$(keys_field "$T/adm-keys.out" "private key" "$label" id)
		[ "${#id}" -eq 40 ] && ok || fail "$label: id is a SHA-1 ($id)"
	done
	expect_rc 1 "keygen refuses an existing label" adm keygen \
		--token hsm0 --label adm-ec-p256 --type ec:p256
	expect_grep "exists already" "$T/rc.out" "and says why"
	expect_rc 1 "keygen refuses an existing id" adm keygen \
		--token hsm0 --label adm-dup-id --type ec:p256 --id 01
	expect_rc 2 "keygen refuses an unknown type" adm keygen \
		--token hsm0 --label adm-x --type rsa:1024
	adm_p11objs
	for k in $ADM_KEYS; do
		label=${k%%:*}
		acc=$(p11_line "$T/p11objs.out" Private "$label" Access)
		case "$acc" in
		*"never extractable"*) ok ;;
		*) fail "$label: Access is \"$acc\", not never extractable" ;;
		esac
		echo "$acc" | sed 's/never extractable//' | grep -q extractable &&
			fail "$label: extractable ($acc)" || ok
		case "$acc" in
		*sensitive*) ok ;;
		*) fail "$label: not sensitive ($acc)" ;;
		esac
		[ "$(p11_line "$T/p11objs.out" Private "$label" Usage)" = sign ] &&
			ok ||
			fail "$label: usage other than sign"
	done
}

# The subject of a csr for SUBJ is the one openssl req -subj builds.
csr_subject_as_openssl() {
	adm csr --token hsm0 --key adm-ec-p256 --subject "$1" \
		-o "$T/subj.csr" > /dev/null 2>&1 || {
		fail "csr --subject '$1' refused"
		return
	}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout /dev/null -subj "$1" -out "$T/subj-ossl.csr" 2>/dev/null
	a=$(openssl req -in "$T/subj.csr" -noout -subject -nameopt RFC2253)
	b=$(openssl req -in "$T/subj-ossl.csr" -noout -subject \
		-nameopt RFC2253)
	[ -n "$b" ] && [ "$a" = "$b" ] && ok ||
		fail "--subject '$1': '$a', openssl req -subj: '$b'"
}

t_admin_csr() {
	begin "csign-admin csr: signed on the token, verifies, carries the token key"
	adm_keys_ready
	for k in $ADM_KEYS; do
		label=${k%%:*}
		check "csr $label" adm csr --token hsm0 --key "$label" \
			--subject "/CN=csign admin $label/O=csign tests" \
			--eku codeSigning -o "$T/$label.csr"
		check "openssl req -verify $label" openssl req -verify -noout \
			-in "$T/$label.csr"
		check "$label: the request carries the token's public key" \
			csr_has_token_key "$T/$label.csr" "$label"
		[ "$(keys_field "$T/adm-keys.out" "private key" "$label" \
		    spki-sha256)" = "$(spki_csr "$T/$label.csr")" ] && ok ||
			fail "$label: keys shows another public key"
	done
	openssl req -in "$T/adm-ec-p384.csr" -noout -text > "$T/csr.txt"
	expect_grep "Code Signing" "$T/csr.txt" "--eku codeSigning requested"
	expect_grep "CN *= *csign admin adm-ec-p384, O *= *csign tests" \
		"$T/csr.txt" "subject as given"
	expect_grep "ecdsa-with-SHA384" "$T/csr.txt" "P-384 signs with SHA-384"
	adm csr --token hsm0 --key adm-ec-p256 --subject "/CN=stdout" \
		> "$T/stdout.csr" 2> "$T/stdout.err"
	check "a request on standard output verifies" openssl req -verify \
		-noout -in "$T/stdout.csr"
	for subj in '/CN=a+UID=b/O=x' '/CN=a\+b/O=Ex\/Org' \
	    '/C=DE/O=csign+OU=release/CN=k\=1'; do
		csr_subject_as_openssl "$subj"
	done
	expect_rc 1 "a trailing escape is refused" adm csr --token hsm0 \
		--key adm-ec-p256 --subject '/CN=x\' -o "$T/esc.csr"
	expect_rc 1 "a request for a missing key fails" adm csr --token hsm0 \
		--key adm-nosuch --subject /CN=x -o "$T/nosuch.csr"
	[ ! -e "$T/nosuch.csr" ] && ok || fail "a request file was written"
}

# Issue a certificate from the request of LABEL, valid DAYS, into FILE.
adm_issue() {
	serial=$((${serial:-0} + 1))
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-set_serial "$((7000 + ${serial:-0}))" -days "$2" \
		-extfile "$T/leaf.ext" -out "$3" 2>/dev/null
}

t_admin_import() {
	begin "csign-admin import-cert: to the token or a file, only for its key"
	adm_csrs_ready
	serial=0
	adm_issue adm-ec-p256 365 "$T/adm-ec-p256.crt"
	adm_issue adm-rsa3072 365 "$T/adm-rsa3072.crt"
	ski=$(openssl x509 -in "$T/adm-ec-p256.crt" -noout \
		-ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
	[ "$ski" = "$(keys_field "$T/adm-keys.out" "private key" \
	    adm-ec-p256 id)" ] && ok || fail "the CA's SKI is not the token id"
	check "import to the token" adm import-cert --token hsm0 \
		--key adm-ec-p256 --chain "$T/ca.crt" --to-token \
		"$T/adm-ec-p256.crt"
	adm keys --token hsm0 > "$T/adm-keys2.out" 2>&1
	expect_grep '^certificate "adm-ec-p256"$' "$T/adm-keys2.out" \
		"the certificate is on the token"
	expect_grep '^certificate "adm-ec-p256-ca1"$' "$T/adm-keys2.out" \
		"and its chain"
	[ "$(keys_field "$T/adm-keys2.out" certificate adm-ec-p256 key)" \
	    = '"adm-ec-p256"' ] && ok || fail "keys matches cert and key"
	[ "$(keys_field "$T/adm-keys2.out" certificate adm-ec-p256 id)" = \
	    "$(keys_field "$T/adm-keys2.out" "private key" adm-ec-p256 id)" ] &&
		ok || fail "the certificate has the key's id"
	expect_rc 1 "a second import needs --replace" adm import-cert \
		--token hsm0 --key adm-ec-p256 --to-token "$T/adm-ec-p256.crt"
	expect_grep "use --replace" "$T/rc.out" "and says so"
	check "--replace replaces" adm import-cert --token hsm0 \
		--key adm-ec-p256 --chain "$T/ca.crt" --to-token --replace \
		"$T/adm-ec-p256.crt"
	n=$(adm keys --token hsm0 | grep -c '^certificate "adm-ec-p256')
	[ "$n" -eq 2 ] && ok || fail "$n certificates after --replace, wanted 2"
	check "import to a file" adm import-cert --token hsm0 \
		--key adm-rsa3072 --chain "$T/ca.crt" -o "$T/adm-rsa3072.pem" \
		"$T/adm-rsa3072.crt"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$T/adm-rsa3072.pem")" -eq 2 ] &&
		ok || fail "the file holds the certificate and the chain"
	openssl x509 -in "$T/adm-rsa3072.pem" > "$T/first.crt"
	check "the certificate comes first" cmp "$T/first.crt" \
		"$T/adm-rsa3072.crt"
	begin "csign-admin import-cert refuses a certificate for another key"
	expect_rc 5 "a certificate of another token key" adm import-cert \
		--token hsm0 --key adm-ec-p384 --to-token "$T/adm-ec-p256.crt"
	expect_grep "does not certify key \"adm-ec-p384\"" "$T/rc.out" \
		"clear message"
	expect_rc 5 "a certificate of a key off the token" adm import-cert \
		--token hsm0 --key adm-rsa3072 -o "$T/wrong.pem" \
		"$T/rsa2048.crt"
	[ ! -e "$T/wrong.pem" ] && ok || fail "a file was written anyway"
	expect_run "keys" "$T/adm-keys3.out" adm keys --token hsm0
	expect_grep '^certificate "adm-ec-p256"$' "$T/adm-keys3.out" \
		"keys lists the imported certificate"
	expect_nogrep '^certificate "adm-ec-p384' "$T/adm-keys3.out" \
		"a refused certificate reached the token"
	expect_rc 1 "a chain that did not issue the certificate" adm \
		import-cert --token hsm0 --key adm-ec-p256 \
		--chain "$T/p256.crt" "$T/adm-ec-p256.crt"
	adm show-cert "$T/adm-ec-p256.crt" > "$T/show.out" 2>&1
	expect_grep "^    sha256      $(openssl x509 -in "$T/adm-ec-p256.crt" \
		-outform DER | sha256sum | cut -d' ' -f1)$" "$T/show.out" \
		"show-cert prints the fingerprint"
	expect_grep "^    not-after   .*Z \(36[45] days left\)$" "$T/show.out" \
		"and the days left"
}

# Start a second csignd on $T/adm.conf; its pid in ADPID.
adm_start_daemon() {
	it_spawn_csignd "$T/adm.conf" "$T/adm.sock" "$T/adm-csignd.log"
	r=$?
	ADPID=$SPAWNED
	return $r
}

t_admin_csignd() {
	begin "csignd signs with provisioned keys and warns of expiring certificates"
	adm_imported
	adm_issue adm-ec-p384 5 "$T/adm-ec-p384.crt"
	adm_issue adm-rsa4096 0 "$T/adm-rsa4096.crt"
	cat > "$T/adm.conf" <<CONF
Listen $T/adm.sock
SandboxUser $SANDBOX
SandboxProgram $T/bin/csign-sandbox
AuditLog $T/adm-audit.jsonl
PoolSize 1
SessionTimeout 5
CertificateExpiryWarning 10

Token hsm0
    Module /usr/lib/softhsm/libsofthsm2.so
    TokenLabel csign
    PinFile $T/hsm.pin

Key adm-ec
    Token hsm0
    Label adm-ec-p256
    Certificate token
    Chain $T/ca.crt
    Formats raw cms
Key adm-rsa
    Token hsm0
    Label adm-rsa3072
    Certificate $T/adm-rsa3072.pem
    Formats raw cms
Key adm-soon
    Token hsm0
    Label adm-ec-p384
    Certificate $T/adm-ec-p384.crt
    Formats raw
Key adm-old
    Token hsm0
    Label adm-rsa4096
    Certificate $T/adm-rsa4096.crt
    Formats raw

Allow group $IT_SIGNERS keys adm-ec adm-rsa adm-soon adm-old
CONF
	check "csignd starts with the new keys" adm_start_daemon
	a=$T/home/$ALICE
	echo "provisioned" > "$a/adm.txt"
	chmod 644 "$a/adm.txt"
	check "sign cms with the token certificate" as $ALICE -S "$T/adm.sock" \
		sign -k adm-ec -f cms -o adm.p7s adm.txt
	check "openssl cms verifies it" cms_ok "$a/adm.p7s" "$a/adm.txt" DER
	check "sign raw with the RSA-3072 key" as $ALICE -S "$T/adm.sock" \
		sign -k adm-rsa -f raw -o adm.raw adm.txt
	openssl x509 -in "$T/adm-rsa3072.crt" -pubkey -noout > "$T/adm-rsa.pub"
	check "openssl verifies it" raw_ok "$T/adm-rsa.pub" sha256 \
		"$a/adm.raw" "$a/adm.txt"
	expect_grep "key adm-soon: certificate expires in [45] days" \
		"$T/adm-csignd.log" "start-up warns of a certificate expiring soon"
	expect_grep "key adm-old: certificate EXPIRED" "$T/adm-csignd.log" \
		"and of an expired one"
	expect_nogrep "key adm-ec: certificate" "$T/adm-csignd.log" \
		"a warning for a certificate valid for a year"
	as $ALICE -S "$T/adm.sock" keys > "$T/adm-ckeys.out" 2>&1
	expect_grep "^KEY +ALG +FORMATS +DIGESTS +EXPIRES +TIMESTAMP +APPROVAL$" \
		"$T/adm-ckeys.out" "keys has an EXPIRES column"
	expect_grep "^adm-soon .* [0-9-]{10} \(expires in [45] days\) +- +-$" \
		"$T/adm-ckeys.out" "keys marks the certificate expiring soon"
	expect_grep "^adm-old .* [0-9-]{10} \(EXPIRED\) +- +-$" "$T/adm-ckeys.out" \
		"keys marks the expired certificate"
	expect_grep "^adm-ec .* [0-9]{4}-[0-9]{2}-[0-9]{2} +- +-$" \
		"$T/adm-ckeys.out" "a valid certificate shows its date only"
	as $ALICE -S "$T/adm.sock" --json keys > "$T/adm-ckeys.json"
	check "keys --json has not_after and the marks" python3 -c '
import json, sys
keys = {k["key"]: k for k in json.load(open(sys.argv[1]))}
assert keys["adm-soon"]["expires_soon"] and not keys["adm-soon"]["expired"]
assert keys["adm-old"]["expired"]
assert not keys["adm-ec"]["expires_soon"] and not keys["adm-ec"]["expired"]
assert keys["adm-ec"]["not_after"].endswith("Z")
' "$T/adm-ckeys.json"
	kill -TERM "$ADPID" 2>/dev/null
	wait "$ADPID" 2>/dev/null
	ADPID=""
	expect_nogrep "$PIN" "$T/adm-csignd.log" "PIN in the log"
}

# csign-admin opens a token through csignd's own path (token/module.c):
# a refused PIN and a TokenLabel not in the module read as csignd's do.
t_admin_login() {
	begin "csign-admin logs in as csignd does: the same refusals, in the same words"
	cp "$build/csign-admin" "$T/bin/"
	printf 'not-the-pin\n' > "$T/adm-wrong.pin"
	chmod 600 "$T/adm-wrong.pin"
	sed "s|PinFile $T/hsm.pin|PinFile $T/adm-wrong.pin|" "$T/csignd.conf" \
		> "$T/adm-pin.conf"
	expect_rc 1 "keys with a wrong PIN fails" "$T/bin/csign-admin" \
		-f "$T/adm-pin.conf" keys --token hsm0
	expect_grep "token hsm0: login failed with the PIN of PinFile $T/adm-wrong.pin \(wrong PIN or token locked\); not retrying" \
		"$T/rc.out" "a wrong PIN, in csignd's words"
	sed "s|TokenLabel csign|TokenLabel nosuch|" "$T/csignd.conf" \
		> "$T/adm-tok.conf"
	expect_rc 1 "keys on a missing token fails" "$T/bin/csign-admin" \
		-f "$T/adm-tok.conf" keys --token hsm0
	expect_grep "token hsm0: no initialized token labelled 'nosuch' in /usr/lib/softhsm/libsofthsm2.so \(tokens there: 'csign'" \
		"$T/rc.out" "a TokenLabel not in the module, in csignd's words"
	grep -q "$PIN" "$T/rc.out" && fail "the PIN was printed" || ok
}

CASES="$CASES t_admin_keygen t_admin_csr t_admin_import t_admin_csignd
t_admin_login"
