/*
 * confpesign.c: the pesign listener's lines of csignd.conf(5).
 *
 *   PesignListen PATH
 *   PesignMap "TOKEN NAME" "CERTIFICATE NICKNAME" KEY
 *
 * pesign-client names an NSS token and a certificate nickname (-t, -c);
 * each PesignMap line maps one such pair to a csign key, which must allow
 * pe or module.  A pair no line maps is refused at request time.
 */
#include "records/confparse.h"

#include <stdlib.h>
#include <string.h>

#include "proto/pesign.h"

int
conf_kw_pesignmap(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct cfg_pesign_map *m;

	for (int i = 0; i < 2; i++)
		if (p->av[i][0] == '\0' || strlen(p->av[i]) > PESIGN_NAME_MAX)
			return conf_perr(p,
			    "PesignMap: %s must be 1 to %d "
			    "bytes",
			    i == 0 ? "the token name"
				   : "the certificate nickname",
			    PESIGN_NAME_MAX);
	if (conf_check_name(p, p->av[2]) == -1)
		return -1;
	for (size_t i = 0; i < cfg->npesign_maps; i++)
		if (strcmp(cfg->pesign_maps[i].token, p->av[0]) == 0 &&
		    strcmp(cfg->pesign_maps[i].cert, p->av[1]) == 0)
			return conf_perr(p,
			    "PesignMap: token \"%s\" "
			    "certificate \"%s\" is already mapped at line %d",
			    p->av[0], p->av[1], cfg->pesign_maps[i].line);
	if (cfg->npesign_maps >= PESIGN_MAPS_MAX)
		return conf_perr(p, "too many PesignMap lines (max %d)",
		    PESIGN_MAPS_MAX);
	if (conf_grow((void **)&cfg->pesign_maps, &p->cappesign,
		cfg->npesign_maps, sizeof(*m), PESIGN_MAPS_MAX) == -1)
		return conf_perr(p, "out of memory");
	m = &cfg->pesign_maps[cfg->npesign_maps];
	memset(m, 0, sizeof(*m));
	m->line = p->line;
	cfg->npesign_maps++;
	if ((m->token = strdup(p->av[0])) == NULL ||
	    (m->cert = strdup(p->av[1])) == NULL ||
	    (m->key = strdup(p->av[2])) == NULL)
		return conf_perr(p, "out of memory");
	return 0;
}

/* Every mapped key exists and signs what pesign asks for: pe or module. */
int
conf_check_pesign(struct parser *p)
{
	const struct config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->npesign_maps; i++) {
		const struct cfg_pesign_map *m = &cfg->pesign_maps[i];
		const struct cfg_key *k = config_find_key(cfg, m->key);

		if (k == NULL)
			return conf_perr_at(p, m->line,
			    "PesignMap: no Key "
			    "block named %s",
			    m->key);
		if (!(k->formats & (FMT_BIT(FMT_PE) | FMT_BIT(FMT_MODULE))))
			return conf_perr_at(p, m->line,
			    "PesignMap: key %s "
			    "(line %d) allows neither pe nor module, which is "
			    "all pesign-client signs",
			    m->key, k->line);
	}
	return 0;
}

void
conf_free_pesign(struct config *cfg)
{
	for (size_t i = 0; i < cfg->npesign_maps; i++) {
		free(cfg->pesign_maps[i].token);
		free(cfg->pesign_maps[i].cert);
		free(cfg->pesign_maps[i].key);
	}
	free(cfg->pesign_maps);
	free(cfg->pesign_listen);
}

const struct cfg_key *
config_pesign_key(const struct config *cfg, const char *token, const char *cert)
{
	for (size_t i = 0; cfg != NULL && i < cfg->npesign_maps; i++)
		if (strcmp(cfg->pesign_maps[i].token, token) == 0 &&
		    (cert == NULL ||
			strcmp(cfg->pesign_maps[i].cert, cert) == 0))
			return config_find_key(cfg, cfg->pesign_maps[i].key);
	return NULL;
}
