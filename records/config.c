/* config.c: csignd.conf(5) parser (see config.h). */
#include "records/config.h"

#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"

#ifndef CSIGN_LIBEXECDIR
#define CSIGN_LIBEXECDIR "/usr/local/libexec/csign"
#endif

#define CONF_LINE_MAX	4096	/* bytes per line, newline excluded */
#define CONF_ARGS_MAX	300	/* words per line, keyword included */
#define TOKENS_MAX	1024
#define KEYS_MAX	1024
#define ALLOWS_MAX	1024
#define ALLOW_KEYS_MAX	256
#define TOKEN_LABEL_MAX	32	/* size of the CK_TOKEN_INFO label field */
#define LISTEN_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define ID_MAX		(sizeof(((struct cfg_key *)0)->id))
#define DEFAULT_ARTIFACT_SIZE	(UINT64_C(4) << 30)
#define DEFAULT_UPLOAD_PER_USER	(UINT64_C(1) << 30)
#define DURATION_MAX	(UINT64_C(366) * 86400)	/* seconds */

/* Where a keyword may appear; also the kind of block that is open. */
enum scope { SC_GLOBAL = 0, SC_TOKEN, SC_KEY };

static const char *const scope_names[] = { "global", "Token", "Key" };

/* A name used before its definition, resolved once the file is read. */
struct ref {
	char name[KEY_NAME_MAX + 1];
	size_t owner;		/* index of the Allow line */
	size_t slot;		/* index in that line's keys */
	int line;
};

struct parser;
struct keyword;
typedef int (*kw_handler)(struct parser *);

#define KW_MULTI 0x1		/* may appear more than once per scope */

/*
 * One row per keyword.  The dispatcher checks scope, argument count,
 * duplicates and exclusions before the handler runs; off, lo and hi feed
 * the generic handlers (field offset, numeric range or maximum length).
 */
struct keyword {
	const char *name;
	enum scope scope;
	unsigned flags;
	int minargs;
	int maxargs;
	kw_handler fn;
	size_t off;
	unsigned long lo;
	unsigned long hi;
	const char *excl;	/* keyword that may not be used with this one */
};

struct parser {
	struct config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	int line;
	enum scope block;	/* SC_GLOBAL when no block is open */
	size_t cur;		/* index of the open token or key */
	uint64_t seen_global;	/* keywords seen, by table index */
	uint64_t seen_block;
	const struct keyword *kw;	/* the line being handled */
	int ac;			/* its arguments, keyword excluded */
	char **av;
	size_t captokens;
	size_t capkeys;
	size_t capallows;
	struct ref *keytok;	/* each key's "Token NAME", by key index */
	size_t capkeytok;
	struct ref *keyrefs;	/* every key named by an Allow line */
	size_t nkeyrefs;
	size_t capkeyrefs;
};

static int kw_path(struct parser *);
static int kw_string(struct parser *);
static int kw_uint(struct parser *);
static int kw_size(struct parser *);
static int kw_allow(struct parser *);
static int kw_token(struct parser *);
static int kw_key(struct parser *);
static int kw_key_token(struct parser *);
static int kw_slot(struct parser *);
static int kw_id(struct parser *);
static int kw_cert(struct parser *);
static int kw_formats(struct parser *);
static int kw_digest(struct parser *);
static int kw_padding(struct parser *);
static int kw_pinfile(struct parser *);
static int kw_admingroup(struct parser *);
static int kw_timestamp(struct parser *);
static int kw_approval(struct parser *);
static int kw_pidfile(struct parser *);

#define CF(f) offsetof(struct config, f)
#define TF(f) offsetof(struct cfg_token, f)
#define KF(f) offsetof(struct cfg_key, f)

/*
 * The Key-scope "Token" row must come before the global one: inside a Key
 * block "Token NAME" names the key's token, elsewhere it opens a block.
 */
