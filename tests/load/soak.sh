#!/bin/sh
# tests/load/soak.sh BUILD CLIENTS REQUESTS: load and soak csignd.
#
# CLIENTS connections are held open at once (the daemon serves each with
# its own session child), then each sends REQUESTS sign requests.  Zero
# failures are allowed; the monitor's open descriptors and resident memory
# must be flat after a warm-up; every request must have exactly one audit
# record, and csign-audit verify must pass at the end.  Needs root.
set -u
# csignd refuses files that group or others may write (StrictModes).
umask 022
build=$(cd "${1:-build}" && pwd)
clients=${2:-50}
requests=${3:-20}
src=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d /tmp/csign-soak.XXXXXX)
chmod 755 "$d"
pid=""
pass=0
fail=0
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "soak: FAIL: $*" >&2; }

SOFTHSM2_CONF=$(sh "$src/tests/lib/token.sh" "$d") || exit 1
export SOFTHSM2_CONF
getent passwd csign-sandbox >/dev/null ||
	useradd --system --no-create-home --shell /usr/sbin/nologin csign-sandbox
cat > "$d/csignd.conf" <<CONF
Listen $d/csignd.sock
SandboxUser csign-sandbox
SandboxProgram $build/csign-sandbox
AuditLog $d/audit.jsonl
PoolSize 16
MaxSessions 1024
MaxSessionsPerUser 1024
SessionTimeout 300
Token hsm0
    Module /usr/lib/softhsm/libsofthsm2.so
    TokenLabel csign
    PinFile $d/hsm.pin
Key ec
    Token hsm0
    Label p256
    Certificate $d/p256.crt
    Formats raw
Allow user root keys ec
CONF
ulimit -n 65536 2>/dev/null || true
"$build/csignd" -d -f "$d/csignd.conf" 2> "$d/csignd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$d/csignd.sock" ] && break; sleep 0.1; done

# Open descriptors and resident kB of the monitor, once the children of
# the last run have gone.
settle() {
	for _ in $(seq 300); do
		[ "$(pgrep -c -P "$pid")" -le 16 ] && break
		sleep 0.1
	done
	sleep 0.5
	echo "$(ls "/proc/$pid/fd" | wc -l) $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
}

client="$build/test/bench-client"
"$client" --soak "$d/csignd.sock" ec 50 20 > "$d/warm.out" || bad "warm-up"
set -- $(settle)
fd0=$1 rss0=$2
echo "soak: after warm-up: $fd0 fds, $rss0 kB resident"
if "$client" --soak "$d/csignd.sock" ec "$clients" "$requests"; then ok; else
	bad "requests failed"; fi
set -- $(settle)
fd1=$1 rss1=$2
echo "soak: after $((clients * requests)) requests: $fd1 fds, $rss1 kB resident"
[ "$fd1" -le $((fd0 + 4)) ] && ok || bad "descriptors grew from $fd0 to $fd1"
[ "$rss1" -le $((rss0 + 16384)) ] && ok || bad "memory grew from $rss0 to $rss1 kB"
kill -0 "$pid" && ok || bad "csignd died"
want=$((50 * 20 + clients * requests))
got=$(grep -c '"event":"sign"' "$d/audit.jsonl")
[ "$got" -eq "$want" ] && ok || bad "$got sign records for $want requests"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] && ok || bad "csignd exit status $rc"
"$build/csign-audit" verify "$d/audit.jsonl" && ok || bad "audit chain"
echo "soak: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
