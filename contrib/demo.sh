#!/bin/sh
# csign demo: a tour of the signing broker on this machine, as run by
# "make demo" (after "make deps" and "make all").  Needs root: it creates
# Unix users and a group, and runs csignd as root.
#
# Everything is real and throwaway: a SoftHSM2 token with test keys in a
# temporary directory, the built csignd, csign-sandbox and csign-client,
# two demo users (alice, granted the keys through a group, and mallory,
# granted nothing), outputs checked with openssl, and the audit log checked
# with csign-audit.  The users, the group and the directory are removed at
# exit, also after a failure or an interrupt.  KEEP=1 keeps the directory.
#
# TOKEN=tpm runs the same tour on a TPM 2.0 instead (make demo TOKEN=tpm):
# a software TPM (swtpm, behind tpm2-abrmd on a private dbus, started by
# tests/lib/tpm.sh and stopped at exit) exposed by tpm2-pkcs11, whose keys
# csign-admin generates on the TPM (RSA-3072 and EC P-256), with requests
# signed on the TPM and certificates issued by a throwaway CA.
#
# Usage: [TOKEN=softhsm|tpm] sh contrib/demo.sh [BUILD]   (BUILD: "build")
set -u
# csignd refuses files that group or others may write (StrictModes).
umask 022

build=${1:-build}
SIGNERS=csign-demo-signers
ALICE=csign-demo-alice
MALLORY=csign-demo-mallory
SANDBOX=csign-sandbox
TOKEN=${TOKEN:-softhsm}
case $TOKEN in
softhsm)
	MODULE=/usr/lib/softhsm/libsofthsm2.so
	RSA_LABEL=rsa2048 EC_LABEL=p256 PINFILE=hsm.pin ;;
tpm)
	MODULE=/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1
	RSA_LABEL=release-rsa EC_LABEL=release-ec PINFILE=tpm/tpm.pin ;;
*)
	echo "demo: TOKEN is softhsm or tpm, not $TOKEN" >&2
	exit 2 ;;
esac

D=""			# the temporary directory
DPID=""			# csignd's pid while it runs
made_sandbox=""		# set if this run created the sandbox user

step() { printf '\n== %s\n' "$*"; }
say() { printf '%s\n' "$*"; }
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	if [ -n "$D" ] && [ -s "$D/csignd.log" ]; then
		echo "--- last lines of csignd's log:" >&2
		tail -n 15 "$D/csignd.log" >&2
	fi
	exit 1
}

# Stop the daemon, then remove the demo users, group and directory.
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	stop_daemon
	[ -n "$D" ] && [ -d "$D/tpm" ] && sh tests/lib/tpm.sh stop "$D/tpm"
	for u in $ALICE $MALLORY; do
		userdel "$u" 2>/dev/null
	done
	[ -n "$made_sandbox" ] && userdel "$SANDBOX" 2>/dev/null
	groupdel "$SIGNERS" 2>/dev/null
	if [ -n "$D" ]; then
		if [ -n "${KEEP:-}" ]; then
			echo "demo: kept $D"
		else
			rm -rf "$D"
		fi
	fi
	exit $rc
}

# SIGTERM: csignd finishes in-flight work, writes its stop record, exits.
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	drc=$?
	DPID=""
	return $drc
}

# Run csign-client as a demo user, in that user's directory, echoing it.
as() {
	user=$1
	shift
	printf '%s$ csign-client %s\n' "${user#csign-demo-}" "$*"
	(cd "$D/home/$user" && runuser -u "$user" -- env \
		CSIGN_SOCKET="$D/csignd.sock" "$D/bin/csign-client" "$@")
}

# Echo a command, then run it.
run() {
	printf '# %s\n' "$*"
	"$@"
}

# Users: the sandbox user, alice in the signers group, mallory in none.
# Users left over from an interrupted run are reused and put right.
make_users() {
	getent group $SIGNERS >/dev/null || groupadd $SIGNERS ||
		die "groupadd $SIGNERS"
	if ! getent passwd $SANDBOX >/dev/null; then
		useradd --system --no-create-home -s /usr/sbin/nologin \
			$SANDBOX || die "useradd $SANDBOX"
		made_sandbox=1
	fi
	getent passwd $ALICE >/dev/null || useradd -M -s /bin/sh $ALICE ||
		die "useradd $ALICE"
	usermod -G $SIGNERS $ALICE || die "usermod $ALICE"
	getent passwd $MALLORY >/dev/null || useradd -M -s /bin/sh $MALLORY ||
		die "useradd $MALLORY"
	usermod -G "" $MALLORY || die "usermod $MALLORY"
	for u in $ALICE $MALLORY; do
		mkdir -p "$D/home/$u" && chown "$u:" "$D/home/$u" ||
			die "home of $u"
	done
}

