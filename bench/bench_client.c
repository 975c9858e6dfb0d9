/*
 * bench-client: load csignd with signing requests and time them.
 *
 *     bench-client SOCKET KEY CLIENTS SECONDS
 *         CLIENTS threads, each with ONE connection (F_HELLO once), send
 *         raw-format F_SIGN requests for a small artifact back to back for
 *         SECONDS seconds, each waiting for its reply before the next.
 *         Prints
 *             csignd KEY clients=N: X sig/s (p50 Y us, p99 Z us)
 *         Any reply other than ST_OK with a signature is an error: it is
 *         printed and the program exits 1.
 *
 *     bench-client --soak SOCKET KEY CLIENTS REQUESTS
 *         CLIENTS threads (up to 1024) first all connect and say hello,
 *         so that the daemon holds CLIENTS sessions at once; then each
 *         sends REQUESTS sign requests on its connection.  Prints
 *             soak: N clients, R requests, F failures, X sig/s
 *         and exits 1 if any request failed.
 *
 *     bench-client --hash SOCKET KEY FILE
 *         Times one raw sign request of FILE (the sandbox reads and hashes
 *         the whole descriptor) and prints
 *             sandbox sha256 of FILE: X MB/s (T s, sha256 HEX)
 *         with the artifact digest from the reply.  MB is 10^6 bytes.
 *
 * Only the shared codec (proto/) is used, so that the numbers do not
 * depend on csign-client's own file handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"

#define ARTIFACT_SIZE 4096 /* bytes of the small artifact */
#define REPLY_TIMEOUT_MS 120000
#define MAX_CLIENTS 256
#define SOAK_CLIENTS 1024

static void usage(void) __attribute__((noreturn));
static void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench-client SOCKET KEY CLIENTS SECONDS\n"
	    "       bench-client --soak SOCKET KEY CLIENTS REQUESTS\n"
	    "       bench-client --hash SOCKET KEY FILE\n");
	exit(2);
}

