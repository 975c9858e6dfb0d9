# csign-audit search and verify across rotated logs, on a csignd of its
# own (its log is rotated, which the main daemon's must not be): "what
# did this key sign, who signed, and when", answered across two files;
# verify passes over the files in order and fails when one is missing.

# Start a csignd whose audit log is $T/as.jsonl; its pid in ASPID.
as_start_daemon() {
	it_own_daemon as "s|^StateFile .*|StateFile $T/as.state|"
	r=$?
	ASPID=$SPAWNED
	return $r
}

# Rotate the log as logrotate does: rename, then SIGUSR1; wait for it.
as_rotate() {
	n=$(grep -c "audit log reopened" "$T/as.log")
	mv "$T/as.jsonl" "$1"
	kill -USR1 "$ASPID"
	for _ in $(seq 50); do
		[ "$(grep -c "audit log reopened" "$T/as.log")" -gt "$n" ] &&
			return 0
		sleep 0.1
	done
	fail "the log was not reopened"
}

# The time of the first sign record of artifact $2 in file $1.
as_time_of() {
	grep "\"event\":\"sign\".*\"artifact\":\"$2\"" "$1" | head -1 |
		sed 's/.*"time":"\([^"]*\)".*/\1/'
}

t_audit_search() {
	begin "csign-audit search: by key, user, format and time, across rotated files"
	a=$T/home/$ALICE
	c=$T/home/$CAROL
	as_start_daemon || { fail "second csignd did not start"; return; }
	sa() { user=$1; shift; as "$user" -S "$T/as.sock" sign "$@"; }
	echo one > "$a/s1.txt"; echo two > "$a/s2.txt"; echo three > "$c/s3.txt"
	check "alice signs s1 with rsa" sa $ALICE -k rsa -f raw -o s1.sig s1.txt
	check "alice signs s2 with ec" sa $ALICE -k ec -f cms -o s2.p7s s2.txt
	check "carol signs s3 with rawkey" sa $CAROL -k rawkey -f raw \
		-o s3.sig s3.txt
	as_rotate "$T/as.jsonl.1"
	sleep 1.1		# the next batch starts in a later second
	echo four > "$a/s4.txt"; echo five > "$c/s5.txt"
	check "alice signs s4 with rsa" sa $ALICE -k rsa -f cms -o s4.p7s s4.txt
	check "carol signs s5 with rawkey" sa $CAROL -k rawkey -f raw \
		-o s5.sig s5.txt
	as_rotate "$T/as.jsonl.2"
	check "alice signs s6 with rsa" sa $ALICE -k rsa -f raw -o s6.sig s1.txt
	echo six > "$T/home/$BOB/s7.txt"
	expect_rc 3 "bob is denied rsa" sa $BOB -k rsa -f raw -o s7.sig s7.txt
	files="$T/as.jsonl.1 $T/as.jsonl.2 $T/as.jsonl"
	AS=$T/bin/csign-audit

	# What did the key rsa sign, across all three files?
	check "search by key" sh -c "'$AS' search --key rsa $files > '$T/as.key'"
	[ "$(wc -l < "$T/as.key")" -eq 3 ] && ok ||
		fail "rsa signed 3 artifacts, search lists $(wc -l < "$T/as.key")"
	expect_grep "^[0-9T:.Z-]+ $ALICE rsa raw s1.txt sha256:[0-9a-f]{64} ok$" \
		"$T/as.key" "the first file's record, every column"
	expect_grep " $ALICE rsa cms s4.txt sha256:" "$T/as.key" "the second file's"
	expect_grep " $ALICE rsa raw s1.txt .*" "$T/as.key" "the third file's"
	expect_nogrep " ec | rawkey " "$T/as.key" "other keys listed"
	want=$(sha256sum "$a/s4.txt" | cut -d' ' -f1)
	expect_grep "s4.txt sha256:$want ok" "$T/as.key" "the artifact's digest"

	# Who signed: by user.
	check "search by user" sh -c "'$AS' search --user $CAROL $files > '$T/as.user'"
	[ "$(wc -l < "$T/as.user")" -eq 2 ] && ok ||
		fail "carol signed 2, search lists $(wc -l < "$T/as.user")"
	# (2 lines, counted above: an empty answer does not get here green.)
	grep -qv " $CAROL rawkey raw " "$T/as.user" && fail "not only carol's" || ok
	check "search by format" sh -c "'$AS' search --format cms $files > '$T/as.fmt'"
	[ "$(wc -l < "$T/as.fmt")" -eq 2 ] && ok || fail "2 cms signatures"

	# When: since the second batch, and until it.
	t4=$(as_time_of "$T/as.jsonl.2" s4.txt)
	check "search --since" sh -c "'$AS' search --since '$t4' $files > '$T/as.since'"
	[ "$(wc -l < "$T/as.since")" -eq 3 ] && ok ||
		fail "since $t4: 3 records, got $(wc -l < "$T/as.since")"
	check "search --until" sh -c "'$AS' search --until '$t4' $files > '$T/as.until'"
	[ "$(wc -l < "$T/as.until")" -eq 3 ] && ok ||
		fail "until $t4: 3 records, got $(wc -l < "$T/as.until")"
	expect_nogrep "s4.txt" "$T/as.until" "until is exclusive"
	"$AS" search --key rsa --since "$t4" --until 2999-01-01 $files \
		> "$T/as.both"
	[ "$(wc -l < "$T/as.both")" -eq 2 ] && ok || fail "key and time range"
	"$AS" search --json --key ec $files > "$T/as.json"
	check "--json prints the records themselves" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1 and recs[0]["key"] == "ec" and recs[0]["artifact"] == "s2.txt", recs
' "$T/as.json"
	expect_rc 2 "a bad time is a usage error" "$AS" search --since \
		yesterday $files

	# Records that are not signatures say what they are, and why.
	check "search --event deny" sh -c \
		"'$AS' search --event deny $files > '$T/as.deny'"
	expect_grep " $BOB rsa raw s7.txt .* denied event=deny reason=key\\\\x20not\\\\x20granted" \
		"$T/as.deny" "a deny line names its event and reason"
	check "search --event start" sh -c \
		"'$AS' search --event start $files > '$T/as.start'"
	[ -s "$T/as.start" ] && ok || fail "no start record found"
	expect_grep "^[^ ]+ - - - - -:- ok event=start$" "$T/as.start" \
		"a start line says it is a start"
	grep -Eq '^[^ ]+ - - - - -:- ok$' "$T/as.start" &&
		fail "an anonymous start line" || ok

	# verify: the files in order pass; a missing middle file is found.
	check "verify across the rotations" "$AS" verify $files
	expect_rc 1 "a missing file is detected" "$AS" verify \
		"$T/as.jsonl.1" "$T/as.jsonl"
	expect_grep "as.jsonl:1:" "$T/rc.out" "names where the chain breaks"
	expect_rc 1 "files out of order are detected" "$AS" verify \
		"$T/as.jsonl.2" "$T/as.jsonl.1" "$T/as.jsonl"

	it_stop "$ASPID"
	ASPID=""
}
CASES="$CASES t_audit_search"
