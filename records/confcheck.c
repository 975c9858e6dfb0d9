/* confcheck.c: csignd.conf(5) checks once the whole file is read. */
#include "records/confparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int token_same_place(const struct cfg_token *a,
    const struct cfg_token *b);

/* An Allow line's formats must all be formats its key allows. */
static int
grant_formats_check(struct parser *p, const struct cfg_allow *a,
    const struct cfg_key *k)
{
	unsigned extra = a->formats & ~k->formats;

	for (int f = 0; f < FMT_COUNT; f++)
		if (extra & FMT_BIT(f))
			return conf_perr_at(p, a->line,
			    "key '%s' (line %d) "
			    "does not allow format '%s' (see its Formats)",
			    k->name, k->line, format_name(f));
	return 0;
}

/*
 * Replicas of a key must be distinct tokens: two Token blocks for one
 * token would make a failover that lands on the token that just failed.
 */
static int
conf_check_replicas(struct parser *p, const struct cfg_key *k)
{
	for (size_t j = 1; j < k->ntokens; j++)
		for (size_t i = 0; i < j; i++)
			if (token_same_place(k->tokens[i], k->tokens[j]))
				return conf_perr_at(p, k->line,
				    "key '%s': tokens %s and %s are the same "
				    "token (same Module and TokenLabel or "
				    "Slot); replicas must be distinct tokens",
				    k->name, k->tokens[i]->name,
				    k->tokens[j]->name);
	return 0;
}

/* Point every key at its token and every Allow line at its keys. */
int
conf_resolve_refs(struct parser *p)
{
	struct config *cfg = p->cfg;
	long i;

	for (size_t k = 0; k < cfg->nkeys; k++) {
		const struct key_tokens *kt = &p->keytok[k];

		for (size_t j = 0; j < kt->n; j++) {
			const struct ref *r = &kt->r[j];

			if ((i = conf_token_index(cfg, r->name)) < 0)
				return conf_perr_at(p, r->line,
				    "undefined token '%s'", r->name);
			cfg->keys[k].tokens[j] = &cfg->tokens[i];
		}
		cfg->keys[k].ntokens = kt->n;
		cfg->keys[k].token = cfg->keys[k].tokens[0];
		if (conf_check_replicas(p, &cfg->keys[k]) == -1)
			return -1;
	}
	for (size_t n = 0; n < p->nkeyrefs; n++) {
		const struct ref *r = &p->keyrefs[n];

		if ((i = conf_key_index(cfg, r->name)) < 0)
			return conf_perr_at(p, r->line, "undefined key '%s'",
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
	int same_id =
	    ids && a->idlen == b->idlen && memcmp(a->id, b->id, a->idlen) == 0;

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

/* 1 if two Key blocks name one token among their tokens. */
static int
keys_share_token(const struct cfg_key *a, const struct cfg_key *b)
{
	for (size_t i = 0; i < a->ntokens; i++)
		for (size_t j = 0; j < b->ntokens; j++)
			if (token_same_place(a->tokens[i], b->tokens[j]))
				return 1;
	return 0;
}

/*
 * One private key, one Key block.  Formats, Approval, Timestamp, rates
 * and "admin disable-key" all go by the block's name, so a second block
 * for the same key would be a way around every one of them.
 */
int
conf_check_key_aliases(struct parser *p)
{
	const struct config *cfg = p->cfg;
	char what[KEY_NAME_MAX + 2 * ID_MAX + 16];

	for (size_t j = 1; j < cfg->nkeys; j++) {
		const struct cfg_key *b = &cfg->keys[j];

		for (size_t i = 0; i < j; i++) {
			const struct cfg_key *a = &cfg->keys[i];

			if (!keys_share_token(a, b) || !key_same_object(a, b))
				continue;
			key_shared_text(a, b, what, sizeof(what));
			return conf_perr_at(p, b->line,
			    "Key '%s' and Key '%s' "
			    "(line %d) name the same private key (token %s, "
			    "%s): use one Key block per key, and 'formats' "
			    "on Allow lines to narrow a grant",
			    b->name, a->name, a->line, b->token->name, what);
		}
	}
	return 0;
}

/*
 * PidFile unset: beside the socket, named after it ("/run/csign/csignd.sock"
 * gives "/run/csign/csignd.pid"), so that two daemons on two sockets never
 * share one PID file.
 */
int
conf_pidfile_default(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t len = strlen(cfg->listen);
	char *s;

	if (cfg->pid_file_set)
		return 0;
	if (len > 5 && strcmp(cfg->listen + len - 5, ".sock") == 0)
		len -= 5;
	if ((s = malloc(len + 5)) == NULL)
		return conf_perr_at(p, 0, "out of memory");
	memcpy(s, cfg->listen, len);
	memcpy(s + len, ".pid", 5);
	free(cfg->pid_file);
	cfg->pid_file = s;
	cfg->pid_file_line = cfg->listen_line;
	return 0;
}
