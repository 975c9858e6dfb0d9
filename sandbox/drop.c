/*
 * drop.c: the session child's privilege drop.
 *
 * Order, each step fatal on failure:
 *   1. close every fd above the channel (nothing inherited by accident)
 *   2. new network, IPC and mount namespaces (when root; else skipped)
 *   3. empty the capability bounding set (needs CAP_SETPCAP, so before 5)
 *   4. setgroups: no supplementary groups
 *   5. setresgid, then setresuid (gid first, while we may still change it)
 *   6. verify that neither uid 0 nor the old gid can come back
 *   7. clear every capability set, ambient included
 *   8. rlimits: no core, few fds, bounded memory and CPU, no new processes
 *   9. not dumpable (no ptrace by the sandbox user's other processes)
 *  10. no_new_privs (required for an unprivileged seccomp filter)
 *  11. seccomp allowlist, last, so that every step above could run
 *
 * The lookup process (csign-sandbox -R, sandbox/resolve.c) takes the same
 * steps but two: it keeps the network namespace (it must reach the
 * resolvers) and gets no seccomp filter, because what getaddrinfo() calls
 * depends on the host's NSS modules and cannot be listed (STYLE.md 8).
 * It is still an unprivileged uid with no capabilities, no_new_privs, no
 * new processes, not dumpable, and it never sees a key, a client or an
 * artifact: all it can do is lie about an address, and the token that
 * comes from that address is checked against the key's TimestampCA.
 */
#include "sandbox/drop.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "sandbox/seccomp.h"

/*
 * stdio, the channel, 6 scratch files (channel.h), the client, and an
 * artifact and an output for each of two requests in flight and one read
 * ahead (sandbox/pipeline.c): 17.
 */
#define CHILD_NOFILE 18
#define CHILD_AS (1024ul << 20) /* address space, bytes */
#define CHILD_CPU 600		/* seconds of CPU per session */

/* 1: close every descriptor above keep. */
static void
drop_close_fds(int keep)
{
	if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0) == -1)
		fatal("close_range");
}

/* 2: private namespaces, so that no network or IPC object is reachable. */
static void
drop_namespaces(const struct drop_opts *o)
{
	if (!o->separate)
		return;
	/*
	 * Under the shipped systemd unit the whole service already has
	 * private network, IPC and mounts and lacks CAP_SYS_ADMIN, so this
	 * fails there by design: say so only in debug logs.
	 */
	if (unshare((o->lookup ? 0 : CLONE_NEWNET) | CLONE_NEWIPC |
		CLONE_NEWNS) == -1)
		log_debug("unshare(net, ipc, mount): %s; the seccomp filter "
			  "forbids sockets anyway",
		    strerror(errno));
}

/* 3: no capability can ever be regained, even through exec. */
static void
drop_bounding_set(const struct drop_opts *o)
{
	if (!o->separate)
		return;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (cap_drop_bound(c) == -1 && errno != EINVAL)
			fatal("cap_drop_bound(%d)", (int)c);
}

/* 4-6: become the sandbox user, then prove there is no way back. */
static void
drop_ids(const struct drop_opts *o)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!o->separate)
		return;
	if (setgroups(0, NULL) == -1)
		fatal("setgroups");
	if (setresgid(o->gid, o->gid, o->gid) == -1)
		fatal("setresgid");
	if (setresuid(o->uid, o->uid, o->uid) == -1)
		fatal("setresuid");
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("getresuid");
	if (ru != o->uid || eu != o->uid || su != o->uid || rg != o->gid ||
	    eg != o->gid || sg != o->gid)
		fatalx("ids not changed as asked");
	if (getgroups(0, NULL) != 0)
		fatalx("supplementary groups remain");
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("could regain root after dropping it");
}

/* 7: empty permitted, effective, inheritable and ambient sets. */
static void
drop_caps(void)
{
	cap_t none, now;

	if ((none = cap_init()) == NULL)
		fatal("cap_init");
	if (cap_set_proc(none) == -1)
		fatal("cap_set_proc");
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() == -1)
		fatal("cap_reset_ambient");
	if ((now = cap_get_proc()) == NULL)
		fatal("cap_get_proc");
	if (cap_compare(none, now) != 0)
		fatalx("capabilities remain after clearing them");
	cap_free(now);
	cap_free(none);
}

/* Set one limit, soft and hard. */
static void
drop_rlimit(int res, rlim_t v, const char *name)
{
	struct rlimit rl = { v, v };

	if (setrlimit(res, &rl) == -1)
		fatal("setrlimit(%s)", name);
}

/* 8: bounded resources.  ASan needs a huge address space: no AS limit. */
static void
drop_rlimits(void)
{
	drop_rlimit(RLIMIT_CORE, 0, "RLIMIT_CORE");
	drop_rlimit(RLIMIT_NOFILE, CHILD_NOFILE, "RLIMIT_NOFILE");
	drop_rlimit(RLIMIT_CPU, CHILD_CPU, "RLIMIT_CPU");
	drop_rlimit(RLIMIT_MEMLOCK, 0, "RLIMIT_MEMLOCK");
#if !defined(__SANITIZE_ADDRESS__)
	drop_rlimit(RLIMIT_AS, CHILD_AS, "RLIMIT_AS");
#endif
	drop_rlimit(RLIMIT_NPROC, 0, "RLIMIT_NPROC");
}

void
sandbox_drop(const struct drop_opts *o)
{
	drop_close_fds(o->keep_fd);
	drop_namespaces(o);
	drop_bounding_set(o);
	drop_ids(o);
	drop_caps();
	drop_rlimits();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if (!o->lookup)
		sandbox_seccomp();
}
