/*
 * csign-sign-file: the kernel's scripts/sign-file, with the private key in
 * csignd's token (see csign-sign-file(1)).
 *
 *   csign-sign-file [-dkp] HASH csign:KEY X509 MODULE [DEST]
 *   csign-sign-file -s RAWSIG HASH X509 MODULE [DEST]
 *
 * The same arguments in the same order, so that a kernel tree's
 * CONFIG_MODULE_SIG_KEY="csign:KEY" and `make modules_sign` work: the
 * module is signed by csignd (format module, the daemon's policy, sandbox
 * and audit) and the output is byte for byte what sign-file writes.  X509
 * must be the key's certificate.  -p also writes MODULE.p7s, -d writes only
 * that, -k names the signer by subject key identifier; -s appends a
 * PKCS#7 made elsewhere and needs no daemon, as in sign-file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "client/frontend.h"
#include "client/output.h"
#include "common/log.h"
#include "proto/names.h"

#define PROG "csign-sign-file"
#define MODULE_MAX (1024UL * 1024 * 1024)
#define MODULE_MAGIC "~Module signature appended~\n"

struct sf_args {
	int save_sig;	     /* -p */
	int sign_only;	     /* -d */
	int keyid;	     /* -k */
	const char *raw_sig; /* -s */
	const char *hash;
	const char *key; /* csign:NAME, not with -s */
	const char *x509;
	const char *module;
	const char *dest; /* or NULL: in place */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-dkp] HASH csign:KEY X509 MODULE [DEST]\n"
	    "       %s -s RAWSIG HASH X509 MODULE [DEST]\n"
	    "Sign a kernel module as the kernel's scripts/sign-file does, with "
	    "a key held by csignd.\n"
	    "  -p         also write the PKCS#7 signature to MODULE.p7s\n"
	    "  -d         only write MODULE.p7s; leave the module alone\n"
	    "  -k         name the signer by subject key identifier\n"
	    "  -s RAWSIG  append the PKCS#7 DER in RAWSIG (no daemon)\n"
	    "  -h         this help\n"
	    "The daemon's socket is $CSIGN_SOCKET, else %s.\n",
	    PROG, PROG, DEFAULT_SOCKET);
}

