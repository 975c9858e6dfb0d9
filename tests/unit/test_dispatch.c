/*
 * test_dispatch: the monitor's dispatcher for session children's messages
 * (monitor/dispatch.c, with the table of proto/chan.c), fed hostile message sequences as a compromised
 * child would send them.  Each sequence must end with the child killed
 * or the request denied, and nothing handed to the signer.
 *
 * The real monitor runs: its table, decoders, policy, key state and audit
 * log.  Only the token is replaced (this file is linked with
 * -Wl,--wrap for tokens_find_key, token_key_state and signer_submit, see
 * the Makefile): a fake key that is always ready, and a signer that only
 * counts the jobs it is given.  The child is a real socketpair whose
 * other end the test writes to, and a real process (paused) for
 * pool_kill() to kill.
 */
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
static void
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
	int peer;		/* the child's end of the channel */
	struct passwd pw;
};

/* The configuration: k and k2 granted to the test's user, other not. */
static void
write_config(struct fx *f, int grant)
{
	FILE *cf = fopen(f->conf, "w");

	assert_non_null(cf);
	fprintf(cf, "AuditLog %s/audit.jsonl\nStateFile %s/keystate\n"
	    "Token t\n\tModule /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tTokenLabel csign\n\tPinFile %s/pin\n"
	    "Key k\n\tToken t\n\tLabel k\n\tFormats raw cms\n"
	    "Key k2\n\tToken t\n\tLabel k2\n\tFormats raw\n"
	    "Key other\n\tToken t\n\tLabel o\n\tFormats raw\n"
	    "%s%s keys k k2\n", f->dir, f->dir, f->dir,
	    grant ? "Allow user " : "# Allow user ", f->pw.pw_name);
	assert_int_equal(fclose(cf), 0);
}

/* A child in CH_SESSION for the test's user, on a fresh channel. */
static struct child *
child_new(struct fx *f, enum child_state st)
{
	struct child *c = calloc(1, sizeof(*c));
	pid_t pid;
	int sv[2];

	assert_non_null(c);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* A reply that never comes fails the test instead of hanging it. */
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO,
	    &(struct timeval){ .tv_sec = 5 }, sizeof(struct timeval)), 0);
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

static int
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
	if (f->d.base == NULL || f->d.mon.cfg == NULL || f->d.mon.keystate == NULL ||
	    f->d.mon.audit == NULL)
		return -1;
	f->c = child_new(f, CH_SESSION);
	signs = 0;
	last_job = NULL;
	*state = f;
	return 0;
}

/* End the child (killed if still alive) and reap its process. */
static void
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

static int
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
	event_base_free(f->d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->pw.pw_name);
	free(f);
	return 0;
}

/* Send b (with descriptor fd, or -1) and let the monitor handle it. */
static void
feed(struct fx *f, const struct buf *b, int fd)
{
	assert_int_equal(io_send_msg(f->peer, b, fd), 0);
	monitor_child_readable(f->c->ms.fd, EV_READ, &f->c->ms);
}

/* Send KEYINFO for key (plus extra trailing bytes). */
static void
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
static void
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
static void
feed_empty(struct fx *f, uint16_t type)
{
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_empty(&b, type), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* A well-formed sign request for key, raw, SHA-256. */
static struct msg_sign
sign_msg(const char *key, uint32_t reqid)
{
	struct msg_sign m = { .reqid = reqid, .format = FMT_RAW,
		.digest = DIG_SHA256, .tbslen = 32, .adigestlen = 32,
		.size = 5 };

	snprintf(m.key, sizeof(m.key), "%s", key);
	snprintf(m.name, sizeof(m.name), "a.bin");
	memset(m.tbs, 0x11, sizeof(m.tbs));
	memset(m.adigest, 0x22, sizeof(m.adigest));
	return m;
}

/* Send a sign request (plus trailing bytes). */
static void
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
static uint16_t
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

/* The next message must be a KEYINFO reply with status st. */
static void
expect_keyinfo(struct fx *f, int st)
{
	struct msg_keyinfo_reply r;
	struct buf b;

	assert_int_equal(answer(f, &b), MSG_KEYINFO_REPLY);
	assert_int_equal(msg_dec_keyinfo_reply(&b, &r), 0);
	assert_int_equal(r.status, st);
	buf_free(&b);
}

/* The next message must be a sign reply with status st. */
static void
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
static void
assert_killed(struct fx *f)
{
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 0);
}

/* The control: KEYINFO then SIGN reaches the signer exactly once. */
static void
test_a_well_behaved_child_gets_one_signature(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_int_equal(signs, 1);
	assert_int_equal(f->c->ms.state, CH_SIGNING);
}

