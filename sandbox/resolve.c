/* resolve.c: the lookup process (see resolve.h). */
#include "sandbox/resolve.h"

#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/channel.h"

#ifdef CSIGN_TEST_HOOKS
#include <sys/capability.h>
#include <sys/prctl.h>
#endif

/* getaddrinfo()'s error as one of the answer's statuses. */
static uint8_t
resolve_status(int gai)
{
	switch (gai) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
	case EAI_ADDRFAMILY:
		return RES_NONAME;
	case EAI_AGAIN:
		return RES_AGAIN;
	default:
		return RES_FAIL;
	}
}

/* Add ai's TCP address to r, unless it is there already. */
static void
resolve_add(struct resolve_reply *r, const struct addrinfo *ai)
{
	struct resolve_addr a = { 0 };

	if (ai->ai_family == AF_INET &&
	    ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
		a.family = 4;
		memcpy(a.addr,
		    &((const struct sockaddr_in *)(const void *)ai->ai_addr)
			 ->sin_addr,
		    4);
	} else if (ai->ai_family == AF_INET6 &&
	    ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
		a.family = 6;
		memcpy(a.addr,
		    &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)
			 ->sin6_addr,
		    16);
	} else
		return;
	for (size_t i = 0; i < r->count; i++)
		if (memcmp(&r->a[i], &a, sizeof(a)) == 0)
			return;
	r->a[r->count++] = a;
}

void
resolve_lookup(const char *host, struct resolve_reply *r)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP };
	struct addrinfo *res = NULL;
	int e;

	memset(r, 0, sizeof(*r));
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		r->status = resolve_status(e);
		return;
	}
	for (const struct addrinfo *ai = res;
	     ai != NULL && r->count < RESOLVE_ADDRS_MAX; ai = ai->ai_next)
		resolve_add(r, ai);
	freeaddrinfo(res);
	r->status = r->count > 0 ? RES_OK : RES_NONAME;
}

#ifdef CSIGN_TEST_HOOKS
/*
 * Test builds only: names under .invalid (which no resolver answers,
 * RFC 6761) that make this process answer as a broken or hostile one
 * would, so that the integration tests can prove the monitor's checks.
 * "lookup-test-ids.invalid" answers 127.0.0.1 only if this process is
 * unprivileged: no uid 0, no capability, no_new_privs, not dumpable.
 */
static int
lookup_unprivileged(void)
{
	cap_t none = cap_init(), now = cap_get_proc();
	int ok;

	ok = none != NULL && now != NULL && cap_compare(none, now) == 0 &&
	    getuid() != 0 && geteuid() != 0 &&
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 &&
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
	cap_free(now);
	cap_free(none);
	return ok;
}

/* A hook's answer sent (and the process ended), or 0 if host names none. */
static int
lookup_test_hook(const char *host)
{
	const struct resolve_reply lo = { .status = RES_OK,
		.count = 1,
		.a = { { .family = 4, .addr = { 127, 0, 0, 1 } } } };
	const struct resolve_reply no = { .status = RES_FAIL };
	struct resolve_reply r = lo;
	struct buf bb, *b = &bb;
	int fd = -1;

	if (strcmp(host, "lookup-test-hang.invalid") == 0)
		for (;;)
			pause();
	if (strcmp(host, "lookup-test-ids.invalid") == 0)
		r = lookup_unprivileged() ? lo : no;
	else if (strcmp(host, "lookup-test-fd.invalid") == 0)
		fd = 0;
	else if (strcmp(host, "lookup-test-long.invalid") != 0 &&
	    strcmp(host, "lookup-test-short.invalid") != 0 &&
	    strcmp(host, "lookup-test-junk.invalid") != 0)
		return 0;
	buf_init(b, RESOLVE_REPLY_LEN + 1);
	if (resolve_enc(b, &r) == -1)
		_exit(1);
	if (strcmp(host, "lookup-test-long.invalid") == 0)
		(void)buf_put_u8(b, 0);
	else if (strcmp(host, "lookup-test-short.invalid") == 0)
		b->len--;
	else if (strcmp(host, "lookup-test-junk.invalid") == 0)
		b->data[b->len - 1] = 1;
	(void)sandbox_send_lookup_bytes(b, fd);
	_exit(0);
}
#endif

void
resolve_main(struct drop_opts *o, const char *host)
{
	struct resolve_reply r;

	o->keep_fd = CHANNEL_FD;
	o->lookup = 1;
	sandbox_drop(o);
#ifdef CSIGN_TEST_HOOKS
	(void)lookup_test_hook(host);
#endif
	resolve_lookup(host, &r);
	if (sandbox_send_lookup(&r) == -1)
		_exit(1);
	_exit(0);
}
