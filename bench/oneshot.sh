# bench/oneshot.sh: one-shot latency on the same token and key (sourced by
# run.sh, which provides say, die, ms_of, median, ratio, verdict_max,
# $build, $d, $sock, $module, $conf, $oneshot and a
# running csignd with the key efi).
#
# csign-client sign -f pe of systemd-boot against sbsign --engine pkcs11
# with the key in the same SoftHSM token (OpenSSL's pkcs11 engine,
# pointed at SoftHSM itself rather than at p11-kit's proxy, which would
# load every module registered on the host), BENCH_ONESHOT runs of each,
# interleaved so that whatever else runs on the host hits both alike;
# medians compared.  Both outputs are checked with sbverify first.

efi=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
engine_dir=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
engine=$engine_dir/pkcs11.so

say ""
say "== one-shot on the same token and key (efi), median of $oneshot interleaved runs =="
if [ ! -r "$engine" ]; then
	say "sbsign --engine pkcs11: $engine missing (make deps); not measured"
	return 0
fi
cat > "$d/engine.cnf" <<EOF
openssl_conf = csign_bench
[csign_bench]
engines = engines
[engines]
pkcs11 = pkcs11_engine
[pkcs11_engine]
engine_id = pkcs11
dynamic_path = $engine
MODULE_PATH = $module
init = 0
EOF
cp "$efi" "$d/one.efi"
uri="pkcs11:token=csign;object=efi;type=private;pin-value=$(cat "$d/hsm.pin")"

one_csign() {
	${1:-} "$build/csign-client" -S "$sock" sign -k efi -f pe \
		-o "$d/one.csign.efi" "$d/one.efi"
}
one_sbsign() {
	OPENSSL_CONF="$d/engine.cnf" ${1:-} sbsign --engine pkcs11 --key "$uri" \
		--cert "$d/efi.crt" --output "$d/one.sbsign.efi" "$d/one.efi"
}
one_start() { ${1:-} "$build/csign-client" --version; }

one_csign > /dev/null 2>&1 || die "csign-client sign -f pe failed"
one_sbsign > /dev/null 2>&1 || die "sbsign --engine pkcs11 failed"
for f in one.csign.efi one.sbsign.efi; do
	sbverify --cert "$d/efi.crt" "$d/$f" > /dev/null 2>&1 ||
		die "$f does not verify with sbverify"
done
: > "$d/ms.csign"
: > "$d/ms.sbsign"
: > "$d/ms.start"
for _ in $(seq "$oneshot"); do
	one_csign ms_of >> "$d/ms.csign"
	one_sbsign ms_of >> "$d/ms.sbsign"
	one_start ms_of >> "$d/ms.start"
done
grep -q fail "$d/ms.csign" "$d/ms.sbsign" && die "a one-shot run failed"
ms_c=$(median < "$d/ms.csign")
ms_s=$(median < "$d/ms.sbsign")
ms_0=$(median < "$d/ms.start")
r=$(ratio "$ms_c" "$ms_s")
say "csign-client sign -f pe: $ms_c ms; sbsign --engine pkcs11: $ms_s ms;" \
	"ratio $r (target <= $target_oneshot: $(verdict_max "$r" $target_oneshot))"
say "    of which csign-client's own start-up and exit (--version): $ms_0 ms"
