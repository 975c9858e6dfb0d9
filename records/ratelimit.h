/*
 * ratelimit: "Allow ... rate N/PERIOD" — at most N signatures per PERIOD
 * for each user, counted per Allow line, as token buckets (capacity N,
 * refilled continuously at N per PERIOD).  State lives in the monitor and
 * starts afresh when the configuration is reloaded.
 */
#ifndef CSIGN_RATELIMIT_H
#define CSIGN_RATELIMIT_H

#include <stddef.h>

#include "records/config.h"
#include "records/policy.h"

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *r);
/* Forget every bucket (the Allow lines they counted are gone). */
void ratelimit_reset(struct ratelimit *r);

/*
 * May id sign with key in format now?  Among the Allow lines granting it
 * for that format (a line whose "formats" leave it out does not count):
 * any line without a rate allows it; else the first line with a signature
 * left in its bucket allows it and is charged.  1 if allowed; 0 if every
 * granting line is spent, with why describing the limit.  now is in
 * seconds.
 */
int ratelimit_take(struct ratelimit *r, const struct config *cfg,
    const struct identity *id, const struct cfg_key *key, int format,
    double now, char *why, size_t whylen);

/*
 * The same answer as ratelimit_take() without charging anything: for a
 * request held for approval, which is charged when it is signed.
 */
int ratelimit_check(struct ratelimit *r, const struct config *cfg,
    const struct identity *id, const struct cfg_key *key, int format,
    double now, char *why, size_t whylen);

#endif
