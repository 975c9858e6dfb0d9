/*
 * rawclient_burst.c: burst KEY MODULE, a batch's requests sent before any
 * reply is read, mixing what a session signs two at a time
 * (sandbox/pipeline.c) with what it must not: the replies must come in
 * the order of the requests, each with its own status.
 *
 *   1, 2  the module, as csign-client sends one (output: /dev/null)
 *   3     the module without an output descriptor: refused
 *   4     the module
 *   5     the module as cms, a format the pipeline does not take
 *   6     the module
 *   7     F_HELD, a frame no client may send: the session ends
 *
 * One line per reply, "N STATUS"; exit 0 once all seven are read.
 */
#include "rawclient.h"

/* A sign request of MODULE in format with ndesc of the descriptors. */
static void
burst_sign(int s, const char *key, const char *format, const int *fds,
    size_t ndesc)
{
	if (frame_begin(&out, F_SIGN) == -1 ||
	    frame_add_str(&out, T_KEY, key) == -1 ||
	    frame_add_str(&out, T_FORMAT, format) == -1)
		errx(EX_LOCAL, "cannot build the sign frame");
	send_out(s, fds, ndesc);
}

int
mode_burst(int s, char **args)
{
	int fds[2], r;

	if ((fds[0] = open(args[1], O_RDONLY | O_CLOEXEC)) == -1)
		err(EX_LOCAL, "%s", args[1]);
	if ((fds[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		err(EX_LOCAL, "/dev/null");
	if ((r = hello(s)) != 0)
		return r;
	burst_sign(s, args[0], "module", fds, 2);
	burst_sign(s, args[0], "module", fds, 2);
	burst_sign(s, args[0], "module", fds, 1);
	burst_sign(s, args[0], "module", fds, 2);
	burst_sign(s, args[0], "cms", fds, 1);
	burst_sign(s, args[0], "module", fds, 2);
	if (frame_begin(&out, F_HELD) == -1 ||
	    frame_add_u64(&out, T_ID, 1) == -1)
		errx(EX_LOCAL, "cannot build the held frame");
	send_out(s, NULL, 0);
	for (int i = 1; i <= 7; i++) {
		if ((r = recv_reply(s)) != 0)
			return r;
		printf("%d %s\n", i, status_name(reply_status()));
	}
	close(fds[0]);
	close(fds[1]);
	return 0;
}
