# csign — build, test, demo, install.  See README.md.
#
# Each program is built from the objects of its own folder plus the shared
# codec (common/ and proto/).  Only csignd links libp11.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/csign
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

BUILD   ?= build
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
LIBS_SANDBOX = -lseccomp -lcap -lcrypto
LIBS_CLIENT  = -lcrypto
LIBS_TEST    = -lcmocka -lp11 -levent -lseccomp -lcap -lcrypto -lpthread

COMMON_SRC  = $(wildcard common/*.c proto/*.c)
CSIGND_SRC  = $(filter-out broker/main.c,$(wildcard broker/*.c monitor/*.c))
SANDBOX_SRC = $(filter-out sandbox/main.c,$(wildcard sandbox/*.c sandbox/formats/*.c))
CLIENT_SRC  = $(filter-out client/main.c,$(wildcard client/*.c))
AUDIT_SRC   = $(filter-out audit/main.c,$(wildcard audit/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
tobj = $(patsubst %.c,$(BUILD)/tobj/%.o,$(1))

PROGS = $(BUILD)/csignd $(BUILD)/csign-sandbox $(BUILD)/csign-client \
	$(BUILD)/csign-audit
TEST_PROGS = $(BUILD)/test/csign-sandbox $(BUILD)/test/rawclient \
	$(BUILD)/test/bench-direct $(BUILD)/test/bench-client \
	$(BUILD)/test/bench-pe
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))

.PHONY: all deps check unit integration demo install uninstall asan asan-build \
	check-asan check-valgrind clean bench man-lint format

all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Test-build objects: the same sources with the test-only hooks compiled in.
$(BUILD)/tobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_BASE) -DCSIGN_TEST_HOOKS $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libcommon.a: $(call obj,$(COMMON_SRC))
	$(AR) rcs $@ $^
$(BUILD)/libcsignd.a: $(call obj,$(CSIGND_SRC))
	$(AR) rcs $@ $^
$(BUILD)/libsandbox.a: $(call obj,$(SANDBOX_SRC))
	$(AR) rcs $@ $^
$(BUILD)/libclient.a: $(call obj,$(CLIENT_SRC))
	$(AR) rcs $@ $^
$(BUILD)/libaudit.a: $(call obj,$(AUDIT_SRC))
	$(AR) rcs $@ $^

$(BUILD)/csignd: $(call obj,broker/main.c) $(BUILD)/libcsignd.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CSIGND)
$(BUILD)/csign-sandbox: $(call obj,sandbox/main.c) $(BUILD)/libsandbox.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
$(BUILD)/csign-client: $(call obj,client/main.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)
$(BUILD)/csign-audit: $(call obj,audit/main.c) $(BUILD)/libaudit.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)

# The sandbox program of test builds: same code plus CSIGN_TEST_HOOKS.
$(BUILD)/test/csign-sandbox: $(call tobj,sandbox/main.c $(SANDBOX_SRC) $(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
$(BUILD)/test/rawclient: $(call obj,tests/tools/rawclient.c) $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
$(BUILD)/test/bench-direct: $(call obj,bench/bench_direct.c) $(BUILD)/libcsignd.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CSIGND)
$(BUILD)/test/bench-client: $(call obj,bench/bench_client.c) $(BUILD)/libclient.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) -lpthread
$(BUILD)/test/bench-pe: $(call obj,bench/bench_pe.c) $(BUILD)/libsandbox.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SANDBOX)
$(BUILD)/test/test_%: $(call obj,tests/unit/test_%.c) $(BUILD)/libcsignd.a \
		$(BUILD)/libsandbox.a $(BUILD)/libclient.a $(BUILD)/libaudit.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST)

deps:
	@sh contrib/deps.sh

# Everything, then the same suites once more on the ASan+UBSan build.
check: deps
	$(MAKE) all tests
	sh tests/run-unit.sh $(BUILD)
	sh tests/install.sh
	$(MAKE) man-lint
	sh tests/integration/run.sh $(BUILD)
	$(MAKE) asan

tests: $(PROGS) $(TEST_PROGS) $(UNIT_BINS)

unit: $(UNIT_BINS)
	sh tests/run-unit.sh $(BUILD)

integration: $(PROGS) $(TEST_PROGS)
	sh tests/integration/run.sh $(BUILD)

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
check-valgrind: deps
	$(MAKE) all tests
	CSIGN_VALGRIND=1 sh tests/run-unit.sh $(BUILD)
	WRAP="$(VALGRIND)" sh tests/integration/run.sh $(BUILD)

demo: deps
	$(MAKE) all
	sh contrib/demo.sh $(BUILD)

bench: deps
	$(MAKE) all tests
	sh bench/run.sh $(BUILD)

man-lint:
	mandoc -Tlint -W warning man/*.[1-8]

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/csign
	install -m 0755 $(BUILD)/csign-client $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/csignd $(BUILD)/csign-audit $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/csign-sandbox $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 man/csign-client.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/csignd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/csignd.8 man/csign-audit.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 contrib/csignd.conf.example $(DESTDIR)$(SYSCONFDIR)/csign/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/csign-client $(DESTDIR)$(SBINDIR)/csignd \
		$(DESTDIR)$(SBINDIR)/csign-audit $(DESTDIR)$(LIBEXECDIR)/csign-sandbox \
		$(DESTDIR)$(MANDIR)/man1/csign-client.1 $(DESTDIR)$(MANDIR)/man5/csignd.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/csignd.8 $(DESTDIR)$(MANDIR)/man8/csign-audit.8 \
		$(DESTDIR)$(SYSCONFDIR)/csign/csignd.conf.example

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
