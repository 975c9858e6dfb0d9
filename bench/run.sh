#!/bin/sh
# bench/run.sh BUILD: csignd's throughput against the limits it cannot beat.
#
# Sets up a throwaway SoftHSM token and a csignd on it (needs root), then
# measures, all in this run:
#   - the direct limit: one thread signing with libp11 on the same token
#     and key (build/test/bench-direct), for rsa2048 and p256;
#   - csignd with 1 and with 8 concurrent clients for the same keys
#     (build/test/bench-client), each as a ratio to the direct limit;
#   - SHA-256 of a 1 GiB artifact hashed inside the sandbox, against
#     `openssl dgst -sha256` on the same file (best of 3 each).
# Targets are printed next to the ratios; missing one does not fail the
# run (benchmarks report, tests assert).  See bench/README.md.
#
# Environment: BENCH_SECONDS (default 5) per throughput measurement,
# BENCH_HASH_MIB (default 1024) artifact size, TMPDIR where the token,
# the audit log (fdatasync!) and the artifact live, CSIGN_PKCS11_MODULE.
set -eu
# csignd refuses files that group or others may write (StrictModes).
umask 022

build=${1:-build}
secs=${BENCH_SECONDS:-5}
hash_mib=${BENCH_HASH_MIB:-1024}
module=${CSIGN_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
target_load=0.80
target_hash=0.90

say() { printf '%s\n' "$*"; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (csignd starts as root and runs its sandbox as csign-sandbox)"
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || die "no build directory $1"
for p in csignd csign-sandbox test/bench-direct test/bench-client; do
	[ -x "$build/$p" ] || die "$build/$p is missing; run make all tests"
done
[ -r "$module" ] || die "no PKCS#11 module $module (set CSIGN_PKCS11_MODULE)"
command -v softhsm2-util >/dev/null || die "softhsm2-util not found"

d=
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
	if [ -n "$d" ]; then
		rm -rf "$d"
		d=
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wall clock in seconds with nanoseconds (GNU date).
now() { date +%s.%N; }
# The number before "sig/s" or "MB/s" in a result line.
rate_of() { printf '%s\n' "$1" | awk '{ for (i = 2; i <= NF; i++) if ($i == "sig/s" || $i == "MB/s") { print $(i - 1); exit } }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 >= t + 0) ? "met" : "NOT met" }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }

d=$(mktemp -d "${TMPDIR:-/tmp}/csign-bench.XXXXXX")
chmod 755 "$d"

say "csign benchmark: $(nproc) CPUs, $(openssl version | cut -d' ' -f1-2)," \
	"SoftHSM $(softhsm2-util --version), ${secs} s per throughput run"
say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(other work on this host skews every number below)"

# ---- token and daemon ------------------------------------------------------
conf=$(sh "$src/tests/lib/token.sh" "$d") || die "cannot create the SoftHSM token"
export SOFTHSM2_CONF="$conf"
getent passwd csign-sandbox >/dev/null ||
	useradd --system --no-create-home --shell /usr/sbin/nologin csign-sandbox
sock=$d/csignd.sock
cat > "$d/csignd.conf" <<EOF
Listen $sock
SandboxUser csign-sandbox
SandboxProgram $build/csign-sandbox
AuditLog $d/audit.jsonl
PoolSize 8
MaxSessionsPerUser 64
SignWorkers 2
Token hsm0
    Module $module
    TokenLabel csign
    PinFile $d/hsm.pin
Key rsa
    Token hsm0
    Label rsa2048
    Certificate $d/rsa2048.crt
    Formats raw cms
Key ec
    Token hsm0
    Label p256
    Certificate $d/p256.crt
    Formats raw cms
Key kmod
    Token hsm0
    Label kmod
    Certificate $d/kmod.crt
    Formats module
Key efi
    Token hsm0
    Label efi
    Certificate $d/efi.crt
    Formats pe
Allow user root keys rsa ec kmod efi
EOF

# ---- the direct limit (before the daemon runs, so nothing competes) ---------
say ""
say "== direct limit: one thread, libp11 on the same token and keys =="
direct_rsa=$("$build/test/bench-direct" "$module" csign "$d/hsm.pin" rsa2048 "$secs") ||
	die "bench-direct rsa2048 failed"
say "$direct_rsa"
direct_ec=$("$build/test/bench-direct" "$module" csign "$d/hsm.pin" p256 "$secs") ||
	die "bench-direct p256 failed"
say "$direct_ec"
lim_rsa=$(rate_of "$direct_rsa")
lim_ec=$(rate_of "$direct_ec")

"$build/csignd" -d -f "$d/csignd.conf" 2>"$d/csignd.log" &
pid=$!
i=0
while [ ! -S "$sock" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
		cat "$d/csignd.log" >&2
		die "csignd did not start"
	fi
	sleep 0.1
	i=$((i + 1))
done

# CPU ticks of csignd: "own children" (threads of the monitor; session
# children count once they have exited and been reaped).
ticks() { sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13, $14 + $15 }'; }
records() { wc -l < "$d/audit.jsonl"; }
hz=$(getconf CLK_TCK)

alive() {
	kill -0 "$pid" 2>/dev/null && return 0
	cat "$d/csignd.log" >&2
	pid=
	die "csignd died"
}

# ---- csignd under load ----------------------------------------------------
say ""
say "== csignd: N clients, one connection each, raw signatures back to back =="
for key in rsa ec; do
	if [ $key = rsa ]; then lim=$lim_rsa; else lim=$lim_ec; fi
	for n in 1 8; do
		t0=$(ticks)
		r0=$(records)
		out=$("$build/test/bench-client" "$sock" $key $n "$secs") || {
			alive
			die "bench-client $key $n failed"
		}
		sleep 0.5	# let csignd reap the finished session children
		alive
		cpu=$(printf '%s %s %s %s\n' "$t0" "$(ticks)" "$r0" "$(records)" |
			awk -v hz="$hz" '{ n = $6 - $5; if (n < 1) n = 1
				printf "monitor %.0f us, session children %.0f us (%d audit records)",
				    ($3 - $1) / hz / n * 1e6, ($4 - $2) / hz / n * 1e6, n }')
		r=$(ratio "$(rate_of "$out")" "$lim")
		if [ $n -eq 8 ]; then
			say "$out  ratio $r (target >= $target_load: $(verdict "$r" $target_load))"
		else
			say "$out  ratio $r"
		fi
		say "    CPU per signature: $cpu"
	done
done

# ---- hashing ----------------------------------------------------------------
say ""
say "== SHA-256 of a ${hash_mib} MiB artifact (page cache, best of 3) =="
art=$d/artifact.bin
# Pseudo-random bytes, faster than /dev/urandom.
openssl enc -aes-128-ctr -pass pass:csign-bench -nosalt -pbkdf2 \
	-in /dev/zero 2>/dev/null | head -c $((hash_mib * 1048576)) > "$art" || true
if [ "$(stat -c %s "$art")" -ne $((hash_mib * 1048576)) ]; then
	head -c $((hash_mib * 1048576)) /dev/urandom > "$art"
fi
cat "$art" > /dev/null
want=$(openssl dgst -sha256 -r "$art" | cut -d' ' -f1)

best_sb=0
for i in 1 2 3; do
	out=$("$build/test/bench-client" --hash "$sock" ec "$art") || {
		alive
		die "bench-client --hash failed"
	}
	alive
	got=$(printf '%s\n' "$out" | sed -n 's/.*sha256 \([0-9a-f]\{64\}\)).*/\1/p')
	[ "$got" = "$want" ] || die "the sandbox's digest $got is not openssl's $want"
	best_sb=$(max "$best_sb" "$(rate_of "$out")")
done
best_os=0
size=$(stat -c %s "$art")
for i in 1 2 3; do
	t0=$(now)
	openssl dgst -sha256 "$art" > /dev/null
	t1=$(now)
	mbs=$(awk -v s="$size" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s / (b - a) / 1e6 }')
	best_os=$(max "$best_os" "$mbs")
done
r=$(ratio "$best_sb" "$best_os")
say "sandbox (csignd raw sign of the file): $best_sb MB/s"
say "openssl dgst -sha256:                  $best_os MB/s"
say "ratio $r (target >= $target_hash: $(verdict "$r" $target_hash))"

# ---- kernel and firmware formats --------------------------------------------
. "$src/bench/formats.sh"
. "$src/bench/batch.sh"
