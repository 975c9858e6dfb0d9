/* spawn.c: vfork and exec from a threaded daemon (see spawn.h). */
#include "common/spawn.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

/*
 * In the vforked child: the daemon's handlers back to their defaults,
 * then no signal blocked (in that order: no handler of the daemon's may
 * run in the child).
 */
static void
signals_default(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)
			(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t
spawn_vfork(void (*child)(void *), void *arg)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.vfork)
	pid = vfork();
	if (pid == 0) {
		/*
		 * The analyzer allows only exec and _exit after vfork; what
		 * runs here makes system calls only (spawn.h).
		 */
		// NOLINTNEXTLINE(clang-analyzer-unix.Vfork)
		signals_default();
		// NOLINTNEXTLINE(clang-analyzer-unix.Vfork)
		child(arg);
		_exit(127);
	}
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}
