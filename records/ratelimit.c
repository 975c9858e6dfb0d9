/* ratelimit.c: per-user token buckets for rate-limited grants. */
#include "records/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS_MAX 65536 /* (rule, user) pairs remembered */

struct bucket {
	const struct cfg_allow *rule; /* valid until the next reset */
	uid_t uid;
	double tokens;
	double last;
};

struct ratelimit {
	struct bucket *b;
	size_t n, cap;
};

struct ratelimit *
ratelimit_new(void)
{
	return calloc(1, sizeof(struct ratelimit));
}

void
ratelimit_free(struct ratelimit *r)
{
	if (r == NULL)
		return;
	free(r->b);
	free(r);
}

void
ratelimit_reset(struct ratelimit *r)
{
	r->n = 0;
}

/* The bucket of (rule, uid), created full; NULL if none can be made. */
static struct bucket *
bucket_get(struct ratelimit *r, const struct cfg_allow *rule, uid_t uid,
    double now)
{
	struct bucket *nb;

	for (size_t i = 0; i < r->n; i++)
		if (r->b[i].rule == rule && r->b[i].uid == uid)
			return &r->b[i];
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;

		if (cap > BUCKETS_MAX ||
		    (nb = realloc(r->b, cap * sizeof(*nb))) == NULL)
			return NULL;
		r->b = nb;
		r->cap = cap;
	}
	nb = &r->b[r->n++];
	*nb = (struct bucket){ .rule = rule,
		.uid = uid,
		.tokens = rule->rate_n,
		.last = now };
	return nb;
}

/* Refill a bucket for the time since it was last used; take one if take. */
static int
bucket_take(struct bucket *b, double now, int take)
{
	const struct cfg_allow *a = b->rule;

	if (now > b->last) {
		b->tokens += (now - b->last) * a->rate_n / a->rate_period;
		if (b->tokens > a->rate_n)
			b->tokens = a->rate_n;
		b->last = now;
	}
	if (b->tokens < 1.0)
		return 0;
	if (take)
		b->tokens -= 1.0;
	return 1;
}

/* Seconds until a spent bucket holds a whole signature again. */
static double
bucket_wait(const struct bucket *b)
{
	const struct cfg_allow *a = b->rule;

	return (1.0 - b->tokens) * a->rate_period / a->rate_n;
}

/*
 * "rate limit: 3 signatures per hour with this key; try again in 1200 s"
 * for a rule's limit; wait < 0 when no bucket could tell.
 */
static void
rate_text(const struct cfg_allow *a, double wait, char *dst, size_t len)
{
	const char *unit = a->rate_period == 86400 ? "day"
	    : a->rate_period == 3600		   ? "hour"
	    : a->rate_period == 60		   ? "minute"
						   : "second";
	unsigned long secs;

	if (wait < 0) {
		snprintf(dst, len,
		    "rate limit: %u signatures per %s with this "
		    "key",
		    a->rate_n, unit);
		return;
	}
	/* Whole seconds, rounded up: asking again then succeeds. */
	secs = (unsigned long)wait;
	if (wait > (double)secs || secs == 0)
		secs++;
	snprintf(dst, len,
	    "rate limit: %u signatures per %s with this key; "
	    "try again in %lu s",
	    a->rate_n, unit, secs);
}

/* ratelimit_take() and ratelimit_check(): charge a line only if take. */
static int
ratelimit_use(struct ratelimit *r, const struct config *cfg,
    const struct identity *id, const struct cfg_key *key, int format,
    double now, int take, char *why, size_t whylen)
{
	const struct cfg_allow *limited = NULL;
	struct bucket *b;
	double wait = -1;

	for (size_t i = 0; i < cfg->nallows; i++) {
		const struct cfg_allow *a = &cfg->allows[i];

		if (!policy_rule_grants_format(a, id, key, format))
			continue;
		if (a->rate_n == 0)
			return 1;
		if (limited == NULL)
			limited = a;
	}
	for (size_t i = 0; limited != NULL && i < cfg->nallows; i++) {
		const struct cfg_allow *a = &cfg->allows[i];

		if (a->rate_n == 0 ||
		    !policy_rule_grants_format(a, id, key, format))
			continue;
		if ((b = bucket_get(r, a, id->uid, now)) == NULL)
			continue;
		if (bucket_take(b, now, take))
			return 1;
		/* The soonest of the granting lines to allow one again. */
		if (wait < 0 || bucket_wait(b) < wait)
			wait = bucket_wait(b);
	}
	if (limited == NULL)
		return 1; /* not granted at all: policy_check said so */
	rate_text(limited, wait, why, whylen);
	return 0;
}

int
ratelimit_take(struct ratelimit *r, const struct config *cfg,
    const struct identity *id, const struct cfg_key *key, int format,
    double now, char *why, size_t whylen)
{
	return ratelimit_use(r, cfg, id, key, format, now, 1, why, whylen);
}

int
ratelimit_check(struct ratelimit *r, const struct config *cfg,
    const struct identity *id, const struct cfg_key *key, int format,
    double now, char *why, size_t whylen)
{
	return ratelimit_use(r, cfg, id, key, format, now, 0, why, whylen);
}
