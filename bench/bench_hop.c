/*
 * bench-hop: what a wake-up and a system call cost on this host, the two
 * prices every hop of a signature pays (client, session child, event
 * loop, signing thread, audit writer).
 *
 *     bench-hop SECONDS
 *
 * Two processes pass a 64-byte message back and forth over a Unix
 * SOCK_SEQPACKET socket pair (the channel between a session child and the
 * monitor), each asleep in recv(2) until the other's message wakes it,
 * for SECONDS seconds; then one process makes getppid(2) calls in a loop
 * for a second.  Prints
 *     hop: H us of CPU per wake-up (W us wall)
 *     syscall: S us of CPU per system call
 * H is the CPU time of both processes (user and system) per message: the
 * send, the wake-up of the process asleep in recv, its return from the
 * call.  Whether the two run on one CPU or two is the scheduler's choice,
 * as it is for csignd's processes and threads.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSGLEN 64

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double
cpu_us(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e6 +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* The echoing side: each message back as it came, until end of file. */
static void
echo_side(int fd)
{
	char m[MSGLEN];
	ssize_t n;

	while ((n = recv(fd, m, sizeof(m), 0)) > 0)
		if (send(fd, m, (size_t)n, MSG_NOSIGNAL) != n)
			_exit(1);
	_exit(n == 0 ? 0 : 1);
}

/* Round trips for secs seconds; CPU of both sides per one-way message. */
static void
hops(double secs)
{
	struct rusage before, self, kid;
	char m[MSGLEN];
	double t0, t1;
	long trips = 0;
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		die("socketpair");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		echo_side(sv[1]);
	}
	close(sv[1]);
	memset(m, 'h', sizeof(m));
	if (getrusage(RUSAGE_SELF, &before) == -1)
		die("getrusage");
	t0 = now_us();
	do {
		/* 100 round trips between clock readings. */
		for (int i = 0; i < 100; i++, trips++)
			if (send(sv[0], m, sizeof(m), MSG_NOSIGNAL) != MSGLEN ||
			    recv(sv[0], m, sizeof(m), 0) != MSGLEN)
				die("hop");
		t1 = now_us();
	} while (t1 - t0 < secs * 1e6);
	close(sv[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("echo process");
	if (getrusage(RUSAGE_SELF, &self) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &kid) == -1)
		die("getrusage");
	printf("hop: %.1f us of CPU per wake-up (%.1f us wall)\n",
	    (cpu_us(&self) - cpu_us(&before) + cpu_us(&kid)) /
		(2.0 * (double)trips),
	    (t1 - t0) / (2.0 * (double)trips));
}

/* getppid(2) for a second: the CPU time of a call that does nothing. */
static void
syscalls(void)
{
	struct rusage a, b;
	double t0;
	long calls = 0;

	if (getrusage(RUSAGE_SELF, &a) == -1)
		die("getrusage");
	t0 = now_us();
	do {
		for (int i = 0; i < 1000; i++, calls++)
			(void)syscall(SYS_getppid);
	} while (now_us() - t0 < 1e6);
	if (getrusage(RUSAGE_SELF, &b) == -1)
		die("getrusage");
	printf("syscall: %.2f us of CPU per system call\n",
	    (cpu_us(&b) - cpu_us(&a)) / (double)calls);
}

int
main(int argc, char **argv)
{
	double secs = 0;
	char *end = NULL;

	if (argc == 2)
		secs = strtod(argv[1], &end);
	if (argc != 2 || end == argv[1] || *end != '\0' || !(secs > 0)) {
		fprintf(stderr, "usage: bench-hop SECONDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	hops(secs);
	syscalls();
	return 0;
}
