/*
 * bench-direct: the signing limit of a PKCS#11 token and key, without
 * csignd.
 *
 *     bench-direct [-j THREADS] MODULE TOKENLABEL PINFILE KEYLABEL SECONDS
 *         [CERT]
 *
 * Opens the token labelled TOKENLABEL of MODULE through token/ (the
 * libp11 load and login csignd and csign-admin share, with the PIN of
 * PINFILE, which must be a private file as csignd's PinFile), finds the
 * private key labelled KEYLABEL (a libp11 key: operations go to the
 * token), and signs random SHA-256 digests on one thread for SECONDS
 * seconds (RSA: PKCS#1 v1.5; EC: ECDSA), the same operation csignd's
 * signing threads run.
 * Prints
 *     direct KEYLABEL: N sig/s (M us/sig, CPU C us/sig)
 * This is the ceiling that bench/run.sh compares csignd against; C is
 * the process's CPU time per signature (for a software token such as
 * SoftHSM, the signature's own cost, which csignd's CPU is compared to).
 * With -j THREADS, as many threads sign at once on the one token, as
 * csignd's SignWorkers do (libp11 gives each its own session), and the
 * line reads "direct KEYLABEL, THREADS threads: ...": what the token
 * itself costs a signature when signatures overlap (SoftHSM's locks and
 * its object files' refresh, shared by the threads).
 * With CERT (PEM), it then checks signatures with the certificate's key
 * through sig_verify(), the check every session child makes before it
 * releases a signature, for a second, and prints the CPU time per check
 *     verify KEYLABEL: V us/verify
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <pthread.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "proto/names.h"
#include "proto/sigcheck.h"
#include "records/config.h"
#include "token/p11admin.h"

#define NDIGESTS 256
#define DIGLEN 32
#define MAX_THREADS 64

static void usage(void) __attribute__((noreturn));
static void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench-direct [-j THREADS] MODULE TOKENLABEL PINFILE "
	    "KEYLABEL SECONDS [CERT]\n");
	exit(2);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-direct: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds this process has used (user and system). */
static double
cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		die("getrusage");
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A signing context for pkey, set up as token_sign() does. */
static EVP_PKEY_CTX *
sign_ctx(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx;

	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
		die("cannot set up a signing context");
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
		die("cannot set PKCS#1 v1.5 padding");
	return ctx;
}

/* Check one signature with the key's public half (a sanity check). */
static void
check_sig(EVP_PKEY *pkey, const uint8_t *tbs, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0 ||
	    (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
		EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0))
		die("cannot set up a verification context");
	ok = EVP_PKEY_verify(ctx, sig, siglen, tbs, DIGLEN);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		die("the token's signature does not verify");
}

/*
 * The session child's check of a signature, timed: sig over tbs verified
 * with the public key of the certificate in path, for a second.
 */
static void
time_verify(const char *path, const char *label, const uint8_t *tbs,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *pub;
	X509 *x;
	FILE *f;
	double t0, c0;
	unsigned long n = 0;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: cannot open", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (pub = X509_get0_pubkey(x)) == NULL)
		die("%s: not a PEM certificate", path);
	c0 = cpu_now();
	t0 = now();
	do {
		if (sig_verify(pub, DIG_SHA256, PAD_PKCS1, tbs, DIGLEN, sig,
			siglen) != 1)
			die("%s: the signature does not verify", path);
		n++;
	} while (now() < t0 + 1.0);
	/* CPU time: what the check costs, whatever else runs on the host. */
	printf("verify %s: %.1f us/verify\n", label,
	    (cpu_now() - c0) * 1e6 / (double)n);
	X509_free(x);
}

/*
 * Open the token labelled label of module and find the private key
 * labelled keylabel, as a Token block with that PinFile would.
 */
static struct p11a *
open_key(char *module, char *label, char *pinfile, const char *keylabel,
    struct p11a_key *k)
{
	struct cfg_token ct = {
		.name = "bench",
		.module = module,
		.label = label,
		.slot = -1,
		.pinfile = pinfile,
	};
	struct p11a *a;
	char err[512];

	if ((a = p11a_open(&ct, 0, err, sizeof(err))) == NULL ||
	    p11a_find_key(a, keylabel, k, err, sizeof(err)) == -1)
		die("%s", err);
	return a;
}

