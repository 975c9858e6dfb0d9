/*
 * pesignclient: a test-only client of csignd's pesign listener that
 * speaks the protocol raw: the commands Debian's pesign-client 0.112 does
 * not know (the _WITH_FILE_TYPE sign commands, GET_CMD_VERSION) and
 * malformed messages no real client sends.
 *
 * usage: pesignclient SOCKET MODE [ARGS]
 *   version CMD                       GET_CMD_VERSION
 *   unlocked TOKEN                    IS_TOKEN_UNLOCKED
 *   unlock TOKEN PIN                  UNLOCK_TOKEN
 *   kill                              KILL_DAEMON
 *   sign CMD TYPE TOKEN CERT IN OUT   sign command CMD (2, 3, 7, 8), file
 *                                     type TYPE (ignored for 2 and 3)
 *   junk HEXBYTES                     send these bytes, shut down the
 *                                     writing side, read a reply
 *   raw HEXBYTES                      send these bytes, read a reply
 *   nofds TOKEN CERT                  a sign payload, then no descriptors
 *   half                              half a header, then hang up
 *
 * Prints "rc MESSAGE" of the reply and exits 0 if rc >= 0, 1 if rc < 0;
 * 10 no reply (the daemon closed the connection), 11 cannot connect,
 * 12 the reply is malformed, 64 usage or local error.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/pesign.h"

#define EX_NOREPLY 10
#define EX_NOCONN 11
#define EX_BADREPLY 12
#define EX_LOCAL 64
#define REPLY_TIMEOUT_MS 60000

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		errx(EX_LOCAL, "socket path too long");
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(EX_LOCAL, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		warn("connect %s", path);
		exit(EX_NOCONN);
	}
	return fd;
}

static void
send_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			err(EX_NOREPLY, "send");
		b += n;
		len -= (size_t)n;
	}
}

/* The header first, then the payload, as pesign-client sends them. */
static void
send_msg(int fd, const uint8_t *m, size_t len)
{
	send_all(fd, m, PESIGN_HDR_LEN);
	if (len > PESIGN_HDR_LEN)
		send_all(fd, m + PESIGN_HDR_LEN, len - PESIGN_HDR_LEN);
}

/* Two zero bytes carrying one descriptor. */
static void
send_fd(int sock, int fd)
{
	char data[PESIGN_FD_MSG_LEN] = { 0 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1)
		err(EX_NOREPLY, "sendmsg");
}

/* Read one reply (as pesign-client: one recvmsg), print it, exit. */
static void
read_reply(int fd)
{
	uint8_t b[PESIGN_REPLY_MAX + 1];
	struct pollfd p = { fd, POLLIN, 0 };
	uint32_t ver, cmd, size;
	int32_t rc;
	ssize_t n;

	if (poll(&p, 1, REPLY_TIMEOUT_MS) != 1)
		errx(EX_NOREPLY, "no reply");
	if ((n = recv(fd, b, sizeof(b) - 1, 0)) <= 0)
		errx(EX_NOREPLY, "connection closed without a reply");
	if (n < PESIGN_HDR_LEN + 4)
		errx(EX_BADREPLY, "short reply (%zd bytes)", n);
	memcpy(&ver, b, 4);
	memcpy(&cmd, b + 4, 4);
	memcpy(&size, b + 8, 4);
	memcpy(&rc, b + 12, 4);
	if (ver != PESIGN_MAGIC || cmd != PESIGN_RESPONSE ||
	    size != (size_t)n - PESIGN_HDR_LEN)
		errx(EX_BADREPLY, "malformed reply header");
	b[n] = '\0';
	printf("%d %s\n", (int)rc, n > 16 ? (char *)b + 16 : "");
	exit(rc < 0 ? 1 : 0);
}

static size_t
hex_bytes(const char *s, uint8_t *dst, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] != '\0' && s[1] != '\0' && n < max &&
	    sscanf(s, "%2x", &v) == 1) {
		dst[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

int
main(int argc, char **argv)
{
	uint8_t m[PESIGN_HDR_LEN + PESIGN_PAYLOAD_MAX + 512];
	const char *names[2];
	uint32_t word;
	size_t len;
	int fd;

	if (argc < 3)
		errx(EX_LOCAL, "usage: pesignclient SOCKET MODE [ARGS]");
	fd = connect_to(argv[1]);
	if (strcmp(argv[2], "version") == 0 && argc == 4) {
		word = (uint32_t)strtoul(argv[3], NULL, 0);
		len = pesign_req_encode(m, sizeof(m), PESIGN_GET_CMD_VERSION,
		    &word, NULL, 0);
	} else if (strcmp(argv[2], "unlocked") == 0 && argc == 4) {
		names[0] = argv[3];
		len = pesign_req_encode(m, sizeof(m), PESIGN_IS_TOKEN_UNLOCKED,
		    NULL, names, 1);
	} else if (strcmp(argv[2], "unlock") == 0 && argc == 5) {
		names[0] = argv[3];
		names[1] = argv[4];
		len = pesign_req_encode(m, sizeof(m), PESIGN_UNLOCK_TOKEN, NULL,
		    names, 2);
	} else if (strcmp(argv[2], "kill") == 0 && argc == 3) {
		len = pesign_req_encode(m, sizeof(m), PESIGN_KILL_DAEMON, NULL,
		    NULL, 0);
	} else if (strcmp(argv[2], "sign") == 0 && argc == 9) {
		uint32_t cmd = (uint32_t)strtoul(argv[3], NULL, 0);
		int in, out;

		word = (uint32_t)strtoul(argv[4], NULL, 0);
		names[0] = argv[5];
		names[1] = argv[6];
		len = pesign_req_encode(m, sizeof(m), cmd,
		    cmd >= 7 ? &word : NULL, names, 2);
		if ((in = open(argv[7], O_RDONLY)) == -1)
			err(EX_LOCAL, "%s", argv[7]);
		if ((out = open(argv[8], O_RDWR | O_CREAT, 0644)) == -1)
			err(EX_LOCAL, "%s", argv[8]);
		send_msg(fd, m, len);
		send_fd(fd, in);
		send_fd(fd, out);
		read_reply(fd);
	} else if (strcmp(argv[2], "nofds") == 0 && argc == 5) {
		names[0] = argv[3];
		names[1] = argv[4];
		len = pesign_req_encode(m, sizeof(m), PESIGN_SIGN_ATTACHED,
		    NULL, names, 2);
		send_msg(fd, m, len);
		send_all(fd, "\0\0", 2);
		read_reply(fd);
	} else if (strcmp(argv[2], "raw") == 0 && argc == 4) {
		len = hex_bytes(argv[3], m, sizeof(m));
		send_all(fd, m, len);
		read_reply(fd);
	} else if (strcmp(argv[2], "junk") == 0 && argc == 4) {
		len = hex_bytes(argv[3], m, sizeof(m));
		send_all(fd, m, len);
		shutdown(fd, SHUT_WR);
		read_reply(fd);
	} else if (strcmp(argv[2], "half") == 0 && argc == 3) {
		len = pesign_req_encode(m, sizeof(m), PESIGN_KILL_DAEMON, NULL,
		    NULL, 0);
		send_all(fd, m, PESIGN_HDR_LEN / 2);
		close(fd);
		return 0;
	} else {
		errx(EX_LOCAL, "unknown mode or wrong arguments: %s", argv[2]);
	}
	if (len == 0)
		errx(EX_LOCAL, "message too large");
	send_msg(fd, m, len);
	read_reply(fd);
	return EX_LOCAL;
}
