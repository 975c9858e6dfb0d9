/*
 * testhook: test builds only (CSIGN_TEST_HOOKS).  Lets the integration
 * tests make a session child attempt a forbidden system call, to prove
 * that the seccomp filter kills it, or act as a hostile child towards the
 * monitor, to prove that the monitor refuses.  Not compiled into release
 * builds.
 */
#ifndef CSIGN_TESTHOOK_H
#define CSIGN_TESTHOOK_H

#ifdef CSIGN_TEST_HOOKS
#include <stddef.h>
/*
 * Attempt the named forbidden call (open, socket, exec, ptrace, kill,
 * setuid, mount, write-fd, mmap-exec, mprotect-exec, stat-path), or send
 * the monitor the named hostile request (sign-ok, sign-nokeyinfo,
 * sign-ungranted, sign-otherkey, sign-format, sign-badformat,
 * sign-digest, sign-digestlen, sign-adigestlen, sign-late; see
 * testhook.c).  client is the client's socket (sign-late waits there for
 * one byte).  Returns only if the child was not killed; msg then says
 * what happened.
 */
void testhook_syscall(const char *name, int client, char *msg, size_t msglen);
#endif

#endif
