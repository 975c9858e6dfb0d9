#!/bin/sh
# bench/run.sh BUILD: csignd's throughput against the limits it cannot beat.
#
# Sets up a throwaway SoftHSM token and a csignd on it (needs root), then
# measures, all in this run:
#   - the direct limit: one thread signing with libp11 on the same token
#     and key (build/test/bench-direct), for rsa2048 and p256, with its
#     CPU time per signature and the cost of checking one signature,
#     and the token's CPU time per signature with two threads signing
#     at once (as csignd's default SignWorkers 2);
#   - csignd with 1 and with 8 concurrent clients for the same keys
#     (build/test/bench-client), each as a ratio to the direct limit,
#     with the CPU time per signature of the monitor's threads and of
#     the session children against the token's own CPU time and the
#     child's mandatory check;
#   - SHA-256 of a 1 GiB artifact hashed inside the sandbox, against
#     `openssl dgst -sha256` on the same file (best of 3 each);
#   - the formats (bench/formats.sh), then one-shot latency of
#     csign-client sign -f pe against sbsign --engine pkcs11 on the same
#     token and key (medians of interleaved runs);
#   - a slow token (the tests' p11fault module adding BENCH_DELAY_MS to
#     every C_Sign, as a network HSM would): 8 clients against 1 for
#     SignWorkers 1, 2, 4 and 8 (a daemon restart per setting).
# Every figure is printed with its baseline and the ratio, and targets
# next to the ratios; missing one does not fail the run (benchmarks
# report, tests assert).  See bench/README.md.
#
# Environment: BENCH_SECONDS (default 5) per throughput measurement,
# BENCH_HASH_MIB (default 1024) artifact size, BENCH_ONESHOT (default 15)
# runs per one-shot tool, BENCH_DELAY_MS (default 5) and
# BENCH_SCALE_SECONDS (default 3) for the slow token, BENCH_PARTS (default
# all: "clients hash formats oneshot batch slow", any of them, to measure
# one thing while changing it), TMPDIR where the
# token, the audit log (fdatasync!) and the artifact live,
# CSIGN_PKCS11_MODULE.
set -eu
# csignd refuses files that group or others may write (StrictModes).
umask 022

build=${1:-build}
secs=${BENCH_SECONDS:-5}
hash_mib=${BENCH_HASH_MIB:-1024}
module=${CSIGN_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
delay_ms=${BENCH_DELAY_MS:-5}
scale_secs=${BENCH_SCALE_SECONDS:-3}
target_rsa=1.00	# 8 clients, RSA-2048, against the direct limit
target_ec=0.50	# 8 clients, P-256
target_cpu=50	# us of CPU per signature beyond the token, or the check
target_hash=0.90
target_oneshot=0.50
target_scale=6

parts=${BENCH_PARTS:-clients hash formats oneshot batch slow}
oneshot=${BENCH_ONESHOT:-15}

say() { printf '%s\n' "$*"; }
# Whether part $1 is measured in this run.
part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (csignd starts as root and runs its sandbox as csign-sandbox)"
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || die "no build directory $1"
for p in csignd csign-sandbox csign-client test/bench-direct test/bench-hop \
    test/bench-client test/p11fault.so; do
	[ -x "$build/$p" ] || [ -r "$build/$p" ] ||
		die "$build/$p is missing; run make all tests"
done
[ -r "$module" ] || die "no PKCS#11 module $module (set CSIGN_PKCS11_MODULE)"
command -v softhsm2-util >/dev/null || die "softhsm2-util not found"

d=
pid=
# Stop the daemon this script started, if it runs.
stop_csignd() {
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
}
cleanup() {
	stop_csignd
	# The gpg loop's agent (bench/batch.sh), if it started one.
	[ -z "${GNUPGHOME:-}" ] || gpgconf --kill gpg-agent 2>/dev/null || true
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
# Milliseconds one run of command "$@" takes ("fail" if it failed), timed
# by a process already running when it starts: a date(1) started inside
# the interval would add its own start-up (several ms on a small VM) to
# every tool measured, pulling each ratio towards 1.
ms_of() {
	python3 -c 'import subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL).returncode
e = time.perf_counter()
print("fail" if r else "%.1f" % ((e - t) * 1000))' "$@"
}
# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The number before "sig/s" or "MB/s" in a result line.
rate_of() { printf '%s\n' "$1" | awk '{ for (i = 2; i <= NF; i++) if ($i == "sig/s" || $i == "MB/s") { print $(i - 1); exit } }'; }
# Three decimals: a verdict is taken on the ratio as printed, and 0.104
# printed as 0.10 would pass a target of 0.10 it does not meet.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 >= t + 0) ? "met" : "NOT met" }'; }
# Like verdict, for figures that must stay at or under their target.
verdict_max() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 <= t + 0) ? "met" : "NOT met" }'; }
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
# The daemon's configuration: write_conf SIGNWORKERS MODULE.
write_conf() {
	cat > "$d/csignd.conf" <<EOF
Listen $sock
SandboxUser csign-sandbox
SandboxProgram $build/csign-sandbox
AuditLog $d/audit.jsonl
PoolSize 8
MaxSessionsPerUser 64
SignWorkers $1
Token hsm0
    Module $2
    TokenLabel csign
    PinFile $d/hsm.pin
Key rsa
    Token hsm0
    Label rsa2048
    Certificate $d/rsa2048.crt
    Formats raw cms openpgp
    OpenPGPUserID "csign bench <rsa@csign.test>"
    OpenPGPCreated 2026-01-01T00:00:00Z
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
}

