# A batch's requests two at a time in one session (sandbox/pipeline.c,
# issue 14: modules, PE images, cms, raw and ima signatures), sourced by
# run.sh.  A csignd of its own
# whose token answers every signature 150 ms late (tests/tools/p11fault.c,
# as a network HSM), so that the child surely reads, hashes and sends the
# next module while the token signs the one before: the batch's modules
# are still sign-file's bytes; a signature the token corrupts while two
# are in flight is refused and nothing is appended for it; a client that
# dies mid-batch leaves every module whole; a batch of PE images signs
# each as it would be signed alone; cms, raw and ima batches verify.
# Uses ima_ok (ima.sh) too.  Uses mod_build, mod_copy and mod_m
# (module.sh), pe_build, pe_copy and pe_sbverify (pe.sh).

# csignd on $T/pl.sock, its token behind p11fault with a delay and the
# fault files of $T/pl.faults, SignWorkers ${1:-2}; its log $T/pl.log,
# pid in PLPID.
pl_daemon() {
	mkdir -p "$T/pl.faults"
	it_fault_daemon pl "P11FAULT_DIR=$T/pl.faults P11FAULT_DELAY_MS=150" \
	    "s|^Listen .*|&\nSignWorkers ${1:-2}|"
	r=$?
	PLPID=$SPAWNED
	return $r
}

pl_stop() {
	it_stop "$PLPID"
}

# pl_start [WORKERS]: the test module built, and pl_daemon started with
# no fault file; non-zero (the case has failed) if either could not be.
pl_start() {
	if ! mod_build; then
		fail "cannot build the test module (see $T/mod/build.log)"
		return 1
	fi
	mod_m
	rm -f "$T/pl.faults/csign"
	check "csignd with a 150 ms token starts" pl_daemon "$@"
}

# pl_sign ARGS...: csign-client sign as alice against $T/pl.sock.
pl_sign() {
	(cd "$T/home/$ALICE" && runuser -u "$ALICE" -- "$T/bin/csign-client" \
		-S "$T/pl.sock" sign -k kmod -f module -d sha256 --jobs 1 "$@")
}

# pl_whoami: whoami against $T/pl.sock.
pl_whoami() {
	runuser -u "$ALICE" -- "$T/bin/csign-client" -S "$T/pl.sock" whoami
}

# pl_two LOG WHAT CMD...: CMD succeeds (check WHAT), and the lines it added
# to the daemon's log LOG show a session with two requests at the monitor.
pl_two() {
	log=$1 what=$2
	shift 2
	n0=$(wc -l < "$log")
	check "$what" "$@"
	tail -n +"$((n0 + 1))" "$log" > "$log.new"
	expect_grep "pipeline: ([2-9]|[1-9][0-9]+) requests sent, up to 2 at the monitor at once" \
		"$log.new" "$what: two at the token"
}

# pl_files PREFIX STEP: six files of random bytes, i * STEP bytes each,
# in alice's directory, readable by all; their names in pl_list.
pl_files() {
	pl_list=""
	for i in 1 2 3 4 5 6; do
		head -c $((i * $2)) /dev/urandom > "$T/home/$ALICE/$1$i.bin"
		chmod 644 "$T/home/$ALICE/$1$i.bin"
		pl_list="$pl_list $1$i.bin"
	done
}

# pl_copies PREFIX N: N fresh unsigned modules PREFIX1.ko..; their names.
pl_copies() {
	pl_list=""
	for i in $(seq "$2"); do
		mod_copy "$1$i.ko"
		pl_list="$pl_list $1$i.ko"
	done
}

# pl_state FILE: "signed" (sign-file's bytes), "unsigned" or "corrupt".
pl_state() {
	if cmp -s "$1" "$T/ref.kmod.sha256.ko"; then echo signed
	elif cmp -s "$1" "$T/mod/hello.ko"; then echo unsigned
	else echo corrupt; fi
}

# pl_mod_state FILE: pl_state, with "unsigned" as "untouched".
pl_mod_state() {
	st=$(pl_state "$1")
	[ "$st" = unsigned ] && st=untouched
	echo "$st"
}

