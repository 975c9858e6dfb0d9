/* confallow.c: the Allow lines of csignd.conf(5). */
#include "records/confparse.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Resolve an Allow line's user or group name into a; -1 if unknown. */
static int
allow_resolve(struct cfg_allow *a)
{
	struct passwd *pw;
	struct group *gr;

	if (a->is_group) {
		if ((gr = getgrnam(a->name)) == NULL)
			return -1;
		a->gid = gr->gr_gid;
	} else {
		if ((pw = getpwnam(a->name)) == NULL)
			return -1;
		a->uid = pw->pw_uid;
	}
	return 0;
}

/* Remember that slot of Allow line owner names key name. */
static int
add_keyref(struct parser *p, size_t owner, size_t slot, const char *name)
{
	struct ref *r;

	if (conf_check_name(p, name) == -1)
		return -1;
	if (conf_grow((void **)&p->keyrefs, &p->capkeyrefs, p->nkeyrefs,
		sizeof(*r), (size_t)ALLOWS_MAX * ALLOW_KEYS_MAX) == -1)
		return conf_perr(p, "out of memory");
	r = &p->keyrefs[p->nkeyrefs++];
	memcpy(r->name, name, strlen(name) + 1);
	r->owner = owner;
	r->slot = slot;
	r->line = p->line;
	return 0;
}

/* The "group" or "user" word of an Allow line: 1, 0, or -1 if neither. */
static int
allow_kind(const char *word)
{
	if (strcasecmp(word, "group") == 0)
		return 1;
	if (strcasecmp(word, "user") == 0)
		return 0;
	return -1;
}

/*
 * "N/PERIOD": at most N signatures per PERIOD (second, minute, hour, day,
 * or s, m, h, d), N from 1 to 1000000.  0 or -1.
 */
static int
parse_rate(const char *v, unsigned *n, unsigned *period)
{
	static const struct {
		const char *name;
		unsigned secs;
	} periods[] = {
		{ "second", 1 },
		{ "s", 1 },
		{ "minute", 60 },
		{ "m", 60 },
		{ "hour", 3600 },
		{ "h", 3600 },
		{ "day", 86400 },
		{ "d", 86400 },
	};
	const char *slash = strchr(v, '/');
	char *end;
	unsigned long x;

	if (slash == NULL || slash == v || v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || end != slash || x == 0 || x > 1000000)
		return -1;
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		if (strcasecmp(slash + 1, periods[i].name) == 0) {
			*n = (unsigned)x;
			*period = periods[i].secs;
			return 0;
		}
	return -1;
}

/*
 * Append the parsed Allow line a with room for nkeys keys, and remember
 * its key names (words 3.. of the line) for conf_resolve_refs.
 */
static int
allow_add(struct parser *p, const struct cfg_allow *a, size_t nkeys)
{
	struct config *cfg = p->cfg;
	struct cfg_allow *na;
	size_t idx = cfg->nallows;

	if (cfg->nallows >= ALLOWS_MAX)
		return conf_perr(p, "too many Allow lines (max %d)",
		    ALLOWS_MAX);
	if (conf_grow((void **)&cfg->allows, &p->capallows, cfg->nallows,
		sizeof(*na), ALLOWS_MAX) == -1)
		return conf_perr(p, "out of memory");
	na = &cfg->allows[idx];
	*na = *a;
	/* An array of pointers to key records. */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	if ((na->keys = calloc(nkeys, sizeof(*na->keys))) == NULL)
		return conf_perr(p, "out of memory");
	na->nkeys = nkeys;
	cfg->nallows++;
	for (size_t i = 0; i < nkeys; i++)
		if (add_keyref(p, idx, i, p->av[3 + i]) == -1)
			return -1;
	return 0;
}

#define ALLOW_USAGE \
	"expected: Allow group|user NAME keys KEY... " \
	"[formats FORMAT...] [rate N/PERIOD]"

