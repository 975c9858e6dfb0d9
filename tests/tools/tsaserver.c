/*
 * tsaserver: a test-only RFC 3161 time-stamp authority on loopback
 * HTTP/1.1, with deliberate faults, so that integration tests can check
 * csign's time-stamp client one failure at a time.
 *
 * usage: tsaserver -k tsakey.pem -c tsacert.pem [-C chain.pem] -p portfile
 *            [-m mode] [-d delay_ms] [-l logfile]
 *        tsaserver -P
 *
 * Listens on 127.0.0.1, on a port the kernel picks, and writes that port
 * and a newline to PORTFILE (through PORTFILE.tmp and rename(2), so that
 * a reader sees the whole line or no file).  Then serves one connection
 * at a time until SIGTERM or SIGINT, and exits 0.  A connection carries
 * one request, "POST <path> HTTP/1.1" (or 1.0) with a Content-Length
 * body of at most 64 KiB; any path is accepted.  Every answer says
 * "Connection: close", and the connection is closed after it.  A
 * malformed request gets 400, a method other than POST 405.
 *
 * The answer depends on the mode (-m, default ok):
 *   ok          a TimeStampResp granting a token signed with -k/-c
 *               (sha256, sha384 or sha512 imprints; policy 1.2.3.4.1;
 *               serial numbers 1, 2, ...; with certReq the token carries
 *               the TSA certificate and the -C certificates)
 *   garbage     200 application/timestamp-reply, 256 bytes that are not
 *               DER
 *   badnonce    a valid token whose nonce is the request's + 1 (1 when
 *               the request had none)
 *   badimprint  a valid token for the request's imprint with its last
 *               byte flipped
 *   rejection   PKIStatus rejection, statusString "test TSA refuses",
 *               failInfo badAlg, no token
 *   slow        waits -d milliseconds (default 30000), then as ok; ends
 *               the wait early if the client hangs up
 *   http500     500 Internal Server Error, text body
 *   chunked     as ok, sent with Transfer-Encoding: chunked in two
 *               chunks and no Content-Length
 *   nocert      as ok, but no certificate in the token whatever certReq
 *               says
 *   selfsigned  as ok, but signed with a self-signed timestamping
 *               certificate made at startup (under no CA) and its key
 *   past        as ok, but with a genTime one hour before the clock
 *   future      as ok, but with a genTime one hour after the clock
 *   essv1       as ok, with an ESS SigningCertificate (v1, SHA-1)
 *               instead of SigningCertificateV2 (SHA-256): still valid
 *   noess       as ok, but the token's SignerInfo has no ESS
 *               signing-certificate attribute (signed again without it)
 *   otheress    as ok, but its SigningCertificateV2 names the
 *               self-signed certificate of selfsigned, not the signer
 *               (signed again)
 *
 * The mode can be switched without a restart: when PORTFILE.mode exists
 * as a request is answered, its first word is the mode for that request
 * (an unknown word is reported on stderr and -m's mode used).
 *
 * A body that is not a TimeStampReq is answered the way OpenSSL's TSA
 * code answers it, with a rejection (badDataFormat), in every mode that
 * sends a TimeStampResp.
 *
 * With -l, one line per request is appended to LOGFILE and flushed:
 * "<mode> <path> <body bytes> <HTTP status>", with "-" for a path that
 * was never read and status 0 when the client left before the answer.
 *
 * -P binds a loopback port the same way, prints it and exits, so that a
 * test gets a port where nothing listens.
 *
 * Exits 1 on a startup error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll, memmem, accept4 */
#endif
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define HEAD_MAX 8192	    /* request line and headers */
#define BODY_MAX 65536	    /* the largest request body */
#define URLPATH_MAX 256	    /* the longest request path */
#define MODE_MAX 32	    /* the longest word in PORTFILE.mode */
#define IO_TIMEOUT_MS 10000 /* to read a request, or send a reply */
#define DRAIN_MS 1000	    /* to read what is left before close */
#define DELAY_MAX_MS 3600000L
#define TEST_POLICY "1.2.3.4.1" /* an arc for examples, never real */
#define TSR_TYPE "application/timestamp-reply"

