/* session.c: the client protocol inside the sandbox (see session.h). */
#include "sandbox/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/formats/formats.h"
#include "sandbox/hold.h"
#include "sandbox/testhook.h"

#define KEY_CACHE 8

/*
 * A key the monitor has described to this session.  Kept so that a batch
 * does not ask again and parse the certificate again for every file: the
 * monitor still checks the grant on every signature it makes.
 */
struct cached_key {
	char name[KEY_NAME_MAX + 1];
	struct msg_keyinfo_reply info;	/* cert and chain pointers unused */
	X509 *cert;
	STACK_OF(X509) *chain;		/* Chain certificates, or NULL */
};

struct session {
	int client;
	const struct msg_session *info;
	int hello;
	struct buf out;
	struct cached_key keys[KEY_CACHE];
	size_t nkeys;
	size_t evict;			/* next entry to reuse when full */
	int uploading;			/* the monitor reserved an inline upload */
};

typedef int (*frame_handler)(struct session *, const struct frame *,
    const int *fds, size_t nfds);

/*
 * Send the finished frame in s->out to the client; or, once a --no-wait
 * client was let go, to the monitor to keep for F_WAIT (sandbox/hold.h).
 */
static int
session_out(struct session *s)
{
	if (hold_detached())
		return hold_deliver(&s->out);
	return io_send_frame(s->client, &s->out, NULL, 0);
}

/* Send the frame in s->out; a client that cannot take it ends things. */
static int
session_send(struct session *s)
{
	if (frame_finish(&s->out) == -1 || session_out(s) == -1)
		return -1;
	return 0;
}

/* Reply with a status and a message only. */
static int
reply_status(struct session *s, int status, const char *msg)
{
	if (frame_reply_status(&s->out, status, msg) == -1)
		return -1;
	return session_out(s);
}

static int
session_hello(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	uint32_t v = 0;

	(void)fds;
	if (nfds > 1 || frame_get_u32(f, T_VERSION, &v) == -1 ||
	    v != PROTO_VERSION) {
		reply_status(s, ST_BAD_REQUEST, "unsupported protocol version");
		return -1;
	}
	s->hello = 1;
	/* Say whether the client's probe descriptor came through. */
	if (frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "csignd " CSIGN_VERSION) == -1 ||
	    frame_add_u32(&s->out, T_FLAGS, nfds == 1 ? HELLO_F_FDS : 0) == -1)
		return -1;
	return session_send(s);
}

/* Forget a cached key. */
static void
key_clear(struct cached_key *c)
{
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c));
}

