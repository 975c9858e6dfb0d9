/*
 * confkeywords.c: the csignd.conf(5) keyword table, its dispatcher, the
 * generic handlers the table's rows share and those of global keywords.
 */
#include "records/confparse.h"

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const scope_names[] = { "global", "Token", "Key" };

static int kw_string(struct parser *);
static int kw_uint(struct parser *);
static int kw_size(struct parser *);
static int kw_pinfile(struct parser *);
static int kw_admingroup(struct parser *);
static int kw_pidfile(struct parser *);

/*
 * The Key-scope "Token" row must come before the global one: inside a Key
 * block "Token NAME" names the key's token, elsewhere it opens a block.
 */
static const struct keyword keywords[] = {
	{ "Listen", SC_GLOBAL, 0, 1, 1, conf_kw_path, CF(listen), 0, LISTEN_MAX,
	    NULL },
	{ "SandboxUser", SC_GLOBAL, 0, 1, 1, kw_string, CF(sandbox_user), 0,
	    KEY_NAME_MAX, NULL },
	{ "SandboxProgram", SC_GLOBAL, 0, 1, 1, conf_kw_path,
	    CF(sandbox_program), 0, PATH_MAX - 1, NULL },
	{ "AuditLog", SC_GLOBAL, 0, 1, 1, conf_kw_path, CF(audit_log), 0,
	    PATH_MAX - 1, NULL },
	{ "MaxArtifactSize", SC_GLOBAL, 0, 1, 1, kw_size, CF(max_artifact_size),
	    0, 0, NULL },
	{ "PoolSize", SC_GLOBAL, 0, 1, 1, kw_uint, CF(pool_size), 1, 256,
	    NULL },
	{ "MaxSessions", SC_GLOBAL, 0, 1, 1, kw_uint, CF(max_sessions), 1, 4096,
	    NULL },
	{ "SessionTimeout", SC_GLOBAL, 0, 1, 1, kw_uint, CF(session_timeout), 1,
	    3600, NULL },
	{ "MaxSessionsPerUser", SC_GLOBAL, 0, 1, 1, kw_uint,
	    CF(max_sessions_user), 1, 4096, NULL },
	{ "LoginGraceTime", SC_GLOBAL, 0, 1, 1, kw_uint, CF(login_grace), 1,
	    600, NULL },
	{ "SessionLifetime", SC_GLOBAL, 0, 1, 1, kw_uint, CF(session_lifetime),
	    1, 86400, NULL },
	{ "MaxUploadPerUser", SC_GLOBAL, 0, 1, 1, kw_size, CF(max_upload_user),
	    0, 0, NULL },
	{ "SignWorkers", SC_GLOBAL, 0, 1, 1, kw_uint, CF(sign_workers), 1, 64,
	    NULL },
	{ "CertificateExpiryWarning", SC_GLOBAL, 0, 1, 1, kw_uint,
	    CF(cert_warn_days), 0, 3650, NULL },
	{ "AdminGroup", SC_GLOBAL, 0, 1, 1, kw_admingroup, CF(admin_group), 0,
	    KEY_NAME_MAX, NULL },
	{ "StateFile", SC_GLOBAL, 0, 1, 1, conf_kw_path, CF(state_file), 0,
	    PATH_MAX - 1, NULL },
	{ "TimestampTimeout", SC_GLOBAL, 0, 1, 1, kw_uint, CF(ts_timeout), 1,
	    300, NULL },
	/* Inside a Token block: that token's own; must precede the global. */
	{ "TokenTimeout", SC_TOKEN, 0, 1, 1, kw_uint, TF(timeout), 1, 3600,
	    NULL },
	{ "TokenTimeout", SC_GLOBAL, 0, 1, 1, kw_uint, CF(token_timeout), 1,
	    3600, NULL },
	{ "TokenProbeInterval", SC_GLOBAL, 0, 1, 1, kw_uint, CF(token_probe), 1,
	    86400, NULL },
	{ "PidFile", SC_GLOBAL, 0, 1, 1, kw_pidfile, CF(pid_file), 0,
	    PATH_MAX - 1, NULL },
	{ "Allow", SC_GLOBAL, KW_MULTI, 1, CONF_ARGS_MAX, conf_kw_allow, 0, 0,
	    0, NULL },
	{ "PesignListen", SC_GLOBAL, 0, 1, 1, conf_kw_path, CF(pesign_listen),
	    0, LISTEN_MAX, NULL },
	{ "PesignMap", SC_GLOBAL, KW_MULTI, 3, 3, conf_kw_pesignmap, 0, 0, 0,
	    NULL },
	{ "Token", SC_KEY, KW_MULTI, 1, KEY_TOKENS_MAX, conf_kw_key_token, 0, 0,
	    0, NULL },
	{ "Token", SC_GLOBAL, KW_MULTI, 1, 1, conf_kw_token, 0, 0, 0, NULL },
	{ "Key", SC_GLOBAL, KW_MULTI, 1, 1, conf_kw_key, 0, 0, 0, NULL },
	{ "Module", SC_TOKEN, 0, 1, 1, conf_kw_path, TF(module), 0,
	    PATH_MAX - 1, NULL },
	{ "TokenLabel", SC_TOKEN, 0, 1, 1, kw_string, TF(label), 0,
	    TOKEN_LABEL_MAX, "Slot" },
	{ "Slot", SC_TOKEN, 0, 1, 1, conf_kw_slot, TF(slot), 0, LONG_MAX,
	    "TokenLabel" },
	{ "PinFile", SC_TOKEN, 0, 1, 1, kw_pinfile, TF(pinfile), 0,
	    PATH_MAX - 1, NULL },
	{ "Label", SC_KEY, 0, 1, 1, kw_string, KF(label), 0, 0, NULL },
	{ "Id", SC_KEY, 0, 1, 1, conf_kw_id, 0, 0, 0, NULL },
	{ "Certificate", SC_KEY, 0, 1, 1, conf_kw_cert, KF(certfile), 0,
	    PATH_MAX - 1, NULL },
	{ "Chain", SC_KEY, 0, 1, 1, conf_kw_path, KF(chainfile), 0,
	    PATH_MAX - 1, NULL },
	{ "TimestampCA", SC_KEY, 0, 1, 1, conf_kw_path, KF(tsa_ca), 0,
	    PATH_MAX - 1, NULL },
	{ "Formats", SC_KEY, 0, 1, FMT_COUNT, conf_kw_formats, 0, 0, 0, NULL },
	{ "Digest", SC_KEY, 0, 1, DIG_COUNT, conf_kw_digest, 0, 0, 0, NULL },
	{ "Padding", SC_KEY, 0, 1, 1, conf_kw_padding, 0, 0, 0, NULL },
	{ "Timestamp", SC_KEY, 0, 2, 1 + TSA_URLS_MAX, conf_kw_timestamp, 0, 0,
	    0, NULL },
	{ "Approval", SC_KEY, 0, 2, 6, conf_kw_approval, 0, 0, 0, NULL },
	{ "OpenPGPUserID", SC_KEY, 0, 1, 1, conf_kw_pgp_uid, 0, 0, 0, NULL },
	{ "OpenPGPCreated", SC_KEY, 0, 1, 1, conf_kw_pgp_created, 0, 0, 0,
	    NULL },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

_Static_assert(NKEYWORDS <= 64, "seen masks hold 64 keywords");

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
		conf_perr(p, "%s outside a %s block", misplaced->name,
		    scope_names[misplaced->scope]);
	else
		conf_perr(p, "unknown keyword '%s'", word);
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
int
conf_dispatch(struct parser *p, int argc, char **argv)
{
	const struct keyword *kw;
	uint64_t *seen;

	if ((kw = keyword_find(p, argv[0])) == NULL)
		return -1;
	if (kw->scope == SC_GLOBAL && conf_close_block(p) == -1)
		return -1;
	if (argc - 1 < kw->minargs)
		return conf_perr(p, "%s: missing argument", kw->name);
	if (argc - 1 > kw->maxargs)
		return conf_perr(p, "%s: too many arguments", kw->name);
	seen = kw->scope == SC_GLOBAL ? &p->seen_global : &p->seen_block;
	if (!(kw->flags & KW_MULTI) && (*seen & kw_bit(kw)))
		return conf_perr(p, "duplicate %s", kw->name);
	if (kw->excl != NULL && (*seen & excl_bit(kw)))
		return conf_perr(p, "%s and %s cannot be used together",
		    kw->excl, kw->name);
	p->kw = kw;
	p->ac = argc - 1;
	p->av = argv + 1;
	if (kw->fn(p) == -1)
		return -1;
	*seen |= kw_bit(kw);
	return 0;
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
	{ SC_GLOBAL, CF(pesign_listen), CF(pesign_listen_line) },
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
	for (size_t i = 0; i < sizeof(path_lines) / sizeof(path_lines[0]); i++)
		if (path_lines[i].scope == p->kw->scope &&
		    path_lines[i].off == p->kw->off)
			*(int *)((char *)conf_scope_base(p, p->kw->scope) +
			    path_lines[i].lineoff) = p->line;
}

/* Generic: an absolute path, at most kw->hi bytes. */
int
conf_kw_path(struct parser *p)
{
	const char *v = p->av[0];

	if (v[0] != '/')
		return conf_perr(p, "%s must be an absolute path", p->kw->name);
	if (strlen(v) > p->kw->hi)
		return conf_perr(p, "%s path too long (max %lu bytes)",
		    p->kw->name, p->kw->hi);
	path_line_set(p);
	return conf_set_string(p, conf_kw_field(p), v);
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
		return conf_kw_path(p);
	name = v + 11;
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) > 255)
		return conf_perr(p,
		    "PinFile credential:NAME needs a plain "
		    "name");
	return conf_set_string(p, conf_kw_field(p), v);
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
	return conf_kw_path(p);
}

