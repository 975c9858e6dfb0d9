# bench/batch.sh: batches of real kernel modules (sourced by run.sh, which
# provides say, die, now, ratio, verdict, records, alive, $build, $d,
# $sock, $lim_rsa (the direct one-thread RSA-2048 limit of this run) and a
# running csignd with the key kmod, RSA-2048, for -f module).
#
#   (a) one `csign-client sign -f module` call over BENCH_BATCH_FILES (200)
#       modules the Debian kernel package ships, against a loop of the
#       kernel's sign-file with the same key as a PEM file (median of
#       BENCH_BATCH_RUNS runs each; the copies are made outside the timing);
#   (b) 8 of those calls at once, each on its own copy of the modules:
#       signatures per second against the direct one-thread limit (median
#       of BENCH_BATCH_RUNS rounds);
#   (c) one `csign-client sign -f pe` call over BENCH_BATCH_FILES copies
#       of systemd-boot (key efi, RSA-2048) against a loop of sbsign with
#       the key file, as a release signs its EFI binaries (no target: the
#       issue names none; it shows what the session's pipelining gives
#       PE images);
#   (d) one `csign-client sign -f cms` call over BENCH_BATCH_FILES files of
#       64 KiB (key rsa, RSA-2048), as a release signs its tarballs,
#       against a loop of `openssl cms -sign` with the key file (no target
#       either).
#
# The modules come from /lib/modules/*/kernel if a kernel is installed,
# else from the linux-image package, downloaded once with apt-get into
# BENCH_KERNEL_CACHE (default /var/cache/csign-bench) and unpacked here.
# Their Debian signatures are stripped first (both tools sign from bare).

batch_n=${BENCH_BATCH_FILES:-200}
batch_runs=${BENCH_BATCH_RUNS:-3}
batch_cache=${BENCH_KERNEL_CACHE:-/var/cache/csign-bench}
sign_file=/usr/lib/linux-kbuild-6.1/scripts/sign-file
target_batch=0.10
target_batch8=0.80

# Median of the numbers on stdin.
batch_median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# "met" if $1 <= $2.
verdict_le() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r + 0 <= t + 0) ? "met" : "NOT met" }'; }