# Start csignd on the configuration written last, with the environment
# given as arguments (VAR=value ...), and wait for its socket.
start_csignd() {
	rm -f "$sock"
	env "$@" "$build/csignd" -d -f "$d/csignd.conf" 2>>"$d/csignd.log" &
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
}

alive() {
	kill -0 "$pid" 2>/dev/null && return 0
	cat "$d/csignd.log" >&2
	pid=
	die "csignd died"
}

# ---- the direct limit (before the daemon runs, so nothing competes) ---------
say ""
say "== direct limit: one thread, libp11 on the same token and keys =="
direct_rsa=$("$build/test/bench-direct" "$module" csign "$d/hsm.pin" rsa2048 \
	"$secs" "$d/rsa2048.crt") || die "bench-direct rsa2048 failed"
say "$direct_rsa"
direct_ec=$("$build/test/bench-direct" "$module" csign "$d/hsm.pin" p256 \
	"$secs" "$d/p256.crt") || die "bench-direct p256 failed"
say "$direct_ec"
# The token's own cost when two signatures overlap, as with SignWorkers 2
# below: what the monitor's signing threads pay on the token alone.
direct2_rsa=$("$build/test/bench-direct" -j 2 "$module" csign "$d/hsm.pin" \
	rsa2048 "$secs") || die "bench-direct -j 2 rsa2048 failed"
say "$direct2_rsa"
direct2_ec=$("$build/test/bench-direct" -j 2 "$module" csign "$d/hsm.pin" \
	p256 "$secs") || die "bench-direct -j 2 p256 failed"
say "$direct2_ec"
lim_rsa=$(rate_of "$direct_rsa")
lim_ec=$(rate_of "$direct_ec")
# The number before " us" after the word $2 in line $1.
us_after() { printf '%s\n' "$1" | sed -n "s/.*$2 \([0-9.]*\) us.*/\1/p"; }
cpu_rsa=$(us_after "$direct_rsa" CPU)
cpu_ec=$(us_after "$direct_ec" CPU)
cpu2_rsa=$(us_after "$direct2_rsa" CPU)
cpu2_ec=$(us_after "$direct2_ec" CPU)
ver_rsa=$(us_after "$direct_rsa" "verify rsa2048:")
ver_ec=$(us_after "$direct_ec" "verify p256:")

