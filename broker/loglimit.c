/* loglimit.c: one line per interval, the rest counted (see loglimit.h). */
#include "broker/loglimit.h"

int
loglimit_pass(struct loglimit *l, time_t now, unsigned long *held)
{
	if (l->said && now - l->last < (time_t)l->interval) {
		l->held++;
		return 0;
	}
	*held = l->held;
	l->held = 0;
	l->last = now;
	l->said = 1;
	return 1;
}

int
loglimit_now(struct loglimit *l, unsigned long *held)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return loglimit_pass(l, ts.tv_sec, held);
}
