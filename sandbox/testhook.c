/*
 * testhook.c: forbidden system calls and hostile monitor requests on a
 * client's request, in test builds only.
 */
#ifdef CSIGN_TEST_HOOKS
#include "sandbox/testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"
#include "sandbox/channel.h"
#include "sandbox/hold.h"

/* Each attempt returns the raw result of its call. */
static long
try_open(void)
{
	return open("/etc/hostname", O_RDONLY);
}

static long
try_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0);
}

static long
try_exec(void)
{
	char *const argv[] = { "true", NULL };

	return execve("/bin/true", argv, NULL);
}

static long
try_ptrace(void)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static long
try_kill(void)
{
	return kill(1, 0);
}

static long
try_setuid(void)
{
	return setuid(0);
}

static long
try_mount(void)
{
	return mount("none", "/tmp", "tmpfs", 0, NULL);
}

static long
try_write_fd(void)
{
	/*
	 * A descriptor we were not given: past the fixed ones (channel.h),
	 * the client's and a request's, within RLIMIT_NOFILE.
	 */
	return write(SCRATCH_LAST_FD + 6, "x", 1);
}

/* Executable memory straight from mmap. */
static long
try_mmap_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

/*
 * Writable memory (allowed) made executable afterwards.  Sanitizer builds
 * allow mprotect without an argument rule (seccomp.c): the test accepts
 * this answer there instead of SIGSYS.
 */
static long
try_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
#if defined(__SANITIZE_ADDRESS__)
	errno = ENOSYS;
	return -2; /* "sanitizer build allows mprotect" */
#else
	return mprotect(p, 4096, PROT_READ | PROT_EXEC);
#endif
}

/*
 * A path looked up with the flag of glibc's fstat: AT_EMPTY_PATH changes
 * nothing for a non-empty path, so an argument rule on the flag alone
 * would let a child probe the file system.
 */
static long
try_stat_path(void)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, "/etc/hostname", &st,
	    AT_EMPTY_PATH);
}

static const struct {
	const char *name;
	long (*fn)(void);
} hooks[] = {
	{ "open", try_open },
	{ "socket", try_socket },
	{ "exec", try_exec },
	{ "ptrace", try_ptrace },
	{ "kill", try_kill },
	{ "setuid", try_setuid },
	{ "mount", try_mount },
	{ "write-fd", try_write_fd },
	{ "mmap-exec", try_mmap_exec },
	{ "mprotect-exec", try_mprotect_exec },
	{ "stat-path", try_stat_path },
};

/*
 * Hostile monitor requests: what a child taken over by a hostile artifact
 * could send.  Each names the key it describes first (or none), the key,
 * format, digest and digest length of its SIGN.
 */
struct hostile {
	const char *name;
	const char *keyinfo; /* KEYINFO first for this key, or NULL */
	const char *key;
	int format;
	int digest;
	size_t tbslen;	   /* of the digest to sign */
	size_t adigestlen; /* of the artifact's digest (audited) */
	int wait;	   /* wait for the client between the two */
};

static const struct hostile hostiles[] = {
	/* The control: a well-formed request is signed. */
	{ "sign-ok", "rsa", "rsa", FMT_RAW, DIG_SHA256, 32, 32, 0 },
	{ "sign-nokeyinfo", NULL, "rsa", FMT_RAW, DIG_SHA256, 32, 32, 0 },
	{ "sign-ungranted", "rsa", "rsa", FMT_RAW, DIG_SHA256, 32, 32, 0 },
	{ "sign-otherkey", "rawkey", "rsa", FMT_RAW, DIG_SHA256, 32, 32, 0 },
	{ "sign-format", "rsa", "rsa", FMT_MODULE, DIG_SHA256, 32, 32, 0 },
	{ "sign-badformat", "rsa", "rsa", FMT_COUNT, DIG_SHA256, 32, 32, 0 },
	{ "sign-digest", "rsa", "rsa", FMT_RAW, DIG_SHA512, 64, 64, 0 },
	{ "sign-digestlen", "rsa", "rsa", FMT_RAW, DIG_SHA256, 20, 32, 0 },
	{ "sign-adigestlen", "rsa", "rsa", FMT_RAW, DIG_SHA256, 32, 20, 0 },
	/* KEYINFO, then the client's word (after a reload), then SIGN. */
	{ "sign-late", "rsa", "rsa", FMT_RAW, DIG_SHA256, 32, 32, 1 },
};