# pl_pe_state FILE: "signed" if FILE.signed verifies, "corrupt" if it
# does not, "untouched" if there is none.
pl_pe_state() {
	if [ ! -e "$1.signed" ]; then echo untouched
	elif pe_sbverify "$1.signed" >/dev/null 2>&1; then echo signed
	else echo corrupt; fi
}

# pl_after_bad PATTERN STATEFN WHAT: after a batch over $pl_list in which
# the token corrupted one signature, the file the client names (PATTERN
# in $T/rc.out) is untouched, every file before it signed, none corrupt
# (STATEFN FILE says which).
pl_after_bad() {
	bad=$(grep -o "$1" "$T/rc.out" | head -1)
	states="" seen=0 wrong=0
	for f in $pl_list; do
		st=$($2 "$T/home/$ALICE/$f")
		states="$states $f:$st"
		if [ "$f" = "$bad" ]; then
			seen=1
			[ "$st" = untouched ] || wrong=1
		elif [ $seen -eq 0 ] && [ "$st" != signed ]; then
			wrong=1
		fi
		[ "$st" != corrupt ] || wrong=1
	done
	[ -n "$bad" ] && [ $seen -eq 1 ] && [ $wrong -eq 0 ] && ok ||
		fail "$3 states after the bad signature of ${bad:-?}:$states"
}

t_pipeline_modules() {
	begin "pipeline: a batch's modules two at a time, each sign-file's bytes"
	pl_start || return
	a=$T/home/$ALICE
	pl_copies plm 6
	n0=$(wc -l < "$T/pl.log")
	check "6 modules over one connection" pl_sign $pl_list
	bad=0
	for m in $pl_list; do
		[ "$(pl_state "$a/$m")" = signed ] || bad=$((bad + 1))
	done
	[ $bad -eq 0 ] && ok || fail "$bad modules not sign-file's"
	tail -n +"$((n0 + 1))" "$T/pl.log" > "$T/pl.log.new"
	expect_grep "pipeline: [2-6] requests sent, up to 2 at the monitor at once" \
		"$T/pl.log.new" "the session had two requests at the token"
	[ "$(grep -c '"event":"sign"' "$T/pl.jsonl")" -eq 6 ] && ok ||
		fail "not 6 sign records"

	# The token corrupts the third signature: refused, nothing appended
	# for it; every other module is either signed or left as it was.
	pl_copies plw 6
	echo "wrong nth=3 times=1" > "$T/pl.faults/csign"
	expect_rc 1 "a corrupted signature fails the batch" pl_sign $pl_list
	rm -f "$T/pl.faults/csign"
	expect_grep "does not verify with the key's certificate" "$T/rc.out" \
		"the bad signature is refused"
	# The token counts its own probes too: which module got the bad
	# signature is the one the client names.
	pl_after_bad 'plw[0-9]*\.ko' pl_mod_state module
	pl_stop
}

t_pipeline_client_dies() {
	begin "pipeline: a client killed mid-batch leaves every module whole"
	pl_start || return
	a=$T/home/$ALICE
	pl_copies pld 24
	(cd "$a" && exec runuser -u "$ALICE" -- "$T/bin/csign-client" \
		-S "$T/pl.sock" sign -k kmod -f module -d sha256 --jobs 1 \
		$pl_list) >/dev/null 2>&1 &
	cpid=$!
	sleep 0.6
	pkill -KILL -P "$cpid" 2>/dev/null
	kill -KILL "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	# What was in flight finishes; then every module is whole.
	sleep 1
	corrupt=0 signed=0
	for m in $pl_list; do
		case $(pl_state "$a/$m") in
		corrupt) corrupt=$((corrupt + 1)) ;;
		signed) signed=$((signed + 1)) ;;
		esac
	done
	[ $corrupt -eq 0 ] && ok || fail "$corrupt modules half written"
	[ $signed -lt 24 ] && ok || fail "the client was not killed mid-batch"
	pl_copies plz 2
	check "the daemon serves the next batch" pl_sign $pl_list
	check "the audit chain holds" "$T/bin/csign-audit" verify "$T/pl.jsonl"
	pl_stop
}

