/*
 * csign-sbsign: sbsign's command line, with the private key in csignd's
 * token (see csign-sbsign(1)).
 *
 *   csign-sbsign --key csign:KEY --cert CERT [--detached] [--output OUT] IN
 *
 * The image is signed by csignd (format pe: the daemon's policy, sandbox
 * and audit).  As sbsign does, the output is IN.signed (IN.pk7 with
 * --detached, the PKCS#7 alone) and an image that is already signed gets
 * a second signature appended.  CERT must be the key's certificate.
 * --engine is accepted and ignored (the key is not loaded here);
 * --addcert is ignored with a warning: the signature carries the key's
 * Chain from csignd.conf.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "client/frontend.h"
#include "client/output.h"
#include "common/log.h"
#include "proto/names.h"

#define PROG "csign-sbsign"
#define IMAGE_MAX (4096UL * 1024 * 1024)

struct sb_args {
	const char *key;
	const char *cert;
	const char *output;
	int detached;
	int verbose;
	const char *image;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s [options] --key csign:KEY --cert <certfile> "
	    "<efi-boot-image>\n"
	    "Sign an EFI boot image for use with secure boot, with a key held "
	    "by csignd.\n\n"
	    "Options:\n"
	    "\t--key csign:KEY    the csign key to sign with\n"
	    "\t--cert <certfile>  the key's certificate (checked)\n"
	    "\t--detached         write a detached signature, instead of\n"
	    "\t                   a signed binary\n"
	    "\t--output <file>    write signed data to <file>\n"
	    "\t                   (default <efi-boot-image>.signed,\n"
	    "\t                   or <efi-boot-image>.pk7 for detached\n"
	    "\t                   signatures)\n"
	    "\t--engine <eng>     accepted and ignored\n"
	    "\t--addcert <file>   ignored: the key's Chain is used\n"
	    "\t--verbose, --version, --help\n"
	    "The daemon's socket is $CSIGN_SOCKET, else %s.\n",
	    PROG, DEFAULT_SOCKET);
}

static const struct option longopts[] = { { "output", required_argument, NULL,
					      'o' },
	{ "cert", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "detached", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "engine", required_argument, NULL, 'e' },
	{ "addcert", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };

/* 0, or EXIT_USAGE after saying why. */
static int
parse(int argc, char **argv, struct sb_args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:c:k:dvhVe:a:", longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'o':
			a->output = optarg;
			break;
		case 'c':
			a->cert = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'd':
			a->detached = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", PROG, CSIGN_VERSION);
			exit(0);
		case 'e':
			break;
		case 'a':
			log_warnx("--addcert %s ignored: the signature carries "
				  "the key's Chain from csignd.conf",
			    optarg);
			break;
		default:
			log_warnx("unknown option or missing argument: %s",
			    argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || a->key == NULL || a->cert == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	a->image = argv[optind];
	return 0;
}

/* Cut the PKCS#7 out of the signed image in from into to. */
static int
write_detached(const char *from, const char *to)
{
	uint8_t *p = NULL;
	size_t len, off, n;
	int ret = EXIT_ERROR;

	if (fe_read_file(from, IMAGE_MAX, &p, &len) == -1)
		log_warnx("%s: %s", from, strerror(errno));
	else if (fe_pe_pkcs7(p, len, &off, &n) == -1)
		log_warnx("%s: no signature in the signed image", from);
	else if (cl_write_atomic(to, p + off, n, 0644) == -1)
		log_warnx("%s: %s", to, strerror(errno));
	else
		ret = 0;
	free(p);
	return ret;
}

int
main(int argc, char **argv)
{
	char out[PATH_MAX], scratch[PATH_MAX] = "";
	char *files[1];
	struct options o;
	struct failure fl;
	struct sb_args a;
	int r, fd;

	log_init(PROG, LOG_TO_STDERR, LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	if ((r = parse(argc, argv, &a)) != 0)
		return r;
	if (a.output != NULL)
		r = snprintf(out, sizeof(out), "%s", a.output);
	else
		r = snprintf(out, sizeof(out), "%s%s", a.image,
		    a.detached ? ".pk7" : ".signed");
	if (r < 0 || (size_t)r >= sizeof(out) ||
	    snprintf(scratch, sizeof(scratch), "%s.csign-XXXXXX", out) >=
		(int)sizeof(scratch)) {
		log_warnx("%s: %s", a.image, strerror(ENAMETOOLONG));
		return EXIT_ERROR;
	}
	memset(&o, 0, sizeof(o));
	memset(&fl, 0, sizeof(fl));
	if ((o.key = fe_key_name(a.key, &fl)) == NULL)
		return cl_fail_report(&fl, 0);
	files[0] = (char *)a.image;
	o.format = "pe";
	o.append = 1; /* sbsign adds to an existing signature */
	o.files = files;
	o.nfiles = 1;
	o.verbose = a.verbose;
	o.out = out;
	if (a.detached) {
		if ((fd = mkstemp(scratch)) == -1) {
			log_warnx("%s: %s", scratch, strerror(errno));
			return EXIT_ERROR;
		}
		close(fd);
		o.out = scratch;
	} else {
		scratch[0] = '\0';
	}
	r = fe_sign(&o, a.cert, &fl) == -1 ? cl_fail_report(&fl, 0) : 0;
	if (r == 0 && a.detached)
		r = write_detached(scratch, out);
	if (scratch[0] != '\0')
		unlink(scratch);
	return r;
}
