/*
 * csign-sandbox: the session child of csignd.  Started by the monitor with
 * fork and exec (never run by hand), with its channel on fd 3.  It prepares
 * OpenSSL, drops every privilege, reports ready, and then serves exactly
 * one client connection (csign-client's protocol, or pesign's when the
 * client came through PesignListen).  With -R HOST it is the lookup process instead,
 * which resolves the name of a TSA for the monitor (sandbox/resolve.h).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "proto/sigcheck.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/drop.h"
#include "sandbox/pesign.h"
#include "sandbox/resolve.h"
#include "sandbox/session.h"
#include "sandbox/warm.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * Sanitizer builds: LeakSanitizer's exit-time scan stops the world with
 * ptrace, which the seccomp filter rightly kills.  Leaks of the sandbox
 * are checked by valgrind and by the unit tests instead.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: csign-sandbox [-d] -U | -u uid -g gid "
	    "[-R host]\n(started by csignd, with its channel on fd 3)\n");
	exit(2);
}

/* Parse a decimal id. */
static unsigned
parse_id(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v == 0 ||
	    v > 0x7fffffff)
		usage();
	return (unsigned)v;
}

/*
 * Everything OpenSSL and libc would otherwise do lazily with files or syscalls the
 * filter forbids (reading its config, loading providers, seeding the DRBG,
 * reading the time zone)
 * happens here, before the privilege drop.
 */
static void
openssl_preinit(void)
{
	uint8_t md[DIGEST_MAX], rnd[16];
	unsigned int len;
	time_t now = time(NULL);
	struct tm tm;

	/*
	 * No OpenSSL clean-up at exit: the child exits after its one session,
	 * and freeing every table of the library (1-2 ms of CPU here) would
	 * only compete with the next session's work.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
		    OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_ATEXIT,
		NULL) != 1)
		fatalx("OpenSSL initialisation failed");
	for (int d = 0; d < DIG_COUNT; d++)
		if (EVP_Digest("", 0, md, &len, digest_md(d), NULL) != 1)
			fatalx("digest self-test failed");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatalx("random generator unavailable");
	if (sandbox_warm() == -1)
		fatalx("certificate self-test failed");
	artifact_scratch_warm();
	/* glibc reads /etc/localtime on the first time conversion. */
	tzset();
	if (gmtime_r(&now, &tm) == NULL)
		fatalx("gmtime_r");
}

/*
 * The scratch files of inline transfers and compressed modules, on fixed
 * descriptors: created here because memfd_create is not on the seccomp
 * allowlist.
 */
static void
scratch_files(void)
{
	static const struct {
		int fd;
		const char *name;
	} want[] = { { SCRATCH_IN_FD, "csign-artifact" },
		{ SCRATCH_OUT_FD, "csign-output" },
		{ SCRATCH_DEC_FD, "csign-module" },
		{ SCRATCH_ENC_FD, "csign-module-signed" },
		{ SCRATCH_DEC2_FD, "csign-module-2" },
		{ SCRATCH_ENC2_FD, "csign-module-signed-2" } };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int fd = memfd_create(want[i].name, 0);

		if (fd == -1)
			fatal("memfd_create");
		if (fd != want[i].fd) {
			if (dup2(fd, want[i].fd) == -1)
				fatal("dup2");
			close(fd);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct drop_opts o = { .keep_fd = SCRATCH_LAST_FD };
	struct msg_session m;
	struct stat st;
	const char *lookup = NULL;
	int ch, client = -1, unsep = 0, debug = 0;

	while ((ch = getopt(argc, argv, "dg:R:u:U")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'R':
			lookup = optarg;
			break;
		case 'g':
			o.gid = parse_id(optarg);
			break;
		case 'u':
			o.uid = parse_id(optarg);
			break;
		case 'U':
			unsep = 1;
			break;
		default:
			usage();
		}
	}
	/*
	 * Freed heap is kept, not trimmed: the channel's 66 KiB buffers
	 * otherwise shrink and grow the heap (brk, page faults) on every
	 * request.  Buffers are wiped before they are freed.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	o.separate = !unsep;
	if (optind != argc || (o.separate && (o.uid == 0 || o.gid == 0)))
		usage();
	if (fstat(CHANNEL_FD, &st) == -1 || !S_ISSOCK(st.st_mode))
		usage();
	if (lookup != NULL) {
		log_init("csign-sandbox", LOG_TO_STDERR, LOG_LVL_INFO);
		resolve_main(&o, lookup);
	}
	log_init("csign-sandbox", LOG_TO_CALLBACK,
	    debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	channel_log_init();
	openssl_preinit();
	scratch_files();
	sandbox_drop(&o);
	sandbox_send_ready();
	sandbox_wait_session(&m, &client);
	/* The loop says which listener accepted the client. */
	if (m.via == VIA_PESIGN)
		pesign_serve(client, &m);
	else
		session_serve(client, &m);
	close(client);
	sandbox_send_done();
	return 0;
}
