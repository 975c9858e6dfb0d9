/* confdump.c: csignd -T, the effective configuration (see confdump.h). */
#include "records/confdump.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

/* A word as the parser reads it back: quoted if it holds a blank. */
static void
put_word(FILE *f, const char *s)
{
	if (s[0] == '\0' || strpbrk(s, " \t#") != NULL)
		fprintf(f, "\"%s\"", s);
	else
		fputs(s, f);
}

/* "Keyword value" on a line of its own, indented inside a block. */
static void
put_kw(FILE *f, int indent, const char *kw, const char *value)
{
	fprintf(f, "%s%s ", indent ? "    " : "", kw);
	put_word(f, value);
	fputc('\n', f);
}

/* "Keyword N". */
static void
put_uint(FILE *f, const char *kw, uint64_t v)
{
	fprintf(f, "%s %" PRIu64 "\n", kw, v);
}

/* A byte count with the largest K, M, G or T suffix that divides it. */
static void
put_size(FILE *f, const char *kw, uint64_t v)
{
	static const char sfx[] = "TGMK";
	unsigned shift = 40;

	for (size_t i = 0; i < sizeof(sfx) - 1; i++, shift -= 10)
		if (v != 0 && (v & ((UINT64_C(1) << shift) - 1)) == 0) {
			fprintf(f, "%s %" PRIu64 "%c\n", kw, v >> shift,
			    sfx[i]);
			return;
		}
	put_uint(f, kw, v);
}

/* The global keywords. */
static void
dump_global(const struct config *cfg, FILE *f)
{
	put_kw(f, 0, "Listen", cfg->listen);
	if (cfg->pesign_listen != NULL)
		put_kw(f, 0, "PesignListen", cfg->pesign_listen);
	for (size_t i = 0; i < cfg->npesign_maps; i++) {
		fputs("PesignMap ", f);
		put_word(f, cfg->pesign_maps[i].token);
		fputc(' ', f);
		put_word(f, cfg->pesign_maps[i].cert);
		fputc(' ', f);
		put_word(f, cfg->pesign_maps[i].key);
		fputc('\n', f);
	}
	put_kw(f, 0, "PidFile", cfg->pid_file != NULL ? cfg->pid_file : "none");
	put_kw(f, 0, "SandboxUser", cfg->sandbox_user);
	put_kw(f, 0, "SandboxProgram", cfg->sandbox_program);
	put_kw(f, 0, "AuditLog", cfg->audit_log);
	put_kw(f, 0, "StateFile", cfg->state_file);
	if (cfg->admin_group != NULL)
		put_kw(f, 0, "AdminGroup", cfg->admin_group);
	put_size(f, "MaxArtifactSize", cfg->max_artifact_size);
	put_uint(f, "PoolSize", cfg->pool_size);
	put_uint(f, "MaxSessions", cfg->max_sessions);
	put_uint(f, "MaxSessionsPerUser", cfg->max_sessions_user);
	put_uint(f, "SessionTimeout", cfg->session_timeout);
	put_uint(f, "LoginGraceTime", cfg->login_grace);
	put_uint(f, "SessionLifetime", cfg->session_lifetime);
	put_size(f, "MaxUploadPerUser", cfg->max_upload_user);
	put_uint(f, "SignWorkers", cfg->sign_workers);
	put_uint(f, "CertificateExpiryWarning", cfg->cert_warn_days);
	put_uint(f, "TimestampTimeout", cfg->ts_timeout);
	put_uint(f, "TokenTimeout", cfg->token_timeout);
	put_uint(f, "TokenProbeInterval", cfg->token_probe);
}

/* One Token block. */
static void
dump_token(const struct cfg_token *t, FILE *f)
{
	fprintf(f, "\nToken %s\n", t->name);
	put_kw(f, 1, "Module", t->module);
	if (t->label != NULL)
		put_kw(f, 1, "TokenLabel", t->label);
	else
		fprintf(f, "    Slot %ld\n", t->slot);
	put_kw(f, 1, "PinFile", t->pinfile);
	if (t->timeout != 0)
		fprintf(f, "    TokenTimeout %u\n", t->timeout);
}