/* One connection: what was read from it and until when it may last. */
struct conn {
	int fd;
	struct timespec deadline;
	unsigned char buf[HEAD_MAX + BODY_MAX];
	size_t have;		   /* bytes in buf */
	char path[URLPATH_MAX];	   /* "" until the request line is read */
	const unsigned char *body; /* points into buf */
	size_t body_len;
};

/* What the headers said. */
struct head {
	size_t length;
	int has_length;
	int expect_continue;
};

/* A change to the request, or to the TSA, that makes one fault. */
typedef int (*edit_fn)(TS_REQ *, TS_RESP_CTX *);
/* A change to the response made, that makes one fault. */
typedef int (*fix_fn)(TS_RESP *);

/* A mode: its name, and how it answers a complete request. */
struct mode {
	const char *name;
	int (*answer)(struct conn *); /* the HTTP status sent, 0 none */
};

/* The TSA's identity and settings, fixed at startup. */
static struct {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain; /* -C, less the TSA certificate */
	X509 *self_cert;       /* selfsigned's, made at startup */
	EVP_PKEY *self_key;
	const struct mode *mode; /* -m */
	long delay_ms;		 /* -d */
	FILE *log;		 /* -l */
	char modefile[PATH_MAX]; /* PORTFILE.mode */
} tsa;

static struct conn conn;	   /* too big for the stack */
static uint64_t serial;		   /* the last serial number issued */
static volatile sig_atomic_t quit; /* SIGTERM or SIGINT came */
static sigset_t waitmask;	   /* the mask in ppoll: TERM, INT open */

/* -h: the usage on stdout, exit 0; a usage error: on stderr, exit 1. */
static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: tsaserver -k tsakey.pem -c tsacert.pem "
	    "[-C chain.pem] -p portfile\n"
	    "                 [-m mode] [-d delay_ms] [-l logfile]\n"
	    "       tsaserver -P\n");
	exit(status);
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/*
 * TERM and INT stay blocked except inside ppoll(), so that a stop request
 * that comes between a check of quit and a blocking call is not lost: it
 * interrupts that very call.  SIGPIPE is ignored because clients may hang
 * up before the answer.
 */
static void
signals_setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t stop;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		err(1, "sigaction");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signal");
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, &waitmask) == -1)
		err(1, "sigprocmask");
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
}

/* Set ts to ms milliseconds from now (monotonic clock). */
static void
deadline_in(long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The time left until deadline in left: 1, or 0 if it has passed. */
static int
time_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	return left->tv_sec >= 0;
}

/*
 * Wait until fd is ready for events, or until deadline (NULL: no limit);
 * fd -1 only waits.  1 ready, 0 the deadline passed, -1 stop requested or
 * error.  The only place where the process sleeps.
 */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec left;
	int n;

	for (;;) {
		if (quit)
			return -1;
		if (deadline != NULL && !time_left(deadline, &left))
			return 0;
		n = ppoll(&pfd, 1, deadline != NULL ? &left : NULL, &waitmask);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR) {
			warn("ppoll");
			return -1;
		}
	}
}

/* Send all of p, within the connection's deadline: 0, or -1. */
static int
send_all(struct conn *c, const void *p, size_t len)
{
	const unsigned char *q = p;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(c->fd, POLLOUT, &c->deadline) != 1)
			return -1;
		n = send(c->fd, q, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more of the request, up to limit bytes in all: bytes, 0 EOF, -1. */
static ssize_t
read_more(struct conn *c, size_t limit)
{
	ssize_t n;

	for (;;) {
		if (wait_fd(c->fd, POLLIN, &c->deadline) != 1)
			return -1;
		n = read(c->fd, c->buf + c->have, limit - c->have);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0)
			c->have += (size_t)n;
		return n;
	}
}

/* Only visible ASCII, as a path that goes into one log line must be. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

/*
 * "POST <path> HTTP/1.1": 0, or the status to answer.  The path is kept
 * for the log even when the method is wrong.
 */
