/*
 * pesign.c: a pesign client's session inside the sandbox (the loop
 * accepted it on PesignListen; see proto/pesign.h for the protocol).
 *
 * Each request is a 12-byte header and exactly its payload, decoded by
 * proto/pesign.c; the payload buffer is wiped once decoded (an unlock
 * carries a PIN, which csignd never uses).  GET_CMD_VERSION is answered
 * here; what needs the daemon's records goes to the monitor (MSG_PESIGN),
 * and a sign command goes through the csign sign path (pesignsign.c).
 * A message that breaks the protocol gets rc -1 and ends the session.
 */
#include "sandbox/pesign.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/pesign.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/hold.h"
#include "sandbox/sessionpriv.h"

int
pesign_recv(int client, void *p, size_t len, int *fds, size_t maxfds,
    size_t *nfds, int timeout_ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	uint8_t *b = p;
	size_t got = 0;
	int bad = 0;

	*nfds = 0;
	while (got < len) {
		struct iovec iov = { b + got, len - got };
		struct msghdr msg = { .msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf) };
		struct pollfd pfd = { client, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recvmsg(client, &msg, MSG_CMSG_CLOEXEC);
		/* The socket is non-blocking (the loop accepted it so). */
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL;
		     c = CMSG_NXTHDR(&msg, c)) {
			size_t k;

			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(int));
				if (*nfds < maxfds)
					fds[(*nfds)++] = fd;
				else {
					close(fd);
					bad = 1;
				}
			}
		}
		if (msg.msg_flags & MSG_CTRUNC)
			bad = 1;
		if (n == 0) {
			if (got == 0 && !bad)
				return 0;
			break;
		}
		got += (size_t)n;
	}
	if (got < len || bad) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

int
pesign_send_reply(int client, int32_t rc, const char *msg)
{
	uint8_t p[PESIGN_REPLY_MAX];
	size_t n = pesign_reply_encode(p, sizeof(p), rc, msg);
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(client, p + off, n - off, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Why a message could not be read, for the client and the log. */
static void
pesign_recv_error(struct session *s, const char *what, int err)
{
	char msg[128];

	if (err == ETIMEDOUT)
		snprintf(msg, sizeof(msg), "no complete %s within %u s", what,
		    s->info->idle_timeout_ms / 1000);
	else
		snprintf(msg, sizeof(msg),
		    "truncated %s or unexpected "
		    "descriptors",
		    what);
	log_info("pesign client: %s", msg);
	(void)pesign_send_reply(s->client, -1, msg);
}

/* GET_CMD_VERSION: every command but RESPONSE is known, at version 0. */
static int32_t
pesign_version(const struct pesign_req *r)
{
	return r->asked < PESIGN_CMD_COUNT && r->asked != PESIGN_RESPONSE ? 0
									  : -1;
}

/* An op the monitor answers: rc and message into *rc and msg. */
static int
pesign_ask(uint8_t op, const struct pesign_req *r, int32_t *rc, char *msg,
    size_t msglen)
{
	struct msg_pesign m = { .op = op, .format = FMT_NONE };
	struct msg_pesign_reply rep;

	snprintf(m.token, sizeof(m.token), "%s", r->token);
	if (sandbox_request_pesign(&m, &rep) == -1) {
		*rc = -1;
		snprintf(msg, msglen, "internal error");
		return 0;
	}
	*rc = rep.rc;
	snprintf(msg, msglen, "%s", rep.message);
	return 0;
}

/*
 * Read, decode and answer one request: 1 go on, 0 the client left,
 * -1 the session ends.
 */
static int
pesign_one(struct session *s)
{
	uint8_t hb[PESIGN_HDR_LEN], payload[PESIGN_PAYLOAD_MAX];
	struct pesign_hdr h;
	struct pesign_req req;
	char err[160], msg[MESSAGE_MAX + 1] = "";
	int timeout = (int)s->info->idle_timeout_ms, r = 1, dec;
	int32_t rc = 0;
	size_t nfds;

	if ((r = pesign_recv(s->client, hb, sizeof(hb), NULL, 0, &nfds,
		 timeout)) <= 0) {
		if (r == -1)
			pesign_recv_error(s, "header", errno);
		return r;
	}
	if (pesign_hdr_decode(hb, &h, err, sizeof(err)) == -1) {
		log_info("pesign client: %s", err);
		(void)pesign_send_reply(s->client, -1, err);
		return -1;
	}
	if (h.size > 0 &&
	    pesign_recv(s->client, payload, h.size, NULL, 0, &nfds, timeout) !=
		1) {
		pesign_recv_error(s, "payload", errno);
		explicit_bzero(payload, sizeof(payload));
		return -1;
	}
	dec = pesign_req_decode(h.command, payload, h.size, &req, err,
	    sizeof(err));
	/* An unlock's PIN is in there: gone before anything else runs. */
	explicit_bzero(payload, sizeof(payload));
	if (dec == -1) {
		log_info("pesign client: %s", err);
		(void)pesign_send_reply(s->client, -1, err);
		return -1;
	}
	r = 1;
	switch (req.command) {
	case PESIGN_GET_CMD_VERSION:
		rc = pesign_version(&req);
		if (rc < 0)
			snprintf(msg, sizeof(msg), "unknown command");
		break;
	case PESIGN_IS_TOKEN_UNLOCKED:
		pesign_ask(PESIGN_OP_UNLOCKED, &req, &rc, msg, sizeof(msg));
		break;
	case PESIGN_UNLOCK_TOKEN:
		pesign_ask(PESIGN_OP_UNLOCK, &req, &rc, msg, sizeof(msg));
		break;
	case PESIGN_KILL_DAEMON:
		pesign_ask(PESIGN_OP_KILL, &req, &rc, msg, sizeof(msg));
		break;
	default:
		r = pesign_sign(s, &req, &rc, msg, sizeof(msg)) == -1 ? -1 : 1;
		break;
	}
	if (pesign_send_reply(s->client, rc, msg[0] != '\0' ? msg : NULL) == -1)
		return 0;
	return r;
}

void
pesign_serve(int client, const struct msg_session *info)
{
	struct session_capture cap = { 0 };
	struct session s = { .client = client, .info = info, .capture = &cap };

	if ((s.hold = hold_new(client)) == NULL)
		return;
	hold_set_quiet(s.hold);
	artifact_set_progress(sandbox_report_progress);
	buf_init(&s.out, FRAME_MAX + 4);
	while (pesign_one(&s) == 1)
		;
	buf_free(&s.out);
	session_keys_free(&s);
	hold_free(s.hold);
}