write_config() {
	cat > "$D/csignd.conf" <<CONF
# csign demo configuration (see csignd.conf(5))
Listen $D/csignd.sock
SandboxUser $SANDBOX
SandboxProgram $D/bin/csign-sandbox
AuditLog $D/audit.jsonl
PoolSize 2

Token demo
	Module $MODULE
	TokenLabel csign
	PinFile $D/$PINFILE

Key release-rsa
	Token demo
	Label $RSA_LABEL
	Certificate $D/$RSA_LABEL.crt
	Formats raw cms

Key release-ec
	Token demo
	Label $EC_LABEL
	Certificate $D/$EC_LABEL.crt
	Formats raw cms

Allow group $SIGNERS keys release-rsa release-ec
CONF
}

# The SoftHSM token of the tests, with its keys imported from files.
setup_softhsm() {
	SOFTHSM2_CONF=$(sh tests/lib/token.sh "$D") || die "creating the token"
	export SOFTHSM2_CONF
	chmod 644 "$D"/*.crt "$D"/*.pub
	say "directory:      $D"
	say "token:          SoftHSM2 token 'csign' (SOFTHSM2_CONF=$SOFTHSM2_CONF)"
	say "keys on token:  rsa2048 (RSA-2048), p256 (EC P-256), rsapss, p384"
	say "PIN file:       $D/hsm.pin (mode $(stat -c %a "$D/hsm.pin"), root only)"
}

# A throwaway CA, and the extensions of the certificates it issues.
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/ca.key" \
		-out "$D/ca.crt" -days 30 -subj "/CN=csign demo CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
		die "making the demo CA"
	printf '%s\n' "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=codeSigning" "subjectKeyIdentifier=hash" \
		"authorityKeyIdentifier=keyid" > "$D/leaf.ext"
}

# A software TPM with keys generated on it by csign-admin: keygen, a
# request signed on the TPM, a certificate from the demo CA, checked by
# import-cert against the key on the TPM.
setup_tpm() {
	mkdir "$D/tpm" || die "mkdir"
	sh tests/lib/tpm.sh start "$D/tpm" > "$D/tpm.out" ||
		die "starting the software TPM (see $D/tpm/tpm.log)"
	. "$D/tpm/tpm.env"
	make_ca
	printf 'Token demo\n\tModule %s\n\tTokenLabel csign\n\tPinFile %s\n' \
		"$MODULE" "$D/tpm/tpm.pin" > "$D/admin.conf"
	say "directory:      $D"
	say "token:          TPM 2.0 (swtpm) through tpm2-pkcs11, token 'csign'"
	say "PIN file:       $D/tpm/tpm.pin (mode $(stat -c %a "$D/tpm/tpm.pin"), root only)"
	n=4096
	for k in $RSA_LABEL:rsa:3072 $EC_LABEL:ec:p256; do
		label=${k%%:*}
		n=$((n + 1))
		run "$D/bin/csign-admin" -f "$D/admin.conf" keygen --token demo \
			--label "$label" --type "${k#*:}" || die "keygen $label"
		run "$D/bin/csign-admin" -f "$D/admin.conf" csr --token demo \
			--key "$label" --subject "/CN=csign demo $label" \
			-o "$D/$label.csr" || die "csr $label"
		openssl x509 -req -in "$D/$label.csr" -CA "$D/ca.crt" \
			-CAkey "$D/ca.key" -set_serial $n -days 30 \
			-extfile "$D/leaf.ext" -out "$D/$label.crt" 2>/dev/null ||
			die "issuing $label"
		"$D/bin/csign-admin" -f "$D/admin.conf" import-cert \
			--token demo --key "$label" -o "$D/$label.pem" \
			"$D/$label.crt" >/dev/null || die "import-cert $label"
		openssl x509 -in "$D/$label.crt" -pubkey -noout \
			> "$D/$label.pub" || die "public key of $label"
	done
	chmod 644 "$D"/*.crt "$D"/*.pub
}

# Start csignd in the foreground, logging to a file; wait for its socket.
start_daemon() {
	SOFTHSM2_CONF=${SOFTHSM2_CONF:-} "$D/bin/csignd" -d -f "$D/csignd.conf" \
		>"$D/csignd.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		[ -S "$D/csignd.sock" ] && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$DPID" 2>/dev/null
	DPID=""
	die "csignd did not start"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it creates users and runs csignd as root)" >&2
	exit 1
fi
cd "$(dirname "$0")/.." || exit 1
for p in csignd csign-sandbox csign-client csign-audit csign-admin; do
	[ -x "$build/$p" ] || { echo "demo: $build/$p missing: run make all" >&2
		exit 1; }
done
for c in openssl softhsm2-util runuser useradd; do
	command -v $c >/dev/null || { echo "demo: $c missing: run make deps" >&2
		exit 1; }
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if [ "$TOKEN" = tpm ] && ! sh tests/lib/tpm.sh check; then
	echo "demo: the TPM packages are missing: run make deps" >&2
	exit 1
fi

step "Setting up: a $TOKEN token with test keys, demo users, a config"
D=$(mktemp -d /tmp/csign-demo.XXXXXX) || die "mktemp"
chmod 755 "$D"
mkdir "$D/bin" || die "mkdir"
# Root-owned copies that the sandbox user and the demo users can run.
install -m 0755 "$build/csignd" "$build/csign-sandbox" "$build/csign-client" \
	"$build/csign-audit" "$build/csign-admin" "$D/bin/" ||
	die "copying the programs"
if [ "$TOKEN" = tpm ]; then
	setup_tpm
else
	setup_softhsm
fi
make_users
say "users:          ${ALICE#csign-demo-} ($ALICE, in group $SIGNERS),"
say "                ${MALLORY#csign-demo-} ($MALLORY, in no granted group)"
write_config

step "The configuration ($D/csignd.conf)"
sed -e '/^#/d' -e 's/^/    /' "$D/csignd.conf"

step "Checking it: csignd -t"
run "$D/bin/csignd" -t -f "$D/csignd.conf" || die "csignd -t"

step "Starting csignd (it logs in, proves each key with a test signature)"
start_daemon
sed 's/^/    /' "$D/csignd.log"

step "Alice asks who she is, as the daemon sees her (from the kernel)"
as $ALICE whoami || die "alice: whoami"

step "Alice lists the keys she may use"
as $ALICE keys || die "alice: keys"

step "Alice signs a release artifact: detached CMS with release-rsa"
a=$D/home/$ALICE
head -c 262144 /dev/urandom > "$a/sample.bin"
chown $ALICE: "$a/sample.bin"
as $ALICE sign -v -k release-rsa -f cms sample.bin || die "alice: sign cms"
[ -s "$a/sample.bin.sig" ] || die "no sample.bin.sig"

step "Anyone can check it with openssl and the CA certificate"
(cd "$a" && run openssl cms -verify -binary -inform DER -in sample.bin.sig \
	-content sample.bin -CAfile "$D/ca.crt" -purpose any -out /dev/null) ||
	die "openssl cms -verify"

step "Alice signs raw (ECDSA P-256 over SHA-256) with release-ec"
as $ALICE sign -v -k release-ec -f raw -o sample.bin.ec.sig sample.bin ||
	die "alice: sign raw"
(cd "$a" && run openssl dgst -sha256 -verify "$D/$EC_LABEL.pub" \
	-signature sample.bin.ec.sig sample.bin) || die "openssl dgst -verify"

step "Mallory, in no granted group, tries the same key: denied"
m=$D/home/$MALLORY
echo "mallory's payload" > "$m/evil.bin"
chown $MALLORY: "$m/evil.bin"
as $MALLORY sign -k release-rsa -f cms evil.bin
mrc=$?
say "exit status: $mrc"
[ "$mrc" -eq 0 ] && die "mallory was NOT denied"
[ "$mrc" -eq 3 ] || die "mallory: exit status $mrc, expected 3 (denied)"
[ -e "$m/evil.bin.sig" ] && die "an output was written for mallory"

step "The audit log: every start, signature and denial, hash-chained"
run "$D/bin/csign-audit" search --event all "$D/audit.jsonl" ||
	die "csign-audit search"
say ""
say "Alice's CMS signature, as recorded:"
grep -m 1 '"event":"sign"' "$D/audit.jsonl" > "$D/record.json"
if command -v python3 >/dev/null 2>&1 && python3 -c '' 2>/dev/null; then
	python3 -m json.tool "$D/record.json"
else
	cat "$D/record.json"
fi
say ""
run "$D/bin/csign-audit" verify "$D/audit.jsonl" || die "csign-audit verify"

step "Stopping csignd (SIGTERM: finish in-flight work, write a stop record)"
stop_daemon || die "csignd exited with status $?"
tail -n 1 "$D/csignd.log" | sed 's/^/    /'
"$D/bin/csign-audit" verify --quiet "$D/audit.jsonl" ||
	die "audit chain after stop"

printf '\ndemo: OK\n'