static void
test_a_message_out_of_its_state_kills(void **state)
{
	struct fx *f = *state;
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_empty(&b, MSG_READY), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* A second message while a signature is in flight: killed, orphaned. */
static void
test_a_request_while_signing_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_int_equal(signs, 1);
	m.reqid = 2;
	feed_sign(f, &m, 0);
	assert_int_equal(f->c->ms.state, CH_GONE);
	assert_int_equal(signs, 1);
	assert_null(f->c->ms.inflight);
}

/* READY is once only: the second one kills. */
static void
test_a_repeated_ready_kills(void **state)
{
	struct fx *f = *state;

	child_end(f);
	f->d.nsessions = 0;
	f->c = child_new(f, CH_STARTING);
	feed_ready(f, CHAN_VERSION);
	assert_int_equal(f->c->ms.state, CH_IDLE);
	feed_ready(f, CHAN_VERSION);
	assert_killed(f);
}

/* A READY in session (a restarted handshake) kills as well. */
static void
test_a_ready_in_session_kills(void **state)
{
	struct fx *f = *state;

	feed_ready(f, CHAN_VERSION);
	assert_killed(f);
}

/*
 * The handshake: a child of another channel version is killed at its
 * READY, whether it is older (version 1 sent READY with no fields) or
 * newer, and never becomes idle.
 */
static void
test_a_child_of_another_version_is_refused(void **state)
{
	struct fx *f = *state;
	uint32_t other[] = { CHAN_VERSION + 1, CHAN_VERSION - 1, 0xffffffffu };

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]) + 1; i++) {
		child_end(f);
		f->d.nsessions = 0;
		f->d.nstarting = 0;
		f->c = child_new(f, CH_STARTING);
		if (i < sizeof(other) / sizeof(other[0]))
			feed_ready(f, other[i]);
		else
			feed_empty(f, MSG_READY);	/* version 1 */
		assert_killed(f);
		assert_int_equal(f->d.nidle, 0);
	}
	/* The control: this version's READY makes the child idle. */
	child_end(f);
	f->c = child_new(f, CH_STARTING);
	feed_ready(f, CHAN_VERSION);
	assert_int_equal(f->c->ms.state, CH_IDLE);
}

/* DONE is once only. */
static void
test_a_repeated_done_kills(void **state)
{
	struct fx *f = *state;

	feed_empty(f, MSG_DONE);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	feed_empty(f, MSG_DONE);
	assert_killed(f);
}