t_pipeline_order() {
	begin "pipeline: replies in the order of the requests, whatever each is"
	# One signing thread and a slow token keep the second request at
	# the monitor while the third is read: its refusal must wait for
	# the second's reply.
	pl_start 1 || return
	a=$T/home/$ALICE
	mod_copy plo.ko
	s0=$(grep -c '"event":"sign"' "$T/pl.jsonl")
	l0=$(wc -l < "$T/pl.log")
	expect_run "seven requests sent at once" "$T/pl.order" \
		runuser -u "$ALICE" -- "$T/bin/rawclient" "$T/pl.sock" \
		burst kmod "$a/plo.ko"
	printf '%s\n' "1 ok" "2 ok" "3 bad-request" "4 ok" "5 denied" "6 ok" \
		"7 bad-request" > "$T/pl.order.want"
	if diff -u "$T/pl.order.want" "$T/pl.order" > "$T/pl.order.diff"; then
		ok
	else
		fail "replies out of order or wrong"
		sed 's/^/    /' "$T/pl.order.diff" >&2
	fi
	s1=$(grep -c '"event":"sign"' "$T/pl.jsonl")
	[ $((s1 - s0)) -eq 4 ] && ok || fail "$((s1 - s0)) sign records, not 4"
	tail -n +"$((l0 + 1))" "$T/pl.log" > "$T/pl.order.log"
	expect_grep "pipeline: [0-9]+ requests sent, up to 2 at the monitor" \
		"$T/pl.order.log" "two of them were at the token at once"
	check "the daemon still serves" pl_whoami
	pl_stop
}

# pl_pe_batch PREFIX: the test images copied into alice's directory as
# PREFIX1.exe.. (each twice: 10 files), their names in pl_list.
pl_pe_batch() {
	pl_list="" i=0
	for _ in 1 2; do
		for img in $PE_IMAGES; do
			i=$((i + 1))
			pe_copy "$T/pe/$img" "$1$i.${img##*.}"
			pl_list="$pl_list $1$i.${img##*.}"
		done
	done
}

t_pipeline_pe() {
	begin "pipeline: a batch's PE images two at a time, each as signed alone"
	if ! pe_build; then
		fail "cannot build the test images (see $T/pe/build.log)"
		return
	fi
	rm -f "$T/pl.faults/csign"
	check "csignd with a 150 ms token starts" pl_daemon || return
	a=$T/home/$ALICE
	pl_pe_batch ppe
	n0=$(wc -l < "$T/pl.log")
	check "10 images over one connection" pl_pe_sign $pl_list
	tail -n +"$((n0 + 1))" "$T/pl.log" > "$T/pl.log.new"
	expect_grep "pipeline: ([2-9]|10) requests sent, up to 2 at the monitor at once" \
		"$T/pl.log.new" "the session had two images at the token"
	# Each output verifies, and is byte for byte what the same image
	# signed alone (one file, one request) gives.
	bad=""
	for f in $pl_list; do
		mkdir -p "$a/alone"
		cp "$a/$f" "$a/alone/$f"
		chown -R "$ALICE" "$a/alone"
		if ! pe_sbverify "$a/$f.signed" >/dev/null 2>&1 ||
		    ! pl_pe_sign "alone/$f" >/dev/null 2>&1 ||
		    ! cmp -s "$a/$f.signed" "$a/alone/$f.signed"; then
			bad="$bad $f"
		fi
	done
	[ -z "$bad" ] && ok || fail "not as signed alone:$bad"

	# The token corrupts a signature mid-batch: refused, no output for
	# that image; those before it are signed, none has a bad signature.
	pl_pe_batch ppw
	echo "wrong nth=3 times=1" > "$T/pl.faults/csign"
	expect_rc 1 "a corrupted signature fails the batch" pl_pe_sign $pl_list
	rm -f "$T/pl.faults/csign"
	expect_grep "does not verify with the key's certificate" "$T/rc.out" \
		"the bad signature is refused"
	pl_after_bad 'ppw[0-9]*\.[a-z]*' pl_pe_state image
	pl_stop
}

