/*
 * sdlaunch: a test-only stand-in for systemd's socket activation and
 * notify socket, so that integration tests can start csignd the way a
 * csignd.socket unit would, without systemd.
 *
 * usage: sdlaunch [-n NOTIFYLOG] SOCKET PROGRAM [ARG...]
 *
 * Binds and listens on the Unix stream socket SOCKET (mode 0666, an old
 * socket at that path is removed first), puts it on descriptor 3 without
 * close-on-exec, then, in the process that will exec PROGRAM, sets
 * LISTEN_FDS=1, LISTEN_FDNAMES=csignd.socket and LISTEN_PID to that
 * process's pid, as systemd does.
 *
 * Without -n it execs PROGRAM itself (same pid, so $! of the test is
 * PROGRAM's pid).  With -n it forks like the service manager: the child
 * gets NOTIFY_SOCKET set to an abstract datagram socket that the parent
 * reads, appending each message received to NOTIFYLOG as one line
 * (newlines inside a message become spaces); the parent forwards TERM,
 * INT, HUP, USR1 and USR2 to the child, keeps its own copy of the
 * listening socket (as systemd does), and exits with the child's status
 * (128 + the signal if it was killed).
 *
 * Exits 64 on a usage or local error, 127 if PROGRAM cannot be run.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define EX_LOCAL 64
#define LISTEN_FD 3
#define NOTIFY_MAX 4096 /* longest notify message kept */

static volatile pid_t child_pid;

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: sdlaunch [-n notifylog] socket program "
	    "[arg ...]\n");
	exit(EX_LOCAL);
}

/* Bind and listen on path, mode 0666, and leave the socket on fd 3. */
static void
listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sun.sun_path))
		errx(EX_LOCAL, "%s: socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* No SOCK_CLOEXEC: the descriptor is meant to cross the exec. */
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(EX_LOCAL, "socket");
	(void)unlink(path);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(EX_LOCAL, "bind %s", path);
	if (chmod(path, 0666) == -1)
		err(EX_LOCAL, "chmod %s", path);
	if (listen(s, 128) == -1)
		err(EX_LOCAL, "listen %s", path);
	if (s != LISTEN_FD) {
		if (dup2(s, LISTEN_FD) == -1)
			err(EX_LOCAL, "dup2");
		close(s);
	}
}

/* The environment systemd gives an activated service, then exec. */
static void __attribute__((noreturn)) run(char *argv[], const char *notify)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (setenv("LISTEN_PID", pid, 1) == -1 ||
	    setenv("LISTEN_FDS", "1", 1) == -1 ||
	    setenv("LISTEN_FDNAMES", "csignd.socket", 1) == -1 ||
	    (notify != NULL && setenv("NOTIFY_SOCKET", notify, 1) == -1))
		err(EX_LOCAL, "setenv");
	execvp(argv[0], argv);
	warn("%s", argv[0]);
	_exit(127);
}

/* Bind the abstract datagram socket @name for notifications. */
static int
notify_socket(char *name, size_t namelen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int s;

	snprintf(name, namelen, "@csign-sdlaunch-%ld", (long)getpid());
	/* Abstract: a leading NUL, and no NUL counted at the end. */
	memcpy(sun.sun_path + 1, name + 1, strlen(name) - 1);
	len =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		err(EX_LOCAL, "socket");
	if (bind(s, (struct sockaddr *)&sun, len) == -1)
		err(EX_LOCAL, "bind %s", name);
	return s;
}

/* Pass a signal on to the service, as systemctl kill would. */
static void
forward(int sig)
{
	if (child_pid > 0)
		(void)kill(child_pid, sig);
}

static void
forward_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(EX_LOCAL, "sigaction");
}

/* Append every pending notify message to log, one line each. */
static void
notify_drain(int s, FILE *log)
{
	char msg[NOTIFY_MAX + 1];
	ssize_t n;

	while ((n = recv(s, msg, NOTIFY_MAX, MSG_DONTWAIT)) >= 0) {
		msg[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (msg[i] == '\n' || msg[i] == '\0')
				msg[i] = ' ';
		fprintf(log, "%s\n", msg);
		fflush(log);
	}
}

/* The service manager's side: log notifications until the child exits. */
static int
supervise(int s, FILE *log)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	int st;

	for (;;) {
		if (poll(&p, 1, 100) > 0)
			notify_drain(s, log);
		if (waitpid(child_pid, &st, WNOHANG) == child_pid)
			break;
	}
	notify_drain(s, log);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int
main(int argc, char *argv[])
{
	const char *logpath = NULL;
	char name[64];
	FILE *log;
	pid_t pid;
	int ch, s;

	while ((ch = getopt(argc, argv, "+n:")) != -1) {
		switch (ch) {
		case 'n':
			logpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	listen_on(argv[0]);
	if (logpath == NULL)
		run(argv + 1, NULL);
	if ((log = fopen(logpath, "ae")) == NULL)
		err(EX_LOCAL, "%s", logpath);
	s = notify_socket(name, sizeof(name));
	/* Before the fork, so no signal meant for the child is lost. */
	forward_signals();
	if ((pid = fork()) == -1)
		err(EX_LOCAL, "fork");
	if (pid == 0)
		run(argv + 1, name);
	child_pid = pid;
	return supervise(s, log);
}
