/* inline.c: artifacts and outputs that travel in F_DATA frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto/io.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/sessionpriv.h"

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
		return session_reply(s, ST_INTERNAL, "cannot ask the monitor"),
		       -1;
	if (r.status != ST_OK)
		return session_reply(s, r.status, r.message), -1;
	s->uploading = 1;
	return 0;
}

/* The inline request is over: empty the scratch files, free the bytes. */
void
inline_upload_end(struct session *s)
{
	if (!s->uploading)
		return;
	if (ftruncate(SCRATCH_IN_FD, 0) == -1 ||
	    ftruncate(SCRATCH_OUT_FD, 0) == -1)
		return; /* the reservation lasts to the session's end */
	s->uploading = 0;
	sandbox_report_upload_done();
}

/* Receive the next F_DATA chunk into d; its T_DATA, or NULL (replied). */
static const struct tlv *
inline_chunk(struct session *s, struct buf *b, struct frame *d, uint64_t left)
{
	const struct tlv *t;
	const char *err;
	size_t n;
	int r;

	r = io_recv_frame(s->client, b, NULL, 0, &n,
	    (int)s->info->idle_timeout_ms);
	if (r == -1 && errno == ETIMEDOUT) {
		session_reply(s, ST_TIMEOUT,
		    "inline artifact data stopped "
		    "coming (SessionTimeout)");
		return NULL;
	}
	if (r != 1 ||
	    frame_decode(buf_ptr(b) + 4, buf_left(b) - 4, d, &err) == -1 ||
	    d->type != F_DATA || (t = frame_find(d, T_DATA)) == NULL ||
	    t->len == 0 || t->len > left) {
		session_reply(s, ST_BAD_REQUEST,
		    "inline artifact data "
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
int
inline_receive(struct session *s, const struct frame *f, struct sign_input *in,
    size_t nfds)
{
	struct frame *d = NULL;
	const struct tlv *t;
	struct buf b;
	uint64_t size, got = 0;
	int r = -1;

	if (nfds != 0 || frame_get_u64(f, T_SIZE, &size) == -1)
		return session_reply(s, ST_BAD_REQUEST,
			   "inline signing needs "
			   "T_SIZE and no descriptors"),
		       -1;
	if (size > in->max_size)
		return session_reply(s, ST_BAD_ARTIFACT,
			   "artifact is over "
			   "MaxArtifactSize"),
		       -1;
	if (upload_begin(s, in, size) == -1)
		return -1;
	if (ftruncate(SCRATCH_IN_FD, 0) == -1 ||
	    ftruncate(SCRATCH_OUT_FD, 0) == -1 ||
	    lseek(SCRATCH_OUT_FD, 0, SEEK_SET) == -1 ||
	    (d = malloc(sizeof(*d))) == NULL)
		return session_reply(s, ST_INTERNAL, "no scratch space"), -1;
	buf_init(&b, FRAME_MAX + 4);
	while (got < size) {
		if ((t = inline_chunk(s, &b, d, size - got)) == NULL)
			goto out;
		if (pwrite(SCRATCH_IN_FD, t->val, t->len, (off_t)got) !=
		    (ssize_t)t->len) {
			session_reply(s, ST_INTERNAL, "no scratch space");
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
int
inline_send_output(struct session *s, uint64_t len)
{
	static uint8_t chunk[DATA_CHUNK];
	uint64_t off = 0;

	while (off < len) {
		size_t n = len - off < sizeof(chunk) ? (size_t)(len - off)
						     : sizeof(chunk);

		if (artifact_pread(SCRATCH_OUT_FD, off, chunk, n) == -1 ||
		    frame_begin(&s->out, F_DATA) == -1 ||
		    frame_add_bytes(&s->out, T_DATA, chunk, n) == -1 ||
		    session_send(s) == -1)
			return -1;
		off += n;
	}
	return 0;
}