/* Print and exit 1; the first thread to fail speaks for all. */
static void
die(const char *fmt, ...)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	va_list ap;

	pthread_mutex_lock(&mu); /* held until exit */
	fprintf(stderr, "bench-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One connection to csignd, after the hello. */
struct conn {
	int fd;
	struct buf in;	 /* the last reply, length field included */
	struct frame *f; /* ... decoded */
};

/* Receive and decode one reply into c->f; die unless it is ST_OK. */
static void
conn_reply(struct conn *c, const char *what)
{
	const char *err = NULL;
	char msg[MESSAGE_MAX + 1] = "";
	uint32_t len, st;
	size_t nfds = 0;
	int r;

	r = io_recv_frame(c->fd, &c->in, NULL, 0, &nfds, REPLY_TIMEOUT_MS);
	if (r == 0)
		die("%s: csignd closed the connection", what);
	if (r == -1)
		die("%s: %s", what, strerror(errno));
	if (buf_get_u32(&c->in, &len) == -1 || len != buf_left(&c->in) ||
	    frame_decode(buf_ptr(&c->in), buf_left(&c->in), c->f, &err) == -1)
		die("%s: malformed reply: %s", what, err ? err : "bad length");
	if (c->f->type != F_REPLY || frame_get_u32(c->f, T_STATUS, &st) == -1)
		die("%s: not a reply", what);
	(void)frame_get_str(c->f, T_MESSAGE, msg, sizeof(msg));
	if (st != ST_OK)
		die("%s failed: %s: %s", what, status_name((int)st), msg);
}

static void
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa;
	struct buf b;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die("%s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (const struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("connect %s: %s", path, strerror(errno));
	if ((c->f = malloc(sizeof(*c->f))) == NULL)
		die("out of memory");
	buf_init(&c->in, FRAME_MAX + 4);
	buf_init(&b, 64);
	if (frame_begin(&b, F_HELLO) == -1 ||
	    frame_add_u32(&b, T_VERSION, PROTO_VERSION) == -1 ||
	    frame_finish(&b) == -1)
		die("cannot encode hello");
	if (io_send_frame(c->fd, &b, NULL, 0) == -1)
		die("send hello: %s", strerror(errno));
	buf_free(&b);
	conn_reply(c, "hello");
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	buf_free(&c->in);
	free(c->f);
}

/* The F_SIGN frame for key, raw format, into b. */
static void
sign_frame(struct buf *b, const char *key, const char *name)
{
	buf_init(b, FRAME_MAX + 4);
	if (frame_begin(b, F_SIGN) == -1 ||
	    frame_add_str(b, T_KEY, key) == -1 ||
	    frame_add_str(b, T_FORMAT, "raw") == -1 ||
	    frame_add_str(b, T_NAME, name) == -1 || frame_finish(b) == -1)
		die("cannot encode the sign request");
}

/*
 * One sign request with artifact descriptor fd, rewound first (the child
 * reads it to the end; its copy shares our file offset, and it is done
 * with it once it has replied).
 */
static void
sign_once(struct conn *c, const struct buf *req, int fd)
{
	const struct tlv *sig;

	if (lseek(fd, 0, SEEK_SET) == -1)
		die("lseek: %s", strerror(errno));
	if (io_send_frame(c->fd, req, &fd, 1) == -1)
		die("send sign request: %s", strerror(errno));
	conn_reply(c, "sign");
	if ((sig = frame_find(c->f, T_SIGNATURE)) == NULL || sig->len == 0)
		die("sign: reply without a signature");
}

/* ---- load mode ---- */

struct worker {
	pthread_t tid;
	const char *sock, *key;
	int fd;	     /* the artifact, this worker's own open file */
	double *lat; /* latencies, seconds */
	size_t n, cap;
};

/* Workers and main meet at "ready" (all connected), then at "go". */
static pthread_barrier_t ready_barrier, go_barrier;
static double t_start, t_end;

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct conn c;
	struct buf req;
	double t0, t1;
	int fd = w->fd;

	conn_open(&c, w->sock);
	sign_frame(&req, w->key, "bench.bin");
	sign_once(&c, &req, fd); /* warm-up, not counted */
	pthread_barrier_wait(&ready_barrier);
	pthread_barrier_wait(&go_barrier); /* t_end is set */
	t1 = now();
	while (t1 < t_end) {
		t0 = t1;
		sign_once(&c, &req, fd);
		t1 = now();
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			if ((w->lat = realloc(w->lat,
				 w->cap * sizeof(*w->lat))) == NULL)
				die("out of memory");
		}
		w->lat[w->n++] = t1 - t0;
	}
	buf_free(&req);
	conn_close(&c);
	close(fd);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A temporary artifact of ARTIFACT_SIZE pseudo-random bytes, opened
 * separately (own file offset) for each of the n workers, and unlinked
 * before anything can fail.
 */
static void
make_artifact(struct worker *w, long n)
{
	uint8_t data[ARTIFACT_SIZE];
	uint32_t x = (uint32_t)getpid() * 2654435761u + 1;
	char path[] = "/tmp/csign-bench-XXXXXX";
	int fd;

	if ((fd = mkstemp(path)) == -1)
		die("mkstemp: %s", strerror(errno));
	for (long i = 0; i < n; i++)
		if ((w[i].fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			unlink(path);
			die("%s: %s", path, strerror(errno));
		}
	unlink(path);
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		die("write artifact: %s", strerror(errno));
	close(fd);
}

static int
load_main(const char *sock, const char *key, const char *nclients,
    const char *seconds)
{
	struct worker *w;
	char *ep;
	double secs, elapsed, *all;
	size_t total = 0, k = 0;
	long n;

	n = strtol(nclients, &ep, 10);
	if (*ep != '\0' || n < 1 || n > MAX_CLIENTS)
		usage();
	secs = strtod(seconds, &ep);
	if (*ep != '\0' || !(secs > 0))
		usage();
	if ((w = calloc((size_t)n, sizeof(*w))) == NULL)
		die("out of memory");
	make_artifact(w, n);
	pthread_barrier_init(&ready_barrier, NULL, (unsigned)n + 1);
	pthread_barrier_init(&go_barrier, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++) {
		w[i].sock = sock;
		w[i].key = key;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			die("cannot start a thread");
	}
	/* Once each worker has connected and signed once: go. */
	pthread_barrier_wait(&ready_barrier);
	t_start = now();
	t_end = t_start + secs;
	pthread_barrier_wait(&go_barrier);
	for (long i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].n;
	}
	elapsed = now() - t_start;
	if (total == 0)
		die("no request finished");
	if ((all = malloc(total * sizeof(*all))) == NULL)
		die("out of memory");
	for (long i = 0; i < n; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof(*all));
		k += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp_double);
	printf("csignd %s clients=%ld: %.0f sig/s (p50 %.0f us, p99 %.0f us)\n",
	    key, n, (double)total / elapsed, all[total / 2] * 1e6,
	    all[(size_t)((double)total * 0.99)] * 1e6);
	free(all);
	free(w);
	pthread_barrier_destroy(&ready_barrier);
	pthread_barrier_destroy(&go_barrier);
	return 0;
}

