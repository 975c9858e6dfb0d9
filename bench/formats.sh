# bench/formats.sh: the kernel and firmware formats (sourced by run.sh,
# which provides say, die, now, ratio, verdict, max, $build, $d, $sock and
# a running csignd with the keys kmod (module) and efi (pe)).
#
#   - Authenticode digest throughput on a large image (systemd-boot with
#     BENCH_PE_MIB of data after its sections, all of it hashed): the
#     sandbox's digest code (build/test/bench-pe) against plain SHA-256 of
#     the same bytes, and csign-client sign -f pe end to end;
#   - one-shot latency of csign-client sign -f pe / -f module against
#     sbsign and the kernel's sign-file with the key file, on the same
#     artifact (median of BENCH_ONESHOT runs each).

pe_mib=${BENCH_PE_MIB:-100}
sign_file=/usr/lib/linux-kbuild-6.1/scripts/sign-file
client="$build/csign-client -S $sock"


# Milliseconds one run of a command takes, BENCH_ONESHOT times, median.
time_ms() {
	for _ in $(seq "$oneshot"); do
		ms_of "$@"
	done | median
}

# A kernel module built against Debian's headers, as the tests do.
bench_module() {
	kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | tail -1)
	[ -n "$kdir" ] && [ -x "$sign_file" ] || return 1
	mkdir -p "$d/mod"
	printf '%s\n' '#include <linux/module.h>' 'MODULE_LICENSE("GPL");' \
		> "$d/mod/bench.c"
	echo 'obj-m := bench.o' > "$d/mod/Kbuild"
	make -C "$kdir" M="$d/mod" modules > "$d/mod/build.log" 2>&1
}

say ""
say "== Authenticode digest of a $pe_mib MiB PE image (best of 3) =="
efi=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -r "$efi" ] || die "$efi missing (make deps)"
big=$d/big.efi
random_artifact
{ cat "$efi"; head -c $((pe_mib * 1048576)) "$art"; } > "$big"
cat "$big" > /dev/null
# The sandbox's own digest code (with the PE checksum summed on the way)
# against plain SHA-256 of the same bytes through the same read loop.
out=$("$build/test/bench-pe" "$big") || die "bench-pe failed"
printf '%s\n' "$out" | sed -n '1,2p'
r=$(printf '%s\n' "$out" | sed -n 's/^ratio //p')
say "ratio $r (target >= 0.90: $(verdict "$r" 0.90))"
# And end to end through csignd: hash, sign, the signed image to a pipe.
size=$(stat -c %s "$big")
best_pe=0
for _ in 1 2 3; do
	t0=$(now)
	$client sign -k efi -f pe -o - "$big" | cat > /dev/null ||
		die "csign-client sign -f pe failed"
	t1=$(now)
	best_pe=$(max "$best_pe" "$(awk -v s="$size" -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.0f", s / (b - a) / 1e6 }')")
done
say "end to end, csign-client sign -f pe -o - (two passes over the image: digest, then the output): $best_pe MB/s"

say ""
say "== one-shot latency, median of $oneshot runs (ms) =="
cp "$efi" "$d/boot.efi"
ms_c=$(time_ms $client sign -k efi -f pe -o "$d/boot.signed" "$d/boot.efi")
ms_s=$(time_ms sbsign --key "$d/rsa2048.key" --cert "$d/rsa2048.crt" \
	--output "$d/boot.sb" "$d/boot.efi")
say "pe, systemd-boot ($(stat -c %s "$efi") bytes): csign-client $ms_c ms, sbsign $ms_s ms"
if bench_module; then
	ko=$d/mod/bench.ko
	ms_c=$(time_ms $client sign -k kmod -f module -o "$d/mod/out.ko" "$ko")
	ms_s=$(time_ms "$sign_file" sha256 "$d/rsa2048.key" "$d/rsa2048.crt" \
		"$ko" "$d/mod/sf.ko")
	say "module ($(stat -c %s "$ko") bytes): csign-client $ms_c ms, sign-file $ms_s ms"
else
	say "module: kernel headers or sign-file missing (make deps); not measured"
fi