write_conf 2 "$module"
start_csignd

# ---- csignd under load ----------------------------------------------------
records() { wc -l < "$d/audit.jsonl"; }

# Each csignd thread ("T tid name ns sleeps utime stime") and each live
# child process ("C pid - ns sleeps utime stime"): CPU time in ns
# (schedstat), times it went to sleep (voluntary context switches, each
# ended by a wake-up), user and system time in clock ticks; then the
# audit records.  A few processes only, so that it is quick on a loaded
# host; one that exits meanwhile is left out.
snapshot() {
	kids=$(pgrep -P "$pid" | tr '\n' ' ')
	{
		# shellcheck disable=SC2046,SC2086
		grep -H '' /proc/"$pid"/task/*/comm \
			/proc/"$pid"/task/*/schedstat /proc/"$pid"/task/*/stat \
			$(for k in $kids; do
				printf '/proc/%s/schedstat /proc/%s/stat ' "$k" "$k"
			done)
		# shellcheck disable=SC2046,SC2086
		grep -H '^voluntary_ctxt_switches' /proc/"$pid"/task/*/status \
			$(for k in $kids; do printf '/proc/%s/status ' "$k"; done)
	} 2>/dev/null | awk '
	{
		i = index($0, ":"); v = substr($0, i + 1)
		n = split(substr($0, 1, i - 1), p, "/"); f = p[n]
		id = p[4] == "task" ? "T " p[5] : "C " p[3]
	}
	f == "comm" { name[id] = v; next }
	f == "schedstat" { split(v, a, " "); ns[id] = a[1]; next }
	f == "stat" { sub(/^.*\) /, "", v); split(v, a, " ")
		ut[id] = a[12]; st[id] = a[13]; next }
	f == "status" { sub(/^[^:]*:[ \t]*/, "", v); vol[id] = v + 0; next }
	END {
		for (i in ns)
			if ((i in vol) && (i in ut))
				printf "%s %s %s %s %s %s\n", i,
				    (i in name) ? name[i] : "-", ns[i], vol[i],
				    ut[i], st[i]
	}'
	printf 'R %s\n' "$(records)"
}

# Per signature between two snapshots: "loop signers writer child n
# sleeps_loop sleeps_signers sleeps_writer sleeps_child monitor_user
# monitor_system child_user child_system": CPU in us, sleeps as counts
# with two decimals.  Threads by role: the loop is the main thread, the
# audit writer names itself, the rest sign.  Children count if alive in
# both snapshots: the ones serving the clients (the pool's idle ones use
# nothing; refills started meanwhile are not per-signature work).
cpu_split() {
	awk -v pid="$pid" -v hz="$(getconf CLK_TCK)" '
	FNR == NR {
		if ($1 == "R") r0 = $2
		else { a[$1 $2] = $4; w[$1 $2] = $5; u[$1 $2] = $6; s[$1 $2] = $7 }
		next
	}
	$1 == "R" { n = $2 - r0; next }
	!(($1 $2) in a) { next }
	{
		v = ($4 - a[$1 $2]) / 1000; sl = $5 - w[$1 $2]
		us = ($6 - u[$1 $2]) * 1e6 / hz; sy = ($7 - s[$1 $2]) * 1e6 / hz
	}
	$1 == "C" { child += v; wc += sl; cu += us; cs += sy; next }
	{ mu += us; ms += sy }
	$2 == pid { loop += v; wl += sl; next }
	$3 == "csignd-audit" { writer += v; ww += sl; next }
	{ signers += v; wsg += sl }
	END { if (n < 1) n = 1
		printf "%.0f %.0f %.0f %.0f %d %.2f %.2f %.2f %.2f %.0f %.0f %.0f %.0f\n",
		    loop / n, signers / n, writer / n, child / n, n,
		    wl / n, wsg / n, ww / n, wc / n, mu / n, ms / n, cu / n,
		    cs / n }' "$1" "$2"
}