# The linux-image .deb to take modules from: cached, or downloaded.
batch_kernel_deb() {
	deb=$(ls "$batch_cache"/linux-image-*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		[ -n "$pkg" ] || return 1
		mkdir -p "$batch_cache" &&
			(cd "$batch_cache" && apt-get download "$pkg" >/dev/null 2>&1) ||
			return 1
		deb=$(ls "$batch_cache"/linux-image-*.deb 2>/dev/null | tail -1)
	fi
	[ -n "$deb" ] && printf '%s\n' "$deb"
}

# Put batch_n bare modules in $d/kmods/orig: the first ones by path.
batch_modules() {
	mkdir -p "$d/kmods/orig" "$d/kmods/tree"
	src_dir=$(ls -d /lib/modules/*/kernel 2>/dev/null | tail -1)
	if [ -z "$src_dir" ] ||
	    [ "$(find "$src_dir" -name '*.ko*' | head -n "$batch_n" | wc -l)" -lt "$batch_n" ]; then
		deb=$(batch_kernel_deb) || return 1
		dpkg-deb -x "$deb" "$d/kmods/tree" || return 1
		src_dir=$(ls -d "$d"/kmods/tree/lib/modules/*/kernel | tail -1)
	fi
	i=0
	find "$src_dir" -name '*.ko*' | LC_ALL=C sort | head -n "$batch_n" |
	while read -r ko; do
		i=$((i + 1))
		out=$d/kmods/orig/m$i.ko
		case $ko in
		*.ko.xz) xz -dc "$ko" > "$out" ;;
		*.ko.zst) zstd -qdc "$ko" > "$out" ;;
		*.ko.gz) gzip -dc "$ko" > "$out" ;;
		*) cp "$ko" "$out" ;;
		esac
	done
	rm -rf "$d/kmods/tree"
	# Strip an appended signature: the 12-byte struct module_signature
	# (its last 4 bytes the big-endian length of the PKCS#7 blob) and
	# the 28-byte marker follow the blob, at the very end.
	python3 - "$d"/kmods/orig/*.ko <<'EOF'
import struct, sys
MAGIC = b"~Module signature appended~\n"
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    while data.endswith(MAGIC):
        info = data[-len(MAGIC) - 12:-len(MAGIC)]
        siglen = struct.unpack(">I", info[8:12])[0]
        data = data[:len(data) - len(MAGIC) - 12 - siglen - info[3] - info[4]]
    open(path, "wb").write(data)
EOF
	[ "$(ls "$d/kmods/orig" | wc -l)" -eq "$batch_n" ]
}

# A fresh copy of the bare modules in $d/kmods/$1, on disk before any
# timing starts: otherwise the copies' own write-back (and the discards
# of the last run's blocks) falls inside the next measurement.
batch_copy() {
	rm -rf "$d/kmods/$1"
	cp -r "$d/kmods/orig" "$d/kmods/$1"
	sync
}

# Seconds (wall) of one csign-client call over the modules in $d/kmods/$1,
# timed by a process already running (run.sh, ms_of).
batch_csign() {
	batch_copy "$1"
	ms=$(cd "$d/kmods/$1" && ms_of "$build/csign-client" -S "$sock" sign \
		-k kmod -f module -d sha256 *.ko)
	[ "$ms" != fail ] || return 1
	awk -v m="$ms" 'BEGIN { printf "%.3f\n", m / 1000 }'
}

# Seconds of a sign-file loop over the same modules, in place as well.
batch_signfile() {
	batch_copy sf
	t0=$(now)
	for ko in "$d"/kmods/sf/*.ko; do
		"$sign_file" sha256 "$d/kmod.key" "$d/kmod.crt" "$ko" || return 1
	done
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# One round of 8 calls at once, each on its own copy of the modules: the
# signatures per second, every module signed and audited.
batch_eight() {
	for c in 1 2 3 4 5 6 7 8; do batch_copy "c$c"; done
	r0=$(records)
	t0=$(now)
	cpids=
	for c in 1 2 3 4 5 6 7 8; do
		(cd "$d/kmods/c$c" && "$build/csign-client" -S "$sock" sign \
			-k kmod -f module -d sha256 *.ko) > "$d/kmods/c$c.out" 2>&1 &
		cpids="$cpids $!"
	done
	fails=0
	for cp in $cpids; do
		wait "$cp" || fails=$((fails + 1))
	done
	t1=$(now)
	alive
	[ $fails -eq 0 ] || { cat "$d"/kmods/c*.out >&2; die "$fails batch clients failed"; }
	n=$(($(records) - r0))
	[ "$n" -eq $((8 * batch_n)) ] || die "$n sign records for $((8 * batch_n)) modules"
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

say ""
say "== batches of $batch_n Debian kernel modules, RSA-2048 (kmod), sha256 =="
if [ ! -x "$sign_file" ]; then
	say "sign-file missing (make deps); not measured"
elif ! batch_modules; then
	say "no kernel modules: no kernel installed and no linux-image package (BENCH_KERNEL_CACHE); not measured"
else
	bytes=$(cat "$d"/kmods/orig/*.ko | wc -c)
	# (a) one call against a loop of sign-file, median of batch_runs.
	for _ in $(seq "$batch_runs"); do
		batch_csign one || { alive; die "csign-client batch failed"; }
	done | sort -n > "$d/kmods/t.csign"
	for _ in $(seq "$batch_runs"); do
		batch_signfile || die "sign-file failed"
	done | sort -n > "$d/kmods/t.sf"
	tc=$(batch_median < "$d/kmods/t.csign")
	ts=$(batch_median < "$d/kmods/t.sf")
	# The last csign run must be sign-file's bytes, module by module.
	diffs=0
	for ko in "$d"/kmods/sf/*.ko; do
		cmp -s "$ko" "$d/kmods/one/${ko##*/}" || diffs=$((diffs + 1))
	done
	[ $diffs -eq 0 ] || die "$diffs modules signed by csign differ from sign-file's"
	r=$(ratio "$tc" "$ts")
	say "one call, $batch_n modules ($((bytes / 1024)) KiB): csign-client $tc s," \
		"sign-file loop $ts s  ratio $r (target <= $target_batch: $(verdict_le "$r" $target_batch))"
	# (b) 8 calls at once, 8 x batch_n signatures; the median rate of
	# batch_runs such rounds (one round is about a second: one burst of
	# the host's other work moved a single one by a fifth).
	rates=
	snapshot > "$d/kmods/s0"
	for _ in $(seq "$batch_runs"); do
		rates="$rates $(batch_eight)" || exit 1
	done
	snapshot > "$d/kmods/s1"
	rate=$(printf '%s\n' $rates | batch_median)
	r=$(ratio "$rate" "$lim_rsa")
	say "8 clients x $batch_n modules: $rate sig/s (median of" \
		"$(printf '%s\n' $rates | sort -n | tr '\n' ' ' | sed 's/ $//; s/ /, /g')" \
		"sig/s), direct limit $lim_rsa sig/s" \
		" ratio $r (target >= $target_batch8: $(verdict "$r" $target_batch8))"
	# What the monitor spent on them (its threads outlive the rounds; the
	# session children do not, and their start-up is per connection).
	# shellcheck disable=SC2046
	set -- $(cpu_split "$d/kmods/s0" "$d/kmods/s1")
	say "    monitor CPU per signature over the rounds: $(($1 + $2 + $3)) us" \
		"(event loop $1, signing threads $2, audit writer $3); beyond" \
		"the token's own with 2 threads ($cpu2_rsa us):" \
		"$(awk -v a="$(($1 + $2 + $3))" -v b="$cpu2_rsa" \
		    'BEGIN { printf "%.0f", a - b }') us; sleeps per signature:" \
		"event loop $6, signing threads $7, audit writer $8"
	rm -rf "$d/kmods"
