/* conn.c: connection, hello, requests and replies (see conn.h). */
#include "client/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/output.h"
#include "proto/io.h"
#include "proto/names.h"

void
cl_fail_protocol(struct failure *fl, const char *why)
{
	cl_fail_set(fl, EXIT_ERROR, "error", "protocol error from daemon: %s",
	    why);
}

void
cl_reply_init(struct reply *r)
{
	buf_init(&r->raw, FRAME_MAX + 4);
	r->f.type = 0;
	r->f.ntlv = 0;
	r->status = ST_INTERNAL;
	r->message[0] = '\0';
	r->accept_data = 0;
	r->accept_held = 0;
}

void
cl_reply_free(struct reply *r)
{
	buf_free(&r->raw);
	r->f.ntlv = 0;
}

int
cl_reply_decode(struct reply *r, const char **err)
{
	struct buf *b = &r->raw;
	uint32_t len;

	if (buf_get_u32(b, &len) == -1 || len != buf_left(b)) {
		*err = "frame length does not match its body";
		return -1;
	}
	if (frame_decode(buf_ptr(b), buf_left(b), &r->f, err) == -1)
		return -1;
	if ((r->f.type == F_DATA && r->accept_data) ||
	    (r->f.type == F_HELD && r->accept_held)) {
		r->status = ST_OK;
		r->message[0] = '\0';
		return 0;
	}
	if (r->f.type != F_REPLY) {
		*err = "expected a reply frame";
		return -1;
	}
	/* frame_decode() has checked that both are there. */
	if (frame_get_u32(&r->f, T_STATUS, &r->status) == -1 ||
	    frame_get_str(&r->f, T_MESSAGE, r->message, sizeof(r->message)) ==
		-1) {
		*err = "reply without status or message";
		return -1;
	}
	return 0;
}

/* Turn a reply with a status other than ST_OK into a failure. */
static void
fail_reply(const struct reply *r, struct failure *fl)
{
	char msg[sizeof(r->message)];
	const char *st = status_name((int)r->status);

	cl_text_clean(msg, sizeof(msg), r->message, strlen(r->message));
	if (msg[0] == '\0')
		cl_fail_set(fl, status_exit_code((int)r->status), st, "%s", st);
	else
		cl_fail_set(fl, status_exit_code((int)r->status), st, "%s (%s)",
		    msg, st);
}

/* Explain why io_recv_frame() or io_send_frame() failed, from errno. */
static void
fail_transport(const struct conn *c, struct failure *fl)
{
	switch (errno) {
	case ETIMEDOUT:
		cl_fail_set(fl, EXIT_UNAVAILABLE, "timeout",
		    "no reply from csignd within %d s", c->timeout);
		fl->own_timeout = 1;
		break;
	case EMSGSIZE:
		cl_fail_protocol(fl, "frame too large");
		break;
	case EPROTO:
		cl_fail_protocol(fl,
		    "truncated frame or unexpected descriptors");
		break;
	case EPIPE:
	case ECONNRESET:
		cl_fail_set(fl, EXIT_UNAVAILABLE, "unavailable",
		    "csignd closed the connection");
		break;
	default:
		cl_fail_set(fl, EXIT_UNAVAILABLE, "unavailable",
		    "lost the connection to csignd: %s", strerror(errno));
		break;
	}
}

/* Receive and decode one reply; the client accepts no descriptors. */
static int
conn_recv(struct conn *c, struct reply *r, struct failure *fl)
{
	const char *err;
	size_t nfds;
	int n;

	n = io_recv_frame(c->fd, &r->raw, NULL, 0, &nfds, c->timeout * 1000);
	if (n <= 0)
		c->broken = 1;
	if (n == 0) {
		cl_fail_set(fl, EXIT_UNAVAILABLE, "unavailable",
		    "csignd closed the connection");
		return -1;
	}
	if (n == -1) {
		fail_transport(c, fl);
		return -1;
	}
	if (cl_reply_decode(r, &err) == -1) {
		c->broken = 1;
		cl_fail_protocol(fl, err);
		return -1;
	}
	return 0;
}

int
cl_conn_next(struct conn *c, struct reply *r, struct failure *fl)
{
	r->accept_data = 1;
	if (conn_recv(c, r, fl) == -1)
		return -1;
	if (r->f.type == F_DATA)
		return 1;
	if (r->status != ST_OK) {
		fail_reply(r, fl);
		return -1;
	}
	return 0;
}

int
cl_conn_send(struct conn *c, const struct buf *req, struct failure *fl)
{
	if (io_send_frame(c->fd, req, NULL, 0) == -1) {
		fail_transport(c, fl);
		return -1;
	}
	return 0;
}

int
cl_conn_reply(struct conn *c, struct reply *r, struct failure *fl)
{
	if (conn_recv(c, r, fl) == -1)
		return -1;
	if (r->status != ST_OK) {
		fail_reply(r, fl);
		return -1;
	}
	return 0;
}

/*
 * Sending failed.  A daemon that refused us before it read anything (too
 * many sessions of this uid, shutting down) has left its reason queued
 * for us: report that rather than the broken pipe.
 */
static void
fail_send(struct conn *c, struct reply *r, struct failure *fl)
{
	if (errno != EPIPE && errno != ECONNRESET)
		fail_transport(c, fl);
	else if (conn_recv(c, r, fl) == -1)
		return;
	else if (r->status != ST_OK)
		fail_reply(r, fl);
	else
		cl_fail_set(fl, EXIT_UNAVAILABLE, "unavailable",
		    "csignd closed the connection");
}

