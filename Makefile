# csign — build, test, demo, install.  See README.md.
#
# Each program is built from the objects of its own folder plus the shared
# codec (common/ and proto/).  The daemon is layered: the loop (broker/)
# over the monitor (monitor/) over records/ and token/; only token/ uses
# libp11, and csignd and csign-admin share it.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/csign
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DESTDIR    ?=

BUILD   ?= build
TOKEN   ?= softhsm	# make demo TOKEN=tpm: the demo on a software TPM 2.0
CC      ?= gcc
SAN     ?=
OPT     ?= -O2 -g
CPPFLAGS_BASE = -D_GNU_SOURCE -I. -DCSIGN_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DCSIGN_SYSCONFDIR='"$(SYSCONFDIR)"'
WARN    = -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
HARDEN  = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD = -pie -Wl,-z,relro,-z,now
ifneq ($(SAN),)
HARDEN  = -fstack-protector-strong -fPIE
endif
CFLAGS  += $(OPT) $(WARN) $(HARDEN) $(SAN)
LDFLAGS += $(HARDEN_LD) $(SAN)

LIBS_COMMON  = -lcrypto
LIBS_CSIGND  = -lp11 -levent -lcrypto -lpthread
LIBS_SANDBOX = -lseccomp -lcap -lcrypto -llzma -lzstd -lz
LIBS_CLIENT  = -lcrypto
LIBS_TEST    = -lcmocka -lp11 -levent -lseccomp -lcap -lcrypto -lpthread \
	-llzma -lzstd -lz

