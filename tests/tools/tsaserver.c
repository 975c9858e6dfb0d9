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
#include "tsaserver.h"

/* Set once at startup, from the options and files. */
struct tsa_settings tsa;

volatile sig_atomic_t quit; /* SIGTERM or SIGINT came */
sigset_t waitmask;	    /* the mask in ppoll: TERM, INT open */

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