/* Tell the client the first step is done, and wait for its byte. */
static int
hostile_pause(int client, char *msg, size_t msglen)
{
	struct pollfd pfd = { .fd = client, .events = POLLIN };
	struct buf out;
	char c;
	int r;

	buf_init(&out, FRAME_MAX + 4);
	r = frame_reply_status(&out, ST_OK, "keyinfo done") == 0 &&
		io_send_frame(client, &out, NULL, 0) == 0
	    ? 0
	    : -1;
	buf_free(&out);
	if (r == 0 && (poll(&pfd, 1, 30000) != 1 || read(client, &c, 1) != 1))
		r = -1;
	if (r == -1)
		snprintf(msg, msglen, "test hook: the client did not go on");
	return r;
}

/* Send one hostile SIGN (and the KEYINFO before it); msg says the answer. */
static void
hostile_run(const struct hostile *h, int client, char *msg, size_t msglen)
{
	struct msg_keyinfo ki = { .format = FMT_NONE };
	struct msg_keyinfo_reply kr;
	struct msg_sign m = { .reqid = 1,
		.format = (uint8_t)h->format,
		.digest = (uint8_t)h->digest,
		.tbslen = h->tbslen,
		.adigestlen = h->adigestlen,
		.size = 1 };
	struct msg_sign_reply r;
	struct buf keep;
	struct hold *hd;

	if (h->keyinfo != NULL) {
		snprintf(ki.key, sizeof(ki.key), "%s", h->keyinfo);
		if (sandbox_request_keyinfo(&ki, &kr, &keep) == -1) {
			snprintf(msg, msglen, "test hook: keyinfo failed");
			return;
		}
		buf_free(&keep);
		if (h->wait && hostile_pause(client, msg, msglen) == -1)
			return;
	}
	snprintf(m.key, sizeof(m.key), "%s", h->key);
	snprintf(m.name, sizeof(m.name), "%s", h->name);
	memset(m.tbs, 0x5a, sizeof(m.tbs));
	memset(m.adigest, 0x5a, sizeof(m.adigest));
	if ((hd = hold_new(client)) == NULL ||
	    sandbox_request_sign(&m, hd, &r) == -1) {
		hold_free(hd);
		snprintf(msg, msglen, "test hook: cannot send SIGN");
		return;
	}
	hold_free(hd);
	snprintf(msg, msglen, "monitor answered %s: %s (%zu signature bytes)",
	    status_name(r.status), r.message, r.siglen);
}

void
testhook_syscall(const char *name, int client, char *msg, size_t msglen)
{
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		if (strcmp(hooks[i].name, name) != 0)
			continue;
		long r = hooks[i].fn();
		if (r == -2)
			snprintf(msg, msglen,
			    "test syscall %s: sanitizer "
			    "build allows mprotect",
			    name);
		else
			snprintf(msg, msglen,
			    "test syscall %s was not "
			    "blocked: returned %ld (%s)",
			    name, r, r < 0 ? strerror(errno) : "ok");
		return;
	}
	for (size_t i = 0; i < sizeof(hostiles) / sizeof(hostiles[0]); i++)
		if (strcmp(hostiles[i].name, name) == 0) {
			hostile_run(&hostiles[i], client, msg, msglen);
			return;
		}
	snprintf(msg, msglen, "unknown test syscall %s", name);
}
#else
/* Release builds: this file is empty on purpose. */
typedef int testhook_empty;
#endif
