/*
 * rawclient: a test-only client that speaks raw protocol to csignd's
 * socket, so that integration tests can send what csign-client never
 * would (junk, bad fields, oversized or half frames).
 *
 * usage: rawclient SOCKET MODE [ARGS]
 * (inline KEY FORMAT SIZE announces an inline artifact and sends none of it;
 * inplace KEY FORMAT FILE asks for FILE signed in place)
 *
 * Prints the daemon's reply as one line "STATUSNAME: MESSAGE" and exits
 * with the reply's numeric status.  Other exits: 10 no reply (timeout, or
 * the connection closed without one), 11 cannot connect, 12 the reply is
 * not a valid F_REPLY, 13 still served when a "busy" client gives up,
 * 64 usage or local error.
 *
 * "flood" opens many connections instead of one (see mode_flood).
 */
#include "rawclient.h"

static const struct mode {
	const char *name;
	int nargs;
	int (*fn)(int, char **);
} modes[] = {
	{ "hello", 0, mode_hello },
	{ "garbage", 0, mode_garbage },
	{ "badtlv", 0, mode_badtlv },
	{ "oversize", 0, mode_oversize },
	{ "nohello", 0, mode_nohello },
	{ "keysfd", 0, mode_keysfd },
	{ "half", 1, mode_half },
	{ "syscall", 1, mode_syscall },
	{ "syscall-wait", 2, mode_syscall_wait },
	{ "sign", 3, mode_sign },
	{ "inplace", 3, mode_inplace },
	{ "inline", 3, mode_inline },
	{ "silent", 1, mode_silent },
	{ "partial", 1, mode_partial },
	{ "busy", 1, mode_busy },
	{ "burst", 2, mode_burst },
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rawclient SOCKET hello | garbage | badtlv | "
	    "oversize | nohello | keysfd | half SECONDS | syscall NAME | "
	    "syscall-wait NAME GOFILE | sign KEY FORMAT FILE | "
	    "inline KEY FORMAT SIZE | silent SECONDS | "
	    "partial SECONDS | busy SECONDS | burst KEY MODULE | "
	    "flood COUNT HOLD "
	    "idle|busy-drop\n");
	exit(EX_LOCAL);
}

int
main(int argc, char **argv)
{
	const struct mode *m = NULL;
	int s, r;

	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN); /* the daemon may hang up first */
	buf_init(&out, FRAME_MAX + 4);
	buf_init(&raw, FRAME_MAX + 4);
	if (strcmp(argv[2], "flood") == 0) {
		if (argc != 6 ||
		    strlen(argv[1]) >=
			sizeof(((struct sockaddr_un *)0)->sun_path))
			usage();
		return mode_flood(argv[1], argv + 3);
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[2], modes[i].name) == 0)
			m = &modes[i];
	if (m == NULL || argc != 3 + m->nargs)
		usage();
	if ((s = connect_to(argv[1])) == -1)
		return EX_NOCONN;
	r = m->fn(s, argv + 3);
	fflush(stdout);
	buf_free(&out);
	buf_free(&raw);
	close(s);
	return r;
}
