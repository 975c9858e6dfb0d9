/* signreq.c: an F_SIGN request inside the session child. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/hold.h"
#include "sandbox/sessionpriv.h"
#include "sandbox/testhook.h"

/* Parse the sign request's fields into in; reply and -1 if bad. */
static int
sign_fields(struct session *s, const struct frame *f, struct sign_input *in,
    char *key, char *name, char *digest)
{
	char fmt[32];
	uint32_t flags = 0;

	if (frame_get_str(f, T_KEY, key, KEY_NAME_MAX + 1) == -1 ||
	    frame_get_str(f, T_FORMAT, fmt, sizeof(fmt)) == -1)
		return session_reply(s, ST_BAD_REQUEST, "bad key or format"),
		       -1;
	if (!format_supported(in->format = format_from_name(fmt)))
		return session_reply(s, ST_BAD_REQUEST,
			   "unknown or unsupported format"),
		       -1;
	if (frame_get_str(f, T_NAME, name, ARTIFACT_NAME_MAX + 1) == -1)
		snprintf(name, ARTIFACT_NAME_MAX + 1, "unnamed");
	digest[0] = '\0';
	(void)frame_get_str(f, T_DIGEST, digest, 17);
	(void)frame_get_u32(f, T_FLAGS, &flags);
	if (flags & ~SIGN_F_ALL)
		return session_reply(s, ST_BAD_REQUEST, "unknown flags"), -1;
	if ((flags & SIGN_F_REPLACE) && (flags & SIGN_F_APPEND))
		return session_reply(s, ST_BAD_REQUEST,
			   "--replace and "
			   "--append exclude each other"),
		       -1;
	if ((flags & SIGN_F_ARMOR) && in->format != FMT_OPENPGP &&
	    in->format != FMT_OPENPGP_CLEAR)
		return session_reply(s, ST_BAD_REQUEST,
			   "--armor applies to the openpgp format only"),
		       -1;
	if ((flags & SIGN_F_INPLACE) &&
	    (in->format != FMT_MODULE || (flags & SIGN_F_INLINE)))
		return session_reply(s, ST_BAD_REQUEST,
			   "in-place signing applies to a module passed "
			   "as a descriptor only"),
		       -1;
	/* The output of an inline transfer travels on the connection. */
	if ((flags & SIGN_F_NOWAIT) && (flags & SIGN_F_INLINE) &&
	    format_writes_artifact(in->format))
		return session_reply(s, ST_BAD_REQUEST,
			   "--no-wait cannot "
			   "write a signed module or pe over this connection (no "
			   "descriptor passing)"),
		       -1;
	/* Where a --no-wait client wants the result (kept for F_WAIT). */
	s->output[0] = '\0';
	if ((flags & SIGN_F_NOWAIT) && frame_find(f, T_OUTPUT) != NULL &&
	    frame_get_str(f, T_OUTPUT, s->output, sizeof(s->output)) == -1)
		return session_reply(s, ST_BAD_REQUEST, "bad output path"), -1;
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
sign_fds(struct session *s, struct sign_input *in, const int *fds, size_t nfds)
{
	struct artifact_err e;
	struct stat st;
	int fl, writes = format_writes_artifact(in->format);

	if (nfds != (size_t)format_fd_count(in->format))
		return session_reply(s, ST_BAD_REQUEST,
			   writes
			       ? "this format needs the artifact and an output descriptor"
			       : "this format needs exactly one artifact descriptor"),
		       -1;
	if (artifact_check(fds[0], in->max_size, &st, &e) == -1)
		return session_reply(s, ST_BAD_ARTIFACT, e.msg), -1;
	in->fd = fds[0];
	in->outfd = writes ? fds[1] : -1;
	if (S_ISREG(st.st_mode)) {
		in->fd_is_file = 1;
		in->size = (uint64_t)st.st_size;
	}
	if (!writes)
		return 0;
	if (artifact_fstat(in->outfd, &st) == -1 ||
	    (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
		!S_ISCHR(st.st_mode)) ||
	    (fl = fcntl(in->outfd, F_GETFL)) == -1 ||
	    (fl & O_ACCMODE) == O_RDONLY)
		return session_reply(s, ST_BAD_REQUEST,
			   "the output must be a "
			   "file, pipe or character device (/dev/null) open for "
			   "writing"),
		       -1;
	return 0;
}

/* Send the result of a format builder to the client. */
int
sign_result(struct session *s, const struct sign_input *in,
    struct sign_output *out)
{
	if (out->status != ST_OK)
		return session_reply(s, out->status, out->message);
	/* Capture mode: the output stays in the scratch file. */
	if (s->capture != NULL)
		s->capture->written = out->written;
	else if (in->outfd == SCRATCH_OUT_FD &&
	    inline_send_output(s, out->written) == -1)
		return -1;
	if (frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "signed") == -1 ||
	    frame_add_str(&s->out, T_DIGEST, digest_name(in->digest)) == -1 ||
	    frame_add_bytes(&s->out, T_ADIGEST, out->adigest,
		out->adigestlen) == -1 ||
	    frame_add_u64(&s->out, T_SIZE,
		in->outfd != -1 ? out->written : out->size) == -1 ||
	    (in->outfd == -1 &&
		frame_add_bytes(&s->out, T_SIGNATURE, buf_ptr(&out->data),
		    buf_left(&out->data)) == -1) ||
	    (s->output[0] != '\0' &&
		frame_add_str(&s->out, T_OUTPUT, s->output) == -1) ||
	    frame_add_u32(&s->out, T_BUSY, out->busy) == -1)
		return session_reply(s, ST_INTERNAL, "output too large");
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
		return session_reply(s, ST_BAD_REQUEST,
			   "--timestamp: the key "
			   "has no TSA (Timestamp in csignd.conf)"),
		       -1;
	if (in->timestamp && !(TS_FORMATS & FMT_BIT(in->format)))
		return session_reply(s, ST_BAD_REQUEST,
			   asked
			       ? "--timestamp "
				 "applies to the cms and pe formats only"
			       : "the key "
				 "requires timestamps, which only cms and pe can carry"),
		       -1;
	return 0;
}