static int
parse_request_line(char *line, struct conn *c)
{
	char *path, *version;

	if ((path = strchr(line, ' ')) == NULL)
		return 400;
	*path++ = '\0';
	if ((version = strchr(path, ' ')) == NULL)
		return 400;
	*version++ = '\0';
	if (strcmp(version, "HTTP/1.1") != 0 &&
	    strcmp(version, "HTTP/1.0") != 0)
		return 400;
	if (path[0] != '/' || strlen(path) >= sizeof(c->path) ||
	    !printable(path))
		return 400;
	memcpy(c->path, path, strlen(path) + 1);
	if (strcmp(line, "POST") != 0)
		return 405;
	return 0;
}

/* A decimal Content-Length of at most BODY_MAX, given once. */
static int
parse_length(const char *value, struct head *h)
{
	size_t n = 0;

	if (h->has_length || *value == '\0' || strlen(value) > 6)
		return 400;
	for (; *value != '\0'; value++) {
		if (*value < '0' || *value > '9')
			return 400;
		n = n * 10 + (size_t)(*value - '0');
	}
	if (n > BODY_MAX)
		return 400;
	h->length = n;
	h->has_length = 1;
	return 0;
}

/*
 * One "Name: value" line.  Requests must come with a length: a chunked
 * request body is refused rather than half-supported.
 */
static int
parse_header(char *line, struct head *h)
{
	char *value, *end;

	if ((value = strchr(line, ':')) == NULL || value == line)
		return 400;
	*value++ = '\0';
	if (strpbrk(line, " \t\r\n") != NULL || strpbrk(value, "\r\n"))
		return 400;
	value += strspn(value, " \t");
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(line, "Content-Length") == 0)
		return parse_length(value, h);
	if (strcasecmp(line, "Transfer-Encoding") == 0)
		return 400;
	if (strcasecmp(line, "Expect") == 0 &&
	    strcasecmp(value, "100-continue") == 0)
		h->expect_continue = 1;
	return 0;
}

/* The request line and headers, NUL-terminated: 0, or the status. */
static int
parse_head(char *head, struct conn *c, struct head *h)
{
	char *line = head, *next;
	int r;

	for (int first = 1;; first = 0) {
		if ((next = strstr(line, "\r\n")) != NULL)
			*next = '\0';
		if (first)
			r = parse_request_line(line, c);
		else
			r = parse_header(line, h);
		if (r != 0)
			return r;
		if (next == NULL)
			break;
		line = next + 2;
	}
	return h->has_length ? 0 : 400;
}

/*
 * Read one request: its path, and its body in c->body.  0 when complete,
 * the HTTP status to answer when not, -1 when the client sent nothing.
 * Bytes after the body (a pipelined request) are ignored.
 */
static int
read_request(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char head[HEAD_MAX + 1];
	struct head h = { 0 };
	unsigned char *end;
	size_t hlen, need;
	int r;

	while ((end = memmem(c->buf, c->have, "\r\n\r\n", 4)) == NULL) {
		if (c->have == HEAD_MAX)
			return 400;
		if (read_more(c, HEAD_MAX) <= 0)
			return c->have == 0 ? -1 : 400;
	}
	hlen = (size_t)(end - c->buf);
	memcpy(head, c->buf, hlen);
	head[hlen] = '\0';
	if (strlen(head) != hlen)
		return 400; /* a NUL inside the headers */
	if ((r = parse_head(head, c, &h)) != 0)
		return r;
	need = hlen + 4 + h.length;
	if (h.expect_continue && c->have < need)
		(void)send_all(c, cont, sizeof(cont) - 1);
	while (c->have < need)
		if (read_more(c, need) <= 0)
			return 400;
	c->body = c->buf + hlen + 4;
	c->body_len = h.length;
	return 0;
}

static const char *
status_text(int status)
{
	static const struct {
		int code;
		const char *text;
	} texts[] = {
		{ 200, "OK" },
		{ 400, "Bad Request" },
		{ 405, "Method Not Allowed" },
		{ 500, "Internal Server Error" },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == status)
			return texts[i].text;
	return "Unknown";
}

/* An answer with a Content-Length body: status. */
static int
send_body(struct conn *c, int status, const char *type, const void *body,
    size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, status_text(status), type, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		errx(1, "response head too long");
	if (send_all(c, head, (size_t)n) == 0)
		(void)send_all(c, body, len);
	return status;
}

