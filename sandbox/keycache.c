/* keycache.c: the keys the monitor has described to a session. */
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sandbox/channel.h"
#include "sandbox/sessionpriv.h"

/* Forget a cached key. */
static void
key_clear(struct cached_key *c)
{
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c));
}

/* The cached description of a key, or NULL. */
static struct cached_key *
key_cached(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

/* Parse DER certificates back to back (the Chain); NULL chain if none. */
static int
chain_parse(const uint8_t *p, size_t len, STACK_OF(X509) **out)
{
	const unsigned char *q = p, *end = p + len;
	X509 *x;

	*out = NULL;
	if (len == 0)
		return 0;
	if ((*out = sk_X509_new_null()) == NULL)
		return -1;
	while (q < end) {
		if ((x = d2i_X509(NULL, &q, (long)(end - q))) == NULL ||
		    !sk_X509_push(*out, x)) {
			X509_free(x);
			return -1;
		}
	}
	return 0;
}

/* Fill cache entry c from a granted KEYINFO reply; -1 if unparsable. */
static int
key_fill(struct cached_key *c, const char *name,
    const struct msg_keyinfo_reply *k)
{
	const unsigned char *p = k->cert;

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->info = *k;
	c->info.cert = c->info.chain = NULL;
	c->info.certlen = c->info.chainlen = 0;
	if ((c->cert = d2i_X509(NULL, &p, (long)k->certlen)) == NULL ||
	    p != k->cert + k->certlen ||
	    chain_parse(k->chain, k->chainlen, &c->chain) == -1)
		return -1;
	return 0;
}

/*
 * The description of a key granted to this session: from the cache, or
 * asked of the monitor (which audits a refusal; format and name describe
 * the request for that record).  Replies to the client and returns NULL
 * if refused.  The cache spares a batch a round trip and a certificate
 * parse per file; the monitor still checks the grant on every signature.
 */
struct cached_key *
session_key(struct session *s, const char *key, int format, const char *name)
{
	struct msg_keyinfo m = { .format = FMT_NONE };
	struct msg_keyinfo_reply k;
	struct cached_key *c;
	struct buf keep;

	if ((c = key_cached(s, key)) != NULL)
		return c;
	snprintf(m.key, sizeof(m.key), "%s", key);
	if (name != NULL) {
		m.format = (uint8_t)format;
		snprintf(m.name, sizeof(m.name), "%s", name);
	}
	sandbox_request_keyinfo(&m, &k, &keep);
	if (k.status != ST_OK) {
		session_reply(s, k.status, k.message);
		buf_free(&keep);
		return NULL;
	}
	if (s->nkeys < KEY_CACHE)
		c = &s->keys[s->nkeys++];
	else {
		c = &s->keys[s->evict];
		s->evict = (s->evict + 1) % KEY_CACHE;
		key_clear(c);
	}
	if (key_fill(c, key, &k) == -1) {
		key_clear(c);
		c = NULL;
		session_reply(s, ST_INTERNAL,
		    "bad certificate from the monitor");
	}
	buf_free(&keep);
	return c;
}

struct cached_key *
session_key_peek(struct session *s, const char *key)
{
	return key_cached(s, key);
}

void
session_key_forget(struct session *s, const char *key)
{
	struct cached_key *c = key_cached(s, key);
	size_t last;

	if (c == NULL)
		return;
	key_clear(c);
	/* Keep the cache dense: the last entry takes the freed place. */
	last = s->nkeys - 1;
	if (c != &s->keys[last]) {
		*c = s->keys[last];
		memset(&s->keys[last], 0, sizeof(s->keys[last]));
	}
	s->nkeys--;
	s->evict = 0;
}

void
session_keys_free(struct session *s)
{
	for (size_t i = 0; i < s->nkeys; i++)
		key_clear(&s->keys[i]);
	s->nkeys = 0;
}

int
session_cert(struct session *s, const struct frame *f, const int *fds,
    size_t nfds)
{
	char key[KEY_NAME_MAX + 1], *pem = NULL;
	struct cached_key *c;
	uint32_t flags = 0;
	BIO *b = NULL;
	long n;
	int r;

	(void)fds;
	(void)nfds;
	(void)frame_get_u32(f, T_FLAGS, &flags);
	if (frame_get_str(f, T_KEY, key, sizeof(key)) == -1 ||
	    (flags & ~CERT_F_OPENPGP) != 0)
		return session_reply(s, ST_BAD_REQUEST, "bad cert request");
	if ((c = session_key(s, key, FMT_NONE, NULL)) == NULL)
		return 0;
	if (flags & CERT_F_OPENPGP)
		return session_cert_openpgp(s, c, key);
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, c->cert) != 1 ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0 ||
	    frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "ok") == -1 ||
	    frame_add_bytes(&s->out, T_CERT, pem, (size_t)n) == -1)
		r = session_reply(s, ST_INTERNAL,
		    "cannot encode the certificate");
	else
		r = session_send(s);
	BIO_free(b);
	return r;
}
