/* confblocks.c: Token and Key blocks of csignd.conf(5) and their keywords. */
#include "records/confparse.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

/* Slot N: a decimal slot id. */
int
conf_kw_slot(struct parser *p)
{
	uint64_t v;

	if (conf_parse_u64(p->av[0], &v) == -1)
		return conf_perr(p, "bad number '%s'", p->av[0]);
	if (v > p->kw->hi)
		return conf_perr(p, "Slot out of range (max %lu)", p->kw->hi);
	*(long *)conf_kw_field(p) = (long)v;
	return 0;
}

/* Id HEX: the object id, an even number of hex digits, 1..ID_MAX bytes. */
int
conf_kw_id(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	const char *s = p->av[0];
	size_t len = strlen(s);

	if (len % 2 != 0 || len / 2 > ID_MAX)
		goto bad;
	for (size_t i = 0; i < len; i += 2) {
		int hi = util_hexval(s[i]), lo = util_hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		k->id[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	k->idlen = len / 2;
	return 0;
bad:
	return conf_perr(p,
	    "bad Id '%s': expected an even number of hex "
	    "digits, at most %zu bytes",
	    s, ID_MAX);
}

/* Certificate PATH|token: "token" reads the certificate from the token. */
int
conf_kw_cert(struct parser *p)
{
	char **field = conf_kw_field(p);

	if (strcmp(p->av[0], "token") == 0) {
		free(*field);
		*field = NULL;
		return 0;
	}
	return conf_kw_path(p);
}

/* Formats NAME...: formats this build can produce. */
int
conf_kw_formats(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	unsigned mask = 0;

	for (int i = 0; i < p->ac; i++) {
		int f = format_from_name(p->av[i]);

		if (f < 0)
			return conf_perr(p, "unknown format '%s'", p->av[i]);
		if (!format_supported(f))
			return conf_perr(p,
			    "format '%s' is not supported by "
			    "this build",
			    p->av[i]);
		mask |= FMT_BIT(f);
	}
	k->formats = mask;
	return 0;
}

/* Digest NAME...: allowed digests, the first one the default. */
int
conf_kw_digest(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	unsigned mask = 0;
	int first = -1;

	for (int i = 0; i < p->ac; i++) {
		int d = digest_from_name(p->av[i]);

		if (d < 0)
			return conf_perr(p, "unknown digest '%s'", p->av[i]);
		if (first < 0)
			first = d;
		mask |= DIG_BIT(d);
	}
	k->digests = mask;
	k->default_digest = first;
	return 0;
}

/* Padding pkcs1|pss: RSA padding of the key's signatures. */
int
conf_kw_padding(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	int pad = padding_from_name(p->av[0]);

	if (pad < 0)
		return conf_perr(p,
		    "unknown padding '%s' (expected pkcs1 or "
		    "pss)",
		    p->av[0]);
	k->padding = pad;
	return 0;
}

/*
 * Timestamp required|optional URL...: RFC 3161 timestamps for the key's
 * cms and pe signatures, from the first of the TSAs that answers.
 */
int
conf_kw_timestamp(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	char why[128];

	if (strcmp(p->av[0], "required") == 0)
		k->ts_mode = TS_REQUIRED;
	else if (strcmp(p->av[0], "optional") == 0)
		k->ts_mode = TS_OPTIONAL;
	else
		return conf_perr(p,
		    "Timestamp wants required or optional, not "
		    "'%s'",
		    p->av[0]);
	if ((k->tsa = calloc((size_t)p->ac - 1, sizeof(*k->tsa))) == NULL)
		return conf_perr(p, "out of memory");
	for (int i = 1; i < p->ac; i++)
		if (tsaurl_parse(p->av[i], &k->tsa[i - 1], why, sizeof(why)) ==
		    -1)
			return conf_perr(p, "bad TSA URL '%s': %s", p->av[i],
			    why);
	k->ntsa = (size_t)p->ac - 1;
	return 0;
}

/* A token block must say which module, which token and where the PIN is. */
static int
check_token(struct parser *p, const struct cfg_token *t)
{
	if (t->module == NULL)
		return conf_perr_at(p, t->line, "token '%s' has no Module",
		    t->name);
	if (t->pinfile == NULL)
		return conf_perr_at(p, t->line, "token '%s' has no PinFile",
		    t->name);
	if (t->label == NULL && t->slot < 0)
		return conf_perr_at(p, t->line,
		    "token '%s' needs a "
		    "TokenLabel or a Slot",
		    t->name);
	return 0;
}

/* A key block must name its token, its object and its formats. */
static int
check_key(struct parser *p, const struct cfg_key *k,
    const struct key_tokens *tok)
{
	if (tok->n == 0)
		return conf_perr_at(p, k->line, "key '%s' has no Token",
		    k->name);
	if (k->label == NULL && k->idlen == 0)
		return conf_perr_at(p, k->line,
		    "key '%s' needs a Label or "
		    "an Id",
		    k->name);
	if (k->formats == 0)
		return conf_perr_at(p, k->line, "key '%s' has no Formats",
		    k->name);
	if (k->ts_mode == TS_REQUIRED && (k->formats & ~TS_FORMATS) != 0)
		return conf_perr_at(p, k->line,
		    "key '%s' requires "
		    "timestamps, which only the cms and pe formats can carry: "
		    "restrict its Formats",
		    k->name);
	if ((k->formats & OPENPGP_FORMATS) &&
	    (k->pgp_created == 0 || k->pgp_uid[0] == '\0'))
		return conf_perr_at(p, k->line,
		    "key '%s' allows OpenPGP formats but has no %s (its "
		    "OpenPGP identity: the creation time is part of the key's "
		    "fingerprint)",
		    k->name,
		    k->pgp_created == 0 ? "OpenPGPCreated" : "OpenPGPUserID");
	if (k->ts_mode != TS_NONE && k->tsa_ca == NULL)
		return conf_perr_at(p, k->line,
		    "key '%s' has Timestamp but no "
		    "TimestampCA (the CA certificates its TSAs must chain to)",
		    k->name);
	return 0;
}

/* End the open block, if any, after checking that it is complete. */
int
conf_close_block(struct parser *p)
{
	enum scope b = p->block;

	p->block = SC_GLOBAL;
	if (b == SC_TOKEN)
		return check_token(p, &p->cfg->tokens[p->cur]);
	if (b == SC_KEY)
		return check_key(p, &p->cfg->keys[p->cur], &p->keytok[p->cur]);
	return 0;
}

/* Make the record at index the open block. */
static void
open_block(struct parser *p, enum scope sc, size_t index)
{
	p->block = sc;
	p->cur = index;
	p->seen_block = 0;
}

/* Token NAME (outside a Key block): open a token block. */
int
conf_kw_token(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct cfg_token *t;
	long dup;

	if (conf_check_name(p, p->av[0]) == -1)
		return -1;
	if ((dup = conf_token_index(cfg, p->av[0])) >= 0)
		return conf_perr(p, "duplicate Token '%s' (first at line %d)",
		    p->av[0], cfg->tokens[dup].line);
	if (cfg->ntokens >= TOKENS_MAX)
		return conf_perr(p, "too many Token blocks (max %d)",
		    TOKENS_MAX);
	if (conf_grow((void **)&cfg->tokens, &p->captokens, cfg->ntokens,
		sizeof(*t), TOKENS_MAX) == -1)
		return conf_perr(p, "out of memory");
	t = &cfg->tokens[cfg->ntokens];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, p->av[0], strlen(p->av[0]) + 1);
	t->slot = -1;
	t->line = p->line;
	open_block(p, SC_TOKEN, cfg->ntokens++);
	return 0;
}

/* Key NAME: open a key block with the defaults of csignd.conf(5). */
int
conf_kw_key(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct cfg_key *k;
	long dup;

	if (conf_check_name(p, p->av[0]) == -1)
		return -1;
	if ((dup = conf_key_index(cfg, p->av[0])) >= 0)
		return conf_perr(p, "duplicate Key '%s' (first at line %d)",
		    p->av[0], cfg->keys[dup].line);
	if (cfg->nkeys >= KEYS_MAX)
		return conf_perr(p, "too many Key blocks (max %d)", KEYS_MAX);
	if (conf_grow((void **)&cfg->keys, &p->capkeys, cfg->nkeys, sizeof(*k),
		KEYS_MAX) == -1 ||
	    conf_grow((void **)&p->keytok, &p->capkeytok, cfg->nkeys,
		sizeof(*p->keytok), KEYS_MAX) == -1)
		return conf_perr(p, "out of memory");
	k = &cfg->keys[cfg->nkeys];
	memset(k, 0, sizeof(*k));
	memset(&p->keytok[cfg->nkeys], 0, sizeof(*p->keytok));
	memcpy(k->name, p->av[0], strlen(p->av[0]) + 1);
	k->digests = DIG_BIT(DIG_SHA256);
	k->default_digest = DIG_SHA256;
	k->padding = PAD_PKCS1;
	k->line = p->line;
	open_block(p, SC_KEY, cfg->nkeys++);
	return 0;
}

/*
 * Token NAME... inside a Key block: the key's token, then its replicas
 * (tokens holding the same key, used in this order), resolved at the end
 * so that tokens may be defined later in the file.  A second Token line
 * can only be an attempt to open a token block, which is not possible
 * here.
 */
int
conf_kw_key_token(struct parser *p)
{
	struct key_tokens *kt = &p->keytok[p->cur];

	if (kt->n != 0)
		return conf_perr(p,
		    "Token block after a Key block: define "
		    "tokens first");
	for (int i = 0; i < p->ac; i++) {
		if (conf_check_name(p, p->av[i]) == -1)
			return -1;
		for (size_t j = 0; j < kt->n; j++)
			if (strcmp(kt->r[j].name, p->av[i]) == 0)
				return conf_perr(p, "token '%s' named twice",
				    p->av[i]);
		memcpy(kt->r[kt->n].name, p->av[i], strlen(p->av[i]) + 1);
		kt->r[kt->n++].line = p->line;
	}
	return 0;
}

/*
 * A duration: a number with s, m, h or d (no suffix: seconds).  0, or -1
 * for bad syntax or a value over a year.
 */
static int
parse_duration(const char *s, unsigned *secs)
{
	static const char units[] = "smhd";
	static const unsigned mult[] = { 1, 60, 3600, 86400 };
	size_t n = strspn(s, "0123456789");
	const char *u;
	char digits[16];
	uint64_t v;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	/* Bounded before the multiplication, which then cannot wrap. */
	if (conf_parse_u64(digits, &v) == -1 || v > DURATION_MAX)
		return -1;
	if (s[n] != '\0') {
		if ((u = strchr(units, s[n])) == NULL || s[n + 1] != '\0')
			return -1;
		v *= mult[u - units];
	}
	if (v > DURATION_MAX)
		return -1;
	*secs = (unsigned)v;
	return 0;
}

/* The "count N" and "expires DURATION" options of an Approval line. */
static int
approval_option(struct parser *p, struct cfg_key *k, const char *name,
    const char *value)
{
	uint64_t v;

	if (strcasecmp(name, "count") == 0) {
		if (conf_parse_u64(value, &v) == -1 || v < 1 ||
		    v > APPROVAL_COUNT_MAX)
			return conf_perr(p,
			    "Approval count must be between 1 "
			    "and %d",
			    APPROVAL_COUNT_MAX);
		k->approval_count = (unsigned)v;
		return 0;
	}
	if (strcasecmp(name, "expires") == 0) {
		if (parse_duration(value, &k->approval_expires) == -1 ||
		    k->approval_expires < APPROVAL_EXPIRES_MIN ||
		    k->approval_expires > APPROVAL_EXPIRES_MAX)
			return conf_perr(p,
			    "bad Approval expires '%s' "
			    "(expected 1s to 7d, as 90s, 30m, 2h or 1d)",
			    value);
		return 0;
	}
	return conf_perr(p,
	    "unknown Approval option '%s' (expected count or "
	    "expires)",
	    name);
}

/*
 * Approval group NAME [count N] [expires DURATION]: sign requests for the
 * key are held until N members of the group other than the requester
 * approve them (records/approval.h).
 */
int
conf_kw_approval(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	struct group *gr;

	if (strcasecmp(p->av[0], "group") != 0 || p->ac % 2 != 0)
		return conf_perr(p,
		    "expected: Approval group NAME [count N] "
		    "[expires DURATION]");
	if (strlen(p->av[1]) > KEY_NAME_MAX)
		return conf_perr(p, "group name too long (max %d bytes)",
		    KEY_NAME_MAX);
	if ((gr = getgrnam(p->av[1])) == NULL)
		return conf_perr(p, "unknown group '%s'", p->av[1]);
	k->approval_gid = gr->gr_gid;
	memcpy(k->approval_group, p->av[1], strlen(p->av[1]) + 1);
	k->approval_count = 1;
	k->approval_expires = APPROVAL_EXPIRES_DEFAULT;
	for (int i = 2; i < p->ac; i += 2)
		if (approval_option(p, k, p->av[i], p->av[i + 1]) == -1)
			return -1;
	k->has_approval = 1;
	return 0;
}