/* A message the monitor sends, coming from the child: killed. */
static void
test_a_monitor_message_from_the_child_kills(void **state)
{
	struct fx *f = *state;
	struct msg_upload_reply r = { .status = ST_OK };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_upload_reply(&b, &r), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* TSA_DONE without a TSA_OPEN (no permit): killed. */
static void
test_a_timestamp_outcome_before_its_request_kills(void **state)
{
	struct fx *f = *state;
	struct msg_tsa_done m = { .status = ST_OK };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_tsa_done(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* TSA_OPEN without a timestamped signature (no permit): killed. */
static void
test_a_timestamp_request_without_a_signature_kills(void **state)
{
	struct fx *f = *state;
	struct msg_tsa_open m = { .index = 0 };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_tsa_open(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
}

/* HELD_RESULT and HELD_CANCEL without a held request: killed. */
static void
test_held_messages_without_a_hold_kill(void **state)
{
	struct fx *f = *state;
	static const uint8_t frame[] = { 0, 0, 0, 0 };
	struct msg_held_result m = { .id = 1, .frame = frame,
		.len = sizeof(frame) };
	struct buf b;

	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_held_result(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
	assert_killed(f);
	child_end(f);
	f->c = child_new(f, CH_SESSION);
	feed_empty(f, MSG_HELD_CANCEL);
	assert_killed(f);
}

/* UPLOAD_DONE without an UPLOAD (no permit): killed. */
static void
test_an_upload_done_without_an_upload_kills(void **state)
{
	struct fx *f = *state;

	feed_empty(f, MSG_UPLOAD_DONE);
	assert_killed(f);
}

/* A SIGN cut short by a byte: killed, not signed. */
static void
test_a_truncated_sign_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	struct buf b, cut;

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	buf_view(&cut, buf_ptr(&b), buf_left(&b) - 1);
	feed(f, &cut, -1);
	buf_free(&b);
	assert_killed(f);
}

/* A datagram longer than any message (MSG_MAX): killed, not read. */
static void
test_an_overlong_message_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	uint8_t *big = calloc(1, MSG_MAX + 16);
	struct buf b;

	assert_non_null(big);
	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_sign(&b, &m), 0);
	memcpy(big, buf_ptr(&b), buf_left(&b));
	buf_free(&b);
	assert_true(send(f->peer, big, MSG_MAX + 16, 0) == MSG_MAX + 16);
	monitor_child_readable(f->c->ms.fd, EV_READ, &f->c->ms);
	free(big);
	assert_killed(f);
}

/* A sign request id may not come again (a replay): killed. */
static void
test_a_replayed_request_id_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 7);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_MODULE;		/* denied: k signs raw and cms */
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	m.format = FMT_RAW;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

static void
test_sign_without_keyinfo_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* Described key k2, then a SIGN naming k: killed. */
static void
test_sign_for_another_key_than_described_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* A key not granted: KEYINFO refused, the SIGN that follows kills. */
static void
test_sign_with_a_key_not_granted_is_refused(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("other", 1);

	feed_keyinfo(f, "other", 0, -1);
	expect_keyinfo(f, ST_DENIED);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* The grant removed by a reload after KEYINFO: the SIGN is denied. */
static void
test_sign_after_the_grant_was_removed_is_denied(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	char err[CONFIG_ERR_MAX];

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	write_config(f, 0);
	config_free(f->d.mon.cfg);
	assert_non_null(f->d.mon.cfg = config_load(f->conf, err, sizeof(err)));
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
}

/* A disabled key: denied. */
static void
test_sign_with_a_disabled_key_is_denied(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);
	char err[256];

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	assert_int_equal(keystate_set(f->d.mon.keystate, "k", 1, 0, 1, "test",
	    err, sizeof(err)), 0);
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
}

/* A format the key does not allow is denied; one that is none kills. */
static void
test_wrong_formats_are_refused(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k2", 1);

	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_CMS;		/* k2 signs raw only */
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	assert_int_equal(signs, 0);
	m.reqid = 2;
	m.format = FMT_COUNT;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* A digest whose length is not the algorithm's kills. */
static void
test_a_wrong_digest_length_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.tbslen = 48;			/* SHA-384's, for a SHA-256 request */
	feed_sign(f, &m, 0);
	assert_killed(f);
}

static void
test_a_wrong_artifact_digest_length_kills(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.adigestlen = 20;
	feed_sign(f, &m, 0);
	assert_killed(f);
}

/* No message of a child may carry a descriptor (none has CHAN_F_FD). */
static void
test_a_descriptor_kills(void **state)
{
	struct fx *f = *state;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	feed_keyinfo(f, "k", 0, fd);
	close(fd);
	assert_killed(f);
}

static void
test_trailing_bytes_kill(void **state)
{
	struct fx *f = *state;

	feed_keyinfo(f, "k", 1, -1);
	assert_killed(f);
}

/* A well-formed SIGN but for one byte after it: killed, not signed. */
static void
test_trailing_bytes_after_a_sign_kill(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k", 1);

	feed_keyinfo(f, "k", 0, -1);
	expect_keyinfo(f, ST_OK);
	feed_sign(f, &m, 1);
	assert_killed(f);
}

/* Unknown types, and datagrams too short to have one, kill. */
static void
test_unknown_or_short_messages_kill(void **state)
{
	struct fx *f = *state;
	static const uint8_t unknown[] = { 0x03, 0xe7 }, one[] = { 0x03 };
	struct buf b;

	buf_view(&b, unknown, sizeof(unknown));
	feed(f, &b, -1);
	assert_killed(f);
	child_end(f);
	f->c = child_new(f, CH_SESSION);
	buf_view(&b, one, sizeof(one));
	feed(f, &b, -1);
	assert_killed(f);
}

/* A sequence of refusals and a kill: every refusal is audited. */
static void
test_refusals_are_audited(void **state)
{
	struct fx *f = *state;
	struct msg_sign m = sign_msg("k2", 1);
	char path[160], line[AUDIT_LINE_MAX + 1];
	int denies = 0;
	FILE *log;

	feed_keyinfo(f, "other", 0, -1);
	expect_keyinfo(f, ST_DENIED);
	feed_keyinfo(f, "k2", 0, -1);
	expect_keyinfo(f, ST_OK);
	m.format = FMT_CMS;
	feed_sign(f, &m, 0);
	expect_sign_reply(f, ST_DENIED);
	audit_close(f->d.mon.audit);	/* flushes what is queued */
	f->d.mon.audit = NULL;
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	assert_non_null(log = fopen(path, "r"));
	while (fgets(line, sizeof(line), log) != NULL)
		if (strstr(line, "\"event\":\"deny\"") != NULL)
			denies++;
	fclose(log);
	assert_int_equal(denies, 2);
	assert_int_equal(signs, 0);
}

/* Send PESIGN op for token (and certificate, for MAP). */
static void
feed_pesign(struct fx *f, uint8_t op, const char *token, const char *cert)
{
	struct msg_pesign m = { .op = op, .format = FMT_NONE };
	struct buf b;

	snprintf(m.token, sizeof(m.token), "%s", token);
	if (cert != NULL) {
		snprintf(m.cert, sizeof(m.cert), "%s", cert);
		m.format = FMT_PE;
	}
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_pesign(&b, &m), 0);
	feed(f, &b, -1);
	buf_free(&b);
}

