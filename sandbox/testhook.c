/* testhook.c: forbidden system calls on request, in test builds only. */
#ifdef CSIGN_TEST_HOOKS
#include "sandbox/testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

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
	return write(9, "x", 1);	/* a descriptor we were not given */
}

static const struct {
	const char *name;
	long (*fn)(void);
} hooks[] = {
	{ "open", try_open }, { "socket", try_socket }, { "exec", try_exec },
	{ "ptrace", try_ptrace }, { "kill", try_kill },
	{ "setuid", try_setuid }, { "mount", try_mount },
	{ "write-fd", try_write_fd },
};

void
testhook_syscall(const char *name, char *msg, size_t msglen)
{
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		if (strcmp(hooks[i].name, name) != 0)
			continue;
		long r = hooks[i].fn();
		snprintf(msg, msglen, "test syscall %s was not blocked: "
		    "returned %ld (%s)", name, r, r < 0 ? strerror(errno) : "ok");
		return;
	}
	snprintf(msg, msglen, "unknown test syscall %s", name);
}
#else
/* Release builds: this file is empty on purpose. */
typedef int testhook_empty;
#endif