fi

# (c) a release's EFI binaries: batch_n copies of systemd-boot.
efi=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
say ""
say "== a batch of $batch_n PE images (systemd-boot copies), RSA-2048 (efi) =="
if [ ! -r "$efi" ] || ! command -v sbsign >/dev/null; then
	say "systemd-boot or sbsign missing (make deps); not measured"
else
	# The images in $d/pes/$1, on disk before the timing.
	pe_copies() {
		rm -rf "$d/pes/$1"
		mkdir -p "$d/pes/$1"
		for i in $(seq "$batch_n"); do cp "$efi" "$d/pes/$1/p$i.efi"; done
		sync
	}
	for _ in $(seq "$batch_runs"); do
		pe_copies one
		ms=$(cd "$d/pes/one" && ms_of "$build/csign-client" -S "$sock" \
			sign -k efi -f pe *.efi)
		[ "$ms" != fail ] || { alive; die "csign-client pe batch failed"; }
		awk -v m="$ms" 'BEGIN { printf "%.3f\n", m / 1000 }'
	done | sort -n > "$d/pes.t.csign"
	for _ in $(seq "$batch_runs"); do
		pe_copies sb
		t0=$(now)
		for f in "$d"/pes/sb/*.efi; do
			sbsign --key "$d/efi.key" --cert "$d/efi.crt" \
				--output "$f.signed" "$f" 2>/dev/null ||
				die "sbsign failed"
		done
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
	done | sort -n > "$d/pes.t.sb"
	tc=$(batch_median < "$d/pes.t.csign")
	ts=$(batch_median < "$d/pes.t.sb")
	# The image parts are sbsign's (the PKCS#7 differs only in the
	# certificates csign adds): both verify.
	sbverify --cert "$d/efi.crt" "$d/pes/one/p1.efi.signed" >/dev/null 2>&1 ||
		die "csign's signed image does not verify"
	say "one call, $batch_n PE images: csign-client $tc s, sbsign loop (key" \
		"file) $ts s  ratio $(ratio "$tc" "$ts")"
	rm -rf "$d/pes"
fi

# (d) a release's detached signatures: batch_n files of 64 KiB.
# csign_batch_times WHAT ARGS...: the seconds, sorted, of batch_runs calls
# of csign-client sign ARGS over them (the outputs removed before each).
csign_batch_times() {
	what=$1
	shift
	for _ in $(seq "$batch_runs"); do
		rm -f "$d"/cmsb/*.sig
		ms=$(cd "$d/cmsb" && ms_of "$build/csign-client" -S "$sock" \
			sign "$@" *.bin)
		[ "$ms" != fail ] || { alive; die "csign-client $what batch failed"; }
		awk -v m="$ms" 'BEGIN { printf "%.3f\n", m / 1000 }'
	done | sort -n
}
# loop_batch_times FN: the same for a loop of FN FILE over them.
loop_batch_times() {
	for _ in $(seq "$batch_runs"); do
		t0=$(now)
		for f in "$d"/cmsb/*.bin; do "$1" "$f"; done
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
	done | sort -n
}
ossl_sign() {
	openssl cms -sign -binary -outform DER -signer "$d/rsa2048.crt" \
		-inkey "$d/rsa2048.key" -in "$1" -out "$1.ossl" ||
		die "openssl cms -sign failed"
}
gpg_sign() {
	gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
		-u gpg@csign.test --detach-sign -o "$1.gpg" "$1" ||
		die "gpg --detach-sign failed"
}
say ""
say "== a batch of $batch_n detached cms signatures (64 KiB files), RSA-2048 (rsa) =="
mkdir -p "$d/cmsb"
for i in $(seq "$batch_n"); do
	head -c 65536 /dev/urandom > "$d/cmsb/f$i.bin"
done
sync
csign_batch_times cms -k rsa -f cms > "$d/cmsb.t.csign"
loop_batch_times ossl_sign > "$d/cmsb.t.ossl"
openssl cms -verify -binary -inform DER -in "$d/cmsb/f1.bin.sig" \
	-content "$d/cmsb/f1.bin" -CAfile "$d/ca.crt" -purpose any \
	-out /dev/null 2>/dev/null || die "csign's cms signature does not verify"
tc=$(batch_median < "$d/cmsb.t.csign")
to=$(batch_median < "$d/cmsb.t.ossl")
say "one call, $batch_n cms signatures: csign-client $tc s, openssl cms -sign" \
	"loop (key file) $to s  ratio $(ratio "$tc" "$to")"

# (e) the same files with detached OpenPGP signatures, against a loop of
# gpg --detach-sign with an RSA-2048 key of its own keyring (its agent
# started before the loop, as on a build host that signs with gpg).
say ""
say "== a batch of $batch_n detached OpenPGP signatures (64 KiB files), RSA-2048 (rsa) =="
export GNUPGHOME="$d/gnupg"
mkdir -p -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key 'gpg bench <gpg@csign.test>' rsa2048 sign never \
	2>/dev/null || die "gpg cannot make its key"
csign_batch_times openpgp -k rsa -f openpgp > "$d/pgpb.t.csign"
loop_batch_times gpg_sign > "$d/pgpb.t.gpg"
"$build/csign-client" -S "$sock" cert --openpgp -o "$d/rsa.asc" rsa &&
	gpg --dearmor < "$d/rsa.asc" > "$d/rsa.gpg" &&
	gpgv --keyring "$d/rsa.gpg" "$d/cmsb/f1.bin.sig" "$d/cmsb/f1.bin" \
		2>/dev/null || die "csign's OpenPGP signature does not verify"
tc=$(batch_median < "$d/pgpb.t.csign")
tg=$(batch_median < "$d/pgpb.t.gpg")
say "one call, $batch_n OpenPGP signatures: csign-client $tc s, gpg" \
	"--detach-sign loop $tg s  ratio $(ratio "$tc" "$tg")"
gpgconf --kill gpg-agent 2>/dev/null || true
rm -rf "$d/cmsb" "$GNUPGHOME"
unset GNUPGHOME