/* The cached description of a key, or NULL. */
static struct cached_key *
key_cached(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

/* Parse DER certificates back to back (the Chain); NULL chain if none. */
static int
chain_parse(const uint8_t *p, size_t len, STACK_OF(X509) **out)
{
	const unsigned char *q = p, *end = p + len;
	X509 *x;

	*out = NULL;
	if (len == 0)
		return 0;
	if ((*out = sk_X509_new_null()) == NULL)
		return -1;
	while (q < end) {
		if ((x = d2i_X509(NULL, &q, (long)(end - q))) == NULL ||
		    !sk_X509_push(*out, x)) {
			X509_free(x);
			return -1;
		}
	}
	return 0;
}

/* Fill cache entry c from a granted KEYINFO reply; -1 if unparsable. */
static int
key_fill(struct cached_key *c, const char *name,
    const struct msg_keyinfo_reply *k)
{
	const unsigned char *p = k->cert;

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->info = *k;
	c->info.cert = c->info.chain = NULL;
	c->info.certlen = c->info.chainlen = 0;
	if ((c->cert = d2i_X509(NULL, &p, (long)k->certlen)) == NULL ||
	    p != k->cert + k->certlen ||
	    chain_parse(k->chain, k->chainlen, &c->chain) == -1)
		return -1;
	return 0;
}

/*
 * The description of a key granted to this session: from the cache, or
 * asked of the monitor (which audits a refusal; format and name describe
 * the request for that record).  Replies to the client and returns NULL
 * if refused.  The cache spares a batch a round trip and a certificate
 * parse per file; the monitor still checks the grant on every signature.
 */
static struct cached_key *
session_key(struct session *s, const char *key, int format, const char *name)
{
	struct msg_keyinfo m = { .format = FMT_NONE };
	struct msg_keyinfo_reply k;
	struct cached_key *c;
	struct buf keep;

	if ((c = key_cached(s, key)) != NULL)
		return c;
	snprintf(m.key, sizeof(m.key), "%s", key);
	if (name != NULL) {
		m.format = (uint8_t)format;
		snprintf(m.name, sizeof(m.name), "%s", name);
	}
	sandbox_request_keyinfo(&m, &k, &keep);
	if (k.status != ST_OK) {
		reply_status(s, k.status, k.message);
		buf_free(&keep);
		return NULL;
	}
	if (s->nkeys < KEY_CACHE)
		c = &s->keys[s->nkeys++];
	else {
		c = &s->keys[s->evict];
		s->evict = (s->evict + 1) % KEY_CACHE;
		key_clear(c);
	}
	if (key_fill(c, key, &k) == -1) {
		key_clear(c);
		c = NULL;
		reply_status(s, ST_INTERNAL, "bad certificate from the monitor");
	}
	buf_free(&keep);
	return c;
}

/* Parse the sign request's fields into in; reply and -1 if bad. */
static int
sign_fields(struct session *s, const struct frame *f, struct sign_input *in,
    char *key, char *name, char *digest)
{
	char fmt[32];
	uint32_t flags = 0;

	if (frame_get_str(f, T_KEY, key, KEY_NAME_MAX + 1) == -1 ||
	    frame_get_str(f, T_FORMAT, fmt, sizeof(fmt)) == -1)
		return reply_status(s, ST_BAD_REQUEST, "bad key or format"), -1;
	if ((in->format = format_from_name(fmt)) == -1 ||
	    format_builder(in->format) == NULL)
		return reply_status(s, ST_BAD_REQUEST, "unknown or unsupported "
		    "format"), -1;
	if (frame_get_str(f, T_NAME, name, ARTIFACT_NAME_MAX + 1) == -1)
		snprintf(name, ARTIFACT_NAME_MAX + 1, "unnamed");
	digest[0] = '\0';
	(void)frame_get_str(f, T_DIGEST, digest, 17);
	(void)frame_get_u32(f, T_FLAGS, &flags);
	if (flags & ~SIGN_F_ALL)
		return reply_status(s, ST_BAD_REQUEST, "unknown flags"), -1;
	if ((flags & SIGN_F_REPLACE) && (flags & SIGN_F_APPEND))
		return reply_status(s, ST_BAD_REQUEST, "--replace and "
		    "--append exclude each other"), -1;
	/* The output of an inline transfer travels on the connection. */
	if ((flags & SIGN_F_NOWAIT) && (flags & SIGN_F_INLINE) &&
	    format_writes_artifact(in->format))
		return reply_status(s, ST_BAD_REQUEST, "--no-wait cannot "
		    "write a signed module or pe over this connection (no "
		    "descriptor passing)"), -1;
	in->flags = flags;
	in->pem = (flags & SIGN_F_PEM) != 0;
	in->key = key;
	in->name = name;
	return 0;
}

/*
 * The descriptors of a sign request: the artifact, and for formats that
 * write a signed artifact, an empty output the client opened for
 * writing.  Reply and -1 if they are not what the format needs.
 */
static int
sign_fds(struct session *s, struct sign_input *in, const int *fds,
    size_t nfds)
{
	struct artifact_err e;
	struct stat st;
	int fl, writes = format_writes_artifact(in->format);

	if (nfds != (writes ? 2u : 1u))
		return reply_status(s, ST_BAD_REQUEST, writes ?
		    "this format needs the artifact and an output descriptor" :
		    "this format needs exactly one artifact descriptor"), -1;
	if (artifact_check(fds[0], in->max_size, &e) == -1)
		return reply_status(s, ST_BAD_ARTIFACT, e.msg), -1;
	in->fd = fds[0];
	in->outfd = writes ? fds[1] : -1;
	if (artifact_fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		in->fd_is_file = 1;
		in->size = (uint64_t)st.st_size;
	}
	if (!writes)
		return 0;
	if (artifact_fstat(in->outfd, &st) == -1 ||
	    (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) ||
	    (fl = fcntl(in->outfd, F_GETFL)) == -1 ||
	    (fl & O_ACCMODE) == O_RDONLY)
		return reply_status(s, ST_BAD_REQUEST, "the output must be a "
		    "file or pipe open for writing"), -1;
	return 0;
}

/*
 * Ask the monitor before the first byte of an inline artifact is read:
 * the key must be granted for the format, and the bytes fit the user's
 * MaxUploadPerUser.  A refusal is the reply to the client.
 */
static int
upload_begin(struct session *s, const struct sign_input *in, uint64_t size)
{
	struct msg_upload m = { .format = (uint8_t)in->format, .size = size };
	struct msg_upload_reply r;

	snprintf(m.key, sizeof(m.key), "%s", in->key);
	snprintf(m.name, sizeof(m.name), "%s", in->name);
	if (sandbox_request_upload(&m, &r) == -1)
		return reply_status(s, ST_INTERNAL, "cannot ask the monitor"), -1;
	if (r.status != ST_OK)
		return reply_status(s, r.status, r.message), -1;
	s->uploading = 1;
	return 0;
}

/* The inline request is over: empty the scratch files, free the bytes. */
static void
upload_end(struct session *s)
{
	if (!s->uploading)
		return;
	if (ftruncate(SCRATCH_IN_FD, 0) == -1 ||
	    ftruncate(SCRATCH_OUT_FD, 0) == -1)
		return;		/* the reservation lasts to the session's end */
	s->uploading = 0;
	sandbox_report_upload_done();
}

/* Receive the next F_DATA chunk into d; its T_DATA, or NULL (replied). */
static const struct tlv *
inline_chunk(struct session *s, struct buf *b, struct frame *d,
    uint64_t left)
{
	const struct tlv *t;
	const char *err;
	size_t n;
	int r;

	r = io_recv_frame(s->client, b, NULL, 0, &n,
	    (int)s->info->idle_timeout_ms);
	if (r == -1 && errno == ETIMEDOUT) {
		reply_status(s, ST_TIMEOUT, "inline artifact data stopped "
		    "coming (SessionTimeout)");
		return NULL;
	}
	if (r != 1 || frame_decode(buf_ptr(b) + 4, buf_left(b) - 4, d,
	    &err) == -1 || d->type != F_DATA ||
	    (t = frame_find(d, T_DATA)) == NULL || t->len == 0 ||
	    t->len > left) {
		reply_status(s, ST_BAD_REQUEST, "inline artifact data "
		    "missing, malformed or too long");
		return NULL;
	}
	return t;
}

/*
 * Inline transfer: receive the artifact announced by T_SIZE in F_DATA
 * frames into the scratch file, and use that as the artifact (and the
 * other scratch file as the output).  Not a byte is read before the
 * monitor has checked the grant and reserved the bytes.  The stream is
 * only in step again once every byte is in, so a failure here (or a
 * refusal) ends the session.
 */
static int
sign_inline(struct session *s, const struct frame *f, struct sign_input *in,
    size_t nfds)
{
	struct frame *d = NULL;
	const struct tlv *t;
	struct buf b;
	uint64_t size, got = 0;
	int r = -1;

	if (nfds != 0 || frame_get_u64(f, T_SIZE, &size) == -1)
		return reply_status(s, ST_BAD_REQUEST, "inline signing needs "
		    "T_SIZE and no descriptors"), -1;
	if (size > in->max_size)
		return reply_status(s, ST_BAD_ARTIFACT, "artifact is over "
		    "MaxArtifactSize"), -1;
	if (upload_begin(s, in, size) == -1)
		return -1;
	if (ftruncate(SCRATCH_IN_FD, 0) == -1 ||
	    ftruncate(SCRATCH_OUT_FD, 0) == -1 ||
	    lseek(SCRATCH_OUT_FD, 0, SEEK_SET) == -1 ||
	    (d = malloc(sizeof(*d))) == NULL)
		return reply_status(s, ST_INTERNAL, "no scratch space"), -1;
	buf_init(&b, FRAME_MAX + 4);
	while (got < size) {
		if ((t = inline_chunk(s, &b, d, size - got)) == NULL)
			goto out;
		if (pwrite(SCRATCH_IN_FD, t->val, t->len, (off_t)got) !=
		    (ssize_t)t->len) {
			reply_status(s, ST_INTERNAL, "no scratch space");
			goto out;
		}
		got += t->len;
		artifact_progress(t->len);
	}
	in->fd = SCRATCH_IN_FD;
	in->fd_is_file = 1;
	in->size = size;
	in->outfd = format_writes_artifact(in->format) ? SCRATCH_OUT_FD : -1;
	r = lseek(SCRATCH_IN_FD, 0, SEEK_SET) == 0 ? 0 : -1;
out:
	buf_free(&b);
	free(d);
	return r;
}

/* Send the inline output (scratch file, written bytes) as F_DATA frames. */
static int
send_inline_output(struct session *s, uint64_t len)
{
	static uint8_t chunk[DATA_CHUNK];
	uint64_t off = 0;

	while (off < len) {
		size_t n = len - off < sizeof(chunk) ? (size_t)(len - off) :
		    sizeof(chunk);

		if (artifact_pread(SCRATCH_OUT_FD, off, chunk, n) == -1 ||
		    frame_begin(&s->out, F_DATA) == -1 ||
		    frame_add_bytes(&s->out, T_DATA, chunk, n) == -1 ||
		    session_send(s) == -1)
			return -1;
		off += n;
	}
	return 0;
}

/* Send the result of a format builder to the client. */
static int
sign_reply(struct session *s, const struct sign_input *in,
    struct sign_output *out)
{
	if (out->status != ST_OK)
		return reply_status(s, out->status, out->message);
	if (in->outfd == SCRATCH_OUT_FD &&
	    send_inline_output(s, out->written) == -1)
		return -1;
	if (frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "signed") == -1 ||
	    frame_add_str(&s->out, T_DIGEST, digest_name(in->digest)) == -1 ||
	    frame_add_bytes(&s->out, T_ADIGEST, out->adigest,
		out->adigestlen) == -1 ||
	    frame_add_u64(&s->out, T_SIZE, in->outfd != -1 ? out->written :
		out->size) == -1 ||
	    (in->outfd == -1 && frame_add_bytes(&s->out, T_SIGNATURE,
		buf_ptr(&out->data), buf_left(&out->data)) == -1))
		return reply_status(s, ST_INTERNAL, "output too large");
	return session_send(s);
}