static int
send_text(struct conn *c, int status, const char *text)
{
	return send_body(c, status, "text/plain", text, strlen(text));
}

/*
 * A 200 answer in Transfer-Encoding: chunked, in two chunks (the first
 * half, then the rest) and the last, empty one, as RFC 9112 section 7.1
 * spells them.
 */
static int
send_chunked(struct conn *c, const void *body, size_t len)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: " TSR_TYPE "\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n";
	const unsigned char *p = body;
	size_t part[2] = { len / 2, len - len / 2 };
	char size[32];
	int n;

	if (send_all(c, head, sizeof(head) - 1) == -1)
		return 200;
	for (size_t i = 0; i < 2; i++) {
		if (part[i] == 0)
			continue;
		n = snprintf(size, sizeof(size), "%zx\r\n", part[i]);
		if (send_all(c, size, (size_t)n) == -1 ||
		    send_all(c, p, part[i]) == -1 ||
		    send_all(c, "\r\n", 2) == -1)
			return 200;
		p += part[i];
	}
	(void)send_all(c, "0\r\n\r\n", 5);
	return 200;
}

/* Serial numbers 1, 2, 3, ... for the life of the process. */
static ASN1_INTEGER *
next_serial(TS_RESP_CTX *ctx, void *arg)
{
	ASN1_INTEGER *n;

	(void)arg;
	if ((n = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(n, ++serial)) {
		ASN1_INTEGER_free(n);
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
		    "cannot make a serial number");
		TS_RESP_CTX_add_failure_info(ctx,
		    TS_INFO_ADD_INFO_NOT_AVAILABLE);
		return NULL;
	}
	return n;
}

/*
 * A response context for one request.  A fresh one each time, because
 * the rejection mode changes its clock and OpenSSL cannot put the default
 * clock back.
 */
static TS_RESP_CTX *
tsa_ctx(void)
{
	TS_RESP_CTX *ctx;
	ASN1_OBJECT *policy;
	int ok;

	if ((ctx = TS_RESP_CTX_new()) == NULL)
		return NULL;
	policy = OBJ_txt2obj(TEST_POLICY, 1);
	ok = policy != NULL && TS_RESP_CTX_set_signer_cert(ctx, tsa.cert) &&
	    TS_RESP_CTX_set_signer_key(ctx, tsa.key) &&
	    TS_RESP_CTX_set_def_policy(ctx, policy) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha256()) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha384()) &&
	    TS_RESP_CTX_add_md(ctx, EVP_sha512()) &&
	    TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) &&
	    TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) &&
	    (tsa.chain == NULL || TS_RESP_CTX_set_certs(ctx, tsa.chain));
	ASN1_OBJECT_free(policy);
	if (!ok) {
		TS_RESP_CTX_free(ctx);
		return NULL;
	}
	TS_RESP_CTX_set_serial_cb(ctx, next_serial, NULL);
	return ctx;
}