static const struct keyword keywords[] = {
	{ "Listen", SC_GLOBAL, 0, 1, 1, kw_path, CF(listen), 0, LISTEN_MAX,
	    NULL },
	{ "SandboxUser", SC_GLOBAL, 0, 1, 1, kw_string, CF(sandbox_user), 0,
	    KEY_NAME_MAX, NULL },
	{ "SandboxProgram", SC_GLOBAL, 0, 1, 1, kw_path, CF(sandbox_program),
	    0, PATH_MAX - 1, NULL },
	{ "AuditLog", SC_GLOBAL, 0, 1, 1, kw_path, CF(audit_log), 0,
	    PATH_MAX - 1, NULL },
	{ "MaxArtifactSize", SC_GLOBAL, 0, 1, 1, kw_size,
	    CF(max_artifact_size), 0, 0, NULL },
	{ "PoolSize", SC_GLOBAL, 0, 1, 1, kw_uint, CF(pool_size), 1, 256,
	    NULL },
	{ "MaxSessions", SC_GLOBAL, 0, 1, 1, kw_uint, CF(max_sessions), 1,
	    4096, NULL },
	{ "SessionTimeout", SC_GLOBAL, 0, 1, 1, kw_uint, CF(session_timeout),
	    1, 3600, NULL },
	{ "MaxSessionsPerUser", SC_GLOBAL, 0, 1, 1, kw_uint,
	    CF(max_sessions_user), 1, 4096, NULL },
	{ "LoginGraceTime", SC_GLOBAL, 0, 1, 1, kw_uint, CF(login_grace), 1,
	    600, NULL },
	{ "SessionLifetime", SC_GLOBAL, 0, 1, 1, kw_uint,
	    CF(session_lifetime), 1, 86400, NULL },
	{ "MaxUploadPerUser", SC_GLOBAL, 0, 1, 1, kw_size,
	    CF(max_upload_user), 0, 0, NULL },
	{ "SignWorkers", SC_GLOBAL, 0, 1, 1, kw_uint, CF(sign_workers), 1, 64,
	    NULL },
	{ "CertificateExpiryWarning", SC_GLOBAL, 0, 1, 1, kw_uint,
	    CF(cert_warn_days), 0, 3650, NULL },
	{ "AdminGroup", SC_GLOBAL, 0, 1, 1, kw_admingroup, CF(admin_group), 0,
	    KEY_NAME_MAX, NULL },
	{ "StateFile", SC_GLOBAL, 0, 1, 1, kw_path, CF(state_file), 0,
	    PATH_MAX - 1, NULL },
	{ "TimestampTimeout", SC_GLOBAL, 0, 1, 1, kw_uint, CF(ts_timeout), 1,
	    300, NULL },
	{ "PidFile", SC_GLOBAL, 0, 1, 1, kw_pidfile, CF(pid_file), 0,
	    PATH_MAX - 1, NULL },
	{ "Allow", SC_GLOBAL, KW_MULTI, 1, CONF_ARGS_MAX, kw_allow, 0, 0, 0,
	    NULL },
	{ "Token", SC_KEY, KW_MULTI, 1, 1, kw_key_token, 0, 0, 0, NULL },
	{ "Token", SC_GLOBAL, KW_MULTI, 1, 1, kw_token, 0, 0, 0, NULL },
	{ "Key", SC_GLOBAL, KW_MULTI, 1, 1, kw_key, 0, 0, 0, NULL },
	{ "Module", SC_TOKEN, 0, 1, 1, kw_path, TF(module), 0, PATH_MAX - 1,
	    NULL },
	{ "TokenLabel", SC_TOKEN, 0, 1, 1, kw_string, TF(label), 0,
	    TOKEN_LABEL_MAX, "Slot" },
	{ "Slot", SC_TOKEN, 0, 1, 1, kw_slot, TF(slot), 0, LONG_MAX,
	    "TokenLabel" },
	{ "PinFile", SC_TOKEN, 0, 1, 1, kw_pinfile, TF(pinfile), 0,
	    PATH_MAX - 1, NULL },
	{ "Label", SC_KEY, 0, 1, 1, kw_string, KF(label), 0, 0, NULL },
	{ "Id", SC_KEY, 0, 1, 1, kw_id, 0, 0, 0, NULL },
	{ "Certificate", SC_KEY, 0, 1, 1, kw_cert, KF(certfile), 0,
	    PATH_MAX - 1, NULL },
	{ "Chain", SC_KEY, 0, 1, 1, kw_path, KF(chainfile), 0, PATH_MAX - 1,
	    NULL },
	{ "TimestampCA", SC_KEY, 0, 1, 1, kw_path, KF(tsa_ca), 0,
	    PATH_MAX - 1, NULL },
	{ "Formats", SC_KEY, 0, 1, FMT_COUNT, kw_formats, 0, 0, 0, NULL },
	{ "Digest", SC_KEY, 0, 1, DIG_COUNT, kw_digest, 0, 0, 0, NULL },
	{ "Padding", SC_KEY, 0, 1, 1, kw_padding, 0, 0, 0, NULL },
	{ "Timestamp", SC_KEY, 0, 2, 1 + TSA_URLS_MAX, kw_timestamp, 0, 0, 0,
	    NULL },
	{ "Approval", SC_KEY, 0, 2, 6, kw_approval, 0, 0, 0, NULL },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

_Static_assert(NKEYWORDS <= 64, "seen masks hold 64 keywords");

/* Write "FILE:LINE: message" (or "FILE: message" when line is 0) to err. */
__attribute__((format(printf, 3, 0))) static void
verr(struct parser *p, int line, const char *fmt, va_list ap)
{
	int n;

	if (p->err == NULL || p->errlen == 0)
		return;
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%d: ", p->path, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->path);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

/* Report an error at a given line (0: none); always returns -1. */
__attribute__((format(printf, 3, 4))) static int
perr_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(p, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report an error at the current line; always returns -1. */
__attribute__((format(printf, 2, 3))) static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(p, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Make room for element n of *arr, growing *cap geometrically up to max. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	if ((na = reallocarray(*arr, ncap, size)) == NULL)
		return -1;
	*arr = na;
	*cap = ncap;
	return 0;
}

/* Replace the string at *field with a copy of value. */
static int
set_string(struct parser *p, char **field, const char *value)
{
	char *s;

	if ((s = strdup(value)) == NULL)
		return perr(p, "out of memory");
	free(*field);
	*field = s;
	return 0;
}

/* Parse a plain decimal number: digits only, no sign, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* 1 if s is a valid Token or Key name: [A-Za-z0-9._-]{1,KEY_NAME_MAX}. */
static int
valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > KEY_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

/* Check a Token or Key name, reporting it if bad. */
static int
check_name(struct parser *p, const char *s)
{
	if (valid_name(s))
		return 0;
	return perr(p, "bad name '%s': use 1 to %d of A-Z a-z 0-9 . _ -", s,
	    KEY_NAME_MAX);
}

/* Index of the token called name, or -1. */
static long
token_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ntokens; i++)
		if (strcmp(cfg->tokens[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Index of the key called name, or -1. */
static long
key_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->keys[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The record a scoped keyword writes to: the config or the open block. */
static void *
scope_base(struct parser *p, enum scope sc)
{
	if (sc == SC_TOKEN)
		return &p->cfg->tokens[p->cur];
	if (sc == SC_KEY)
		return &p->cfg->keys[p->cur];
	return p->cfg;
}

/* The field of the current keyword's row, in the record it belongs to. */
static void *
kw_field(struct parser *p)
{
	return (char *)scope_base(p, p->kw->scope) + p->kw->off;
}

/*
 * Where each path keyword keeps the line it was set on, so that a file
 * found untrustworthy at start (records/filetrust.h) is reported there.
 */
static const struct {
	enum scope scope;
	size_t off;
	size_t lineoff;
} path_lines[] = {
	{ SC_GLOBAL, CF(listen), CF(listen_line) },
	{ SC_GLOBAL, CF(sandbox_program), CF(sandbox_program_line) },
	{ SC_GLOBAL, CF(audit_log), CF(audit_log_line) },
	{ SC_GLOBAL, CF(state_file), CF(state_file_line) },
	{ SC_GLOBAL, CF(pid_file), CF(pid_file_line) },
	{ SC_TOKEN, TF(module), TF(module_line) },
	{ SC_TOKEN, TF(pinfile), TF(pinfile_line) },
	{ SC_KEY, KF(certfile), KF(cert_line) },
	{ SC_KEY, KF(chainfile), KF(chain_line) },
	{ SC_KEY, KF(tsa_ca), KF(tsa_ca_line) },
};

/* Remember the current line for the path keyword being handled. */
static void
path_line_set(struct parser *p)
{
	for (size_t i = 0; i < sizeof(path_lines) / sizeof(path_lines[0]);
	    i++)
		if (path_lines[i].scope == p->kw->scope &&
		    path_lines[i].off == p->kw->off)
			*(int *)((char *)scope_base(p, p->kw->scope) +
			    path_lines[i].lineoff) = p->line;
}

/* Generic: an absolute path, at most kw->hi bytes. */
static int
kw_path(struct parser *p)
{
	const char *v = p->av[0];

	if (v[0] != '/')
		return perr(p, "%s must be an absolute path", p->kw->name);
	if (strlen(v) > p->kw->hi)
		return perr(p, "%s path too long (max %lu bytes)", p->kw->name,
		    p->kw->hi);
	path_line_set(p);
	return set_string(p, kw_field(p), v);
}

/*
 * PinFile PATH, or PinFile credential:NAME for a systemd credential
 * (LoadCredential=NAME:..., read from $CREDENTIALS_DIRECTORY at start).
 */
static int
kw_pinfile(struct parser *p)
{
	const char *v = p->av[0], *name;

	if (strncmp(v, "credential:", 11) != 0)
		return kw_path(p);
	name = v + 11;
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) > 255)
		return perr(p, "PinFile credential:NAME needs a plain name");
	return set_string(p, kw_field(p), v);
}

/*
 * PidFile PATH|none: where csignd writes its process id once it serves,
 * or no file at all.  Unset, it follows Listen (see config_load).
 */
static int
kw_pidfile(struct parser *p)
{
	p->cfg->pid_file_set = 1;
	if (strcmp(p->av[0], "none") == 0) {
		free(p->cfg->pid_file);
		p->cfg->pid_file = NULL;
		return 0;
	}
	return kw_path(p);
}

/* Generic: a string, at most kw->hi bytes when hi is set. */
static int
kw_string(struct parser *p)
{
	const char *v = p->av[0];

	if (p->kw->hi != 0 && strlen(v) > p->kw->hi)
		return perr(p, "%s too long (max %lu bytes)", p->kw->name,
		    p->kw->hi);
	return set_string(p, kw_field(p), v);
}

/* Generic: a decimal number in kw->lo..kw->hi, stored as unsigned. */
static int
kw_uint(struct parser *p)
{
	uint64_t v;

	if (parse_u64(p->av[0], &v) == -1)
		return perr(p, "bad number '%s'", p->av[0]);
	if (v < p->kw->lo || v > p->kw->hi)
		return perr(p, "%s must be between %lu and %lu", p->kw->name,
		    p->kw->lo, p->kw->hi);
	*(unsigned *)kw_field(p) = (unsigned)v;
	return 0;
}

/*
 * Parse a byte count with an optional K, M, G or T suffix (powers of 2).
 * Returns 0, -1 for bad syntax, or -2 when the value does not fit.
 */
static int
parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	char digits[32];
	size_t n = strspn(s, "0123456789");
	const char *sfx;
	unsigned shift = 0;
	uint64_t v;

	if (n == 0)
		return -1;
	if (s[n] != '\0') {
		sfx = strchr(suffixes, toupper((unsigned char)s[n]));
		if (sfx == NULL || s[n + 1] != '\0')
			return -1;
		shift = 10 * (unsigned)(sfx - suffixes + 1);
	}
	if (n >= sizeof(digits))
		return -2;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (parse_u64(digits, &v) == -1 || v > (UINT64_MAX >> shift))
		return -2;
	*out = v << shift;
	return 0;
}

/* MaxArtifactSize BYTES[K|M|G|T]: greater than zero, no overflow. */
static int
kw_size(struct parser *p)
{
	uint64_t v;
	int rc;

	if ((rc = parse_size(p->av[0], &v)) == -2)
		return perr(p, "%s too large", p->kw->name);
	if (rc == -1)
		return perr(p, "bad size '%s' (expected a number with an "
		    "optional K, M, G or T)", p->av[0]);
	if (v == 0)
		return perr(p, "%s must be greater than 0", p->kw->name);
	*(uint64_t *)kw_field(p) = v;
	return 0;
}

/* Slot N: a decimal slot id. */
static int
kw_slot(struct parser *p)
{
	uint64_t v;

	if (parse_u64(p->av[0], &v) == -1)
		return perr(p, "bad number '%s'", p->av[0]);
	if (v > p->kw->hi)
		return perr(p, "Slot out of range (max %lu)", p->kw->hi);
	*(long *)kw_field(p) = (long)v;
	return 0;
}

/* Id HEX: the object id, an even number of hex digits, 1..ID_MAX bytes. */
static int
kw_id(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
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
	return perr(p, "bad Id '%s': expected an even number of hex digits, "
	    "at most %zu bytes", s, ID_MAX);
}

/* Certificate PATH|token: "token" reads the certificate from the token. */
static int
kw_cert(struct parser *p)
{
	char **field = kw_field(p);

	if (strcmp(p->av[0], "token") == 0) {
		free(*field);
		*field = NULL;
		return 0;
	}
	return kw_path(p);
}

/* Formats NAME...: formats this build can produce. */
static int
kw_formats(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
	unsigned mask = 0;

	for (int i = 0; i < p->ac; i++) {
		int f = format_from_name(p->av[i]);

		if (f < 0)
			return perr(p, "unknown format '%s'", p->av[i]);
		if (!format_supported(f))
			return perr(p, "format '%s' is not supported by this "
			    "build", p->av[i]);
		mask |= FMT_BIT(f);
	}
	k->formats = mask;
	return 0;
}

/* Digest NAME...: allowed digests, the first one the default. */
static int
kw_digest(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
	unsigned mask = 0;
	int first = -1;

	for (int i = 0; i < p->ac; i++) {
		int d = digest_from_name(p->av[i]);

		if (d < 0)
			return perr(p, "unknown digest '%s'", p->av[i]);
		if (first < 0)
			first = d;
		mask |= DIG_BIT(d);
	}
	k->digests = mask;
	k->default_digest = first;
	return 0;
}

/* Padding pkcs1|pss: RSA padding of the key's signatures. */
static int
kw_padding(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
	int pad = padding_from_name(p->av[0]);

	if (pad < 0)
		return perr(p, "unknown padding '%s' (expected pkcs1 or pss)",
		    p->av[0]);
	k->padding = pad;
	return 0;
}

/*
 * Timestamp required|optional URL...: RFC 3161 timestamps for the key's
 * cms and pe signatures, from the first of the TSAs that answers.
 */
static int
kw_timestamp(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
	char why[128];

	if (strcmp(p->av[0], "required") == 0)
		k->ts_mode = TS_REQUIRED;
	else if (strcmp(p->av[0], "optional") == 0)
		k->ts_mode = TS_OPTIONAL;
	else
		return perr(p, "Timestamp wants required or optional, not "
		    "'%s'", p->av[0]);
	if ((k->tsa = calloc((size_t)p->ac - 1, sizeof(*k->tsa))) == NULL)
		return perr(p, "out of memory");
	for (int i = 1; i < p->ac; i++)
		if (tsaurl_parse(p->av[i], &k->tsa[i - 1], why,
		    sizeof(why)) == -1)
			return perr(p, "bad TSA URL '%s': %s", p->av[i], why);
	k->ntsa = (size_t)p->ac - 1;
	return 0;
}

/* A token block must say which module, which token and where the PIN is. */
static int
check_token(struct parser *p, const struct cfg_token *t)
{
	if (t->module == NULL)
		return perr_at(p, t->line, "token '%s' has no Module", t->name);
	if (t->pinfile == NULL)
		return perr_at(p, t->line, "token '%s' has no PinFile",
		    t->name);
	if (t->label == NULL && t->slot < 0)
		return perr_at(p, t->line, "token '%s' needs a TokenLabel or "
		    "a Slot", t->name);
	return 0;
}

/* A key block must name its token, its object and its formats. */
static int
check_key(struct parser *p, const struct cfg_key *k, const struct ref *tok)
{
	if (tok->name[0] == '\0')
		return perr_at(p, k->line, "key '%s' has no Token", k->name);
	if (k->label == NULL && k->idlen == 0)
		return perr_at(p, k->line, "key '%s' needs a Label or an Id",
		    k->name);
	if (k->formats == 0)
		return perr_at(p, k->line, "key '%s' has no Formats", k->name);
	if (k->ts_mode == TS_REQUIRED && (k->formats & ~TS_FORMATS) != 0)
		return perr_at(p, k->line, "key '%s' requires timestamps, which "
		    "only the cms and pe formats can carry: restrict its "
		    "Formats", k->name);
	if (k->ts_mode != TS_NONE && k->tsa_ca == NULL)
		return perr_at(p, k->line, "key '%s' has Timestamp but no "
		    "TimestampCA (the CA certificates its TSAs must chain to)",
		    k->name);
	return 0;
}

/* End the open block, if any, after checking that it is complete. */
static int
close_block(struct parser *p)
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
static int
kw_token(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct cfg_token *t;
	long dup;

	if (check_name(p, p->av[0]) == -1)
		return -1;
	if ((dup = token_index(cfg, p->av[0])) >= 0)
		return perr(p, "duplicate Token '%s' (first at line %d)",
		    p->av[0], cfg->tokens[dup].line);
	if (cfg->ntokens >= TOKENS_MAX)
		return perr(p, "too many Token blocks (max %d)", TOKENS_MAX);
	if (grow((void **)&cfg->tokens, &p->captokens, cfg->ntokens,
	    sizeof(*t), TOKENS_MAX) == -1)
		return perr(p, "out of memory");
	t = &cfg->tokens[cfg->ntokens];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, p->av[0], strlen(p->av[0]) + 1);
	t->slot = -1;
	t->line = p->line;
	open_block(p, SC_TOKEN, cfg->ntokens++);
	return 0;
}

/* Key NAME: open a key block with the defaults of csignd.conf(5). */
static int
kw_key(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct cfg_key *k;
	long dup;

	if (check_name(p, p->av[0]) == -1)
		return -1;
	if ((dup = key_index(cfg, p->av[0])) >= 0)
		return perr(p, "duplicate Key '%s' (first at line %d)",
		    p->av[0], cfg->keys[dup].line);
	if (cfg->nkeys >= KEYS_MAX)
		return perr(p, "too many Key blocks (max %d)", KEYS_MAX);
	if (grow((void **)&cfg->keys, &p->capkeys, cfg->nkeys, sizeof(*k),
	    KEYS_MAX) == -1 ||
	    grow((void **)&p->keytok, &p->capkeytok, cfg->nkeys,
	    sizeof(*p->keytok), KEYS_MAX) == -1)
		return perr(p, "out of memory");
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
 * Token NAME inside a Key block: the key's token, resolved at the end so
 * that tokens may be defined later in the file.  A second Token line can
 * only be an attempt to open a token block, which is not possible here.
 */
static int
kw_key_token(struct parser *p)
{
	struct ref *r = &p->keytok[p->cur];

	if (r->name[0] != '\0')
		return perr(p, "Token block after a Key block: define tokens "
		    "first");
	if (check_name(p, p->av[0]) == -1)
		return -1;
	memcpy(r->name, p->av[0], strlen(p->av[0]) + 1);
	r->line = p->line;
	return 0;
}

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

/* AdminGroup NAME: the group that may disable and enable keys. */
static int
kw_admingroup(struct parser *p)
{
	struct group *gr;

	if (strlen(p->av[0]) > KEY_NAME_MAX)
		return perr(p, "group name too long (max %d bytes)",
		    KEY_NAME_MAX);
	if ((gr = getgrnam(p->av[0])) == NULL)
		return perr(p, "unknown group '%s'", p->av[0]);
	p->cfg->admin_gid = gr->gr_gid;
	p->cfg->has_admin_group = 1;
	return set_string(p, kw_field(p), p->av[0]);
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
	if (parse_u64(digits, &v) == -1 || v > DURATION_MAX)
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
		if (parse_u64(value, &v) == -1 || v < 1 ||
		    v > APPROVAL_COUNT_MAX)
			return perr(p, "Approval count must be between 1 and "
			    "%d", APPROVAL_COUNT_MAX);
		k->approval_count = (unsigned)v;
		return 0;
	}
	if (strcasecmp(name, "expires") == 0) {
		if (parse_duration(value, &k->approval_expires) == -1 ||
		    k->approval_expires < APPROVAL_EXPIRES_MIN ||
		    k->approval_expires > APPROVAL_EXPIRES_MAX)
			return perr(p, "bad Approval expires '%s' (expected "
			    "1s to 7d, as 90s, 30m, 2h or 1d)", value);
		return 0;
	}
	return perr(p, "unknown Approval option '%s' (expected count or "
	    "expires)", name);
}

/*
 * Approval group NAME [count N] [expires DURATION]: sign requests for the
 * key are held until N members of the group other than the requester
 * approve them (monitor/approval.h).
 */
static int
kw_approval(struct parser *p)
{
	struct cfg_key *k = scope_base(p, SC_KEY);
	struct group *gr;

	if (strcasecmp(p->av[0], "group") != 0 || p->ac % 2 != 0)
		return perr(p, "expected: Approval group NAME [count N] "
		    "[expires DURATION]");
	if (strlen(p->av[1]) > KEY_NAME_MAX)
		return perr(p, "group name too long (max %d bytes)",
		    KEY_NAME_MAX);
	if ((gr = getgrnam(p->av[1])) == NULL)
		return perr(p, "unknown group '%s'", p->av[1]);
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

/* Remember that slot of Allow line owner names key name. */
static int
add_keyref(struct parser *p, size_t owner, size_t slot, const char *name)
{
	struct ref *r;

	if (check_name(p, name) == -1)
		return -1;
	if (grow((void **)&p->keyrefs, &p->capkeyrefs, p->nkeyrefs,
	    sizeof(*r), (size_t)ALLOWS_MAX * ALLOW_KEYS_MAX) == -1)
		return perr(p, "out of memory");
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
		{ "second", 1 }, { "s", 1 }, { "minute", 60 }, { "m", 60 },
		{ "hour", 3600 }, { "h", 3600 }, { "day", 86400 }, { "d", 86400 },
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
 * its key names (words 3.. of the line) for resolve_refs.
 */
static int
allow_add(struct parser *p, const struct cfg_allow *a, size_t nkeys)
{
	struct config *cfg = p->cfg;
	struct cfg_allow *na;
	size_t idx = cfg->nallows;

	if (cfg->nallows >= ALLOWS_MAX)
		return perr(p, "too many Allow lines (max %d)", ALLOWS_MAX);
	if (grow((void **)&cfg->allows, &p->capallows, cfg->nallows,
	    sizeof(*na), ALLOWS_MAX) == -1)
		return perr(p, "out of memory");
	na = &cfg->allows[idx];
	*na = *a;
	/* An array of pointers to key records. */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	if ((na->keys = calloc(nkeys, sizeof(*na->keys))) == NULL)
		return perr(p, "out of memory");
	na->nkeys = nkeys;
	cfg->nallows++;
	for (size_t i = 0; i < nkeys; i++)
		if (add_keyref(p, idx, i, p->av[3 + i]) == -1)
			return -1;
	return 0;
}

#define ALLOW_USAGE "expected: Allow group|user NAME keys KEY... " \
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
 * once the keys are known (resolve_refs).
 */
static int
allow_formats(struct parser *p, struct cfg_allow *a, int *i)
{
	int f;

	if (a->formats != 0)
		return perr(p, "duplicate formats in Allow");
	for (; *i < p->ac && !allow_option_word(p->av[*i]); (*i)++) {
		if ((f = format_from_name(p->av[*i])) < 0)
			return perr(p, "unknown format '%s'", p->av[*i]);
		if (!format_supported(f))
			return perr(p, "format '%s' is not supported by this "
			    "build", p->av[*i]);
		a->formats |= FMT_BIT(f);
	}
	if (a->formats == 0)
		return perr(p, "Allow formats: name at least one format");
	return 0;
}

/* "rate N/PERIOD" at *i (the word after "rate"). */
static int
allow_rate(struct parser *p, struct cfg_allow *a, int *i)
{
	if (a->rate_n != 0)
		return perr(p, "duplicate rate in Allow");
	if (*i >= p->ac)
		return perr(p, "%s", ALLOW_USAGE);
	if (parse_rate(p->av[*i], &a->rate_n, &a->rate_period) == -1)
		return perr(p, "bad rate '%s' (expected N/second, N/minute, "
		    "N/hour or N/day)", p->av[*i]);
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
static int
kw_allow(struct parser *p)
{
	struct cfg_allow a;
	size_t nkeys;
	int kind;

	if (p->ac < 4 || (kind = allow_kind(p->av[0])) < 0 ||
	    strcasecmp(p->av[2], "keys") != 0 ||
	    (nkeys = allow_nkeys(p)) == 0)
		return perr(p, "%s", ALLOW_USAGE);
	if (nkeys > ALLOW_KEYS_MAX)
		return perr(p, "too many keys in Allow (max %d)",
		    ALLOW_KEYS_MAX);
	if (strlen(p->av[1]) > KEY_NAME_MAX)
		return perr(p, "%s name too long (max %d bytes)",
		    kind ? "group" : "user", KEY_NAME_MAX);
	memset(&a, 0, sizeof(a));
	a.is_group = kind;
	memcpy(a.name, p->av[1], strlen(p->av[1]) + 1);
	a.line = p->line;
	if (allow_options(p, &a, 3 + (int)nkeys) == -1)
		return -1;
	if (allow_resolve(&a) == -1)
		return perr(p, "unknown %s '%s'", kind ? "group" : "user",
		    a.name);
	return allow_add(p, &a, nkeys);
}

/*
 * Find the row for word in the open block.  A block keyword in the wrong
 * place gets its own message, since "unknown keyword" would mislead.
 */
static const struct keyword *
keyword_find(struct parser *p, const char *word)
{
	const struct keyword *misplaced = NULL;

	for (size_t i = 0; i < NKEYWORDS; i++) {
		const struct keyword *kw = &keywords[i];

		if (strcasecmp(kw->name, word) != 0)
			continue;
		if (kw->scope == SC_GLOBAL || kw->scope == p->block)
			return kw;
		misplaced = kw;
	}
	if (misplaced != NULL)
		perr(p, "%s outside a %s block", misplaced->name,
		    scope_names[misplaced->scope]);
	else
		perr(p, "unknown keyword '%s'", word);
	return NULL;
}

/* Bit of a keyword row in the seen masks. */
static uint64_t
kw_bit(const struct keyword *kw)
{
	return UINT64_C(1) << (kw - keywords);
}

/* Bit of the row called name in the same scope as kw (0 if none). */
static uint64_t
excl_bit(const struct keyword *kw)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keywords[i].scope == kw->scope &&
		    strcmp(keywords[i].name, kw->excl) == 0)
			return kw_bit(&keywords[i]);
	return 0;
}

/*
 * Handle one line's words.  A global keyword ends the open block first;
 * then the table's argument limits, duplicate and exclusion rules apply.
 */
static int
dispatch(struct parser *p, int argc, char **argv)
{
	const struct keyword *kw;
	uint64_t *seen;

	if ((kw = keyword_find(p, argv[0])) == NULL)
		return -1;
	if (kw->scope == SC_GLOBAL && close_block(p) == -1)
		return -1;
	if (argc - 1 < kw->minargs)
		return perr(p, "%s: missing argument", kw->name);
	if (argc - 1 > kw->maxargs)
		return perr(p, "%s: too many arguments", kw->name);
	seen = kw->scope == SC_GLOBAL ? &p->seen_global : &p->seen_block;
	if (!(kw->flags & KW_MULTI) && (*seen & kw_bit(kw)))
		return perr(p, "duplicate %s", kw->name);
	if (kw->excl != NULL && (*seen & excl_bit(kw)))
		return perr(p, "%s and %s cannot be used together", kw->excl,
		    kw->name);
	p->kw = kw;
	p->ac = argc - 1;
	p->av = argv + 1;
	if (kw->fn(p) == -1)
		return -1;
	*seen |= kw_bit(kw);
	return 0;
}

/*
 * Split s into words in place.  Blanks separate words, a word starting
 * with '"' runs to the next '"' (no escapes), and a word starting with '#'
 * ends the line.
 */
static int
split(struct parser *p, char *s, char **argv, int *argcp)
{
	int argc = 0;

	for (;;) {
		s += strspn(s, " \t\r");
		if (*s == '\0' || *s == '#')
			break;
		if (argc == CONF_ARGS_MAX)
			return perr(p, "too many arguments (max %d words)",
			    CONF_ARGS_MAX);
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			if (end == NULL)
				return perr(p, "unterminated quote");
			if (end == s + 1)
				return perr(p, "empty quoted string");
			if (end[1] != '\0' && strchr(" \t\r", end[1]) == NULL)
				return perr(p, "text after closing quote");
			*end = '\0';
			argv[argc++] = s + 1;
			s = end + 1;
		} else {
			argv[argc++] = s;
			s += strcspn(s, " \t\r");
			if (*s != '\0')
				*s++ = '\0';
		}
	}
	*argcp = argc;
	return 0;
}

/* Read a line into buf (CONF_LINE_MAX + 1 bytes): 1 line, 0 EOF, -1 error. */
static int
read_line(struct parser *p, FILE *f, char *buf)
{
	size_t len = 0;
	int c, nul = 0, any = 0;

	while ((c = getc(f)) != EOF && c != '\n') {
		any = 1;
		if (c == '\0')
			nul = 1;
		if (len < CONF_LINE_MAX)
			buf[len] = (char)c;
		len++;
	}
	if (ferror(f))
		return perr_at(p, 0, "read error: %s", strerror(errno));
	if (c == EOF && !any)
		return 0;
	p->line++;
	if (len > CONF_LINE_MAX)
		return perr(p, "line too long (max %d bytes)", CONF_LINE_MAX);
	if (nul)
		return perr(p, "NUL byte in line");
	buf[len] = '\0';
	return 1;
}

/* Parse every line of f into p->cfg. */
static int
parse_file(struct parser *p, FILE *f)
{
	char line[CONF_LINE_MAX + 1];
	char *argv[CONF_ARGS_MAX];
	int argc = 0, rc;

	while ((rc = read_line(p, f, line)) == 1) {
		if (split(p, line, argv, &argc) == -1)
			return -1;
		if (argc > 0 && dispatch(p, argc, argv) == -1)
			return -1;
	}
	if (rc == -1)
		return -1;
	return close_block(p);
}

/* An Allow line's formats must all be formats its key allows. */
static int
grant_formats_check(struct parser *p, const struct cfg_allow *a,
    const struct cfg_key *k)
{
	unsigned extra = a->formats & ~k->formats;

	for (int f = 0; f < FMT_COUNT; f++)
		if (extra & FMT_BIT(f))
			return perr_at(p, a->line, "key '%s' (line %d) does "
			    "not allow format '%s' (see its Formats)", k->name,
			    k->line, format_name(f));
	return 0;
}

/* Point every key at its token and every Allow line at its keys. */
static int
resolve_refs(struct parser *p)
{
	struct config *cfg = p->cfg;
	long i;

	for (size_t k = 0; k < cfg->nkeys; k++) {
		const struct ref *r = &p->keytok[k];

		if ((i = token_index(cfg, r->name)) < 0)
			return perr_at(p, r->line, "undefined token '%s'",
			    r->name);
		cfg->keys[k].token = &cfg->tokens[i];
	}
	for (size_t n = 0; n < p->nkeyrefs; n++) {
		const struct ref *r = &p->keyrefs[n];

		if ((i = key_index(cfg, r->name)) < 0)
			return perr_at(p, r->line, "undefined key '%s'",
			    r->name);
		cfg->allows[r->owner].keys[r->slot] = &cfg->keys[i];
		if (grant_formats_check(p, &cfg->allows[r->owner],
		    &cfg->keys[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * 1 if two Token blocks name the same token: the same block, or the same
 * module with the same TokenLabel or Slot.  A label and a slot that meet
 * on one token are only seen at start, by the public-key check.
 */
static int
token_same_place(const struct cfg_token *a, const struct cfg_token *b)
{
	if (a == b)
		return 1;
	if (strcmp(a->module, b->module) != 0)
		return 0;
	if (a->label != NULL && b->label != NULL)
		return strcmp(a->label, b->label) == 0;
	return a->label == NULL && b->label == NULL && a->slot == b->slot;
}

/*
 * 1 if the lookups of two Key blocks on one token may find the same
 * object: they share a Label or an Id, and no Label or Id tells them
 * apart (a lookup by label alone finds the first object with it).
 */
static int
key_same_object(const struct cfg_key *a, const struct cfg_key *b)
{
	int labels = a->label != NULL && b->label != NULL;
	int ids = a->idlen > 0 && b->idlen > 0;
	int same_label = labels && strcmp(a->label, b->label) == 0;
	int same_id = ids && a->idlen == b->idlen &&
	    memcmp(a->id, b->id, a->idlen) == 0;

	if ((labels && !same_label) || (ids && !same_id))
		return 0;
	return same_label || same_id;
}

/* "Label NAME" or "Id HEX": what two aliasing Key blocks share. */
static void
key_shared_text(const struct cfg_key *a, const struct cfg_key *b, char *dst,
    size_t len)
{
	size_t n;

	if (a->label != NULL && b->label != NULL) {
		snprintf(dst, len, "Label %s", a->label);
		return;
	}
	n = (size_t)snprintf(dst, len, "Id ");
	for (size_t i = 0; i < a->idlen && n + 2 < len; i++, n += 2)
		snprintf(dst + n, len - n, "%02x", a->id[i]);
}

/*
 * One private key, one Key block.  Formats, Approval, Timestamp, rates
 * and "admin disable-key" all go by the block's name, so a second block
 * for the same key would be a way around every one of them.
 */
static int
check_key_aliases(struct parser *p)
{
	const struct config *cfg = p->cfg;
	char what[KEY_NAME_MAX + 2 * ID_MAX + 16];

	for (size_t j = 1; j < cfg->nkeys; j++) {
		const struct cfg_key *b = &cfg->keys[j];

		for (size_t i = 0; i < j; i++) {
			const struct cfg_key *a = &cfg->keys[i];

			if (!token_same_place(a->token, b->token) ||
			    !key_same_object(a, b))
				continue;
			key_shared_text(a, b, what, sizeof(what));
			return perr_at(p, b->line, "Key '%s' and Key '%s' "
			    "(line %d) name the same private key (token %s, "
			    "%s): use one Key block per key, and 'formats' "
			    "on Allow lines to narrow a grant", b->name,
			    a->name, a->line, b->token->name, what);
		}
	}
	return 0;
}

/*
 * PidFile unset: beside the socket, named after it ("/run/csign/csignd.sock"
 * gives "/run/csign/csignd.pid"), so that two daemons on two sockets never
 * share one PID file.
 */
static int
pidfile_default(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t len = strlen(cfg->listen);
	char *s;

	if (cfg->pid_file_set)
		return 0;
	if (len > 5 && strcmp(cfg->listen + len - 5, ".sock") == 0)
		len -= 5;
	if ((s = malloc(len + 5)) == NULL)
		return perr_at(p, 0, "out of memory");
	memcpy(s, cfg->listen, len);
	memcpy(s + len, ".pid", 5);
	free(cfg->pid_file);
	cfg->pid_file = s;
	cfg->pid_file_line = cfg->listen_line;
	return 0;
}

/* A config holding the defaults of csignd.conf(5), or NULL. */
static struct config *
config_new(const char *path)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->path = strdup(path);
	cfg->listen = strdup(CONFIG_DEFAULT_LISTEN);
	cfg->sandbox_user = strdup(CONFIG_DEFAULT_SANDBOX_USER);
	cfg->sandbox_program = strdup(CSIGN_LIBEXECDIR "/csign-sandbox");
	cfg->audit_log = strdup(CONFIG_DEFAULT_AUDIT);
	cfg->max_artifact_size = DEFAULT_ARTIFACT_SIZE;
	cfg->pool_size = 4;
	cfg->cert_warn_days = 30;
	cfg->state_file = strdup(CONFIG_DEFAULT_STATE);
	cfg->max_sessions = 64;
	cfg->session_timeout = 60;
	cfg->max_sessions_user = 8;
	cfg->login_grace = 10;
	cfg->session_lifetime = 3600;
	cfg->max_upload_user = DEFAULT_UPLOAD_PER_USER;
	cfg->ts_timeout = 10;
	cfg->sign_workers = 2;
	if (cfg->path == NULL || cfg->listen == NULL ||
	    cfg->sandbox_user == NULL || cfg->sandbox_program == NULL ||
	    cfg->audit_log == NULL || cfg->state_file == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parser p;
	struct config *cfg = NULL;
	FILE *f;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((f = fopen(path, "re")) == NULL) {
		perr_at(&p, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if ((p.cfg = config_new(path)) == NULL)
		perr_at(&p, 0, "out of memory");
	else if (parse_file(&p, f) == 0 && resolve_refs(&p) == 0 &&
	    check_key_aliases(&p) == 0 && pidfile_default(&p) == 0) {
		cfg = p.cfg;
		p.cfg = NULL;
	}
	fclose(f);
	config_free(p.cfg);
	free(p.keytok);
	free(p.keyrefs);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->ntokens; i++) {
		free(cfg->tokens[i].module);
		free(cfg->tokens[i].label);
		free(cfg->tokens[i].pinfile);
	}
	for (size_t i = 0; i < cfg->nkeys; i++) {
		free(cfg->keys[i].label);
		free(cfg->keys[i].certfile);
		free(cfg->keys[i].chainfile);
		free(cfg->keys[i].tsa_ca);
		free(cfg->keys[i].tsa);
	}
	for (size_t i = 0; i < cfg->nallows; i++)
		free(cfg->allows[i].keys);
	free(cfg->tokens);
	free(cfg->keys);
	free(cfg->allows);
	free(cfg->path);
	free(cfg->listen);
	free(cfg->sandbox_user);
	free(cfg->sandbox_program);
	free(cfg->audit_log);
	free(cfg->state_file);
	free(cfg->pid_file);
	free(cfg->admin_group);
	free(cfg);
}

const struct cfg_key *
config_find_key(const struct config *cfg, const char *name)
{
	long i;

	if (cfg == NULL || name == NULL || (i = key_index(cfg, name)) < 0)
		return NULL;
	return &cfg->keys[i];
}

const struct cfg_token *
config_find_token(const struct config *cfg, const char *name)
{
	long i;

	if (cfg == NULL || name == NULL || (i = token_index(cfg, name)) < 0)
		return NULL;
	return &cfg->tokens[i];
}

int
config_raw_warning(const struct cfg_key *k, char *dst, size_t len)
{
	char others[128];

	if (!(k->formats & FMT_BIT(FMT_RAW)) ||
	    (k->formats & ~FMT_BIT(FMT_RAW)) == 0)
		return 0;
	formats_to_str(k->formats & ~FMT_BIT(FMT_RAW), others,
	    sizeof(others));
	snprintf(dst, len, "key '%s' (line %d) allows raw beside %s: a raw "
	    "signature over chosen bytes is also a valid signature in those "
	    "formats, so whoever may sign raw with this key can make %s "
	    "signatures too", k->name, k->line, others, others);
	return 1;
}

size_t
config_warn(const struct config *cfg)
{
	char msg[CONFIG_ERR_MAX];
	size_t n = 0;

	for (size_t i = 0; i < cfg->nkeys; i++)
		if (config_raw_warning(&cfg->keys[i], msg, sizeof(msg))) {
			log_warnx("%s: warning: %s", cfg->path, msg);
			n++;
		}
	return n;
}
