/*
 * health.c: the health of each token (see token.h): which of a key's
 * tokens signs, marking a token out of service, the health probe that
 * brings it back, and the changes the loop audits.
 *
 * A token's state is an atomic that a signing thread may lower (a failed
 * C_Sign) and only the loop raises again, from a probe's result: a token
 * is back in service when a signature it made verifies with the key's
 * certificate, never merely because a call returned.  Raising it in the
 * loop lets the loop audit the return before any request or status query
 * can see the token ready.  A thread abandoned in a hung token changes
 * nothing when it returns (token/signer.c): by then the token may have
 * been probed back into service, and its late failure is old news.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "proto/sigcheck.h"
#include "token/pin.h"
#include "token/pkcs11_min.h"
#include "token/replica.h"
#include "token/tokens_priv.h"

static const char *const why_names[TW_COUNT] = {
	[TW_NONE] = "ready",
	[TW_SIGN] = "sign error",
	[TW_TIMEOUT] = "timeout",
	[TW_PROBE] = "probe failed",
	[TW_WRONG] = "wrong signature",
	[TW_LOGIN] = "login failed",
};

/* Which of k's tokens are in service now, into ready. */
static void
key_ready(const struct token_key *k, int ready[KEY_TOKENS_MAX])
{
	for (size_t r = 0; r < k->nrep; r++)
		ready[r] = k->rep[r].token != NULL && k->rep[r].pkey != NULL &&
		    atomic_load(&k->rep[r].token->state) == TOKEN_READY;
}

int
token_pick(const struct token_key *k, unsigned tried)
{
	int ready[KEY_TOKENS_MAX];

	key_ready(k, ready);
	return replica_pick(ready, k->nrep, tried);
}

int
token_may_retry(const struct token_key *k, unsigned tried, unsigned tries)
{
	int ready[KEY_TOKENS_MAX];

	key_ready(k, ready);
	return replica_may_retry(ready, k->nrep, tried, tries);
}

void
token_mark(const struct token_key *k, size_t r, enum token_why why)
{
	struct token *tk = k->rep[r].token;
	int ready = TOKEN_READY;

	/* Counted even when it changes nothing: see token_probe_done(). */
	atomic_fetch_add(&tk->marks, 1);
	/* Only a ready token changes here: a locked one stays locked. */
	if (atomic_compare_exchange_strong(&tk->state, &ready,
		TOKEN_UNAVAILABLE)) {
		atomic_store(&tk->why, why);
		log_warnx("token %s out of service: %s", tk->name,
		    why_names[why]);
	}
	ERR_clear_error();
}

void
token_stuck(const struct token_key *k, size_t r, int delta)
{
	atomic_fetch_add(&k->rep[r].token->stuck, delta);
}

void
token_signed(const struct token_key *k, size_t r)
{
	atomic_fetch_add(&k->rep[r].token->signed_, 1);
}

unsigned
token_rep_timeout(const struct token_key *k, size_t r, unsigned dflt)
{
	unsigned t = k->rep[r].token->timeout;

	return t != 0 ? t : dflt;
}

const char *
token_rep_name(const struct token_key *k, size_t r)
{
	return r < k->nrep && k->rep[r].token != NULL ? k->rep[r].token->name
						      : "?";
}

const char *
token_key_serving(const struct token_key *k)
{
	int r = token_pick(k, 0);

	return r < 0 ? NULL : k->rep[r].token->name;
}

/*
 * Log in again through the module's own function list: libp11 skips a
 * login it believes done, and its logout would drop the key handles in
 * use.  The module is the instance libp11 loaded and initialized (so
 * RTLD_NOLOAD, no C_Initialize), as in admin_open.c.  The session stays
 * open until the next login anew: closing a token's last session would
 * log it out.
 */