/* The request, DER-encoded again after an edit, in a memory BIO. */
static BIO *
request_bio(TS_REQ *req)
{
	BIO *b;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (!i2d_TS_REQ_bio(b, req)) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

/*
 * The DER TimeStampResp for the request body, after edit (if not NULL)
 * has changed the request or the TSA, and fix (if not NULL) the response
 * made: an OPENSSL_malloc'd buffer, or NULL.  A body that is no
 * TimeStampReq is passed to OpenSSL as it is, which answers it with a
 * rejection.
 */
static unsigned char *
make_reply(const struct conn *c, edit_fn edit, fix_fn fix, size_t *len)
{
	const unsigned char *p = c->body;
	unsigned char *der = NULL;
	TS_RESP_CTX *ctx;
	TS_RESP *resp = NULL;
	TS_REQ *req;
	BIO *in = NULL;
	int n;

	if ((ctx = tsa_ctx()) == NULL)
		return NULL;
	req = d2i_TS_REQ(NULL, &p, (long)c->body_len);
	if (req == NULL)
		in = BIO_new_mem_buf(c->body, (int)c->body_len);
	else if (edit == NULL || edit(req, ctx))
		in = request_bio(req);
	if (in != NULL && (resp = TS_RESP_create_response(ctx, in)) != NULL &&
	    (fix == NULL || TS_RESP_get_token(resp) == NULL || fix(resp)) &&
	    (n = i2d_TS_RESP(resp, &der)) > 0)
		*len = (size_t)n;
	else
		der = NULL;
	TS_RESP_free(resp);
	BIO_free(in);
	TS_REQ_free(req);
	TS_RESP_CTX_free(ctx);
	return der;
}

/* badnonce: the request's nonce + 1, so the token's is not the one sent. */
static int
bump_nonce(TS_REQ *req, TS_RESP_CTX *ctx)
{
	const ASN1_INTEGER *old = TS_REQ_get_nonce(req);
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn;
	int ok = 0;

	(void)ctx;
	bn = old != NULL ? ASN1_INTEGER_to_BN(old, NULL) : BN_new();
	if (bn != NULL && BN_add_word(bn, 1) &&
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		ok = TS_REQ_set_nonce(req, nonce);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	return ok;
}

/*
 * badimprint: flip the last byte of the hash to be stamped.  A hash of
 * the wrong size is left as it is: OpenSSL rejects the request anyway.
 */
static int
flip_imprint(TS_REQ *req, TS_RESP_CTX *ctx)
{
	ASN1_OCTET_STRING *hash;
	unsigned char d[EVP_MAX_MD_SIZE];
	int len;

	(void)ctx;
	hash = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
	len = ASN1_STRING_length(hash);
	if (len <= 0 || (size_t)len > sizeof(d))
		return 1;
	memcpy(d, ASN1_STRING_get0_data(hash), (size_t)len);
	d[len - 1] ^= 0xff;
	return ASN1_STRING_set(hash, d, len);
}

/* nocert: as if the client had not asked for the certificate. */
static int
drop_cert_req(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)ctx;
	return TS_REQ_set_cert_req(req, 0);
}

/*
 * The rejection mode's clock.  OpenSSL has no hook to refuse a request
 * outright, but when the clock fails it stops before signing and keeps a
 * status that is no longer "granted": the answer is this rejection, with
 * no token.
 */
static int
refusing_clock(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	(void)arg;
	*sec = *usec = 0;
	TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
	    "test TSA refuses");
	TS_RESP_CTX_add_failure_info(ctx, TS_INFO_BAD_ALG);
	return 0;
}

static int
refuse(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, refusing_clock, NULL);
	return 1;
}

/* selfsigned: sign with the certificate under no CA. */
static int
sign_self(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	return TS_RESP_CTX_set_signer_cert(ctx, tsa.self_cert) &&
	    TS_RESP_CTX_set_signer_key(ctx, tsa.self_key);
}

/* The clock of past and future: the real one, shifted by *arg seconds. */
static int
shifted_clock(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
	(void)ctx;
	*sec = (long)time(NULL) + *(const long *)arg;
	*usec = 0;
	return 1;
}

static int
clock_past(TS_REQ *req, TS_RESP_CTX *ctx)
{
	static long shift = -3600;

	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, shifted_clock, &shift);
	return 1;
}

static int
clock_future(TS_REQ *req, TS_RESP_CTX *ctx)
{
	static long shift = 3600;

	(void)req;
	TS_RESP_CTX_set_time_cb(ctx, shifted_clock, &shift);
	return 1;
}

/* essv1: OpenSSL writes SigningCertificate (v1) for a SHA-1 ESSCertID. */
static int
ess_v1(TS_REQ *req, TS_RESP_CTX *ctx)
{
	(void)req;
	return TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha1());
}

/* The one SignerInfo of the response's token. */
static PKCS7_SIGNER_INFO *
token_signer(TS_RESP *resp)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;

	sis = PKCS7_get_signer_info(TS_RESP_get_token(resp));
	return sk_PKCS7_SIGNER_INFO_num(sis) == 1
	    ? sk_PKCS7_SIGNER_INFO_value(sis, 0)
	    : NULL;
}

