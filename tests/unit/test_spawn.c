/*
 * test_spawn.c: spawn_vfork() (common/spawn.c): the child runs with the
 * daemon's handlers put back to their defaults (ignored signals still
 * ignored) and no signal blocked; the daemon keeps its handlers and its
 * signal mask.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/spawn.h"

static void
on_usr1(int sig)
{
	(void)sig;
}

/*
 * In the child: exit 0 if SIGUSR1 is at its default, SIGPIPE still
 * ignored and no signal blocked (the daemon blocks SIGUSR2, and
 * spawn_vfork() blocks all of them around the vfork), else the number of
 * the check that failed.  System calls only.
 */
static void
child_checks(void *arg)
{
	struct sigaction sa;
	sigset_t mask;

	(void)arg;
	if (sigaction(SIGUSR1, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL)
		_exit(1);
	if (sigaction(SIGPIPE, NULL, &sa) == -1 || sa.sa_handler != SIG_IGN)
		_exit(2);
	if (sigprocmask(SIG_SETMASK, NULL, &mask) == -1)
		_exit(3);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask, sig) == 1)
			_exit(4);
	_exit(0);
}

/* In the child: a failed exec's exit. */
static void
child_exec_fails(void *arg)
{
	char *argv[] = { "nonexistent", NULL };

	execv((const char *)arg, argv);
	_exit(127);
}

static void
test_the_child_runs_no_handler_of_the_parent(void **state)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, now;
	sigset_t mask, after;
	int status;
	pid_t pid;

	(void)state;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	assert_int_equal(sigprocmask(SIG_SETMASK, &mask, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	signal(SIGPIPE, SIG_IGN);
	pid = spawn_vfork(child_checks, NULL);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's handler and mask are its own still. */
	assert_int_equal(sigaction(SIGUSR1, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, on_usr1);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &after), 0);
	assert_true(sigismember(&after, SIGUSR2));
	assert_false(sigismember(&after, SIGTERM));
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

static void
test_a_failed_exec_exits_127(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = spawn_vfork(child_exec_fails, "/nonexistent/csign-test");
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 127);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_child_runs_no_handler_of_the_parent),
		cmocka_unit_test(test_a_failed_exec_exits_127),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
