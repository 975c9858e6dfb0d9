/*
 * dispatch_test.h: the fixture of the dispatcher's unit tests
 * (test_dispatch.c, test_dispatch_wire.c, test_dispatch_sign.c): the
 * monitor's dispatcher for session children's messages (monitor/dispatch.c,
 * with the table of proto/chan.c), fed hostile message sequences as a
 * compromised child would send them.  Each sequence must end with the
 * child killed or the request denied, and nothing handed to the signer.
 *
 * The real monitor runs: its table, decoders, policy, key state and audit
 * log.  Only the token is replaced (every binary that includes this is
 * linked with -Wl,--wrap for tokens_find_key, token_key_state and
 * signer_submit, see the Makefile): a fake key that is always ready, and a
 * signer that only counts the jobs it is given.  The child is a real
 * socketpair whose other end the test writes to, and a real process
 * (paused) for pool_kill() to kill.
 *
 * The __wrap_ functions are defined here, not only declared: each test
 * binary is one source file, so each gets them once.
 */
#ifndef CSIGN_DISPATCH_TEST_H
#define CSIGN_DISPATCH_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "broker/pool.h"
#include "common/log.h"
#include "monitor/monitor.h"
#include "proto/chan.h"
#include "proto/io.h"
#include "proto/msg.h"

const struct token_key *__wrap_tokens_find_key(const struct tokens *t,
    const char *name);
enum token_state __wrap_token_key_state(const struct token_key *k);
void __wrap_signer_submit(struct signer *s, struct signer_job *job);

/* Jobs handed to the signer, and the last one (to finish it). */
static int signs;
static struct signer_job *last_job;
static struct token_key fake_key;
static uint8_t fake_cert[16] = { 0x30, 0x0e };

const struct token_key *
__wrap_tokens_find_key(const struct tokens *t, const char *name)
{
	(void)t;
	snprintf(fake_key.name, sizeof(fake_key.name), "%s", name);
	fake_key.certder = fake_cert;
	fake_key.certlen = sizeof(fake_cert);
	memset(fake_key.fingerprint, 'a', 64);
	return &fake_key;
}

enum token_state
__wrap_token_key_state(const struct token_key *k)
{
	(void)k;
	return TOKEN_READY;
}

void
__wrap_signer_submit(struct signer *s, struct signer_job *job)
{
	(void)s;
	signs++;
	last_job = job;
}

/* The child's deadline: the loop never runs here, so it never fires. */
static inline void
no_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* The daemon's state and one child, for one test. */
struct fx {
	char dir[64];
	char conf[128];
	struct csignd d;
	struct child *c;
	int peer; /* the child's end of the channel */
	struct passwd pw;
};

/* The configuration: k and k2 granted to the test's user, other not. */
static inline void
write_config(struct fx *f, int grant)
{
	FILE *cf = fopen(f->conf, "w");

	assert_non_null(cf);
	fprintf(cf,
	    "AuditLog %s/audit.jsonl\nStateFile %s/keystate\n"
	    "Token t\n\tModule /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tTokenLabel csign\n\tPinFile %s/pin\n"
	    "Key k\n\tToken t\n\tLabel k\n\tFormats raw cms\n"
	    "Key k2\n\tToken t\n\tLabel k2\n\tFormats raw\n"
	    "Key other\n\tToken t\n\tLabel o\n\tFormats raw\n"
	    "%s%s keys k k2\n",
	    f->dir, f->dir, f->dir, grant ? "Allow user " : "# Allow user ",
	    f->pw.pw_name);
	assert_int_equal(fclose(cf), 0);
}

/* A child in CH_SESSION for the test's user, on a fresh channel. */
static inline struct child *
child_new(struct fx *f, enum child_state st)
{
	struct child *c = calloc(1, sizeof(*c));
	pid_t pid;
	int sv[2];

	assert_non_null(c);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			     sv),
	    0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* A reply that never comes fails the test instead of hanging it. */
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO,
			     &(struct timeval){ .tv_sec = 5 },
			     sizeof(struct timeval)),
	    0);
	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	c->d = &f->d;
	monitor_session_init(&c->ms, &f->d.mon, sv[0], pid);
	f->peer = sv[1];
	c->client_fd = -1;
	c->ms.state = st;
	c->ms.peer.uid = f->pw.pw_uid;
	c->ms.peer.gid = f->pw.pw_gid;
	snprintf(c->ms.peer.user, sizeof(c->ms.peer.user), "%s", f->pw.pw_name);
	c->ev = event_new(f->d.base, c->ms.fd, EV_READ | EV_PERSIST,
	    monitor_child_readable, &c->ms);
	c->timer = evtimer_new(f->d.base, no_deadline, c);
	assert_non_null(c->ev);
	assert_non_null(c->timer);
	if (st == CH_SESSION || st == CH_SIGNING)
		f->d.nsessions++;
	else if (st == CH_STARTING)
		f->d.nstarting++;
	return c;
}

