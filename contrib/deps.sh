#!/bin/sh
# Install every Debian package that building, the demo and the tests need,
# but only those that are missing (so a ready machine pays nothing).
set -e
# Build: compiler, libraries.  Demo and tests: SoftHSM, opensc
# (pkcs11-tool), openssl, and the independent verifiers of each format:
# the kernel's sign-file (linux-kbuild, with the headers that build the
# test module), modinfo, evmctl, sbsign/sbverify, osslsigncode, mingw-w64
# (test PE images) and systemd-boot's EFI binary; pesign-client and rpm
# (the pesign listener and rpm's %pesign).  The second token of the tests
# and of 'make demo TOKEN=tpm': a software TPM 2.0 (swtpm), the access
# broker in front of it (tpm2-abrmd, on a private dbus, and the tabrmd
# TCTI that reaches it, which is only a Recommends), tpm2-pkcs11 and
# its tpm2_ptool, tpm2-tools.  OpenPGP verifiers: gpgv, gpg, sqv, rnp,
# apt-ftparchive (apt-utils) for a Release file; veritysetup
# (cryptsetup-bin) for a real dm-verity root hash.  The bench: OpenSSL's
# pkcs11 engine (sbsign --engine pkcs11 on the same token as csignd).
pkgs="build-essential pkg-config libssl-dev libp11-dev libseccomp-dev
libcap-dev libevent-dev libcmocka-dev liblzma-dev libzstd-dev zlib1g-dev xz-utils zstd
softhsm2 opensc openssl mandoc
valgrind passwd util-linux procps clang clang-tidy cppcheck python3 attr xz-utils
linux-headers-amd64 kmod ima-evm-utils sbsigntool osslsigncode
gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 systemd-boot-efi systemd logrotate
openssh-server openssh-client dpkg-dev debhelper lintian fakeroot pesign rpm
swtpm swtpm-tools tpm2-abrmd libtss2-tcti-tabrmd0 libtpm2-pkcs11-1
libtpm2-pkcs11-tools tpm2-tools libengine-pkcs11-openssl
dbus sqv rnp apt-utils cryptsetup-bin gpgv gnupg"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
