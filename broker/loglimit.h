/*
 * loglimit: at most one log line per interval for an event that a client
 * can cause at will (descriptors running out, connections cut), so that
 * a flood cannot fill the log.  The lines held back are counted and the
 * next line that is let through says how many there were.
 */
#ifndef CSIGN_LOGLIMIT_H
#define CSIGN_LOGLIMIT_H

#include <time.h>

struct loglimit {
	unsigned interval;  /* seconds between two lines */
	int said;	    /* a line has been let through */
	time_t last;	    /* when (CLOCK_MONOTONIC seconds) */
	unsigned long held; /* lines held back since */
};

#define LOGLIMIT_INIT(seconds) \
	{ \
		.interval = (seconds) \
	}

/*
 * May a line be logged at now?  1: yes, and *held is the number of lines
 * held back since the last one (then reset); 0: no, and it is counted.
 */
int loglimit_pass(struct loglimit *l, time_t now, unsigned long *held);
/* The same, at the present CLOCK_MONOTONIC time. */
int loglimit_now(struct loglimit *l, unsigned long *held);

#endif