/* 1 if word starts an option of an Allow line (and so ends its keys). */
static int
allow_option_word(const char *word)
{
	return strcasecmp(word, "formats") == 0 ||
	    strcasecmp(word, "rate") == 0;
}

/*
 * "formats FORMAT...": the words from *i up to the next option, each a
 * format this build supports.  Whether the keys allow them is checked
 * once the keys are known (conf_resolve_refs).
 */
static int
allow_formats(struct parser *p, struct cfg_allow *a, int *i)
{
	int f;

	if (a->formats != 0)
		return conf_perr(p, "duplicate formats in Allow");
	for (; *i < p->ac && !allow_option_word(p->av[*i]); (*i)++) {
		if ((f = format_from_name(p->av[*i])) < 0)
			return conf_perr(p, "unknown format '%s'", p->av[*i]);
		if (!format_supported(f))
			return conf_perr(p,
			    "format '%s' is not supported by "
			    "this build",
			    p->av[*i]);
		a->formats |= FMT_BIT(f);
	}
	if (a->formats == 0)
		return conf_perr(p, "Allow formats: name at least one format");
	return 0;
}

/* "rate N/PERIOD" at *i (the word after "rate"). */
static int
allow_rate(struct parser *p, struct cfg_allow *a, int *i)
{
	if (a->rate_n != 0)
		return conf_perr(p, "duplicate rate in Allow");
	if (*i >= p->ac)
		return conf_perr(p, "%s", ALLOW_USAGE);
	if (parse_rate(p->av[*i], &a->rate_n, &a->rate_period) == -1)
		return conf_perr(p,
		    "bad rate '%s' (expected N/second, "
		    "N/minute, N/hour or N/day)",
		    p->av[*i]);
	(*i)++;
	return 0;
}

/* The options after an Allow line's keys, from word i on, into a. */
static int
allow_options(struct parser *p, struct cfg_allow *a, int i)
{
	while (i < p->ac) {
		const char *opt = p->av[i++];

		if (strcasecmp(opt, "formats") == 0) {
			if (allow_formats(p, a, &i) == -1)
				return -1;
		} else if (allow_rate(p, a, &i) == -1)
			return -1;
	}
	return 0;
}

/* Number of key names after "keys": the words before the first option. */
static size_t
allow_nkeys(const struct parser *p)
{
	int i = 3;

	while (i < p->ac && !allow_option_word(p->av[i]))
		i++;
	return (size_t)i - 3;
}

/*
 * Allow group|user NAME keys KEY... [formats F...] [rate N/PERIOD]:
 * grant keys to a group or a user, for all of each key's formats or only
 * those named.
 */
int
conf_kw_allow(struct parser *p)
{
	struct cfg_allow a;
	size_t nkeys;
	int kind;

	if (p->ac < 4 || (kind = allow_kind(p->av[0])) < 0 ||
	    strcasecmp(p->av[2], "keys") != 0 || (nkeys = allow_nkeys(p)) == 0)
		return conf_perr(p, "%s", ALLOW_USAGE);
	if (nkeys > ALLOW_KEYS_MAX)
		return conf_perr(p, "too many keys in Allow (max %d)",
		    ALLOW_KEYS_MAX);
	if (strlen(p->av[1]) > KEY_NAME_MAX)
		return conf_perr(p, "%s name too long (max %d bytes)",
		    kind ? "group" : "user", KEY_NAME_MAX);
	memset(&a, 0, sizeof(a));
	a.is_group = kind;
	memcpy(a.name, p->av[1], strlen(p->av[1]) + 1);
	a.line = p->line;
	if (allow_options(p, &a, 3 + (int)nkeys) == -1)
		return -1;
	if (allow_resolve(&a) == -1)
		return conf_perr(p, "unknown %s '%s'", kind ? "group" : "user",
		    a.name);
	return allow_add(p, &a, nkeys);
}