/* 0, or EXIT_USAGE after printing why. */
static int
parse(int argc, char **argv, struct sf_args *a)
{
	int ch, need;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((ch = getopt(argc, argv, "+pdks:h")) != -1) {
		switch (ch) {
		case 'p':
			a->save_sig = 1;
			break;
		case 'd':
			a->sign_only = a->save_sig = 1;
			break;
		case 'k':
			a->keyid = 1;
			break;
		case 's':
			a->raw_sig = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			log_warnx("unknown option -%c", optopt);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	need = a->raw_sig != NULL ? 3 : 4;
	if (argc != need && argc != need + 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	a->hash = *argv++;
	if (a->raw_sig == NULL)
		a->key = *argv++;
	a->x509 = *argv++;
	a->module = *argv++;
	a->dest = argc == need + 1 ? *argv : NULL;
	if (digest_from_name(a->hash) < 0) {
		log_warnx("unknown hash algorithm: %s (csign signs with "
			  "sha256, sha384 or sha512)",
		    a->hash);
		return EXIT_USAGE;
	}
	return 0;
}

/* The module's permission bits, for a file written in its place. */
static mode_t
module_mode(const char *module)
{
	struct stat st;

	return stat(module, &st) == 0 ? st.st_mode & 07777 : 0644;
}

/* -s: MODULE + RAWSIG + module_signature + magic, written to the output. */
static int
append_raw(const struct sf_args *a)
{
	uint8_t *mod = NULL, *sig = NULL, *out = NULL;
	size_t modlen, siglen, len;
	const char *dst = a->dest != NULL ? a->dest : a->module;
	uint8_t info[12] = { 0, 0, 2 }; /* PKEY_ID_PKCS7, lengths 0 */
	int ret = EXIT_ERROR;

	if (fe_read_file(a->module, MODULE_MAX, &mod, &modlen) == -1) {
		log_warnx("%s: %s", a->module, strerror(errno));
		goto done;
	}
	if (fe_read_file(a->raw_sig, (size_t)1024 * 1024, &sig, &siglen) ==
		-1 ||
	    siglen == 0) {
		log_warnx("%s: %s", a->raw_sig,
		    siglen == 0 && sig != NULL ? "empty signature file"
					       : strerror(errno));
		goto done;
	}
	info[8] = (uint8_t)(siglen >> 24);
	info[9] = (uint8_t)(siglen >> 16);
	info[10] = (uint8_t)(siglen >> 8);
	info[11] = (uint8_t)siglen;
	len = modlen + siglen + sizeof(info) + strlen(MODULE_MAGIC);
	if ((out = malloc(len)) == NULL) {
		log_warnx("out of memory");
		goto done;
	}
	memcpy(out, mod, modlen);
	memcpy(out + modlen, sig, siglen);
	memcpy(out + modlen + siglen, info, sizeof(info));
	/* The magic is bytes in the file, not a C string: no NUL. */
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result)
	memcpy(out + modlen + siglen + sizeof(info), MODULE_MAGIC,
	    strlen(MODULE_MAGIC));
	if (cl_write_atomic(dst, out, len, module_mode(a->module)) == -1)
		log_warnx("%s: %s", dst, strerror(errno));
	else
		ret = 0;
done:
	free(mod);
	free(sig);
	free(out);
	return ret;
}

/* Write the PKCS#7 of the signed module in file to MODULE.p7s. */
static int
save_p7s(const struct sf_args *a, const char *file)
{
	char p7s[PATH_MAX];
	uint8_t *p = NULL;
	size_t len, off, n;
	int ret = EXIT_ERROR;

	if (snprintf(p7s, sizeof(p7s), "%s.p7s", a->module) >=
	    (int)sizeof(p7s)) {
		log_warnx("%s: %s", a->module, strerror(ENAMETOOLONG));
		return EXIT_ERROR;
	}
	if (fe_read_file(file, MODULE_MAX, &p, &len) == -1)
		log_warnx("%s: %s", file, strerror(errno));
	else if (fe_module_pkcs7(p, len, &off, &n) == -1)
		log_warnx("%s: no module signature in the output", file);
	else if (cl_write_atomic(p7s, p + off, n, 0644) == -1)
		log_warnx("%s: %s", p7s, strerror(errno));
	else
		ret = 0;
	free(p);
	return ret;
}

/* A name for -d's signed copy, beside the module: 0 or -1. */
static int
scratch_name(const char *module, char *dst, size_t dstlen)
{
	int fd;

	if (snprintf(dst, dstlen, "%s.csign-XXXXXX", module) >= (int)dstlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(dst)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
sign_with_key(const struct sf_args *a)
{
	char scratch[PATH_MAX] = "";
	char *files[1] = { (char *)a->module };
	struct options o;
	struct failure fl;
	const char *signed_file;
	int ret;

	memset(&o, 0, sizeof(o));
	memset(&fl, 0, sizeof(fl));
	if ((o.key = fe_key_name(a->key, &fl)) == NULL)
		return cl_fail_report(&fl, 0);
	o.format = "module";
	o.digest = a->hash;
	o.keyid = a->keyid;
	o.files = files;
	o.nfiles = 1;
	o.out = a->dest;
	if (a->sign_only) {
		if (scratch_name(a->module, scratch, sizeof(scratch)) == -1) {
			log_warnx("%s: %s", a->module, strerror(errno));
			return EXIT_ERROR;
		}
		o.out = scratch;
	}
	if (fe_sign(&o, a->x509, &fl) == -1) {
		if (scratch[0] != '\0')
			unlink(scratch);
		return cl_fail_report(&fl, 0);
	}
	signed_file = o.out != NULL ? o.out : a->module;
	ret = a->save_sig ? save_p7s(a, signed_file) : 0;
	if (scratch[0] != '\0')
		unlink(scratch);
	return ret;
}

int
main(int argc, char **argv)
{
	struct sf_args a;
	int r;

	log_init(PROG, LOG_TO_STDERR, LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	if ((r = parse(argc, argv, &a)) != 0)
		return r;
	return a.raw_sig != NULL ? append_raw(&a) : sign_with_key(&a);
}
