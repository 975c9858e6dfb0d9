/*
 * tokens.c: csignd's PKCS#11 tokens through libp11 (see token.h).
 *
 * Each distinct module is loaded once (PKCS#11 allows one C_Initialize per
 * process); each Token block is a slot of such a module, logged in once
 * with its PIN through module.c, the path csign-admin takes too.  Keys are
 * looked up once at start (keys.c); their libp11 handles stay valid until
 * tokens_close().
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/tokens_priv.h"

const char *
token_state_name(enum token_state s)
{
	static const char *const names[] = { "ready", "locked", "unavailable" };

	return s <= TOKEN_UNAVAILABLE ? names[s] : "unknown";
}

/* Find the loaded module for path, loading it if needed. */
static struct p11_module *
module_get(struct tokens *t, const char *path, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->nmods; i++)
		if (strcmp(t->mods[i].path, path) == 0)
			return &t->mods[i];
	if (p11_module_load(&t->mods[t->nmods], path, err, errlen) == -1)
		return NULL;
	return &t->mods[t->nmods++];
}

/* Open the token of one Token block, then list its keys. */
static int
token_open(struct tokens *t, const struct cfg_token *ct, char *err,
    size_t errlen)
{
	struct token *tk = &t->toks[t->ntoks];
	int r;

	memset(tk, 0, sizeof(*tk));
	snprintf(tk->name, sizeof(tk->name), "%s", ct->name);
	tk->slotid = ct->slot;
	tk->timeout = ct->timeout;
	if ((tk->module_path = strdup(ct->module)) == NULL ||
	    (tk->pinfile = strdup(ct->pinfile)) == NULL ||
	    (ct->label != NULL && (tk->label = strdup(ct->label)) == NULL)) {
		free(tk->module_path);
		free(tk->pinfile);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->ntoks++;
	tk->reported = TOKEN_READY;
	atomic_store(&tk->state, TOKEN_UNAVAILABLE);
	if ((tk->mod = module_get(t, ct->module, err, errlen)) == NULL)
		return -1;
	r = p11_login(tk->mod, ct, 0, NULL, NULL, &tk->slot, err, errlen);
	if (r == P11_LOGIN_REFUSED)
		atomic_store(&tk->state, TOKEN_LOCKED);
	if (r != 0)
		return -1;
	if (PKCS11_enumerate_keys(tk->slot->token, &tk->keys, &tk->nkeys) !=
	    0) {
		snprintf(err, errlen, "token %s: cannot list keys", tk->name);
		return -1;
	}
	atomic_store(&tk->state, TOKEN_READY);
	return 0;
}

struct token *
tokens_by_name(const struct tokens *t, const char *name)
{
	for (size_t i = 0; i < t->ntoks; i++)
		if (strcmp(t->toks[i].name, name) == 0)
			return &t->toks[i];
	return NULL;
}

void
tokens_err_at(const struct config *cfg, int line, char *err, size_t errlen)
{
	char msg[CONFIG_ERR_MAX];

	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, errlen, "%s:%d: %s", cfg->path, line, msg);
}

/*
 * Open every token and key of cfg.  *locked is set when a login was
 * refused (wrong PIN, locked token): that is never retried.
 */
static struct tokens *
tokens_build(const struct config *cfg, char *err, size_t errlen, int *locked)
{
	struct tokens *t;

	err[0] = '\0';
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->mods = calloc(cfg->ntokens + 1, sizeof(*t->mods))) == NULL ||
	    (t->toks = calloc(cfg->ntokens + 1, sizeof(*t->toks))) == NULL ||
	    (t->keys = calloc(cfg->nkeys + 1, sizeof(*t->keys))) == NULL) {
		snprintf(err, errlen, "out of memory");
		tokens_close(t);
		return NULL;
	}
	for (size_t i = 0; i < cfg->ntokens; i++)
		if (token_open(t, &cfg->tokens[i], err, errlen) == -1) {
			tokens_err_at(cfg, cfg->tokens[i].line, err, errlen);
			goto fail;
		}
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (tokens_key_open(t, &cfg->keys[i], err, errlen) == -1) {
			tokens_err_at(cfg, cfg->keys[i].line, err, errlen);
			goto fail;
		}
	if (tokens_check_aliases(t, cfg, err, errlen) == -1)
		goto fail;
	return t;
fail:
	for (size_t i = 0; i < t->ntoks; i++)
		if (atomic_load(&t->toks[i].state) == TOKEN_LOCKED)
			*locked = 1;
	tokens_close(t);
	return NULL;
}

struct tokens *
tokens_open(const struct config *cfg, char *err, size_t errlen)
{
	struct tokens *t;
	int locked = 0;

	if ((t = tokens_build(cfg, err, errlen, &locked)) != NULL)
		tokens_warn_expiry(t, cfg->cert_warn_days);
	return t;
}

/*
 * Drop every PKCS#11 handle (keys, sessions, modules) but keep the token
 * names, so that status still answers while the tokens are away.
 */