int
sign_settle(struct session *s, struct sign_req *q)
{
	struct sign_input *in = &q->in;
	const struct cached_key *c = q->c;

	in->digest =
	    q->digest[0] ? digest_from_name(q->digest) : c->info.default_digest;
	if (in->digest == -1)
		return session_reply(s, ST_BAD_REQUEST, "unknown digest"), -1;
	if (sign_timestamp(s, in, c) == -1)
		return -1;
	in->padding = c->info.padding;
	in->keytype = c->info.keytype;
	in->cert = c->cert;
	in->chain = c->chain;
	in->pub = X509_get0_pubkey(in->cert);
	in->pgp_created = c->info.pgp_created;
	in->pgp_uid = c->info.pgp_uid;
	return 0;
}

int
sign_execute(struct session *s, struct sign_req *q)
{
	struct sign_output out = { .status = ST_OK };
	int r;

	hold_begin(s->hold, q->in.flags);
	q->in.hold = s->hold;
	buf_init(&out.data, FRAME_MAX);
	if (q->in.pub != NULL)
		(void)format_two_step_sign(&q->in, &out);
	else
		sign_fail(&out, ST_INTERNAL, "certificate without a key");
	r = sign_result(s, &q->in, &out);
	buf_free(&out.data);
	/* A --no-wait client was let go: the session is over. */
	if (hold_detached(s->hold))
		r = -1;
	hold_reset(s->hold);
	inline_upload_end(s);
	return r;
}

int
sign_setup(struct session *s, const struct frame *f, const int *fds,
    size_t nfds, struct sign_req *q)
{
	memset(q, 0, sizeof(*q));
	q->in.max_size = s->info->max_artifact;
	q->in.fd = q->in.outfd = -1;
	if (sign_fields(s, f, &q->in, q->key, q->name, q->digest) == -1)
		return 0;
	if (q->in.flags & SIGN_F_INLINE) {
		if (inline_receive(s, f, &q->in, nfds) == -1)
			return -1;
	} else if (sign_fds(s, &q->in, fds, nfds) == -1)
		return 0;
	if ((q->c = session_key(s, q->key, q->in.format, q->name)) == NULL) {
		inline_upload_end(s);
		return 0;
	}
	return 1;
}

int
session_sign(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	struct sign_req q;
	int r;

#ifdef CSIGN_TEST_HOOKS
	char hook[33], msg[128];
	if (frame_get_str(f, T_TEST_SYSCALL, hook, sizeof(hook)) == 0) {
		testhook_syscall(hook, s->client, msg, sizeof(msg));
		return session_reply(s, ST_INTERNAL, msg);
	}
#endif
	if ((r = sign_setup(s, f, fds, nfds, &q)) != 1)
		return r;
	if (sign_settle(s, &q) == -1) {
		inline_upload_end(s);
		return 0;
	}
	if (pipeline_eligible(s, &q))
		return pipeline_run(s, &q);
	return sign_execute(s, &q);
}
