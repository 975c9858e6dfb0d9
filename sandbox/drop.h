/*
 * drop: the one privilege-drop function of the session child.  Every step
 * is checked and fatal on failure, in a fixed order (see drop.c).
 */
#ifndef CSIGN_DROP_H
#define CSIGN_DROP_H

#include <sys/types.h>

struct drop_opts {
	int separate; /* 1: change to uid/gid (started as root) */
	uid_t uid;
	gid_t gid;
	int keep_fd; /* highest fd to keep open (the channel) */
	int lookup;  /* 1: the lookup process (see drop.c) */
};

/*
 * Drop every privilege and install the seccomp filter; fatal on error.
 * The lookup process keeps the network and gets no filter.
 */
void sandbox_drop(const struct drop_opts *o);

#endif