/* "Digest": the default first, then the others. */
static void
dump_digests(const struct cfg_key *k, FILE *f)
{
	fprintf(f, "    Digest %s", digest_name(k->default_digest));
	for (int d = 0; d < DIG_COUNT; d++)
		if (d != k->default_digest && (k->digests & DIG_BIT(d)))
			fprintf(f, " %s", digest_name(d));
	fputc('\n', f);
}

/* "Timestamp MODE URL..." and "Approval group NAME count N expires Ns". */
static void
dump_key_policy(const struct cfg_key *k, FILE *f)
{
	if (k->ts_mode != TS_NONE) {
		fprintf(f, "    Timestamp %s", ts_mode_name(k->ts_mode));
		for (size_t i = 0; i < k->ntsa; i++)
			fprintf(f, " %s", k->tsa[i].url);
		fputc('\n', f);
	}
	if (k->tsa_ca != NULL)
		put_kw(f, 1, "TimestampCA", k->tsa_ca);
	if (k->has_approval)
		fprintf(f, "    Approval group %s count %u expires %us\n",
		    k->approval_group, k->approval_count, k->approval_expires);
}

/* OpenPGPUserID and OpenPGPCreated, if the key has them. */
static void
dump_openpgp(const struct cfg_key *k, FILE *f)
{
	time_t t = (time_t)k->pgp_created;
	char when[32];
	struct tm tm;

	if (k->pgp_uid[0] != '\0')
		put_kw(f, 1, "OpenPGPUserID", k->pgp_uid);
	if (k->pgp_created != 0 && gmtime_r(&t, &tm) != NULL &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		put_kw(f, 1, "OpenPGPCreated", when);
}

/* One Key block. */
static void
dump_key(const struct cfg_key *k, FILE *f)
{
	char fmts[128];

	fprintf(f, "\nKey %s\n", k->name);
	fputs("    Token", f);
	for (size_t i = 0; i < k->ntokens; i++)
		fprintf(f, " %s", k->tokens[i]->name);
	fputc('\n', f);
	if (k->label != NULL)
		put_kw(f, 1, "Label", k->label);
	if (k->idlen > 0) {
		fputs("    Id ", f);
		for (size_t i = 0; i < k->idlen; i++)
			fprintf(f, "%02x", k->id[i]);
		fputc('\n', f);
	}
	put_kw(f, 1, "Certificate",
	    k->certfile != NULL ? k->certfile : "token");
	if (k->chainfile != NULL)
		put_kw(f, 1, "Chain", k->chainfile);
	formats_to_str(k->formats, fmts, sizeof(fmts));
	fprintf(f, "    Formats %s\n", fmts);
	dump_digests(k, f);
	fprintf(f, "    Padding %s\n", k->padding == PAD_PSS ? "pss" : "pkcs1");
	dump_openpgp(k, f);
	dump_key_policy(k, f);
}

/* "N/second|minute|hour|day" of a rate-limited grant. */
static const char *
period_name(unsigned secs)
{
	return secs == 86400 ? "day"
	    : secs == 3600   ? "hour"
	    : secs == 60     ? "minute"
			     : "second";
}

/* One Allow line. */
static void
dump_allow(const struct cfg_allow *a, FILE *f)
{
	char fmts[128];

	fprintf(f, "Allow %s ", a->is_group ? "group" : "user");
	put_word(f, a->name);
	fputs(" keys", f);
	for (size_t i = 0; i < a->nkeys; i++)
		fprintf(f, " %s", a->keys[i]->name);
	if (a->formats != 0) {
		formats_to_str(a->formats, fmts, sizeof(fmts));
		fprintf(f, " formats %s", fmts);
	}
	if (a->rate_n != 0)
		fprintf(f, " rate %u/%s", a->rate_n,
		    period_name(a->rate_period));
	fputc('\n', f);
}

void
config_dump(const struct config *cfg, FILE *f)
{
	dump_global(cfg, f);
	for (size_t i = 0; i < cfg->ntokens; i++)
		dump_token(&cfg->tokens[i], f);
	for (size_t i = 0; i < cfg->nkeys; i++)
		dump_key(&cfg->keys[i], f);
	if (cfg->nallows > 0)
		fputc('\n', f);
	for (size_t i = 0; i < cfg->nallows; i++)
		dump_allow(&cfg->allows[i], f);
}
