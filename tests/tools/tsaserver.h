/*
 * tsaserver.h: what the parts of tsaserver share: the limits, one
 * connection, the modes, the TSA's settings and the functions each part
 * offers the others.
 */
#ifndef CSIGN_TSASERVER_H
#define CSIGN_TSASERVER_H

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
struct tsa_settings {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain; /* -C, less the TSA certificate */
	X509 *self_cert;       /* selfsigned's, made at startup */
	EVP_PKEY *self_key;
	const struct mode *mode; /* -m */
	long delay_ms;		 /* -d */
	FILE *log;		 /* -l */
	char modefile[PATH_MAX]; /* PORTFILE.mode */
};

/* tsaserver.c */
extern struct tsa_settings tsa;
extern volatile sig_atomic_t quit;
extern sigset_t waitmask;

/* tsaserver_http.c */
void deadline_in(long ms, struct timespec *ts);
int wait_fd(int fd, short events, const struct timespec *deadline);
int read_request(struct conn *c);
int send_body(struct conn *c, int status, const char *type, const void *body,
    size_t len);
int send_text(struct conn *c, int status, const char *text);
int send_chunked(struct conn *c, const void *body, size_t len);

/* tsaserver_tsa.c */
int bump_nonce(TS_REQ *req, TS_RESP_CTX *ctx);
int flip_imprint(TS_REQ *req, TS_RESP_CTX *ctx);
int drop_cert_req(TS_REQ *req, TS_RESP_CTX *ctx);
int refuse(TS_REQ *req, TS_RESP_CTX *ctx);
int sign_self(TS_REQ *req, TS_RESP_CTX *ctx);
int clock_past(TS_REQ *req, TS_RESP_CTX *ctx);
int clock_future(TS_REQ *req, TS_RESP_CTX *ctx);
int ess_v1(TS_REQ *req, TS_RESP_CTX *ctx);
int strip_ess(TS_RESP *resp);
int other_ess(TS_RESP *resp);
int reply_token(struct conn *c, edit_fn edit, fix_fn fix, int chunked);

/* tsaserver_modes.c */
extern const struct mode modes[];
const struct mode *find_mode(const char *name);
void serve_one(int lfd);

#endif