/*
 * Whether this signature gets an RFC 3161 timestamp: always on a key
 * where it is required, on request where it is optional.  A request the
 * key or the format cannot honour is refused (reply, -1).
 */
static int
sign_timestamp(struct session *s, struct sign_input *in,
    const struct cached_key *c)
{
	int asked = (in->flags & SIGN_F_TIMESTAMP) != 0;

	in->ntsa = c->info.ntsa;
	in->timestamp = c->info.ts_mode == TS_REQUIRED ||
	    (asked && c->info.ts_mode == TS_OPTIONAL);
	if (asked && (c->info.ts_mode == TS_NONE || c->info.ntsa == 0))
		return reply_status(s, ST_BAD_REQUEST, "--timestamp: the key "
		    "has no TSA (Timestamp in csignd.conf)"), -1;
	if (in->timestamp && !(TS_FORMATS & FMT_BIT(in->format)))
		return reply_status(s, ST_BAD_REQUEST, asked ? "--timestamp "
		    "applies to the cms and pe formats only" : "the key "
		    "requires timestamps, which only cms and pe can carry"), -1;
	return 0;
}

/* Run the builder once the key, digest and artifact are settled. */
static int
sign_build(struct session *s, struct sign_input *in, const char *digest,
    const struct cached_key *c)
{
	struct sign_output out = { .status = ST_OK };
	int r;

	in->digest = digest[0] ? digest_from_name(digest) :
	    c->info.default_digest;
	if (in->digest == -1)
		return reply_status(s, ST_BAD_REQUEST, "unknown digest");
	if (sign_timestamp(s, in, c) == -1)
		return 0;
	in->padding = c->info.padding;
	in->keytype = c->info.keytype;
	in->cert = c->cert;
	in->chain = c->chain;
	in->pub = X509_get0_pubkey(in->cert);
	buf_init(&out.data, FRAME_MAX);
	if (in->pub != NULL)
		(void)format_builder(in->format)(in, &out);
	else
		sign_fail(&out, ST_INTERNAL, "certificate without a key");
	r = sign_reply(s, in, &out);
	buf_free(&out.data);
	return r;
}