COMMON_SRC  = $(wildcard common/*.c proto/*.c)
CSIGND_SRC  = $(filter-out broker/main.c,$(wildcard broker/*.c monitor/*.c))
RECORDS_SRC = $(wildcard records/*.c)
TOKEN_SRC   = $(wildcard token/*.c)
SANDBOX_SRC = $(filter-out sandbox/main.c,$(wildcard sandbox/*.c sandbox/formats/*.c))
CLIENT_MAINS = client/main.c client/signfile_main.c client/sbsign_main.c
CLIENT_SRC  = $(filter-out $(CLIENT_MAINS),$(wildcard client/*.c))
AUDIT_SRC   = $(filter-out audit/main.c,$(wildcard audit/*.c))
ADMIN_SRC   = $(filter-out admin/main.c,$(wildcard admin/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
tobj = $(patsubst %.c,$(BUILD)/tobj/%.o,$(1))

PROGS = $(BUILD)/csignd $(BUILD)/csign-sandbox $(BUILD)/csign-client \
	$(BUILD)/csign-audit $(BUILD)/csign-admin $(BUILD)/csign-sign-file \
	$(BUILD)/csign-sbsign
TEST_PROGS = $(BUILD)/test/csign-sandbox $(BUILD)/test/rawclient \
	$(BUILD)/test/pesignclient \
	$(BUILD)/test/bench-direct $(BUILD)/test/bench-client \
	$(BUILD)/test/bench-pe $(BUILD)/test/bench-hop $(BUILD)/test/sdlaunch \
	$(BUILD)/test/tsaserver $(BUILD)/test/tsextract $(BUILD)/test/p11fault.so $(BUILD)/test/syncspy.so
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))

.PHONY: all deps check unit integration demo install uninstall asan asan-build deb \
	fuzz fuzz-build fuzz-seeds fuzz-smoke check-mutants soak check-package lint FORCE \
	check-asan check-valgrind check-isolated clean bench man-lint format \
	valgrind-smoke

all: $(PROGS)

# The installation paths are compiled in: rebuild when they change.
$(BUILD)/paths: FORCE
	@mkdir -p $(BUILD)
	@echo '$(LIBEXECDIR) $(SYSCONFDIR)' | cmp -s - $@ || \
		echo '$(LIBEXECDIR) $(SYSCONFDIR)' > $@
FORCE:

# The build id a session child shows the monitor in its handshake
# (proto/chan.h): the version and the commit, or the version alone outside
# git.  Only proto/chan.c is compiled with it, and rebuilt when it changes.
BUILD_ID := $(shell v=$$(sed -n 's/^\#define CSIGN_VERSION "\(.*\)"/\1/p' \
	proto/names.h); g=$$(git describe --always --dirty 2>/dev/null | \
	tr -cd 'A-Za-z0-9._+-' | cut -c1-40); echo "$$v$${g:+-$$g}")
$(BUILD)/buildid: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BUILD_ID)' | cmp -s - $@ || echo '$(BUILD_ID)' > $@
$(BUILD)/obj/proto/chan.o $(BUILD)/tobj/proto/chan.o: $(BUILD)/buildid
$(BUILD)/obj/proto/chan.o $(BUILD)/tobj/proto/chan.o: \
	CPPFLAGS += -DCSIGN_BUILD_ID='"$(BUILD_ID)"'

$(BUILD)/obj/%.o: %.c $(BUILD)/paths
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Test-build objects: the same sources with the test-only hooks compiled in.
$(BUILD)/tobj/%.o: %.c $(BUILD)/paths
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) -DCSIGN_TEST_HOOKS $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libcommon.a: $(call obj,$(COMMON_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libcsignd.a: $(call obj,$(CSIGND_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/librecords.a: $(call obj,$(RECORDS_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libtoken.a: $(call obj,$(TOKEN_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libsandbox.a: $(call obj,$(SANDBOX_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libclient.a: $(call obj,$(CLIENT_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libaudit.a: $(call obj,$(AUDIT_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libadmin.a: $(call obj,$(ADMIN_SRC))
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/csignd: $(call obj,broker/main.c) $(BUILD)/libcsignd.a $(BUILD)/libtoken.a \
		$(BUILD)/librecords.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CSIGND)
$(BUILD)/csign-sandbox: $(call obj,sandbox/main.c) $(BUILD)/libsandbox.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
# csign-client calls nothing of libcrypto (the front ends below read their
# --cert with it): not loading it saves every run ~4 ms of CPU before main()
# (bench/README.md).
$(BUILD)/csign-client: $(call obj,client/main.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^
# The drop-in front ends: thin wrappers over the same client library.
$(BUILD)/csign-sign-file: $(call obj,client/signfile_main.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)
$(BUILD)/csign-sbsign: $(call obj,client/sbsign_main.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)
$(BUILD)/csign-audit: $(call obj,audit/main.c) $(BUILD)/libaudit.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
# csign-admin shares the daemon's token layer and config reader.
$(BUILD)/csign-admin: $(call obj,admin/main.c) $(BUILD)/libadmin.a $(BUILD)/libtoken.a \
		$(BUILD)/librecords.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CSIGND) -ldl

# The sandbox program of test builds: same code plus CSIGN_TEST_HOOKS.
$(BUILD)/test/csign-sandbox: $(call tobj,sandbox/main.c $(SANDBOX_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
RAWCLIENT_SRC = tests/tools/rawclient.c tests/tools/rawclient_io.c \
	tests/tools/rawclient_modes.c tests/tools/rawclient_flood.c \
	tests/tools/rawclient_burst.c
$(BUILD)/test/rawclient: $(call obj,$(RAWCLIENT_SRC)) $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
$(BUILD)/test/bench-direct: $(call obj,bench/bench_direct.c) $(BUILD)/libtoken.a \
		$(BUILD)/librecords.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CSIGND) -ldl
$(BUILD)/test/bench-client: $(call obj,bench/bench_client.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) -lpthread
$(BUILD)/test/bench-hop: $(call obj,bench/bench_hop.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/test/pesignclient: $(call obj,tests/tools/pesignclient.c) $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
$(BUILD)/test/sdlaunch: $(call obj,tests/tools/sdlaunch.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
# A loopback RFC 3161 TSA for the tests, and a reader of embedded tokens.
TSASERVER_SRC = tests/tools/tsaserver.c tests/tools/tsaserver_http.c \
	tests/tools/tsaserver_tsa.c tests/tools/tsaserver_modes.c
$(BUILD)/test/tsaserver: $(call obj,$(TSASERVER_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypto
$(BUILD)/test/tsextract: $(call obj,tests/tools/tsextract.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypto
# Fault injection for the tests (tests/integration/cases/teeth.sh): a
# PKCS#11 module that corrupts signatures, and an LD_PRELOAD library that
# counts and fails the audit log's syncs.  Plain shared objects, never
# sanitized: they are loaded into csignd, whatever its build.
$(BUILD)/test/%.so: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(OPT) $(WARN) -fPIC -shared -o $@ $< -ldl
$(BUILD)/test/bench-pe: $(call obj,bench/bench_pe.c) $(BUILD)/libsandbox.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
$(BUILD)/test/test_%: $(call obj,tests/unit/test_%.c) $(BUILD)/libadmin.a \
		$(BUILD)/libcsignd.a $(BUILD)/libtoken.a $(BUILD)/librecords.a \
		$(BUILD)/libsandbox.a $(BUILD)/libclient.a \
		$(BUILD)/libaudit.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) -ldl

# The dispatcher's tests run the real monitor with a fake token and a
# signer that only counts (tests/unit/dispatch_test.h): every binary built
# from a tests/unit/test_dispatch*.c needs the wraps.
DISPATCH_TESTS = $(filter $(BUILD)/test/test_dispatch%,$(UNIT_BINS))
$(DISPATCH_TESTS): LDFLAGS += -Wl,--wrap=tokens_find_key \
	-Wl,--wrap=token_key_state -Wl,--wrap=signer_submit

# util_drain's test counts its reads.
$(BUILD)/test/test_util: LDFLAGS += -Wl,--wrap=read

# The read windows' test counts the parsers' preads (and fortify's form).
$(BUILD)/test/test_artifact_win: LDFLAGS += -Wl,--wrap=pread \
	-Wl,--wrap=__pread_chk
# The module's snapshot test rewrites the module after its first reading.
$(BUILD)/test/test_module_snapshot: LDFLAGS += -Wl,--wrap=pread \
	-Wl,--wrap=__pread_chk

deps:
	@sh contrib/deps.sh

# Everything, on the normal build and on the ASan+UBSan build (both
# compiled by one make -j2).
# The two integration suites run side by side (tests/integration/
# parallel.sh): one suite's waits overlap the other's work.
# The static checks, the fuzz smoke and a batch under valgrind, which
# compute, run beside the suites, which mostly wait (tests/lanes.sh).
check: deps
	$(MAKE) -j2 all tests asan-build
	sh tests/run-unit.sh $(BUILD)
	sh tests/run-unit.sh build-asan
	sh tests/install.sh
	sh tests/lanes.sh 'sh tests/integration/parallel.sh $(BUILD) build-asan' \
		'$(MAKE) man-lint lint fuzz-smoke valgrind-smoke'
	sh tests/load/soak.sh $(BUILD) 50 20

tests: $(PROGS) $(TEST_PROGS) $(UNIT_BINS)

unit: $(UNIT_BINS)
	sh tests/run-unit.sh $(BUILD)

integration: $(PROGS) $(TEST_PROGS)
	sh tests/integration/run.sh $(BUILD)

# Each integration case alone, in a fresh suite of its own: proves no case
# leans on what an earlier one left.  Slow (one set-up per case), so not
# part of check; JOBS=3 runs three at a time (about half an hour on two
# loaded cores), ONLY=REGEX some of them.
check-isolated: deps
	$(MAKE) all tests
	sh tests/integration/isolated.sh $(BUILD)

# ASan+UBSan build in its own directory, then the whole suite against it.
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
asan-build:
	$(MAKE) BUILD=build-asan SAN="$(SAN_FLAGS)" OPT="-O1 -g" all tests
asan: asan-build
	sh tests/run-unit.sh build-asan
	sh tests/integration/run.sh build-asan
check-asan: deps
	$(MAKE) asan

# Unit tests under memcheck, then the integration suite with csignd
# under memcheck (the sandbox children cannot run under valgrind: its
# own system calls are not on their seccomp allowlist).
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite
# The daemon under valgrind through a batch of modules and its stop, in
# make check: libevent, libp11 and the PKCS#11 module are not built with
# ASan, so a use of their memory after it was freed shows only here.
valgrind-smoke: all tests
	WRAP="$(VALGRIND)" IT_PREFIX=csign-vg ONLY='t_batch_modules' \
		sh tests/integration/run.sh $(BUILD)

check-valgrind: deps
	$(MAKE) all tests
	CSIGN_VALGRIND=1 sh tests/run-unit.sh $(BUILD)
	WRAP="$(VALGRIND)" sh tests/integration/run.sh $(BUILD)

demo: deps
	$(MAKE) all
	TOKEN=$(TOKEN) sh contrib/demo.sh $(BUILD)

bench: deps
	$(MAKE) all tests
	sh bench/run.sh $(BUILD)

# mandoc's own lint, then every man page against its program's usage
# message and option tables (tests/manlint.sh): an option in one and not
# the other fails.
man-lint: $(PROGS)
	mandoc -Tlint -W warning man/*.[1-8]
	sh tests/manlint.sh $(BUILD)

# Static checks: the layers' includes (tests/lint-includes.sh), the
# committed .clang-format, cppcheck (suppressions with reasons in
# tests/cppcheck.supp) and clang-tidy (the committed .clang-tidy) over
# every source file; any finding fails.
lint:
	sh tests/lint-includes.sh
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
	# Only the multiarch include directory (sys/queue.h and friends):
	# with all of /usr/include cppcheck spends minutes in libc's headers.
	cppcheck --quiet --enable=warning,portability,performance --std=c11 \
		-D_GNU_SOURCE -I. -I/usr/include/x86_64-linux-gnu -j2 \
		--suppressions-list=tests/cppcheck.supp --inline-suppr \
		--error-exitcode=1 broker monitor records token sandbox proto \
		common client audit admin
	sh tests/lint-tidy.sh '$(LIBEXECDIR)' '$(SYSCONFDIR)'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/csign $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(BUILD)/csign-client $(BUILD)/csign-sign-file \
		$(BUILD)/csign-sbsign $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/csignd $(BUILD)/csign-audit $(BUILD)/csign-admin \
		$(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/csign-sandbox $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 man/csign-client.1 man/csign-sign-file.1 man/csign-sbsign.1 \
		$(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/csignd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/csignd.8 man/csign-audit.8 man/csign-admin.8 \
		$(DESTDIR)$(MANDIR)/man8/
	install -m 0644 contrib/csignd.conf.example $(DESTDIR)$(SYSCONFDIR)/csign/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		contrib/systemd/csignd.service.in > $(DESTDIR)$(UNITDIR)/csignd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/csignd.service
	install -m 0644 contrib/systemd/csignd.socket $(DESTDIR)$(UNITDIR)/
	install -m 0644 contrib/systemd/sysusers-csign.conf \
		$(DESTDIR)$(SYSUSERSDIR)/csign.conf
	install -m 0644 contrib/systemd/tmpfiles-csign.conf \
		$(DESTDIR)$(TMPFILESDIR)/csign.conf
	install -m 0644 contrib/logrotate-csign $(DESTDIR)$(SYSCONFDIR)/logrotate.d/csign

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/csign-client $(DESTDIR)$(SBINDIR)/csignd \
		$(DESTDIR)$(BINDIR)/csign-sign-file $(DESTDIR)$(BINDIR)/csign-sbsign \
		$(DESTDIR)$(MANDIR)/man1/csign-sign-file.1 $(DESTDIR)$(MANDIR)/man1/csign-sbsign.1 \
		$(DESTDIR)$(SBINDIR)/csign-audit $(DESTDIR)$(SBINDIR)/csign-admin \
		$(DESTDIR)$(LIBEXECDIR)/csign-sandbox \
		$(DESTDIR)$(MANDIR)/man1/csign-client.1 $(DESTDIR)$(MANDIR)/man5/csignd.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/csignd.8 $(DESTDIR)$(MANDIR)/man8/csign-audit.8 \
		$(DESTDIR)$(MANDIR)/man8/csign-admin.8 \
		$(DESTDIR)$(SYSCONFDIR)/csign/csignd.conf.example \
		$(DESTDIR)$(UNITDIR)/csignd.service $(DESTDIR)$(UNITDIR)/csignd.socket \
		$(DESTDIR)$(SYSUSERSDIR)/csign.conf $(DESTDIR)$(TMPFILESDIR)/csign.conf \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/csign

# libFuzzer harnesses (clang), one per decoder of outside bytes; each is
# built from its harness and the sources it exercises.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BASE     = -g -O1 -std=c17 -D_GNU_SOURCE -I. -Itests/fuzz \
	-DCSIGN_LIBEXECDIR='"$(LIBEXECDIR)"' -DCSIGN_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-fno-sanitize-recover=all
FUZZ_FLAGS    = $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
FUZZERS = frame msg config pe module auditrec tsa pesign openpgp
FUZZ_SRC_frame    = proto/frame.c proto/frametab.c proto/buf.c proto/names.c \
	proto/io.c
FUZZ_SRC_pesign   = proto/pesign.c common/utf8.c
FUZZ_SRC_openpgp  = sandbox/formats/openpgp_clear.c \
	sandbox/formats/openpgp_armor.c proto/buf.c common/utf8.c
FUZZ_SRC_msg      = proto/chan.c proto/msg.c proto/buf.c proto/names.c \
	proto/pesign.c common/utf8.c
FUZZ_SRC_config   = records/config.c records/confread.c records/confkeywords.c \
	records/confblocks.c records/confallow.c records/confcheck.c \
	records/confpesign.c records/confopenpgp.c common/utf8.c \
	records/tsaurl.c proto/names.c common/log.c common/util.c
FUZZ_SRC_pe       = sandbox/formats/pe_parse.c sandbox/artifact.c \
	proto/sigcheck.c proto/names.c proto/buf.c common/log.c
FUZZ_SRC_module   = sandbox/formats/elf.c sandbox/formats/compmagic.c \
	sandbox/artifact.c \
	proto/sigcheck.c proto/names.c proto/buf.c common/log.c
FUZZ_SRC_auditrec = proto/auditrec.c proto/auditparse.c proto/buf.c \
	common/utf8.c common/util.c common/sha256hex.c proto/names.c
FUZZ_SRC_tsa      = sandbox/tsa.c sandbox/http.c sandbox/channel.c sandbox/hold.c \
	sandbox/formats/fail.c proto/io.c proto/chan.c proto/msg.c proto/frame.c \
	proto/frametab.c proto/buf.c proto/names.c proto/resolve.c common/log.c \
	proto/sigcheck.c proto/pesign.c common/utf8.c
.SECONDEXPANSION:
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) tests/fuzz/fuzz_util.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC_$*) -lcrypto $(FUZZ_LIBS_$*)

fuzz-build: $(patsubst %,build-fuzz/fuzz_%,$(FUZZERS))

# The seed check: each harness without libFuzzer, with a main() that runs
# it on its corpus and fails unless every seed gets past the first decoder
# production runs, and junk does not (tests/fuzz/fuzz_util.h).
FUZZ_SEEDCHECKED = $(FUZZERS)
build-fuzz/seedcheck_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) tests/fuzz/fuzz_util.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) -fsanitize=address,undefined -DFUZZ_SEEDCHECK -o $@ $< \
		$(FUZZ_SRC_$*) -lcrypto $(FUZZ_LIBS_$*)

# Seed generators: C programs on the real encoders, and tests/fuzz/seeds.sh
# for what real tools make (images, modules, TSA answers, configs).
SEEDS_C            = frame msg pesign auditrec
SEEDS_SRC_frame    = proto/frame.c proto/frametab.c proto/buf.c proto/names.c
SEEDS_SRC_msg      = proto/chan.c proto/msg.c proto/buf.c proto/names.c \
	proto/pesign.c common/utf8.c
SEEDS_SRC_pesign   = proto/pesign.c common/utf8.c
SEEDS_SRC_auditrec = proto/auditrec.c proto/buf.c common/utf8.c \
	common/util.c common/sha256hex.c proto/names.c
build-fuzz/seeds_%: tests/fuzz/seeds_%.c $$(SEEDS_SRC_$$*)
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -I. -O1 -g -std=c17 -Wall -Wextra -Werror \
		-o $@ $< $(SEEDS_SRC_$*) -lcrypto

# Regenerate every seed corpus (commit the result): the old files of a
# harness are replaced, so no seed outlives the codec it was made for.
fuzz-seeds: all $(patsubst %,build-fuzz/seeds_%,$(SEEDS_C))
	sh tests/fuzz/seeds.sh $(BUILD) $(SEEDS_C)

# Each harness for FUZZ_SECONDS on a scratch copy of its seed corpus;
# any crash, leak or timeout fails (the input lands in build-fuzz/crashes).
fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# Load and soak: 1000 sessions held at once, 100,000 sign requests.
soak: deps
	$(MAKE) all tests
	sh tests/load/soak.sh $(BUILD) 1000 100

# The short pass make check runs, so the harnesses never rot.
fuzz-smoke: fuzz-build $(patsubst %,build-fuzz/seedcheck_%,$(FUZZ_SEEDCHECKED))
	sh tests/fuzz/seedcheck.sh $(FUZZ_SEEDCHECKED)
	sh tests/fuzz/run.sh 3 $(FUZZERS)

# Mutation testing, not part of check (minutes per mutant): each patch in
# tests/mutants is a deliberate bug in one defence, applied to a scratch
# copy that must then fail its unit tests or the integration cases the
# patch names; prints "N/M mutants killed" and fails if any survived or
# could not be applied.  Run it before closing an issue about a defence.
check-mutants: deps
	$(MAKE) all tests
	sh tests/mutants/run.sh

# The Debian package end to end (root; ~40 s): build and lintian
# (contrib/deb.sh), dpkg -i, users, units and directories, a sign request
# with the installed programs, dpkg --purge.
check-package: deps
	sh tests/package.sh

# Debian package (debian/): dpkg-buildpackage, then lintian.
deb: deps
	sh contrib/deb.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