/* Generic: a string, at most kw->hi bytes when hi is set. */
static int
kw_string(struct parser *p)
{
	const char *v = p->av[0];

	if (p->kw->hi != 0 && strlen(v) > p->kw->hi)
		return conf_perr(p, "%s too long (max %lu bytes)", p->kw->name,
		    p->kw->hi);
	return conf_set_string(p, conf_kw_field(p), v);
}

/* Generic: a decimal number in kw->lo..kw->hi, stored as unsigned. */
static int
kw_uint(struct parser *p)
{
	uint64_t v;

	if (conf_parse_u64(p->av[0], &v) == -1)
		return conf_perr(p, "bad number '%s'", p->av[0]);
	if (v < p->kw->lo || v > p->kw->hi)
		return conf_perr(p, "%s must be between %lu and %lu",
		    p->kw->name, p->kw->lo, p->kw->hi);
	*(unsigned *)conf_kw_field(p) = (unsigned)v;
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
	if (conf_parse_u64(digits, &v) == -1 || v > (UINT64_MAX >> shift))
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
		return conf_perr(p, "%s too large", p->kw->name);
	if (rc == -1)
		return conf_perr(p,
		    "bad size '%s' (expected a number with an "
		    "optional K, M, G or T)",
		    p->av[0]);
	if (v == 0)
		return conf_perr(p, "%s must be greater than 0", p->kw->name);
	*(uint64_t *)conf_kw_field(p) = v;
	return 0;
}

/* AdminGroup NAME: the group that may disable and enable keys. */
static int
kw_admingroup(struct parser *p)
{
	struct group *gr;

	if (strlen(p->av[0]) > KEY_NAME_MAX)
		return conf_perr(p, "group name too long (max %d bytes)",
		    KEY_NAME_MAX);
	if ((gr = getgrnam(p->av[0])) == NULL)
		return conf_perr(p, "unknown group '%s'", p->av[0]);
	p->cfg->admin_gid = gr->gr_gid;
	p->cfg->has_admin_group = 1;
	return conf_set_string(p, conf_kw_field(p), p->av[0]);
}