static CK_RV
relogin_raw(struct token *tk, const char *pin)
{
	CK_C_GetFunctionList getfl;
	CK_FUNCTION_LIST *fl = NULL;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_RV rv = CKR_GENERAL_ERROR;
	void *dl;

	if ((dl = dlopen(tk->module_path,
		 RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) == NULL)
		return rv;
	getfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	if (getfl != NULL && getfl(&fl) == CKR_OK && fl != NULL &&
	    (rv = fl->C_OpenSession(PKCS11_get_slotid_from_slot(tk->slot),
		 CKF_SERIAL_SESSION, NULL, NULL, &h)) == CKR_OK) {
		rv = fl->C_Login(h, CKU_USER, (CK_BYTE *)pin, strlen(pin));
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
		if (tk->relogin_sess != CK_INVALID_HANDLE)
			fl->C_CloseSession(tk->relogin_sess);
		tk->relogin_sess = h;
	}
	dlclose(dl);
	return rv;
}

int
token_relogin(struct token *tk)
{
	char pin[PIN_MAX], err[CONFIG_ERR_MAX];
	CK_RV rv;

	if (tk->slot == NULL ||
	    pin_read(tk->pinfile, pin, sizeof(pin), err, sizeof(err)) == -1)
		return -1;
	rv = relogin_raw(tk, pin);
	explicit_bzero(pin, sizeof(pin));
	ERR_clear_error();
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return P11_LOGIN_REFUSED;
	return rv == CKR_OK ? 0 : -1;
}

/* One test signature on k's r-th token, verified: 0, or its why. */
static enum token_why
probe_once(const struct token_key *k, size_t r)
{
	uint8_t tbs[DIGEST_MAX], sig[SIG_MAX];
	size_t tbslen = digest_len(k->probe_digest), siglen = sizeof(sig);

	if (RAND_bytes(tbs, (int)tbslen) != 1)
		return TW_PROBE;
	if (token_sign_on(k, r, k->probe_digest, k->probe_padding, tbs, tbslen,
		sig, &siglen) == -1)
		return TW_PROBE;
	if (sig_verify(X509_get0_pubkey(k->cert), k->probe_digest,
		k->probe_padding, tbs, tbslen, sig, siglen) != 1)
		return TW_WRONG;
	return TW_NONE;
}

/*
 * A probe that cannot sign may face a token whose sessions are gone (an
 * HSM restarted, a card pulled and put back): log in again and try once
 * more.  A refused login is not retried; the token stays out of service
 * ("login failed") and, for a wrong PIN, is locked here at once, even by
 * a probe that returns late (each wrong PIN brings it closer to locking).
 */
enum token_why
token_probe(const struct token_key *k, size_t r)
{
	struct token *tk = k->rep[r].token;
	enum token_why why;

	if (atomic_load(&tk->state) == TOKEN_LOCKED)
		return TW_LOGIN;
	if ((why = probe_once(k, r)) == TW_PROBE) {
		int lr = token_relogin(tk);

		if (lr == P11_LOGIN_REFUSED) {
			atomic_store(&tk->state, TOKEN_LOCKED);
			log_warnx("token %s: the PIN was refused; not retrying "
				  "(a restart logs in again)",
			    tk->name);
			return TW_LOGIN;
		}
		why = lr == -1 ? TW_LOGIN : probe_once(k, r);
	}
	return why;
}

unsigned
token_marks(const struct token_key *k, size_t r)
{
	return atomic_load(&k->rep[r].token->marks);
}

int
token_probe_done(const struct token_key *k, size_t r, enum token_why why,
    unsigned marks)
{
	struct token *tk = k->rep[r].token;
	int st = atomic_load(&tk->state), unavailable = TOKEN_UNAVAILABLE;

	if (st == TOKEN_LOCKED)
		return -1;
	if (why != TW_NONE) {
		token_mark(k, r, why);
		/* A probe that merely fails keeps the first cause shown. */
		if (st != TOKEN_READY && why != TW_PROBE)
			atomic_store(&tk->why, why);
		return -1;
	}
	/*
	 * A request failed on the token while the probe signed: its failure
	 * is newer than the probe's success; the next probe decides.
	 */
	if (atomic_load(&tk->marks) != marks)
		return -1;
	if (!atomic_compare_exchange_strong(&tk->state, &unavailable,
		TOKEN_READY))
		return st == TOKEN_READY ? 0 : -1;
	atomic_store(&tk->why, TW_NONE);
	/* ... or between that check and the exchange (its mark was lost). */
	if (atomic_load(&tk->marks) != marks) {
		token_mark(k, r, TW_SIGN);
		return -1;
	}
	log_info("token %s back in service: a probe signature verified",
	    tk->name);
	return 0;
}

size_t
tokens_probe_list(const struct tokens *t, const struct token_key **keys,
    size_t *reps, size_t *toks, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ntoks && n < max; i++) {
		const struct token *tk = &t->toks[i];

		if (atomic_load(&tk->state) == TOKEN_LOCKED ||
		    atomic_load(&tk->stuck) > 0)
			continue;
		for (size_t j = 0; j < t->nkeys; j++) {
			size_t r;

			for (r = 0; r < t->keys[j].nrep; r++)
				if (t->keys[j].rep[r].token == tk &&
				    t->keys[j].rep[r].pkey != NULL)
					break;
			if (r == t->keys[j].nrep)
				continue;
			keys[n] = &t->keys[j];
			reps[n] = r;
			toks[n++] = i;
			break;
		}
	}
	return n;
}

void
tokens_health_report(struct tokens *t, token_health_cb cb, void *arg)
{
	char text[64];

	for (size_t i = 0; i < t->ntoks; i++) {
		struct token *tk = &t->toks[i];
		int st = atomic_load(&tk->state);

		if (st == tk->reported)
			continue;
		tk->reported = st;
		tokens_health_text(t, i, text, sizeof(text));
		cb(arg, tk->name, st == TOKEN_READY, text);
	}
}

void
tokens_health_text(const struct tokens *t, size_t i, char *buf, size_t len)
{
	const struct token *tk = &t->toks[i];
	int st = atomic_load(&tk->state), why = atomic_load(&tk->why);

	if (st == TOKEN_UNAVAILABLE && why > TW_NONE && why < TW_COUNT)
		snprintf(buf, len, "%s: %s", token_state_name(st),
		    why_names[why]);
	else
		snprintf(buf, len, "%s", token_state_name(st));
}

unsigned long
tokens_signatures(const struct tokens *t, size_t i)
{
	return atomic_load(&t->toks[i].signed_);
}
