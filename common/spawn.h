/*
 * spawn: start a program from a threaded daemon without copying it.
 *
 * spawn_vfork() vforks: no page table is copied and the daemon's pages
 * are not write-protected for copy-on-write (a fork did both, and every
 * page any thread of csignd wrote next took a fault: some 45 of them,
 * 10 us each on the development VM, in the signature after each new
 * session child).  The child runs in the daemon's memory and on the
 * calling thread's stack until it execs, and that thread waits meanwhile.
 * So child(arg) makes system calls only, changes no memory of the
 * daemon, and ends in an exec or _exit.  Every signal is blocked around
 * the vfork, and the child puts the daemon's handlers back to their
 * defaults (ignored signals stay ignored, as across exec), then clears
 * its signal mask, before it calls child: no handler ever runs in it,
 * and the program it execs starts with no signal blocked.  The pid, or
 * -1 with errno set.
 */
#ifndef CSIGN_SPAWN_H
#define CSIGN_SPAWN_H

#include <sys/types.h>

pid_t spawn_vfork(void (*child)(void *), void *arg);

#endif
