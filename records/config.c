/* config.c: csignd.conf(5) loading, freeing and lookups (see config.h). */
#include "records/config.h"
#include "records/confparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#ifndef CSIGN_LIBEXECDIR
#define CSIGN_LIBEXECDIR "/usr/local/libexec/csign"
#endif

/* Index of the token called name, or -1. */
long
conf_token_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ntokens; i++)
		if (strcmp(cfg->tokens[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Index of the key called name, or -1. */
long
conf_key_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->keys[i].name, name) == 0)
			return (long)i;
	return -1;
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
	cfg->token_timeout = 30;
	cfg->token_probe = 30;
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
		conf_perr_at(&p, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if ((p.cfg = config_new(path)) == NULL)
		conf_perr_at(&p, 0, "out of memory");
	else if (conf_parse_file(&p, f) == 0 && conf_resolve_refs(&p) == 0 &&
	    conf_check_key_aliases(&p) == 0 && conf_check_pesign(&p) == 0 &&
	    conf_pidfile_default(&p) == 0) {
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
	conf_free_pesign(cfg);
	free(cfg);
}

const struct cfg_key *
config_find_key(const struct config *cfg, const char *name)
{
	long i;

	if (cfg == NULL || name == NULL || (i = conf_key_index(cfg, name)) < 0)
		return NULL;
	return &cfg->keys[i];
}

const struct cfg_token *
config_find_token(const struct config *cfg, const char *name)
{
	long i;

	if (cfg == NULL || name == NULL ||
	    (i = conf_token_index(cfg, name)) < 0)
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
	formats_to_str(k->formats & ~FMT_BIT(FMT_RAW), others, sizeof(others));
	snprintf(dst, len,
	    "key '%s' (line %d) allows raw beside %s: a raw "
	    "signature over chosen bytes is also a valid signature in those "
	    "formats, so whoever may sign raw with this key can make %s "
	    "signatures too",
	    k->name, k->line, others, others);
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