static void
tokens_release(struct tokens *t, enum token_state state)
{
	for (size_t i = 0; i < t->nkeys; i++) {
		for (size_t r = 0; r < t->keys[i].nrep; r++)
			EVP_PKEY_free(t->keys[i].rep[r].pkey);
		X509_free(t->keys[i].cert);
		OPENSSL_free(t->keys[i].certder);
		free(t->keys[i].chainder);
	}
	t->nkeys = 0;
	for (size_t i = 0; i < t->nmods; i++)
		p11_module_unload(&t->mods[i]);
	t->nmods = 0;
	for (size_t i = 0; i < t->ntoks; i++) {
		t->toks[i].mod = NULL;
		t->toks[i].slot = NULL;
		t->toks[i].relogin_sess = 0;
		t->toks[i].keys = NULL;
		t->toks[i].nkeys = 0;
		atomic_store(&t->toks[i].state, state);
	}
	ERR_clear_error();
}

int
tokens_reopen(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen)
{
	struct tokens *n;
	int locked = 0;

	tokens_release(t, TOKEN_UNAVAILABLE);
	if ((n = tokens_build(cfg, err, errlen, &locked)) == NULL) {
		if (locked)
			tokens_release(t, TOKEN_LOCKED);
		return -1;
	}
	for (size_t i = 0; i < t->ntoks; i++) {
		free(t->toks[i].module_path);
		free(t->toks[i].pinfile);
		free(t->toks[i].label);
	}
	free(t->keys);
	free(t->toks);
	free(t->mods);
	*t = *n;
	free(n);
	return 0;
}

int
tokens_any_stuck(const struct tokens *t)
{
	for (size_t i = 0; i < t->ntoks; i++)
		if (atomic_load(&t->toks[i].stuck) > 0)
			return 1;
	return 0;
}

/*
 * Logging in to every token again unloads the modules and drops every
 * key until it succeeds, so it is only for when no token is left: while
 * one token serves, the health probe brings the others back one by one
 * (health.c), and a failed login anew would take the healthy ones down
 * with it.  It also waits until no thread is stuck in a module
 * (token/signer.c abandons those of a hung token).
 */
int
tokens_need_recovery(const struct tokens *t)
{
	int lost = 0;

	for (size_t i = 0; i < t->ntoks; i++) {
		int st = atomic_load(&t->toks[i].state);

		if (st == TOKEN_LOCKED)
			return 0; /* a refused PIN is never retried */
		if (st == TOKEN_READY)
			return 0;
		lost = 1;
	}
	return lost && !tokens_any_stuck(t);
}

/*
 * A thread still stuck in a module (signer_stop abandons it) would crash
 * in an unloaded one: then everything is left as it is, for the process
 * to exit.
 */
void
tokens_close(struct tokens *t)
{
	if (t == NULL || (t->toks != NULL && tokens_any_stuck(t)))
		return;
	if (t->keys != NULL && t->toks != NULL && t->mods != NULL)
		tokens_release(t, TOKEN_UNAVAILABLE);
	for (size_t i = 0; t->toks != NULL && i < t->ntoks; i++) {
		free(t->toks[i].module_path);
		free(t->toks[i].pinfile);
		free(t->toks[i].label);
	}
	free(t->keys);
	free(t->toks);
	free(t->mods);
	free(t);
}

/* Does the open token tk still match the Token block ct? */
static int
token_same(const struct token *tk, const struct cfg_token *ct)
{
	if (strcmp(tk->module_path, ct->module) != 0 || tk->slotid != ct->slot)
		return 0;
	if ((tk->label == NULL) != (ct->label == NULL))
		return 0;
	return tk->label == NULL || strcmp(tk->label, ct->label) == 0;
}

/* Does the open key k still sit on the tokens that ck names, in order? */
static int
key_same_tokens(const struct tokens *t, const struct token_key *k,
    const struct cfg_key *ck)
{
	if (k->nrep != ck->ntokens)
		return 0;
	for (size_t r = 0; r < k->nrep; r++)
		if (k->rep[r].token != tokens_by_name(t, ck->tokens[r]->name) ||
		    k->rep[r].p11key != token_p11key_find(k->rep[r].token, ck))
			return 0;
	return 1;
}

int
tokens_check_config(struct tokens *t, const struct config *cfg, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < cfg->ntokens; i++) {
		struct token *tk = tokens_by_name(t, cfg->tokens[i].name);

		if (tk == NULL || !token_same(tk, &cfg->tokens[i])) {
			snprintf(err, errlen,
			    "token %s is new or changed; "
			    "token changes need a restart",
			    cfg->tokens[i].name);
			return -1;
		}
	}
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct token_key *k =
		    tokens_find_key(t, cfg->keys[i].name);

		if (k == NULL || k->token == NULL ||
		    !key_same_tokens(t, k, &cfg->keys[i])) {
			snprintf(err, errlen,
			    "key %s is new or changed; "
			    "new keys need a restart",
			    cfg->keys[i].name);
			return -1;
		}
	}
	return 0;
}

const struct token_key *
tokens_find_key(const struct tokens *t, const char *name)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

size_t
tokens_count(const struct tokens *t)
{
	return t->ntoks;
}

const char *
tokens_name(const struct tokens *t, size_t i)
{
	return t->toks[i].name;
}

enum token_state
tokens_state(const struct tokens *t, size_t i)
{
	return (enum token_state)atomic_load(&t->toks[i].state);
}

/* READY if one of k's tokens is, else the state of its first. */
enum token_state
token_key_state(const struct token_key *k)
{
	if (token_pick(k, 0) >= 0)
		return TOKEN_READY;
	return (enum token_state)atomic_load(&k->token->state);
}