/* The next message must be a PESIGN reply with rc. */
static void
expect_pesign_reply(struct fx *f, int32_t rc)
{
	struct msg_pesign_reply r;
	struct buf b;

	assert_int_equal(answer(f, &b), MSG_PESIGN_REPLY);
	assert_int_equal(msg_dec_pesign_reply(&b, &r), 0);
	assert_int_equal(r.rc, rc);
	assert_string_equal(r.key, "");
	buf_free(&b);
}

/*
 * The listener is the loop's word: a child of a csign-client session
 * that speaks for a pesign client is killed, whatever it asks.
 */
static void
test_pesign_from_a_csign_session_kills(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->c->ms.peer.via, VIA_CLIENT);
	feed_pesign(f, PESIGN_OP_KILL, "", NULL);
	assert_killed(f);
}

/*
 * A pesign session: a kill, and a token and certificate no PesignMap
 * names, are refused (rc -1) and audited; the child lives on.
 */
static void
test_pesign_kill_and_unmapped_are_refused_and_audited(void **state)
{
	struct fx *f = *state;
	char path[128], line[8192];
	int kills = 0, denies = 0;
	FILE *log;

	f->c->ms.peer.via = VIA_PESIGN;
	feed_pesign(f, PESIGN_OP_KILL, "", NULL);
	expect_pesign_reply(f, -1);
	feed_pesign(f, PESIGN_OP_MAP, "NSS Certificate DB", "signer");
	expect_pesign_reply(f, -1);
	feed_pesign(f, PESIGN_OP_UNLOCK, "NSS Certificate DB", NULL);
	expect_pesign_reply(f, -1);
	assert_int_equal(f->c->ms.state, CH_SESSION);
	audit_close(f->d.mon.audit);
	f->d.mon.audit = NULL;
	snprintf(path, sizeof(path), "%s/audit.jsonl", f->dir);
	assert_non_null(log = fopen(path, "r"));
	while (fgets(line, sizeof(line), log) != NULL) {
		if (strstr(line, "\"via\":\"pesign\"") == NULL)
			continue;
		kills += strstr(line, "\"event\":\"pesign-kill\"") != NULL;
		denies += strstr(line, "\"event\":\"deny\"") != NULL ||
		    strstr(line, "\"event\":\"pesign-unlock\"") != NULL;
	}
	fclose(log);
	assert_int_equal(kills, 1);
	assert_int_equal(denies, 2);
	assert_int_equal(signs, 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_well_behaved_child_gets_one_signature),
		T(test_a_message_out_of_its_state_kills),
		T(test_a_request_while_signing_kills),
		T(test_a_repeated_ready_kills),
		T(test_a_ready_in_session_kills),
		T(test_a_child_of_another_version_is_refused),
		T(test_a_repeated_done_kills),
		T(test_pesign_from_a_csign_session_kills),
		T(test_pesign_kill_and_unmapped_are_refused_and_audited),
		T(test_a_monitor_message_from_the_child_kills),
		T(test_a_timestamp_outcome_before_its_request_kills),
		T(test_a_timestamp_request_without_a_signature_kills),
		T(test_held_messages_without_a_hold_kill),
		T(test_an_upload_done_without_an_upload_kills),
		T(test_a_truncated_sign_kills),
		T(test_an_overlong_message_kills),
		T(test_a_replayed_request_id_kills),
		T(test_sign_without_keyinfo_kills),
		T(test_sign_for_another_key_than_described_kills),
		T(test_sign_with_a_key_not_granted_is_refused),
		T(test_sign_after_the_grant_was_removed_is_denied),
		T(test_sign_with_a_disabled_key_is_denied),
		T(test_wrong_formats_are_refused),
		T(test_a_wrong_digest_length_kills),
		T(test_a_wrong_artifact_digest_length_kills),
		T(test_a_descriptor_kills),
		T(test_trailing_bytes_kill),
		T(test_trailing_bytes_after_a_sign_kill),
		T(test_unknown_or_short_messages_kill),
		T(test_refusals_are_audited),
	};

	/* The kills and refusals provoked here are logged: noise. */
	log_init("test_dispatch", LOG_TO_STDERR, LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
