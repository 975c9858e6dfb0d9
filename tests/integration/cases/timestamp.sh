# RFC 3161 timestamps (Timestamp required|optional URL..., TimestampCA
# FILE), sourced by run.sh.  TSAs run on loopback (tests/tools/tsaserver.c:
# OpenSSL's TSA code behind a small HTTP server) with their own CA, the
# keys' TimestampCA; each fault it can play (down, garbage, wrong nonce,
# wrong imprint, rejection, HTTP 500, no certificate, too slow, a
# self-signed TSA, genTime an hour off, no or another ESS
# signing-certificate) must be refused with its own message, exit 4,
# nothing written and an audit record.  Timestamped outputs are checked
# with openssl cms -verify, osslsigncode verify -TSA-CAfile, and the token
# itself (read out by tests/tools/tsextract.c) with openssl ts -verify
# against the hash of the signature value.  TSA names are resolved by the
# lookup process (csign-sandbox -R); the test build's lookup answers the
# names lookup-test-*.invalid as a broken or hostile one would.

. tests/lib/tsa.sh

# The config of this case: timestamped keys, each a key of its own on the
# test token (a Timestamp rule on a key that another block also names
# would be a rule around which that block leads).
ts_config() {
	id=40
	for k in ts-cms ts-ec:ec ts-pe ts-opt ts-fallback ts-bad ts-slow \
	    ts-down ts-name ts-noname ts-wrongca ts-lookup ts-lookup-long \
	    ts-lookup-fd ts-lookup-hang; do
		type=${k#*:}
		[ "$type" = "$k" ] && type=rsa
		it_token_key "${k%%:*}" $id $type ||
			fail "cannot add key ${k%%:*} to the token"
		id=$((id + 1))
	done
	it_config "TimestampTimeout 2
Key ts-cms
    Token hsm0
    Label ts-cms
    Certificate $T/ts-cms.crt
    Formats cms
    Digest sha256 sha384
    Timestamp required $TSA_URL_good
    TimestampCA $T/tsa/tsaca.crt
Key ts-ec
    Token hsm0
    Label ts-ec
    Certificate $T/ts-ec.crt
    Formats cms
    Timestamp required $TSA_URL_good
    TimestampCA $T/tsa/tsaca.crt
Key ts-pe
    Token hsm0
    Label ts-pe
    Certificate $T/ts-pe.crt
    Chain $T/ca.crt
    Formats pe
    Timestamp required $TSA_URL_good
    TimestampCA $T/tsa/tsaca.crt
Key ts-opt
    Token hsm0
    Label ts-opt
    Certificate $T/ts-opt.crt
    Formats raw cms
    Timestamp optional $TSA_URL_good
    TimestampCA $T/tsa/tsaca.crt
Key ts-fallback
    Token hsm0
    Label ts-fallback
    Certificate $T/ts-fallback.crt
    Formats cms
    Timestamp required $TS_DOWN $TSA_URL_good
    TimestampCA $T/tsa/tsaca.crt
Key ts-bad
    Token hsm0
    Label ts-bad
    Certificate $T/ts-bad.crt
    Formats cms
    Timestamp required $TSA_URL_bad
    TimestampCA $T/tsa/tsaca.crt
Key ts-slow
    Token hsm0
    Label ts-slow
    Certificate $T/ts-slow.crt
    Formats cms
    Timestamp required $TSA_URL_slow
    TimestampCA $T/tsa/tsaca.crt
Key ts-down
    Token hsm0
    Label ts-down
    Certificate $T/ts-down.crt
    Formats cms
    Timestamp required $TS_DOWN
    TimestampCA $T/tsa/tsaca.crt
Key ts-name
    Token hsm0
    Label ts-name
    Certificate $T/ts-name.crt
    Formats cms
    Timestamp required http://localhost:$TSA_PORT_good/tsa
    TimestampCA $T/tsa/tsaca.crt
Key ts-noname
    Token hsm0
    Label ts-noname
    Certificate $T/ts-noname.crt
    Formats cms
    Timestamp required http://no-such-tsa.invalid/tsa
    TimestampCA $T/tsa/tsaca.crt
Key ts-wrongca
    Token hsm0
    Label ts-wrongca
    Certificate $T/ts-wrongca.crt
    Formats cms
    Timestamp required $TSA_URL_good
    TimestampCA $T/ca.crt
Key ts-lookup
    Token hsm0
    Label ts-lookup
    Certificate $T/ts-lookup.crt
    Formats cms
    Timestamp required http://lookup-test-ids.invalid:$TSA_PORT_good/tsa
    TimestampCA $T/tsa/tsaca.crt
Key ts-lookup-long
    Token hsm0
    Label ts-lookup-long
    Certificate $T/ts-lookup-long.crt
    Formats cms
    Timestamp required http://lookup-test-long.invalid:$TSA_PORT_good/tsa
    TimestampCA $T/tsa/tsaca.crt
Key ts-lookup-fd
    Token hsm0
    Label ts-lookup-fd
    Certificate $T/ts-lookup-fd.crt
    Formats cms
    Timestamp required http://lookup-test-fd.invalid:$TSA_PORT_good/tsa
    TimestampCA $T/tsa/tsaca.crt
Key ts-lookup-hang
    Token hsm0
    Label ts-lookup-hang
    Certificate $T/ts-lookup-hang.crt
    Formats cms
    Timestamp required http://lookup-test-hang.invalid/tsa
    TimestampCA $T/tsa/tsaca.crt
Allow group $IT_SIGNERS keys ts-cms ts-ec ts-pe ts-opt ts-fallback ts-bad ts-slow ts-down ts-name ts-noname ts-wrongca ts-lookup ts-lookup-long ts-lookup-fd ts-lookup-hang"
}

# The token in FILE (cms|pe) must verify with openssl ts against the
# hash of the file's signature value, under the test TSA CA.
ts_token_ok() {
	"$T/bin/tsextract" "$1" "$2" "$T/ts.tok" > "$T/ts.imprint" || return 1
	read -r _ hex < "$T/ts.imprint"
	openssl ts -verify -digest "$hex" -in "$T/ts.tok" -token_in \
		-CAfile "$T/tsa/tsaca.crt"
}

ts_records() { grep -c '"event":"timestamp"' "$T/audit.jsonl"; }

t_timestamps() {
	begin "RFC 3161 timestamps: embedded in cms and pe, checked, refused when bad"
	a=$T/home/$ALICE
	TSASERVER=$build/test/tsaserver
	cp "$build/test/tsextract" "$T/bin/"
	tsa_make_ca "$T/tsa" || { fail "cannot make the TSA CA"; return; }
	tsa_start "$T/tsa" good ok &&
	tsa_start "$T/tsa" bad ok &&
	tsa_start "$T/tsa" slow slow -d 4000 ||
		{ fail "cannot start the TSAs"; return; }
	TS_DOWN=http://127.0.0.1:$(tsa_free_port)/tsa
	cp "$T/csignd.conf" "$T/csignd.conf.ts"
	ts_config
	it_stop_daemon
	it_start_daemon || { fail "csignd does not start with Timestamp"; return; }
	echo "timestamped release" > "$a/ts.txt"
	cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi "$a/ts.efi"
	chmod 644 "$a/ts.efi"

	as $ALICE keys > "$T/ts.keys" 2>&1
	expect_grep "^KEY +ALG +FORMATS +DIGESTS +EXPIRES +TIMESTAMP +APPROVAL$" \
		"$T/ts.keys" "keys has a TIMESTAMP column"
	expect_grep "^ts-cms .* required +-$" "$T/ts.keys" "keys shows required"
	expect_grep "^ts-opt .* optional +-$" "$T/ts.keys" "keys shows optional"
	expect_grep "^rsa .* -$" "$T/ts.keys" "keys shows none as -"
	as $ALICE --json keys > "$T/ts.keys.json" 2>&1
	expect_grep "\"key\":\"ts-pe\".*\"timestamp\":\"required\"" \
		"$T/ts.keys.json" "keys --json has it"

	# Required, cms: the token is there and covers the signature value.
	check "cms with a required timestamp" as $ALICE sign -k ts-cms -f cms \
		-o ts.p7s ts.txt
	check "openssl cms verifies it" openssl cms -verify -binary -inform der \
		-in "$a/ts.p7s" -content "$a/ts.txt" -CAfile "$T/ca.crt" \
		-purpose any -out /dev/null
	check "openssl ts verifies its token" ts_token_ok cms "$a/ts.p7s"
	expect_grep "^sha256 [0-9a-f]{64}$" "$T/ts.imprint" "imprint sha256"
	expect_grep "\"event\":\"timestamp\".*\"key\":\"ts-cms\".*\"result\":\"ok\".*\"tsa\":\"$TSA_URL_good\",\"timestamp\":\"20[0-9-]{8}T" \
		"$T/audit.jsonl" "audited with the TSA and the time"
	check "the shipped CI checker agrees" contrib/ci/csign-verify-timestamp \
		"$a/ts.p7s" "$T/tsa/tsaca.crt"
	cp "$a/ts.p7s" "$T/ts.tampered"
	# Byte 1100 is inside the RSA signature value (ends before 1303).
	printf '\377' | dd of="$T/ts.tampered" bs=1 seek=1100 conv=notrunc \
		2>/dev/null
	expect_rc 1 "the checker refuses another signature value" \
		contrib/ci/csign-verify-timestamp "$T/ts.tampered" \
		"$T/tsa/tsaca.crt"
	expect_grep "message imprint mismatch" "$T/rc.out" "imprint mismatch"
	expect_rc 1 "the checker wants the TSA's CA" \
		contrib/ci/csign-verify-timestamp "$a/ts.p7s" "$T/ca.crt"
	check "sha384 key digest, sha384 imprint" as $ALICE sign -k ts-cms \
		-f cms -d sha384 --pem -o ts384.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/ts384.p7s"
	expect_grep "^sha384 " "$T/ts.imprint" "imprint sha384"
	check "the CI checker reads PEM" contrib/ci/csign-verify-timestamp \
		"$a/ts384.p7s" "$T/tsa/tsaca.crt"
	check "ECDSA signature, timestamped" as $ALICE sign -k ts-ec -f cms \
		-o tsec.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/tsec.p7s"
	check "inline transfer, timestamped" sh -c "cd '$a' && runuser -u \
		$ALICE -- env CSIGN_INLINE=1 CSIGN_SOCKET='$T/csignd.sock' \
		'$T/bin/csign-client' sign -k ts-cms -f cms -o tsin.p7s ts.txt"
	check "its token verifies" ts_token_ok cms "$a/tsin.p7s"

	# Required, pe: the RFC 3161 counter-signature osslsigncode reads.
	check "pe with a required timestamp" as $ALICE sign -k ts-pe -f pe \
		-o ts.signed.efi ts.efi
	check "osslsigncode verifies signature and timestamp" osslsigncode \
		verify -CAfile "$T/ca.crt" -TSA-CAfile "$T/tsa/tsaca.crt" \
		-in "$a/ts.signed.efi"
	osslsigncode verify -CAfile "$T/ca.crt" -TSA-CAfile "$T/tsa/tsaca.crt" \
		-in "$a/ts.signed.efi" > "$T/ts.ossl" 2>&1
	expect_grep "Timestamp Server Signature verification: ok" "$T/ts.ossl" \
		"osslsigncode checked the timestamp"
	check "sbverify still verifies the image" sbverify --cert "$T/ca.crt" \
		"$a/ts.signed.efi"
	check "openssl ts verifies the pe token" ts_token_ok pe \
		"$a/ts.signed.efi"

	# Optional: only on request, and only where it can be carried.
	n=$(wc -l < "$T/tsa/good.log")
	check "optional, not asked" as $ALICE sign -k ts-opt -f cms \
		-o opt0.p7s ts.txt
	check "no TSA contacted" sh -c "[ $(cat "$T/tsa/good.log" | wc -l) -eq \
		$n ] && [ \$(wc -l < '$T/tsa/good.log') -eq $n ]"
	expect_rc 1 "no token in it" "$T/bin/tsextract" cms "$a/opt0.p7s" \
		"$T/ts.none"
	expect_rc 1 "the CI checker finds none" \
		contrib/ci/csign-verify-timestamp "$a/opt0.p7s" "$T/tsa/tsaca.crt"
	check "optional, asked with --timestamp" as $ALICE sign -k ts-opt \
		-f cms --timestamp -o opt1.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/opt1.p7s"
	expect_rc 1 "--timestamp on a key without TSA" as $ALICE sign -k rsa \
		-f cms --timestamp -o x.p7s ts.txt
	expect_grep "the key has no TSA" "$T/rc.out" "says why"
	expect_rc 1 "--timestamp with raw" as $ALICE sign -k ts-opt -f raw \
		--timestamp -o x.sig ts.txt
	expect_grep "cms and pe formats only" "$T/rc.out" "says why"

	# The first TSA is down: the next one is used.
	check "fallback to the second TSA" as $ALICE sign -k ts-fallback \
		-f cms -o fb.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/fb.p7s"
	expect_grep "\"key\":\"ts-fallback\".*\"result\":\"ok\".*\"tsa\":\"$TSA_URL_good\"" \
		"$T/audit.jsonl" "audited with the TSA that answered"

	# A TSA by name: resolved by the lookup process, not the monitor.
	check "a TSA named in the URL" as $ALICE sign -k ts-name -f cms \
		-o name.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/name.p7s"
	# Only the test lookup process knows this name, and it answers only
	# when it runs unprivileged (not uid 0, no capability, no_new_privs).
	check "a name the unprivileged lookup process resolves" as $ALICE \
		sign -k ts-lookup -f cms -o lookup.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/lookup.p7s"

	# Every fault: exit 4, its own message, no output, an audit record.
	ts_refused() {
		key=$1 words=$2 desc=$3
		rm -f "$a/bad.p7s"
		before=$(ts_records)
		expect_rc 4 "$desc: exit 4" as $ALICE sign -k "$key" -f cms \
			-o bad.p7s ts.txt
		expect_grep "timestamp failed: .*$words" "$T/rc.out" \
			"$desc: says why"
		check "$desc: nothing written" sh -c "! [ -e '$a/bad.p7s' ]"
		expect_grep_soon "\"event\":\"timestamp\".*\"key\":\"$key\".*\"result\":\"error\",\"reason\":\"[^\"]*$words" \
			"$T/audit.jsonl" "$desc: audited"
		check "$desc: one record more" sh -c \
			"[ \$(grep -c '\"event\":\"timestamp\"' '$T/audit.jsonl') -gt $before ]"
	}
	ts_refused ts-down "Connection refused" "TSA down"
	ts_refused ts-noname "cannot (resolve|connect to) no-such-tsa.invalid" \
		"TSA name unknown"
	for f in "garbage:not a TimeStampResp" \
	    "badnonce:nonce does not match the request" \
	    "badimprint:message imprint does not match the signature" \
	    "rejection:the TSA refused: status 2 \\(rejection\\)" \
	    "http500:HTTP status 500" \
	    "nocert:no TSA certificate"; do
		tsa_mode "$T/tsa" bad "${f%%:*}"
		ts_refused ts-bad "${f#*:}" "TSA ${f%%:*}"
	done
	ts_refused ts-slow "no complete reply within 2000 ms" "TSA too slow"

	# Trust only through TimestampCA; genTime near the monitor's clock;
	# the ESS signing-certificate attribute there and naming the signer.
	for f in "selfsigned:does not chain to TimestampCA: self-signed certificate" \
	    "past:genTime [0-9T:-]+Z is [0-9]+ s behind the monitor's clock \\(at most 300 s allowed\\)" \
	    "future:genTime [0-9T:-]+Z is [0-9]+ s ahead of the monitor's clock" \
	    "noess:the token has no ESS signing-certificate attribute" \
	    "otheress:ESS signing-certificate attribute does not name the certificate that signed it"; do
		tsa_mode "$T/tsa" bad "${f%%:*}"
		ts_refused ts-bad "${f#*:}" "TSA ${f%%:*}"
	done
	ts_refused ts-wrongca "does not chain to TimestampCA: unable to get local issuer certificate" \
		"a TSA under another CA than TimestampCA"
	tsa_mode "$T/tsa" bad essv1
	check "ESS SigningCertificate v1 is fine" as $ALICE sign -k ts-bad \
		-f cms -o essv1.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/essv1.p7s"

	# A lookup process that answers wrong, or not at all.
	ts_refused ts-lookup-long "cannot resolve lookup-test-long.invalid port [0-9]+: the lookup process sent a malformed answer" \
		"a lookup answer one byte too long"
	ts_refused ts-lookup-fd "cannot resolve lookup-test-fd.invalid port [0-9]+: the lookup process sent a malformed answer" \
		"a lookup answer with a descriptor"
	ts_refused ts-lookup-hang "cannot resolve lookup-test-hang.invalid port 80: timed out" \
		"a lookup that hangs"
	check "the hanging lookup process was killed" sh -c \
		"sleep 0.3; ! pgrep -f '[c]sign-sandbox.* -R lookup-test-hang'"
	tsa_mode "$T/tsa" bad chunked
	check "a chunked reply is fine" as $ALICE sign -k ts-bad -f cms \
		-o chunked.p7s ts.txt
	check "its token verifies" ts_token_ok cms "$a/chunked.p7s"
	check "the daemon still serves" as $ALICE sign -k rsa -f raw \
		-o after.sig ts.txt
	"$T/bin/csign-audit" search --event timestamp --key ts-fallback \
		"$T/audit.jsonl" > "$T/ts.search"
	expect_grep " ts-fallback cms ts.txt sha256:[0-9a-f]{64} ok event=timestamp( reason=[^ ]+)? tsa=$TSA_URL_good timestamp=20[0-9T:-]+Z$" \
		"$T/ts.search" "csign-audit search shows the TSA and the time"
	check "the audit chain is intact" "$T/bin/csign-audit" verify \
		"$T/audit.jsonl"


	# TimestampCA is required with Timestamp, and must be readable.
	sed '/^    TimestampCA /d' "$T/csignd.conf" > "$T/noca.conf"
	expect_rc 1 "csignd -t: Timestamp without TimestampCA" \
		"$T/bin/csignd" -t -f "$T/noca.conf"
	expect_grep "noca.conf:[0-9]+: key 'ts-cms' has Timestamp but no TimestampCA" \
		"$T/rc.out" "says which key, at its line"
	sed "s|^    TimestampCA .*|    TimestampCA $T/tsa/missing.crt|" \
		"$T/csignd.conf" > "$T/badca.conf"
	expect_rc 1 "csignd -t: TimestampCA missing" \
		"$T/bin/csignd" -t -f "$T/badca.conf"
	expect_grep "badca.conf:[0-9]+: TimestampCA $T/tsa/missing.crt: No such file" \
		"$T/rc.out" "names the file at its line"
	# A file that is there, trusted, but holds no certificate.
	echo "not a certificate" > "$T/tsa/garbage.pem"
	chmod 644 "$T/tsa/garbage.pem"
	sed "s|^    TimestampCA .*|    TimestampCA $T/tsa/garbage.pem|" \
		"$T/csignd.conf" > "$T/badca.conf"
	expect_rc 1 "csignd -t: TimestampCA without certificates" \
		"$T/bin/csignd" -t -f "$T/badca.conf"
	expect_grep "key ts-cms: TimestampCA $T/tsa/garbage.pem: no PEM certificates" \
		"$T/rc.out" "names the key and the file"
	cp "$T/csignd.conf" "$T/csignd.conf.ok"
	cp "$T/badca.conf" "$T/csignd.conf"
	kill -HUP "$DPID"
	expect_grep_soon "reload failed, keeping the running config: key ts-cms: TimestampCA" \
		"$T/csignd.log" "a reload with a TimestampCA without certificates is refused"
	cp "$T/csignd.conf.ok" "$T/csignd.conf"
	check "and the old config still timestamps" as $ALICE sign -k ts-cms \
		-f cms -o after-reload.p7s ts.txt

	tsa_stop "$T/tsa" good
	tsa_stop "$T/tsa" bad
	tsa_stop "$T/tsa" slow
	cp "$T/csignd.conf.ts" "$T/csignd.conf"
	it_stop_daemon
	it_start_daemon
}
CASES="$CASES t_timestamps"