static int
session_sign(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	char key[KEY_NAME_MAX + 1], name[ARTIFACT_NAME_MAX + 1], digest[17];
	struct sign_input in = { .max_size = s->info->max_artifact,
		.fd = -1, .outfd = -1 };
	struct cached_key *c;
	int r;

#ifdef CSIGN_TEST_HOOKS
	char hook[33], msg[128];
	if (frame_get_str(f, T_TEST_SYSCALL, hook, sizeof(hook)) == 0) {
		testhook_syscall(hook, s->client, msg, sizeof(msg));
		return reply_status(s, ST_INTERNAL, msg);
	}
#endif
	if (sign_fields(s, f, &in, key, name, digest) == -1)
		return 0;
	if (in.flags & SIGN_F_INLINE) {
		if (sign_inline(s, f, &in, nfds) == -1)
			return -1;
	} else if (sign_fds(s, &in, fds, nfds) == -1)
		return 0;
	if ((c = session_key(s, key, in.format, name)) == NULL) {
		upload_end(s);
		return 0;
	}
	hold_begin(s->client, in.flags);
	r = sign_build(s, &in, digest, c);
	/* A --no-wait client was let go: the session is over. */
	if (hold_detached())
		r = -1;
	hold_end();
	upload_end(s);
	return r;
}

