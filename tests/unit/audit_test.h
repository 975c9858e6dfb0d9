/*
 * audit_test.h: what the audit unit tests share: a signing event, a
 * scratch directory for a log, callbacks that count and a check of a
 * whole chain on disk (test_audit.c, test_auditfile.c, test_auditrec.c).
 */
#ifndef CSIGN_AUDIT_TEST_H
#define CSIGN_AUDIT_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "records/audit.h"
#include "common/log.h"
#include "proto/auditrec.h"

#define T0 INT64_C(1795446541) /* 2026-11-23T15:09:01Z */
#define LINE_BUF (AUDIT_LINE_MAX + 1)
#define HEX64_AB \
	"abababababababababababababababababababababababababababababababab"
#define HEX64_CD \
	"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define ZEROS64 \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* A per-test directory holding the log. */
struct fixture {
	char dir[64];
	char path[96];
};

/* What the callbacks of a test have seen. */
struct calls {
	int n;
	int ok;
	int failed;
};

/* A signing event as csignd would log it. */
static inline struct audit_event
sign_event(const char *artifact)
{
	struct audit_event ev = {
		.event = "sign",
		.has_peer = 1,
		.uid = 1000,
		.user = "alice",
		.groups = { 1000, 27 },
		.ngroups = 2,
		.pid = 4242,
		.key = "release",
		.cert_sha256 = HEX64_AB,
		.format = "cms",
		.artifact = artifact,
		.has_size = 1,
		.size = 12345,
		.digest_alg = "sha256",
		.digest_hex = HEX64_CD,
		.result = "ok",
	};
	return ev;
}

/* Make a fresh directory for the test's log. */
static inline int
fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/csign-test-audit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/audit.jsonl", fx->dir);
	*state = fx;
	return 0;
}

static inline int
fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	struct rlimit rl;

	/* Lift a file size limit a failed test may have left behind. */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static inline void
count_cb(void *arg, int ok)
{
	struct calls *calls = arg;

	calls->n++;
	if (ok)
		calls->ok++;
	else
		calls->failed++;
}

/* Dispatch callbacks as the event loop would until want have run. */
static inline void
wait_calls(struct audit *a, struct calls *calls, int want)
{
	struct pollfd pfd = { .fd = audit_notify_fd(a), .events = POLLIN };

	while (calls->n < want) {
		if (poll(&pfd, 1, 20000) != 1)
			fail_msg("no callbacks after 20 s (%d of %d)", calls->n,
			    want);
		audit_dispatch(a);
	}
	assert_int_equal(calls->n, want);
}

/* Check that path holds one intact chain of n records from seq 1. */
static inline void
assert_log_chain(const char *path, uint64_t n, struct audit_chain *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why = NULL;
	uint64_t got = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	auditrec_chain_init(c);
	while ((len = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[len - 1], '\n');
		if (auditrec_check(line, (size_t)len - 1, c, &why) == -1)
			fail_msg("record %ju: %s", (uintmax_t)got + 1, why);
		got++;
	}
	free(line);
	fclose(f);
	assert_int_equal(got, n);
}

#define FX(t) \
	cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

#endif
