/*
 * rawclient_flood.c: rawclient's "flood" mode, many connections at once.
 */
#include "rawclient.h"

/* One connection of a flood and what became of it. */
struct conn {
	int fd;
	int state; /* 0 waiting, 1 hello answered, 2 refused */
};

/* Connect without waiting: -1 if the backlog is full. */
static int
flood_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1)
		err(EX_LOCAL, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	(void)fcntl(s, F_SETFL, 0);
	return s;
}

/* Read c's answer to its hello if there is one; note the first refusal. */
static void
flood_classify(struct conn *c, char *refusal, size_t len)
{
	char msg[1025] = "";

	if (c->state != 0 || io_wait_readable(c->fd, 0) != 1)
		return;
	if (recv_reply_within(c->fd, 100) != 0 || reply_status() != ST_OK) {
		c->state = 2;
		(void)frame_get_str(&reply, T_MESSAGE, msg, sizeof(msg));
		if (refusal[0] == '\0')
			snprintf(refusal, len, "%s: %s",
			    status_name(reply_status()), msg);
	} else
		c->state = 1;
}

/* Ask each served connection for the status, so that it stays busy. */
static void
flood_keep_busy(struct conn *cs, long n)
{
	size_t nfds;

	for (long i = 0; i < n; i++) {
		if (cs[i].state != 1)
			continue;
		if (frame_begin(&out, F_STATUS) == -1)
			errx(EX_LOCAL, "cannot build status");
		if (frame_finish(&out) == -1 ||
		    io_send_frame(cs[i].fd, &out, NULL, 0) == -1 ||
		    io_recv_frame(cs[i].fd, &raw, NULL, 0, &nfds, 2000) != 1)
			cs[i].state = 2;
	}
}

/*
 * flood PATH COUNT HOLD idle|busy-drop: open COUNT connections at once,
 * each saying hello; after a second print how many the daemon answered
 * (served), refused (and the first refusal) or left waiting (queued),
 * and how many could not even connect; then hold them HOLD seconds.
 * idle: quietly.  busy-drop: the queued ones are closed and the served
 * ones kept busy with status queries.
 */
int
mode_flood(const char *path, char **args)
{
	long n = parse_count(args[0], 4096), hold = parse_count(args[1], 600);
	int busy = strcmp(args[2], "busy-drop") == 0;
	char refusal[1100] = "";
	long counts[3] = { 0, 0, 0 }, unconnected = 0, k = 0;
	struct conn *cs;
	struct timespec t0;

	if (!busy && strcmp(args[2], "idle") != 0)
		errx(EX_LOCAL, "%s: idle or busy-drop", args[2]);
	if ((cs = calloc((size_t)n, sizeof(*cs))) == NULL)
		err(EX_LOCAL, "calloc");
	/* A full listen backlog is tried again, for 3 s in all. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		while ((cs[k].fd = flood_connect(path)) == -1 &&
		    errno == EAGAIN && since(&t0) < 3.0)
			usleep(2000);
		if (cs[k].fd == -1) {
			unconnected++;
			continue;
		}
		send_hello(cs[k++].fd);
	}
	sleep(1);
	for (long i = 0; i < k; i++) {
		flood_classify(&cs[i], refusal, sizeof(refusal));
		counts[cs[i].state]++;
	}
	printf("connected %ld unconnected %ld served %ld refused %ld "
	       "queued %ld\n",
	    k, unconnected, counts[1], counts[2], counts[0]);
	printf("refusal: %s\n", refusal);
	for (long i = 0; busy && i < k; i++)
		if (cs[i].state == 0) {
			close(cs[i].fd);
			cs[i].state = 3;
		}
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < (double)hold) {
		if (busy)
			flood_keep_busy(cs, k);
		usleep(500000);
	}
	free(cs);
	return 0;
}
