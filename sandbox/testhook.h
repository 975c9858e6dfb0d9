/*
 * testhook: test builds only (CSIGN_TEST_HOOKS).  Lets the integration
 * tests make a session child attempt a forbidden system call, to prove
 * that the seccomp filter kills it.  Not compiled into release builds.
 */
#ifndef CSIGN_TESTHOOK_H
#define CSIGN_TESTHOOK_H

#ifdef CSIGN_TEST_HOOKS
#include <stddef.h>
/*
 * Attempt the named forbidden call (open, socket, exec, ptrace, kill,
 * setuid, mount, write-fd).  Returns only if the call was not fatal; msg
 * then says what happened.
 */
void testhook_syscall(const char *name, char *msg, size_t msglen);
#endif

#endif