# The ceiling of 8 clients with one request in flight each, which all
# wait for one group commit's sync (sync_us): with nothing beyond the
# token and the check, 2 CPUs sign at most 8 / (8 (tok + ver) / 2 + sync)
# a second; and what the target leaves per signature for the rest.
ceiling() {
	awk -v t="$tok" -v v="$ver" -v f="$sync_us" -v lim="$lim" -v g="$target" \
	    -v now="$((over + cover))" -v cpus="$(nproc)" 'BEGIN {
		best = 8 / (8 * (t + v) / cpus + f) * 1e6
		left = ((8 / (g * lim) * 1e6) - f) * cpus / 8 - (t + v)
		printf "    ceiling: each client waits for its record'"'"'s sync (%d us alone here); with no CPU beyond the token and the check (%.0f us), %d CPUs sign at most %.0f sig/s, ratio %.3f; the target %.2f leaves %.0f us a signature for the rest (monitor, child, client, kernel), the monitor and the child take %d now\n", f, t + v, cpus, best, best / lim, g, left, now }'
}

part clients && {
# One appended write and its sync on the audit log's file system (dd's
# O_DSYNC: one journal commit per write, as the writer's fdatasync), in us.
sync_us=$(dd if=/dev/zero of="$d/sync.probe" bs=512 count=200 oflag=dsync 2>&1 |
	awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") { printf "%.0f", $(i - 1) * 1e6 / 200; exit } }')
rm -f "$d/sync.probe"
# What a wake-up (a message to a process asleep in recv) and a system call
# cost here: every hop of a signature pays them (bench/bench_hop.c).
hop=$("$build/test/bench-hop" 2) || die "bench-hop failed"
hop_us=$(printf '%s\n' "$hop" | sed -n 's/^hop: \([0-9.]*\) us.*/\1/p')
say ""
say "== csignd: N clients, one connection each, raw signatures back to back =="
say "   (CPU per signature in the steady state, 1 s after the start to 1 s"
say "   before the end; the token's CPU and the check are bench-direct's)"
say "$hop" | sed 's/^/   /'
for key in rsa ec; do
	if [ $key = rsa ]; then
		lim=$lim_rsa tok=$cpu_rsa ver=$ver_rsa target=$target_rsa
		base=rsa2048 tok2=$cpu2_rsa
	else
		lim=$lim_ec tok=$cpu_ec ver=$ver_ec target=$target_ec base=p256
		tok2=$cpu2_ec
	fi
	for n in 1 8; do
		"$build/test/bench-client" "$sock" $key $n "$secs" > "$d/out" &
		bc=$!
		sleep 1
		snapshot > "$d/s0"
		sleep "$(awk -v s="$secs" 'BEGIN { print (s > 2.5) ? s - 2 : 0.5 }')"
		snapshot > "$d/s1"
		wait $bc || { alive; die "bench-client $key $n failed"; }
		alive
		out=$(cat "$d/out")
		# shellcheck disable=SC2046
		set -- $(cpu_split "$d/s0" "$d/s1")
		mon=$(($1 + $2 + $3))
		over=$(awk -v a=$mon -v b="$tok" 'BEGIN { printf "%.0f", a - b }')
		cover=$(awk -v a="$4" -v b="$ver" 'BEGIN { printf "%.0f", a - b }')
		r=$(ratio "$(rate_of "$out")" "$lim")
		if [ $n -eq 8 ]; then
			say "$out  ratio $r to direct $base $lim sig/s" \
				"(target >= $target: $(verdict "$r" $target))"
		else
			say "$out  ratio $r to direct $base $lim sig/s"
		fi
		say "    CPU per signature ($5 signatures): monitor $mon us" \
			"(event loop $1, signing threads $2, audit writer $3)," \
			"session child $4 us"
		say "    sleeps per signature, each ended by a wake-up: event" \
			"loop $6, signing threads $7, audit writer $8, session" \
			"child $9; user/system CPU: monitor ${10}/${11} us," \
			"child ${12}/${13} us"
		[ -n "$hop_us" ] && say "    $(awk -v h="$hop_us" \
		    -v m="$(awk -v a="$6" -v b="$7" -v c="$8" \
			'BEGIN { print a + b + c }')" -v c="$9" 'BEGIN {
			printf "at %.1f us a wake-up (bench-hop), the monitor'"'"'s wake-ups cost about %.0f us a signature, the child'"'"'s %.0f\n", h, m * h, c * h }')"
		if [ $n -eq 8 ]; then
			say "    beyond the token: monitor $mon - direct CPU $tok" \
				"= $over us (target <= $target_cpu:" \
				"$(verdict_max "$over" $target_cpu)); child $4 -" \
				"verification $ver = $cover us (target <=" \
				"$target_cpu: $(verdict_max "$cover" $target_cpu))"
			say "    the token alone with 2 threads (SignWorkers 2):" \
				"CPU $tok2 us/sig; the monitor beyond that:" \
				"$(awk -v a=$mon -v b="$tok2" \
				    'BEGIN { printf "%.0f", a - b }') us"
		else
			say "    beyond the token: monitor $mon - direct CPU $tok" \
				"= $over us; child $4 - verification $ver = $cover us"
		fi
		[ $n -eq 8 ] && [ -n "$sync_us" ] && say "$(ceiling)"
	done
done

}

