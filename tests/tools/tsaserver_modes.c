/*
 * tsaserver_modes.c: tsaserver's modes, how each answers a request, which
 * one is current, and the serving of one connection.
 */
#include "tsaserver.h"

static struct conn conn; /* too big for the stack */

static int
answer_ok(struct conn *c)
{
	return reply_token(c, NULL, NULL, 0);
}

/*
 * A readable prefix, then random bytes.  Its first byte, 'g' (0x67), is
 * an application-class tag where a TimeStampResp has a SEQUENCE (0x30),
 * so no DER decoder can take it for one.
 */
static int
answer_garbage(struct conn *c)
{
	static const char prefix[] = "garbage: not a TimeStampResp\n";
	unsigned char junk[256];

	memcpy(junk, prefix, sizeof(prefix) - 1);
	if (RAND_bytes(junk + sizeof(prefix) - 1,
		(int)(sizeof(junk) - sizeof(prefix) + 1)) != 1)
		memset(junk + sizeof(prefix) - 1, 0xa5,
		    sizeof(junk) - sizeof(prefix) + 1);
	return send_body(c, 200, TSR_TYPE, junk, sizeof(junk));
}

static int
answer_badnonce(struct conn *c)
{
	return reply_token(c, bump_nonce, NULL, 0);
}

static int
answer_badimprint(struct conn *c)
{
	return reply_token(c, flip_imprint, NULL, 0);
}

static int
answer_rejection(struct conn *c)
{
	return reply_token(c, refuse, NULL, 0);
}

/*
 * Wait -d milliseconds, unless the client hangs up first (EOF), so that a
 * client that gave up does not hold back the next test's request.  Bytes
 * the client sends meanwhile are thrown away.  1 to answer, 0 not.
 */
static int
pause_for_client(struct conn *c)
{
	struct timespec until;
	unsigned char sink[512];
	ssize_t n;
	int r;

	deadline_in(tsa.delay_ms, &until);
	while ((r = wait_fd(c->fd, POLLIN, &until)) == 1) {
		n = read(c->fd, sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			return 0;
	}
	if (r == -1)
		return 0;
	deadline_in(IO_TIMEOUT_MS, &c->deadline);
	return 1;
}

static int
answer_slow(struct conn *c)
{
	if (!pause_for_client(c))
		return 0;
	return reply_token(c, NULL, NULL, 0);
}

static int
answer_http500(struct conn *c)
{
	return send_text(c, 500, "test TSA: internal error\n");
}

static int
answer_chunked(struct conn *c)
{
	return reply_token(c, NULL, NULL, 1);
}

static int
answer_nocert(struct conn *c)
{
	return reply_token(c, drop_cert_req, NULL, 0);
}

static int
answer_selfsigned(struct conn *c)
{
	return reply_token(c, sign_self, NULL, 0);
}

static int
answer_past(struct conn *c)
{
	return reply_token(c, clock_past, NULL, 0);
}

static int
answer_future(struct conn *c)
{
	return reply_token(c, clock_future, NULL, 0);
}

static int
answer_essv1(struct conn *c)
{
	return reply_token(c, ess_v1, NULL, 0);
}

static int
answer_noess(struct conn *c)
{
	return reply_token(c, NULL, strip_ess, 0);
}

static int
answer_otheress(struct conn *c)
{
	return reply_token(c, NULL, other_ess, 0);
}

const struct mode modes[] = {
	{ "ok", answer_ok },
	{ "garbage", answer_garbage },
	{ "badnonce", answer_badnonce },
	{ "badimprint", answer_badimprint },
	{ "rejection", answer_rejection },
	{ "slow", answer_slow },
	{ "http500", answer_http500 },
	{ "chunked", answer_chunked },
	{ "nocert", answer_nocert },
	{ "selfsigned", answer_selfsigned },
	{ "past", answer_past },
	{ "future", answer_future },
	{ "essv1", answer_essv1 },
	{ "noess", answer_noess },
	{ "otheress", answer_otheress },
};

const struct mode *
find_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(name, modes[i].name) == 0)
			return &modes[i];
	return NULL;
}

/* The mode for this request: PORTFILE.mode's first word, or -m's. */
static const struct mode *
current_mode(void)
{
	char word[MODE_MAX + 1];
	const struct mode *m;
	FILE *f;
	int n;

	if ((f = fopen(tsa.modefile, "r")) == NULL)
		return tsa.mode;
	n = fscanf(f, "%32s", word);
	fclose(f);
	if (n != 1)
		return tsa.mode;
	if ((m = find_mode(word)) == NULL) {
		warnx("%s: unknown mode %s, using %s", tsa.modefile, word,
		    tsa.mode->name);
		return tsa.mode;
	}
	return m;
}

static void
log_request(const struct mode *m, const struct conn *c, int status)
{
	if (tsa.log == NULL)
		return;
	fprintf(tsa.log, "%s %s %zu %d\n", m->name,
	    c->path[0] != '\0' ? c->path : "-", c->body_len, status);
	fflush(tsa.log);
}

/*
 * Close after the answer.  Unread input at close(2) makes the kernel send
 * a reset, which can destroy the answer before the client reads it (say,
 * a 400 for a body never read), so: half-close, and read until the
 * client closes too, for a bounded time.
 */
static void
linger_close(struct conn *c)
{
	unsigned char sink[4096];
	ssize_t n;

	(void)shutdown(c->fd, SHUT_WR);
	deadline_in(DRAIN_MS, &c->deadline);
	while (wait_fd(c->fd, POLLIN, &c->deadline) == 1) {
		n = read(c->fd, sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(c->fd);
}

/* Accept one connection and answer its request. */
void
serve_one(int lfd)
{
	const struct mode *m;
	struct conn *c = &conn;
	int fd, status;

	if (wait_fd(lfd, POLLIN, NULL) != 1)
		return;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EINTR && errno != ECONNABORTED)
			warn("accept");
		return;
	}
	c->fd = fd;
	c->have = 0;
	c->path[0] = '\0';
	c->body = NULL;
	c->body_len = 0;
	deadline_in(IO_TIMEOUT_MS, &c->deadline);
	if ((status = read_request(c)) != -1) {
		m = current_mode();
		if (status == 0)
			status = m->answer(c);
		else
			send_text(c, status, "bad request\n");
		log_request(m, c, status);
	}
	linger_close(c);
}