static inline int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct passwd *pw = getpwuid(geteuid());
	char err[CONFIG_ERR_MAX], path[160];

	if (f == NULL || pw == NULL)
		return -1;
	f->pw = *pw;
	f->pw.pw_name = strdup(pw->pw_name);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_dispatch.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/csignd.conf", f->dir);
	write_config(f, 1);
	TAILQ_INIT(&f->d.children);
	TAILQ_INIT(&f->d.waiting);
	/* Draining: no pool to fill, nothing spawned behind the test. */
	f->d.draining = 1;
	f->d.base = event_base_new();
	pool_monitor_init(&f->d);
	f->d.mon.base = f->d.base;
	f->d.mon.cfg = config_load(f->conf, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/keystate", f->dir);
	f->d.mon.keystate = keystate_load(path, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	f->d.mon.audit = audit_open(path, err, sizeof(err));
	f->d.mon.signer = signer_start(0, monitor_sign_done, &f->d.mon);
	if (f->d.base == NULL || f->d.mon.cfg == NULL ||
	    f->d.mon.keystate == NULL || f->d.mon.audit == NULL)
		return -1;
	f->c = child_new(f, CH_SESSION);
	signs = 0;
	last_job = NULL;
	*state = f;
	return 0;
}

/* End the child (killed if still alive) and reap its process. */
static inline void
child_end(struct fx *f)
{
	struct child *c = f->c;

	if (c->ms.state != CH_GONE)
		pool_kill(c, "end of test");
	waitpid(c->ms.pid, NULL, 0);
	event_free(c->ev);
	event_free(c->timer);
	close(c->ms.fd);
	close(f->peer);
	free(c);
}

static inline int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	/* A job handed to the signer ends as a token failure. */
	if (last_job != NULL) {
		last_job->ok = 0;
		monitor_sign_done(last_job, NULL);
	}
	child_end(f);
	signer_stop(f->d.mon.signer);
	audit_close(f->d.mon.audit);
	keystate_free(f->d.mon.keystate);
	monitor_free(&f->d.mon);
	pool_timers_free(&f->d); /* as main.c */
	event_base_free(f->d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->pw.pw_name);
	free(f);
	return 0;
}

/* Send b (with descriptor fd, or -1) and let the monitor handle it. */
static inline void
feed(struct fx *f, const struct buf *b, int fd)
{
	assert_int_equal(io_send_msg(f->peer, b, fd), 0);
	monitor_child_readable(f->c->ms.fd, EV_READ, &f->c->ms);
}

/* Send KEYINFO for key (plus extra trailing bytes). */
static inline void
feed_keyinfo(struct fx *f, const char *key, int trailing, int fd)
{
	struct msg_keyinfo m = { .format = FMT_NONE };
	struct buf b;

	snprintf(m.key, sizeof(m.key), "%s", key);
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_keyinfo(&b, &m), 0);
	if (trailing)
		assert_int_equal(buf_put_u8(&b, 0), 0);
	feed(f, &b, fd);
	buf_free(&b);
}

/* Send READY speaking the channel's version (or another). */
static inline void
feed_ready(struct fx *f, uint32_t version)
{
	struct msg_ready m = { .version = version };
	struct buf b;

	snprintf(m.build, sizeof(m.build), "0.0.0-test");
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_ready(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* Send a message with no fields of type type. */
static inline void
feed_empty(struct fx *f, uint16_t type)
{
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_empty(&b, type), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* A well-formed sign request for key, raw, SHA-256. */
static inline struct msg_sign
sign_msg(const char *key, uint32_t reqid)
{
	struct msg_sign m = { .reqid = reqid,
		.format = FMT_RAW,
		.digest = DIG_SHA256,
		.tbslen = 32,
		.adigestlen = 32,
		.size = 5 };

	snprintf(m.key, sizeof(m.key), "%s", key);
	snprintf(m.name, sizeof(m.name), "a.bin");
	memset(m.tbs, 0x11, sizeof(m.tbs));
	memset(m.adigest, 0x22, sizeof(m.adigest));
	return m;
}

/* Send a sign request (plus trailing bytes). */
static inline void
feed_sign(struct fx *f, const struct msg_sign *m, int trailing)
{
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_sign(&b, m), 0);
	if (trailing)
		assert_int_equal(buf_put_u8(&b, 0), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* The type of the next message from the monitor; its buffer in b. */
static inline uint16_t
answer(struct fx *f, struct buf *b)
{
	uint16_t type;
	int fd = -1;

	buf_init(b, MSG_MAX);
	assert_int_equal(io_recv_msg(f->peer, b, &fd), 1);
	assert_int_equal(fd, -1);
	assert_int_equal(msg_type_of(b, &type), 0);
	return type;
}

/* The next message must be a KEYINFO reply with status st; its approval flag. */
static inline int
expect_keyinfo(struct fx *f, int st)
{
	struct msg_keyinfo_reply r;
	struct buf b;

	assert_int_equal(answer(f, &b), MSG_KEYINFO_REPLY);
	assert_int_equal(msg_dec_keyinfo_reply(&b, &r), 0);
	assert_int_equal(r.status, st);
	buf_free(&b);
	return r.approval;
}

/* The next message must be a sign reply with status st. */
static inline void
expect_sign_reply(struct fx *f, int st)
{
	struct msg_sign_reply *r = calloc(1, sizeof(*r));
	struct buf b;

	assert_non_null(r);
	assert_int_equal(answer(f, &b), MSG_SIGN_REPLY);
	assert_int_equal(msg_dec_sign_reply(&b, r), 0);
	assert_int_equal(r->status, st);
	assert_int_equal(r->siglen, 0);
	buf_free(&b);
	free(r);
}

/* The child was killed, and nothing was signed. */
static inline void
assert_killed(struct fx *f)
{
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 0);
}

#endif /* CSIGN_DISPATCH_TEST_H */
