/* io.c: frame and message transfer with descriptor passing (see io.h). */
#include "proto/io.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/frame.h"

#define CMSG_ROOM CMSG_SPACE(sizeof(int) * 8)

int
io_wait_readable(int sock, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int r;

	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r == -1 && errno == EINTR);
	return r > 0 ? 1 : r;
}

/* Attach fds to msg using the control buffer ctl (CMSG_ROOM bytes). */
static void
attach_fds(struct msghdr *msg, char *ctl, const int *fds, size_t nfds)
{
	struct cmsghdr *c;

	if (nfds == 0)
		return;
	memset(ctl, 0, CMSG_ROOM);
	msg->msg_control = ctl;
	msg->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
}

/*
 * Collect SCM_RIGHTS descriptors from msg into fds (room for maxfds,
 * *nfds counts those kept); close the rest and return -1 if any was extra.
 */
static int
collect_fds(struct msghdr *msg, int *fds, size_t maxfds, size_t *nfds)
{
	int extra = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
	     c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nfds < maxfds)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				extra = 1;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		extra = 1;
	return extra ? -1 : 0;
}

int
io_send_frame(int sock, const struct buf *b, const int *fds, size_t nfds)
{
	const uint8_t *p = buf_ptr(b);
	size_t left = buf_left(b);
	char ctl[CMSG_ROOM];

	if (nfds > 8) {
		errno = EINVAL;
		return -1;
	}
	while (left > 0) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = left };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		attach_fds(&msg, ctl, fds, nfds);
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = sock, .events = POLLOUT };
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		if (n <= 0)
			return -1;
		nfds = 0; /* fds go with the first byte only */
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/*
 * Read exactly len bytes into dst, collecting descriptors.  Returns 1,
 * 0 if the stream ended before the first byte, -1 on error.  With wait
 * 0 the first read is tried before waiting: a frame's body usually came
 * with its header, and a poll per frame is a system call for nothing.
 */
static int
recv_exact(int sock, uint8_t *dst, size_t len, int *fds, size_t maxfds,
    size_t *nfds, int timeout_ms, int wait)
{
	size_t got = 0;
	char ctl[CMSG_ROOM];

	while (got < len) {
		struct iovec iov = { .iov_base = dst + got,
			.iov_len = len - got };
		struct msghdr msg = { .msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
			.msg_controllen = sizeof(ctl) };
		ssize_t n;
		int w;

		if (wait && (w = io_wait_readable(sock, timeout_ms)) <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
		wait = 1;
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return -1;
		if (collect_fds(&msg, fds, maxfds, nfds) == -1) {
			errno = EPROTO;
			return -1;
		}
		if (n == 0) {
			if (got == 0)
				return 0;
			errno = EPROTO;
			return -1;
		}
		got += (size_t)n;
	}
	return 1;
}

int
io_recv_frame(int sock, struct buf *b, int *fds, size_t maxfds, size_t *nfds,
    int timeout_ms)
{
	uint8_t hdr[4];
	uint32_t len;
	uint8_t *body;
	int r;

	*nfds = 0;
	buf_reset(b);
	if (b->max < FRAME_MAX + 4)
		b->max = FRAME_MAX + 4;
	r = recv_exact(sock, hdr, sizeof(hdr), fds, maxfds, nfds, timeout_ms,
	    1);
	if (r <= 0)
		return r;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > FRAME_MAX || len < 2) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf_put(b, hdr, sizeof(hdr)) == -1 ||
	    (body = buf_reserve(b, len)) == NULL)
		return -1;
	r = recv_exact(sock, body, len, fds, maxfds, nfds, timeout_ms, 0);
	if (r == 0) {
		errno = EPROTO;
		return -1;
	}
	return r;
}

int
io_send_msg(int sock, const struct buf *b, int fd)
{
	struct iovec iov = { .iov_base = (void *)buf_ptr(b),
		.iov_len = buf_left(b) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char ctl[CMSG_ROOM];
	ssize_t n;

	if (fd >= 0)
		attach_fds(&msg, ctl, &fd, 1);
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != buf_left(b)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
io_recv_msg(int sock, struct buf *b, int *fd)
{
	char ctl[CMSG_ROOM];
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl) };
	size_t nfds = 0, hi = b->hi;
	uint8_t *p;
	ssize_t n;

	*fd = -1;
	buf_reset(b);
	if ((p = buf_reserve(b, b->max)) == NULL)
		return -1;
	iov.iov_base = p;
	iov.iov_len = b->max;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		buf_settle(b, 0, hi); /* nothing was received */
		return -1;
	}
	buf_settle(b, (size_t)n, hi);
	/* Descriptors first, so that none is left open on any path. */
	if (collect_fds(&msg, fd, 1, &nfds) == -1 ||
	    (msg.msg_flags & MSG_TRUNC) || (n == 0 && nfds > 0)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = (msg.msg_flags & MSG_TRUNC) ? EMSGSIZE : EPROTO;
		buf_reset(b);
		return -1;
	}
	return n == 0 ? 0 : 1;
}
