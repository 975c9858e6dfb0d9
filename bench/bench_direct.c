/*
 * bench-direct: the signing limit of a PKCS#11 token and key, without
 * csignd.
 *
 *     bench-direct MODULE TOKENLABEL PINFILE KEYLABEL SECONDS
 *
 * Loads MODULE with libp11, logs in to the token labelled TOKENLABEL with
 * the PIN in PINFILE, finds the private key labelled KEYLABEL, and signs
 * random SHA-256 digests on one thread for SECONDS seconds (RSA: PKCS#1
 * v1.5; EC: ECDSA), the same operation csignd's signing threads run.
 * Prints
 *     direct KEYLABEL: N sig/s (M us/sig)
 * This is the ceiling that bench/run.sh compares csignd against.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define NDIGESTS 256
#define DIGLEN 32

static void usage(void) __attribute__((noreturn));
static void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
usage(void)
{
	fprintf(stderr, "usage: bench-direct MODULE TOKENLABEL PINFILE "
	    "KEYLABEL SECONDS\n");
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

/* The first line of path, without its newline, into pin. */
static void
read_pin(const char *path, char *pin, size_t len)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(pin, (int)len, f) == NULL)
		die("%s: empty", path);
	fclose(f);
	n = strcspn(pin, "\r\n");
	pin[n] = '\0';
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
check_sig(EVP_PKEY *pkey, const uint8_t *tbs, const uint8_t *sig,
    size_t siglen)
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

int
main(int argc, char **argv)
{
	static uint8_t tbs[NDIGESTS][DIGLEN];
	uint8_t sig[1024];
	char pin[256];
	PKCS11_CTX *p11;
	PKCS11_SLOT *slots, *slot = NULL;
	PKCS11_KEY *keys, *key = NULL;
	unsigned int nslots, nkeys;
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx;
	double secs, t0, t, end;
	unsigned long n = 0;
	size_t siglen;
	char *ep;

	if (argc != 6)
		usage();
	secs = strtod(argv[5], &ep);
	if (*ep != '\0' || !(secs > 0))
		usage();

	if ((p11 = PKCS11_CTX_new()) == NULL)
		die("PKCS11_CTX_new");
	if (PKCS11_CTX_load(p11, argv[1]) != 0)
		die("cannot load %s", argv[1]);
	if (PKCS11_enumerate_slots(p11, &slots, &nslots) != 0)
		die("cannot list slots");
	for (unsigned int i = 0; i < nslots; i++)
		if (slots[i].token != NULL && slots[i].token->initialized &&
		    strcmp(slots[i].token->label, argv[2]) == 0) {
			slot = &slots[i];
			break;
		}
	if (slot == NULL)
		die("no token labelled %s", argv[2]);
	read_pin(argv[3], pin, sizeof(pin));
	if (PKCS11_open_session(slot, 0) != 0)
		die("cannot open a session");
	if (PKCS11_login(slot, 0, pin) != 0)
		die("login failed");
	memset(pin, 0, sizeof(pin));
	if (PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0)
		die("cannot list keys");
	for (unsigned int i = 0; i < nkeys; i++)
		if (keys[i].isPrivate && keys[i].label != NULL &&
		    strcmp(keys[i].label, argv[4]) == 0) {
			key = &keys[i];
			break;
		}
	if (key == NULL)
		die("no private key labelled %s", argv[4]);
	if ((pkey = PKCS11_get_private_key(key)) == NULL)
		die("cannot use key %s", argv[4]);
	if (RAND_bytes(&tbs[0][0], (int)sizeof(tbs)) != 1)
		die("RAND_bytes");

	/* One signature, checked, outside the timing (and as a warm-up). */
	ctx = sign_ctx(pkey);
	siglen = sizeof(sig);
	if (EVP_PKEY_sign(ctx, sig, &siglen, tbs[0], DIGLEN) <= 0)
		die("signing failed");
	check_sig(pkey, tbs[0], sig, siglen);

	/*
	 * The loop: a fresh context per signature, as csignd's token_sign()
	 * does, so that the ceiling counts the same work.
	 */
	t0 = now();
	end = t0 + secs;
	do {
		EVP_PKEY_CTX_free(ctx);
		ctx = sign_ctx(pkey);
		siglen = sizeof(sig);
		if (EVP_PKEY_sign(ctx, sig, &siglen, tbs[n % NDIGESTS],
		    DIGLEN) <= 0)
			die("signing failed after %lu signatures", n);
		n++;
	} while ((t = now()) < end);
	EVP_PKEY_CTX_free(ctx);

	printf("direct %s: %.0f sig/s (%.1f us/sig)\n", argv[4],
	    (double)n / (t - t0), (t - t0) * 1e6 / (double)n);

	EVP_PKEY_free(pkey);
	PKCS11_release_all_slots(p11, slots, nslots);
	PKCS11_CTX_unload(p11);
	PKCS11_CTX_free(p11);
	return 0;
}