t_pipeline_detached() {
	begin "pipeline: a batch's cms, raw, ima and verity signatures two at a time, each verifying"
	rm -f "$T/pl.faults/csign"
	check "csignd with a 150 ms token starts" pl_daemon || return
	a=$T/home/$ALICE
	pl_files pld 7000
	# verity signs a root hash: lowercase hex and a newline; the hex
	# alone is what it signs.
	pl_roots=""
	for i in 1 2 3 4 5 6; do
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/pld$i.hex"
		{ cat "$T/pld$i.hex"; echo; } > "$a/pld$i.root"
		chmod 644 "$a/pld$i.root"
		pl_roots="$pl_roots pld$i.root"
	done
	for fmt in cms raw ima verity; do
		key=ec files=$pl_list
		[ $fmt = ima ] && key=ima-ec
		[ $fmt = verity ] && key=kmod files=$pl_roots
		rm -f "$a"/pld?.bin.sig "$a"/pld?.root.sig
		pl_two "$T/pl.log" "$fmt: 6 files over one connection" \
		    sh -c "cd '$a' && runuser -u $ALICE -- '$T/bin/csign-client' \
		    -S '$T/pl.sock' sign -k $key -f $fmt --jobs 1 $files"
		bad=""
		for f in $files; do
			if [ $fmt = cms ]; then
				cms_ok "$a/$f.sig" "$a/$f" DER >/dev/null 2>&1 ||
					bad="$bad $f"
			elif [ $fmt = verity ]; then
				openssl cms -verify -binary -inform DER \
				    -in "$a/$f.sig" -content "$T/${f%.root}.hex" \
				    -certfile "$T/kmod.crt" -CAfile "$T/ca.crt" \
				    -purpose any -out /dev/null >/dev/null 2>&1 ||
					bad="$bad $f"
			elif [ $fmt = ima ]; then
				ima_ok "$a/$f" ima-ec >/dev/null 2>&1 ||
					bad="$bad $f"
			else
				raw_ok "$T/p256.pub" sha256 "$a/$f.sig" "$a/$f" \
					>/dev/null 2>&1 || bad="$bad $f"
			fi
		done
		[ -z "$bad" ] && ok || fail "$fmt: do not verify:$bad"
	done
	pl_stop
}

t_pipeline_compressed() {
	begin "pipeline: a batch's compressed modules two at a time, each sign-file's bytes inside"
	pl_start || return
	a=$T/home/$ALICE
	pl_list=""
	for i in 1 2; do
		xz --check=crc32 --lzma2=dict=1MiB -c "$T/mod/hello.ko" \
			> "$a/plc$i.ko.xz"
		zstd -q -c "$T/mod/hello.ko" > "$a/plc$i.ko.zst"
		gzip -n -c "$T/mod/hello.ko" > "$a/plc$i.ko.gz"
		pl_list="$pl_list plc$i.ko.xz plc$i.ko.zst plc$i.ko.gz"
	done
	for f in $pl_list; do chown "$ALICE" "$a/$f"; done
	pl_two "$T/pl.log" "6 compressed modules over one connection" \
		pl_sign $pl_list
	bad=""
	for f in $pl_list; do
		case $f in
		*.xz) dec="xz -dc" ;;
		*.zst) dec="zstd -dcq" ;;
		*) dec="gzip -dc" ;;
		esac
		$dec "$a/$f" > "$T/plc.out" 2>/dev/null &&
			cmp -s "$T/plc.out" "$T/ref.kmod.sha256.ko" || bad="$bad $f"
	done
	[ -z "$bad" ] && ok || fail "not sign-file's bytes inside:$bad"
	pl_stop
}

# pl_pe_sign ARGS...: csign-client sign -f pe as alice against $T/pl.sock.
pl_pe_sign() {
	(cd "$T/home/$ALICE" && runuser -u "$ALICE" -- "$T/bin/csign-client" \
		-S "$T/pl.sock" sign -k efi -f pe --jobs 1 "$@")
}

CASES="$CASES t_pipeline_modules t_pipeline_client_dies t_pipeline_order"
CASES="$CASES t_pipeline_pe t_pipeline_detached t_pipeline_compressed"