static int
session_cert(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	char key[KEY_NAME_MAX + 1], *pem = NULL;
	struct cached_key *c;
	BIO *b = NULL;
	long n;
	int r;

	(void)fds;
	if (nfds != 0 || frame_get_str(f, T_KEY, key, sizeof(key)) == -1)
		return reply_status(s, ST_BAD_REQUEST, "bad cert request");
	if ((c = session_key(s, key, FMT_NONE, NULL)) == NULL)
		return 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, c->cert) != 1 ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0 ||
	    frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "ok") == -1 ||
	    frame_add_bytes(&s->out, T_CERT, pem, (size_t)n) == -1)
		r = reply_status(s, ST_INTERNAL, "cannot encode the certificate");
	else
		r = session_send(s);
	BIO_free(b);
	return r;
}

/* keys, whoami, status: the monitor builds the reply frame. */
static int
session_query(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	static const int what[F_TYPE_COUNT] = { [F_KEYS] = Q_KEYS,
		[F_WHOAMI] = Q_WHOAMI, [F_STATUS] = Q_STATUS };
	struct frame *check;
	const char *err;
	int r = -1;

	(void)fds;
	if (nfds != 0)
		return reply_status(s, ST_BAD_REQUEST, "unexpected descriptor");
	if (sandbox_request_query(what[f->type], &s->out) == -1 ||
	    buf_left(&s->out) < 4 || (check = malloc(sizeof(*check))) == NULL)
		return reply_status(s, ST_INTERNAL, "query failed");
	if (frame_decode(buf_ptr(&s->out) + 4, buf_left(&s->out) - 4, check,
	    &err) == 0)
		r = io_send_frame(s->client, &s->out, NULL, 0);
	else
		r = reply_status(s, ST_INTERNAL, "bad reply from the monitor");
	free(check);
	return r;
}

/* admin: disable or enable a key; the monitor decides and answers. */
static int
session_admin(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	struct msg_admin m = { 0 };
	uint32_t op;

	(void)fds;
	if (nfds != 0 || frame_get_str(f, T_KEY, m.key, sizeof(m.key)) == -1 ||
	    frame_get_u32(f, T_FLAGS, &op) == -1 ||
	    (op != ADMIN_DISABLE_KEY && op != ADMIN_ENABLE_KEY))
		return reply_status(s, ST_BAD_REQUEST, "bad admin request");
	m.op = (uint8_t)op;
	if (frame_find(f, T_MESSAGE) != NULL &&
	    frame_get_str(f, T_MESSAGE, m.reason, sizeof(m.reason)) == -1)
		return reply_status(s, ST_BAD_REQUEST, "reason too long "
		    "(at most 255 bytes)");
	if (sandbox_request_admin(&m, &s->out) == -1)
		return reply_status(s, ST_INTERNAL, "admin request failed");
	return io_send_frame(s->client, &s->out, NULL, 0);
}

/*
 * pending, approve, deny, wait: the monitor decides and answers.  A wait
 * blocks until the held request is decided and its result built.
 */