int
cl_conn_request(struct conn *c, const struct buf *req, const int *fds,
    size_t nfds, struct reply *r, struct failure *fl)
{
	if (io_send_frame(c->fd, req, fds, nfds) == -1) {
		fail_send(c, r, fl);
		return -1;
	}
	return cl_conn_reply(c, r, fl);
}

int
cl_conn_post(struct conn *c, const struct buf *req, const int *fds, size_t nfds,
    struct failure *fl)
{
	if (io_send_frame(c->fd, req, fds, nfds) == -1) {
		c->broken = 1;
		fail_transport(c, fl);
		return -1;
	}
	return 0;
}

/* Send a frame of type with one optional u32 or key field; get a reply. */
static int
conn_send_small(struct conn *c, uint16_t type, uint16_t tag, uint32_t v,
    const char *key, struct reply *r, struct failure *fl)
{
	struct buf b;
	int ret = -1;

	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, type) == -1 ||
	    (tag != 0 && frame_add_u32(&b, tag, v) == -1) ||
	    (key != NULL && frame_add_str(&b, T_KEY, key) == -1) ||
	    frame_finish(&b) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode a %s request", frame_type_name(type));
	else
		ret = cl_conn_request(c, &b, NULL, 0, r, fl);
	buf_free(&b);
	return ret;
}

int
cl_conn_simple(struct conn *c, uint16_t type, const char *key, struct reply *r,
    struct failure *fl)
{
	return conn_send_small(c, type, 0, 0, key, r, fl);
}

/*
 * F_HELLO with a probe descriptor: where descriptors cannot travel (a
 * socket forwarded by OpenSSH), the reply lacks HELLO_F_FDS and artifacts
 * are sent inline.  CSIGN_INLINE=1 asks for inline transfers anyway.
 */
static int
conn_hello(struct conn *c, struct reply *r, struct failure *fl)
{
	const char *env = getenv("CSIGN_INLINE");
	uint32_t flags = 0, busy = 0;
	struct buf b;
	int probe, ret = -1;

	if ((probe = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "/dev/null: %s",
		    strerror(errno));
		return -1;
	}
	buf_init(&b, 64);
	if (frame_begin(&b, F_HELLO) == -1 ||
	    frame_add_u32(&b, T_VERSION, PROTO_VERSION) == -1 ||
	    frame_finish(&b) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot encode hello");
	else
		ret = cl_conn_request(c, &b, &probe, 1, r, fl);
	buf_free(&b);
	close(probe);
	if (ret == 0) {
		(void)frame_get_u32(&r->f, T_FLAGS, &flags);
		c->busy = frame_get_u32(&r->f, T_BUSY, &busy) == 0
		    ? (int)(busy < BUSY_MAX ? busy : BUSY_MAX)
		    : -1;
		c->inline_data = !(flags & HELLO_F_FDS) ||
		    (env != NULL && strcmp(env, "1") == 0);
	}
	return ret;
}

/* A connected stream socket to path, or -1 with errno set. */
static int
conn_connect(const char *path)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);
	int fd, saved;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (len >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
cl_conn_connect(struct conn *c, const char *path, int timeout,
    struct failure *fl)
{
	c->path = path;
	c->timeout = timeout;
	c->inline_data = 0;
	c->broken = 0;
	if ((c->fd = conn_connect(path)) == -1) {
		int e = errno;

		cl_fail_set(fl, EXIT_UNAVAILABLE, "unavailable",
		    "cannot connect to %s: %s%s", path, strerror(e),
		    e == ENOENT || e == ECONNREFUSED ? " (is csignd running?)"
						     : "");
		return -1;
	}
	return 0;
}

int
cl_conn_hello(struct conn *c, struct failure *fl)
{
	struct reply r;
	int ret;

	cl_reply_init(&r);
	ret = conn_hello(c, &r, fl);
	cl_reply_free(&r);
	if (ret == -1)
		cl_conn_close(c);
	return ret;
}

int
cl_conn_open(struct conn *c, const char *path, int timeout, struct failure *fl)
{
	if (cl_conn_connect(c, path, timeout, fl) == -1)
		return -1;
	return cl_conn_hello(c, fl);
}

void
cl_conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
cl_group_init(struct group_iter *it, const struct frame *f,
    const uint16_t *tags, size_t ntags)
{
	it->f = f;
	it->tags = tags;
	it->ntags = ntags < GROUP_MAX ? ntags : GROUP_MAX;
	it->pos = 0;
}

/* Index of tag in the iterator's tags, or -1. */
static int
group_index(const struct group_iter *it, uint16_t tag)
{
	for (size_t i = 0; i < it->ntags; i++)
		if (it->tags[i] == tag)
			return (int)i;
	return -1;
}

int
cl_group_next(struct group_iter *it, const struct tlv **fields,
    const char **err)
{
	const struct frame *f = it->f;
	int i;

	for (size_t k = 0; k < it->ntags; k++)
		fields[k] = NULL;
	/* Find the start of the next entry; members may not come first. */
	for (; it->pos < f->ntlv; it->pos++) {
		if ((i = group_index(it, f->tlv[it->pos].tag)) == 0)
			break;
		if (i > 0) {
			*err = "entry field before the entry's name";
			return -1;
		}
	}
	if (it->pos == f->ntlv)
		return 0;
	fields[0] = &f->tlv[it->pos++];
	for (; it->pos < f->ntlv; it->pos++) {
		if ((i = group_index(it, f->tlv[it->pos].tag)) == 0)
			break;
		if (i < 0)
			continue;
		if (fields[i] != NULL) {
			*err = "repeated field in one entry";
			return -1;
		}
		fields[i] = &f->tlv[it->pos];
	}
	return 1;
}
