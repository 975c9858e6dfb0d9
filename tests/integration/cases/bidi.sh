# Trojan Source: bidirectional controls in an artifact name never reach a
# terminal raw, neither in pending (table and --json), nor in the audit
# log, nor in csign-audit search --json (even for a record written raw by
# an older version).

RLO=$(printf '\342\200\256')

# Forge an older record: FILE's last line with \u202e written raw and its
# own hash recomputed, into OUT.
bidi_raw_record() {
	tail -1 "$1" | python3 -c '
import hashlib, sys
line = sys.stdin.buffer.read().rstrip(b"\n")
line = line.replace(b"\\u202e", "\u202e".encode())
head = line[:line.index(b",\"hash\":")]
sys.stdout.buffer.write(head + b",\"hash\":\"" +
    hashlib.sha256(head).hexdigest().encode() + b"\"}\n")
' > "$2"
}

t_bidi_escaped() {
	begin "bidi controls are escaped in pending, the audit log and search"
	appr_setup
	a=$T/home/$ALICE
	name="x${RLO}nib.ko"
	cp "$a/ap.bin" "$a/$name"
	chmod 644 "$a/$name"
	id=$(as $ALICE sign -k appr -f cms --no-wait -o bidi.p7s "$name" \
		2> "$T/bidi.err")
	[ -n "$id" ] && ok || { fail "no request id"; cat "$T/bidi.err" >&2; }
	expect_run "dave lists pending" "$T/bidi.pend" as $DAVE pending
	expect_grep "^$id +$ALICE +appr +cms +x\\?nib\\.ko " "$T/bidi.pend" \
		"pending shows the control as ?"
	expect_nogrep "$RLO" "$T/bidi.pend" "raw RLO in pending"
	expect_run "dave lists pending --json" "$T/bidi.json" \
		as $DAVE --json pending
	expect_grep '"artifact":"x\\u202enib\.ko"' "$T/bidi.json" \
		"pending --json escapes it"
	expect_nogrep "$RLO" "$T/bidi.json" "raw RLO in pending --json"
	check "held, audited" appr_audit approval-pending "$id" \
		'"artifact":"x\\u202enib\.ko"'
	expect_nogrep "$RLO" "$T/audit.jsonl" "raw RLO in the audit log"
	check "deny it" as $DAVE deny "$id" --reason "bidi test"
	grep '"event":"approval-pending"' "$T/audit.jsonl" > "$T/bidi.rec"
	bidi_raw_record "$T/bidi.rec" "$T/bidi-old.jsonl"
	grep -q "$RLO" "$T/bidi-old.jsonl" && ok || fail "forged record lacks RLO"
	"$T/bin/csign-audit" search --json --event all "$T/bidi-old.jsonl" \
		> "$T/bidi.search" 2> "$T/bidi.search.err"
	rc=$?
	[ "$rc" -eq 0 ] && [ -s "$T/bidi.search" ] && ok || {
		fail "search: exit $rc"; cat "$T/bidi.search.err" >&2; }
	expect_nogrep "$RLO" "$T/bidi.search" "raw RLO in search --json"
	expect_grep 'x\\u202enib\.ko' "$T/bidi.search" "search --json escapes it"
	check "search --json output is JSON" python3 -m json.tool \
		"$T/bidi.search"
}
CASES="$CASES t_bidi_escaped"