/* noess: the ESS attributes removed, the SignerInfo signed again. */
static int
strip_ess(TS_RESP *resp)
{
	static const int nids[] = { NID_id_smime_aa_signingCertificate,
		NID_id_smime_aa_signingCertificateV2 };
	PKCS7_SIGNER_INFO *si = token_signer(resp);
	int i;

	if (si == NULL)
		return 0;
	for (size_t n = 0; n < sizeof(nids) / sizeof(nids[0]); n++)
		while ((i = X509at_get_attr_by_NID(si->auth_attr, nids[n],
			    -1)) >= 0)
			X509_ATTRIBUTE_free(
			    X509at_delete_attr(si->auth_attr, i));
	return PKCS7_SIGNER_INFO_sign(si) == 1;
}

/*
 * otheress: SigningCertificateV2 names the self-signed certificate
 * instead of the signer; the SignerInfo is signed again over it.
 */
static int
other_ess(TS_RESP *resp)
{
	PKCS7_SIGNER_INFO *si = token_signer(resp);
	ESS_SIGNING_CERT_V2 *sc;
	ASN1_STRING *seq = NULL;
	unsigned char *der = NULL;
	int n, ok = 0;

	if (si == NULL ||
	    (sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), tsa.self_cert,
		 NULL, 0)) == NULL)
		return 0;
	if ((n = i2d_ESS_SIGNING_CERT_V2(sc, &der)) > 0 &&
	    (seq = ASN1_STRING_new()) != NULL && ASN1_STRING_set(seq, der, n) &&
	    PKCS7_add_signed_attribute(si, NID_id_smime_aa_signingCertificateV2,
		V_ASN1_SEQUENCE, seq)) {
		seq = NULL; /* now the attribute's */
		ok = PKCS7_SIGNER_INFO_sign(si) == 1;
	}
	ASN1_STRING_free(seq);
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return ok;
}

/* Answer with a TimeStampResp made after edit and fix: the status sent. */
static int
reply_token(struct conn *c, edit_fn edit, fix_fn fix, int chunked)
{
	unsigned char *der;
	size_t len = 0;

	if ((der = make_reply(c, edit, fix, &len)) == NULL) {
		warnx("cannot make a time-stamp response");
		ERR_print_errors_fp(stderr);
		return send_text(c, 500, "cannot make a time-stamp response\n");
	}
	if (chunked)
		send_chunked(c, der, len);
	else
		send_body(c, 200, TSR_TYPE, der, len);
	OPENSSL_free(der);
	return 200;
}

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

static const struct mode modes[] = {
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

static const struct mode *
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
static void
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

/* A TCP socket bound to a port of the kernel's choice on 127.0.0.1. */
static int
bind_loopback(uint16_t *port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int s;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind 127.0.0.1");
	if (getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		err(1, "getsockname");
	*port = ntohs(sin.sin_port);
	return s;
}

/* Write "port\n" to path through path.tmp, so it appears whole. */
static void
write_portfile(const char *path, uint16_t port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", path);
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	if (fprintf(f, "%u\n", (unsigned)port) < 0 || fclose(f) == EOF)
		err(1, "%s", tmp);
	if (rename(tmp, path) == -1)
		err(1, "rename %s %s", tmp, path);
}

static void __attribute__((noreturn))
ssl_fatal(const char *what, const char *path)
{
	ERR_print_errors_fp(stderr);
	errx(1, "%s: %s", path, what);
}

static X509 *
load_cert(const char *path)
{
	X509 *x = NULL;
	BIO *b;

	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		ssl_fatal("cannot read a PEM certificate", path);
	BIO_free(b);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	EVP_PKEY *k = NULL;
	BIO *b;

	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		ssl_fatal("cannot read a PEM private key", path);
	BIO_free(b);
	return k;
}

/*
 * The -C certificates, less the TSA certificate itself: OpenSSL adds that
 * one to the token already, and a chain file usually starts with it.
 */
static STACK_OF(X509) *
load_chain(const char *path, X509 *signer)
{
	STACK_OF(X509) *sk;
	int count = 0;
	X509 *x;
	BIO *b;

	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (sk = sk_X509_new_null()) == NULL)
		ssl_fatal("cannot read", path);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		count++;
		if (X509_cmp(x, signer) == 0)
			X509_free(x);
		else if (!sk_X509_push(sk, x))
			ssl_fatal("out of memory", path);
	}
	ERR_clear_error(); /* the end of the file */
	BIO_free(b);
	if (count == 0)
		errx(1, "%s: no PEM certificate", path);
	return sk;
}