/* One signing thread: signatures of the shared digests until end. */
struct loop {
	pthread_t th;
	EVP_PKEY *pkey;
	const uint8_t (*tbs)[DIGLEN];
	double end;
	unsigned long n;
};

/*
 * A fresh context per signature, as csignd's token_sign() does, so that
 * the ceiling counts the same work.
 */
static void *
sign_loop(void *arg)
{
	struct loop *l = arg;
	uint8_t sig[1024];
	size_t siglen;

	do {
		EVP_PKEY_CTX *ctx = sign_ctx(l->pkey);

		siglen = sizeof(sig);
		if (EVP_PKEY_sign(ctx, sig, &siglen, l->tbs[l->n % NDIGESTS],
			DIGLEN) <= 0)
			die("signing failed after %lu signatures", l->n);
		EVP_PKEY_CTX_free(ctx);
		l->n++;
	} while (now() < l->end);
	return NULL;
}

int
main(int argc, char **argv)
{
	static uint8_t tbs[NDIGESTS][DIGLEN];
	static struct loop loops[MAX_THREADS];
	uint8_t sig[1024];
	struct p11a_key k;
	struct p11a *a;
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx;
	double secs, t0, t, c0;
	unsigned long n = 0, threads = 1;
	size_t siglen;
	char *ep;
	int c;

	while ((c = getopt(argc, argv, "j:")) != -1) {
		if (c != 'j')
			usage();
		threads = strtoul(optarg, &ep, 10);
		if (*ep != '\0' || threads < 1 || threads > MAX_THREADS)
			usage();
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 6 && argc != 7)
		usage();
	secs = strtod(argv[5], &ep);
	if (*ep != '\0' || !(secs > 0))
		usage();

	a = open_key(argv[1], argv[2], argv[3], argv[4], &k);
	pkey = k.priv;
	if (RAND_bytes(&tbs[0][0], (int)sizeof(tbs)) != 1)
		die("RAND_bytes");

	/* One signature, checked, outside the timing (and as a warm-up). */
	ctx = sign_ctx(pkey);
	siglen = sizeof(sig);
	if (EVP_PKEY_sign(ctx, sig, &siglen, tbs[0], DIGLEN) <= 0)
		die("signing failed");
	check_sig(pkey, tbs[0], sig, siglen);
	EVP_PKEY_CTX_free(ctx);

	c0 = cpu_now();
	t0 = now();
	for (unsigned long i = 0; i < threads; i++) {
		loops[i] = (struct loop){ .pkey = pkey,
			.tbs = (const uint8_t(*)[DIGLEN])tbs,
			.end = t0 + secs };
		if (threads > 1 &&
		    pthread_create(&loops[i].th, NULL, sign_loop, &loops[i]) !=
			0)
			die("cannot start a signing thread");
	}
	if (threads == 1)
		sign_loop(&loops[0]);
	for (unsigned long i = 0; i < threads; i++) {
		if (threads > 1)
			pthread_join(loops[i].th, NULL);
		n += loops[i].n;
	}
	t = now();

	if (threads > 1)
		printf("direct %s, %lu threads: %.0f sig/s (%.1f us/sig, CPU "
		       "%.1f us/sig)\n",
		    argv[4], threads, (double)n / (t - t0),
		    (t - t0) * 1e6 / (double)n,
		    (cpu_now() - c0) * 1e6 / (double)n);
	else
		printf("direct %s: %.0f sig/s (%.1f us/sig, CPU %.1f us/sig)\n",
		    argv[4], (double)n / (t - t0), (t - t0) * 1e6 / (double)n,
		    (cpu_now() - c0) * 1e6 / (double)n);
	if (argc == 7) {
		siglen = sizeof(sig);
		ctx = sign_ctx(pkey);
		if (EVP_PKEY_sign(ctx, sig, &siglen, tbs[0], DIGLEN) <= 0)
			die("signing failed");
		EVP_PKEY_CTX_free(ctx);
		time_verify(argv[6], argv[4], tbs[0], sig, siglen);
	}

	p11a_key_clear(&k);
	p11a_close(a);
	return 0;
}
