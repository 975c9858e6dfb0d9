/*
 * seccomp.c: what a session child may ask of the kernel, and why.
 *
 * The child only reads the descriptors it was given, computes, and writes
 * answers; it opens nothing, connects nowhere, starts nothing.  Anything
 * not listed kills the whole process (SIGSYS), which the monitor logs and
 * reports to the client.  Memory may not be made executable.
 */
#include "sandbox/seccomp.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>

#include <seccomp.h>

#include "common/log.h"
#include "sandbox/artifact.h"

struct allow {
	const char *name;
	const char *why;
};

/* Talking over the descriptors we hold. */
static const struct allow allow_io[] = {
	{ "read", "artifact and sockets" },
	{ "readv", "stdio internals" },
	{ "pread64", "artifact parsers" },
	{ "write", "replies and output files" },
	{ "writev", "stdio internals" },
	{ "pwrite64", "output files" },
	{ "lseek", "artifact parsers" },
	{ "recvmsg", "frames and passed descriptors" },
	{ "sendmsg", "frames and monitor messages" },
	{ "recvfrom", "recv() wrapper" },
	{ "sendto", "send() wrapper" },
	{ "poll", "client inactivity timeout" },
	{ "ppoll", "poll() wrapper" },
	{ "close", "received descriptors" },
	{ "fstat", "validate received descriptors (artifact_fstat)" },
	{ "fcntl", "descriptor flags of received fds" },
	{ "ftruncate", "output files" },
	{ "shutdown", "end the client connection" },
};

/* Memory: malloc and OpenSSL. mmap/mprotect get an argument rule below. */
static const struct allow allow_mem[] = {
	{ "brk", "malloc" },
	{ "munmap", "free" },
	{ "mremap", "realloc of large blocks" },
	{ "madvise", "free of large blocks, artifact_prefault" },
};

/* Process basics. */
static const struct allow allow_proc[] = {
	{ "exit", "thread exit" },
	{ "exit_group", "process exit" },
	{ "rt_sigreturn", "return from a signal handler" },
	{ "rt_sigprocmask", "libc internals" },
	{ "getpid", "OpenSSL fork detection" },
	{ "gettid", "libc internals" },
	{ "futex", "OpenSSL locks" },
	{ "getrandom", "OpenSSL DRBG reseed" },
	{ "clock_gettime", "signingTime, timeouts (vDSO fallback)" },
	{ "gettimeofday", "vDSO fallback" },
	{ "time", "vDSO fallback" },
	{ "restart_syscall", "interrupted sleeps" },
};

#if defined(__SANITIZE_ADDRESS__)
/* Test builds with ASan/UBSan only: what the sanitizer runtime needs. */
static const struct allow allow_sanitizer[] = {
	{ "sigaltstack", "sanitizer signal stack" },
	{ "rt_sigaction", "sanitizer handlers" },
	{ "prctl", "sanitizer runtime" },
	{ "sched_yield", "sanitizer locks" },
	{ "mprotect", "sanitizer shadow memory" },
	{ "tgkill", "sanitizer abort" },
};
#endif

/* Add a table of unconditional rules. */
static void
allow_table(scmp_filter_ctx ctx, const struct allow *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(t[i].name);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			fatalx("seccomp: cannot allow %s", t[i].name);
	}
}

/*
 * Rules with arguments: no executable memory.  No newfstatat either:
 * glibc implements fstat as newfstatat(fd, "", AT_EMPTY_PATH), but a rule
 * can see only the flag, never the path, and with a non-empty path the
 * flag changes nothing, so newfstatat(AT_FDCWD, "/etc/...", ...,
 * AT_EMPTY_PATH) would probe the file system.  The child calls the fstat
 * system call instead (artifact_fstat); only where that cannot fill
 * glibc's struct stat does the flag-only rule remain.
 */
static void
allow_args(scmp_filter_ctx ctx)
{
	int r = 0;

	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
#if !SANDBOX_RAW_FSTAT
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
	    SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
#endif
	if (r < 0)
		fatalx("seccomp: cannot add argument rules");
}

#define N(t) (sizeof(t) / sizeof((t)[0]))

void
sandbox_seccomp(void)
{
	scmp_filter_ctx ctx;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init");
	allow_table(ctx, allow_io, N(allow_io));
	allow_table(ctx, allow_mem, N(allow_mem));
	allow_table(ctx, allow_proc, N(allow_proc));
#if defined(__SANITIZE_ADDRESS__)
	allow_table(ctx, allow_sanitizer, N(allow_sanitizer));
#endif
	allow_args(ctx);
	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load failed");
	seccomp_release(ctx);
}