/* Add extension nid (X509V3 config syntax) to x, issued by itself. */
static void
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL ||
	    !X509_add_ext(x, e, -1))
		ssl_fatal("cannot add an extension", "selfsigned");
	X509_EXTENSION_free(e);
}

/*
 * The selfsigned mode's identity: a P-256 key and a self-signed
 * certificate fit for timestamping (critical EKU timeStamping), valid from
 * a day ago for ten years, under no CA.
 */
static void
make_self_signed(void)
{
	X509_NAME *n;

	if ((tsa.self_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ==
		NULL ||
	    (tsa.self_cert = X509_new()) == NULL)
		ssl_fatal("cannot make a key", "selfsigned");
	X509_set_version(tsa.self_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(tsa.self_cert), 31610);
	n = X509_get_subject_name(tsa.self_cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"csign test self-signed TSA", -1, -1, 0);
	X509_set_issuer_name(tsa.self_cert, n);
	X509_gmtime_adj(X509_getm_notBefore(tsa.self_cert), -86400);
	X509_gmtime_adj(X509_getm_notAfter(tsa.self_cert), 3650L * 86400);
	X509_set_pubkey(tsa.self_cert, tsa.self_key);
	add_ext(tsa.self_cert, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(tsa.self_cert, NID_key_usage, "critical,digitalSignature");
	add_ext(tsa.self_cert, NID_ext_key_usage, "critical,timeStamping");
	if (X509_sign(tsa.self_cert, tsa.self_key, EVP_sha256()) <= 0)
		ssl_fatal("cannot sign", "selfsigned");
}

static long
parse_delay(const char *s)
{
	char *end;
	long ms;

	errno = 0;
	ms = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || ms < 0 ||
	    ms > DELAY_MAX_MS)
		errx(1, "%s: bad delay (0 to %ld ms)", s, DELAY_MAX_MS);
	return ms;
}

/* -P: a loopback port where nothing listens (bound, never listened on). */
static void __attribute__((noreturn)) print_free_port(void)
{
	uint16_t port;
	int s;

	s = bind_loopback(&port);
	close(s);
	printf("%u\n", (unsigned)port);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *certfile = NULL, *chainfile = NULL;
	const char *portfile = NULL, *logfile = NULL;
	uint16_t port;
	int ch, s;

	tsa.mode = &modes[0];
	tsa.delay_ms = 30000;
	while ((ch = getopt(argc, argv, "C:c:d:hk:l:m:Pp:")) != -1) {
		switch (ch) {
		case 'C':
			chainfile = optarg;
			break;
		case 'c':
			certfile = optarg;
			break;
		case 'd':
			tsa.delay_ms = parse_delay(optarg);
			break;
		case 'h':
			usage(0);
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'm':
			if ((tsa.mode = find_mode(optarg)) == NULL)
				errx(1, "%s: unknown mode", optarg);
			break;
		case 'P':
			print_free_port();
		case 'p':
			portfile = optarg;
			break;
		default:
			usage(1);
		}
	}
	if (optind != argc || keyfile == NULL || certfile == NULL ||
	    portfile == NULL)
		usage(1);
	if (snprintf(tsa.modefile, sizeof(tsa.modefile), "%s.mode", portfile) >=
	    (int)sizeof(tsa.modefile))
		errx(1, "%s: path too long", portfile);
	tsa.cert = load_cert(certfile);
	tsa.key = load_key(keyfile);
	if (!X509_check_private_key(tsa.cert, tsa.key))
		ssl_fatal("the key does not match the certificate", keyfile);
	if (chainfile != NULL)
		tsa.chain = load_chain(chainfile, tsa.cert);
	make_self_signed();
	if (logfile != NULL && (tsa.log = fopen(logfile, "a")) == NULL)
		err(1, "%s", logfile);
	signals_setup();
	s = bind_loopback(&port);
	if (listen(s, 16) == -1)
		err(1, "listen");
	write_portfile(portfile, port);
	while (!quit)
		serve_one(s);
	close(s);
	return 0;
}