static int
session_approval(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	static const uint8_t ops[F_TYPE_COUNT] = { [F_PENDING] = APPR_PENDING,
		[F_APPROVE] = APPR_APPROVE, [F_DENY] = APPR_DENY,
		[F_WAIT] = APPR_WAIT };
	struct msg_approval m = { .op = ops[f->type] };

	(void)fds;
	if (nfds != 0)
		return reply_status(s, ST_BAD_REQUEST, "unexpected descriptor");
	if (m.op != APPR_PENDING &&
	    (frame_get_u64(f, T_ID, &m.id) == -1 || m.id == 0))
		return reply_status(s, ST_BAD_REQUEST, "bad request id");
	if (frame_find(f, T_MESSAGE) != NULL &&
	    frame_get_str(f, T_MESSAGE, m.reason, sizeof(m.reason)) == -1)
		return reply_status(s, ST_BAD_REQUEST, "reason too long "
		    "(at most 255 bytes)");
	if (sandbox_request_approval(&m, &s->out) == -1)
		return reply_status(s, ST_INTERNAL, "approval request failed");
	return io_send_frame(s->client, &s->out, NULL, 0);
}

static const struct {
	frame_handler fn;
	int needs_hello;
} handlers[F_TYPE_COUNT] = {
	[F_HELLO] = { session_hello, 0 },
	[F_SIGN] = { session_sign, 1 },
	[F_KEYS] = { session_query, 1 },
	[F_CERT] = { session_cert, 1 },
	[F_WHOAMI] = { session_query, 1 },
	[F_STATUS] = { session_query, 1 },
	[F_ADMIN] = { session_admin, 1 },
	[F_PENDING] = { session_approval, 1 },
	[F_APPROVE] = { session_approval, 1 },
	[F_DENY] = { session_approval, 1 },
	[F_WAIT] = { session_approval, 1 },
};

/* Tell the client why its frame could not be read; then the end. */
static void
session_recv_error(struct session *s, int err)
{
	char msg[96];

	if (err == ETIMEDOUT)
		snprintf(msg, sizeof(msg), "no complete request within %u s",
		    s->info->idle_timeout_ms / 1000);
	else if (err == EMSGSIZE)
		snprintf(msg, sizeof(msg), "frame too large");
	else
		snprintf(msg, sizeof(msg), "truncated frame or unexpected "
		    "descriptors");
	reply_status(s, err == ETIMEDOUT ? ST_TIMEOUT : ST_BAD_REQUEST, msg);
}

/* Decode one received frame and run its handler: 0 go on, -1 stop. */
static int
session_frame(struct session *s, const struct buf *in, const int *fds,
    size_t nfds, struct frame *f)
{
	const char *err = NULL;
	char msg[128];

	if (frame_decode(buf_ptr(in) + 4, buf_left(in) - 4, f, &err) == -1) {
		snprintf(msg, sizeof(msg), "malformed frame: %s", err);
		log_info("client sent a malformed frame: %s", err);
		reply_status(s, ST_BAD_REQUEST, msg);
		return -1;
	}
	if (handlers[f->type].fn == NULL ||
	    handlers[f->type].needs_hello != s->hello) {
		reply_status(s, ST_BAD_REQUEST, s->hello ? "unexpected frame" :
		    "the first frame must be hello");
		return -1;
	}
	return handlers[f->type].fn(s, f, fds, nfds);
}

void
session_serve(int client, const struct msg_session *info)
{
	struct session s = { .client = client, .info = info };
	struct frame *f;
	struct buf in;
	int fds[FRAME_MAX_FDS];
	size_t nfds;
	int r;

	if ((f = malloc(sizeof(*f))) == NULL)
		return;
	artifact_set_progress(sandbox_report_progress);
	buf_init(&in, FRAME_MAX + 4);
	buf_init(&s.out, FRAME_MAX + 4);
	for (;;) {
		r = io_recv_frame(client, &in, fds, FRAME_MAX_FDS, &nfds,
		    (int)info->idle_timeout_ms);
		if (r == -1)
			session_recv_error(&s, errno);
		if (r <= 0) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			break;
		}
		r = session_frame(&s, &in, fds, nfds, f);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		if (r == -1)
			break;
	}
	buf_free(&in);
	buf_free(&s.out);
	for (size_t i = 0; i < s.nkeys; i++)
		key_clear(&s.keys[i]);
	free(f);
}