/* ---- soak mode ---- */

struct soaker {
	pthread_t tid;
	const char *sock, *key;
	int fd;
	long requests;
};

static pthread_barrier_t soak_barrier;

/* Connect (and so hold a session), wait for all, then sign requests. */
static void *
soaker_main(void *arg)
{
	struct soaker *w = arg;
	struct conn c;
	struct buf req;

	conn_open(&c, w->sock);
	sign_frame(&req, w->key, "soak.bin");
	pthread_barrier_wait(&soak_barrier);
	for (long i = 0; i < w->requests; i++)
		sign_once(&c, &req, w->fd);
	buf_free(&req);
	conn_close(&c);
	close(w->fd);
	return NULL;
}

/* Parse a count in [1, max]. */
static long
count_arg(const char *s, long max)
{
	char *ep;
	long n = strtol(s, &ep, 10);

	if (*ep != '\0' || n < 1 || n > max)
		usage();
	return n;
}

static int
soak_main(const char *sock, const char *key, const char *nclients,
    const char *nreq)
{
	long n = count_arg(nclients, SOAK_CLIENTS),
	     per = count_arg(nreq, 10000000);
	struct worker *files;
	struct soaker *w;
	pthread_attr_t attr;
	double t0;

	if ((w = calloc((size_t)n, sizeof(*w))) == NULL ||
	    (files = calloc((size_t)n, sizeof(*files))) == NULL)
		die("out of memory");
	make_artifact(files, n);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
	pthread_barrier_init(&soak_barrier, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++) {
		w[i] = (struct soaker){ .sock = sock,
			.key = key,
			.fd = files[i].fd,
			.requests = per };
		if (pthread_create(&w[i].tid, &attr, soaker_main, &w[i]) != 0)
			die("cannot start thread %ld", i);
	}
	pthread_barrier_wait(&soak_barrier); /* all n sessions are open */
	printf("soak: %ld sessions open at once\n", n);
	fflush(stdout);
	t0 = now();
	for (long i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	printf("soak: %ld clients, %ld requests, 0 failures, %.0f sig/s\n", n,
	    n * per, (double)(n * per) / (now() - t0));
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&soak_barrier);
	free(files);
	free(w);
	return 0;
}

/* ---- hash mode ---- */

static int
hash_main(const char *sock, const char *key, const char *file)
{
	struct conn c;
	struct buf req;
	struct stat st;
	const struct tlv *ad;
	char hex[65];
	uint64_t size = 0;
	double t0, t;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		die("%s: %s", file, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		die("%s: not a regular file", file);
	conn_open(&c, sock);
	sign_frame(&req, key, "bench-large.bin");
	t0 = now();
	sign_once(&c, &req, fd);
	t = now() - t0;
	if (frame_get_u64(c.f, T_SIZE, &size) == 0 &&
	    size != (uint64_t)st.st_size)
		die("the sandbox hashed %llu bytes of %lld",
		    (unsigned long long)size, (long long)st.st_size);
	if ((ad = frame_find(c.f, T_ADIGEST)) == NULL || ad->len != 32)
		die("reply without a SHA-256 artifact digest");
	for (size_t i = 0; i < ad->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ad->val[i]);
	printf("sandbox sha256 of %s: %.0f MB/s (%.3f s, sha256 %s)\n", file,
	    (double)st.st_size / t / 1e6, t, hex);
	buf_free(&req);
	conn_close(&c);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--hash") == 0)
		return hash_main(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "--soak") == 0)
		return soak_main(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && argv[1][0] != '-')
		return load_main(argv[1], argv[2], argv[3], argv[4]);
	usage();
}
