/*
 * csign-client: ask csignd to sign artifacts with keys the caller is
 * granted, list those keys, show the caller's identity and the daemon's
 * state (see csign-client(1)).
 *
 * main() parses the command line, opens one connection (F_HELLO), runs
 * the command from the table below over it, and turns the outcome into
 * the documented exit code.  Every failure is one line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/args.h"
#include "client/client.h"
#include "client/conn.h"
#include "client/output.h"
#include "common/log.h"
#include "proto/frame.h"
#include "proto/names.h"

typedef int (*cmd_fn)(struct conn *, const struct options *, struct failure *);

/* What runs each command once the connection is up. */
static const cmd_fn commands[CMD_COUNT] = {
	[CMD_SIGN] = cl_cmd_sign,
	[CMD_KEYS] = cl_cmd_keys,
	[CMD_CERT] = cl_cmd_cert,
	[CMD_WHOAMI] = cl_cmd_whoami,
	[CMD_STATUS] = cl_cmd_status,
	[CMD_ADMIN] = cl_cmd_admin,
	[CMD_PENDING] = cl_cmd_pending,
	[CMD_APPROVE] = cl_cmd_decide,
	[CMD_DENY] = cl_cmd_decide,
	[CMD_WAIT] = cl_cmd_wait,
};

/*
 * Open /dev/null on any of fds 0-2 that is closed, so that the socket
 * never becomes "standard input" and gets sent as an artifact.
 */
static void
sanitise_stdfd(void)
{
	for (int fd = 0; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			exit(EXIT_ERROR);
	}
}

/* Connect, run the command, and turn the outcome into an exit code. */
static int
run(const struct options *o)
{
	struct conn c = { .fd = -1 };
	struct failure fl;
	int code;

	memset(&fl, 0, sizeof(fl));
	if (cl_conn_open(&c, cl_socket_path(o->socket, getenv("CSIGN_SOCKET")),
		o->timeout, &fl) == -1)
		return cl_fail_report(&fl, o->json);
	code = commands[o->cmd](&c, o, &fl);
	cl_conn_close(&c);
	return code == -1 ? cl_fail_report(&fl, o->json) : code;
}

/* Flush stdout; a failed write turns a success into an error. */
static int
finish(int code)
{
	int e = 0;

	if (fflush(stdout) == EOF)
		e = errno;
	if (code == 0 && (e != 0 || ferror(stdout))) {
		log_warnx("cannot write to standard output%s%s",
		    e != 0 ? ": " : "", e != 0 ? strerror(e) : "");
		return EXIT_ERROR;
	}
	return code;
}

int
main(int argc, char **argv)
{
	struct failure fl;
	struct options o;
	char err[512];
	mode_t mask;

	log_init(CLIENT_PROG, LOG_TO_STDERR, LOG_LVL_INFO);
	/* Writes to a closed socket or pipe fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	sanitise_stdfd();
	switch (cl_args_parse(argc, argv, &o, err, sizeof(err))) {
	case PARSE_HELP:
		cl_usage(stdout);
		return finish(0);
	case PARSE_VERSION:
		printf("%s %s (protocol %d)\n", CLIENT_PROG, CSIGN_VERSION,
		    PROTO_VERSION);
		return finish(0);
	case PARSE_ERROR:
		memset(&fl, 0, sizeof(fl));
		cl_fail_set(&fl, EXIT_USAGE, "usage", "%s (try '%s --help')",
		    err, CLIENT_PROG);
		return finish(cl_fail_report(&fl, o.json));
	case PARSE_RUN:
		break;
	}
	/* umask() reads only by setting: put the old mask back at once. */
	mask = umask(022);
	umask(mask);
	o.out_mode = 0644 & ~mask;
	return finish(run(&o));
}