# ---- hashing ----------------------------------------------------------------
# $d/artifact.bin, hash_mib MiB of pseudo-random bytes (the hash and the
# formats parts), made once.
art=$d/artifact.bin
random_artifact() {
	[ -s "$art" ] && return 0
	# Faster than /dev/urandom.
	openssl enc -aes-128-ctr -pass pass:csign-bench -nosalt -pbkdf2 \
		-in /dev/zero 2>/dev/null |
		head -c $((hash_mib * 1048576)) > "$art" || true
	if [ "$(stat -c %s "$art")" -ne $((hash_mib * 1048576)) ]; then
		head -c $((hash_mib * 1048576)) /dev/urandom > "$art"
	fi
}

part hash && {
say ""
say "== SHA-256 of a ${hash_mib} MiB artifact (page cache, best of 3) =="
random_artifact
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
}

# ---- kernel and firmware formats --------------------------------------------
! part formats || . "$src/bench/formats.sh"

# ---- one-shot against the same token and key ------------------------------
! part oneshot || . "$src/bench/oneshot.sh"

# ---- batches of kernel modules (the daemon as started above) ---------------
! part batch || . "$src/bench/batch.sh"

# ---- a slow token: SignWorkers against a network HSM's latency ---------------
part slow || exit 0
say ""
say "== slow token: p11fault adds $delay_ms ms to every C_Sign (a network HSM)," \
	"key ec, ${scale_secs} s per run =="
for w in 1 2 4 8; do
	stop_csignd
	write_conf $w "$build/test/p11fault.so"
	start_csignd P11FAULT_MODULE="$module" P11FAULT_DELAY_MS="$delay_ms"
	one=$("$build/test/bench-client" "$sock" ec 1 "$scale_secs") ||
		{ alive; die "bench-client (slow token, 1 client) failed"; }
	eight=$("$build/test/bench-client" "$sock" ec 8 "$scale_secs") ||
		{ alive; die "bench-client (slow token, 8 clients) failed"; }
	alive
	r=$(ratio "$(rate_of "$eight")" "$(rate_of "$one")")
	line="SignWorkers $w: 8 clients $(rate_of "$eight") sig/s, 1 client"
	line="$line $(rate_of "$one") sig/s: ratio $r (ideal $((w < 8 ? w : 8)))"
	if [ $w -eq 8 ]; then
		line="$line (target >= $target_scale: $(verdict "$r" $target_scale))"
	fi
	say "$line"
done
