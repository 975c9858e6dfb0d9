/*
 * certpgp.c: F_CERT with CERT_F_OPENPGP, the key's OpenPGP transferable
 * public key.  Its self-signature is a signature like any other: the
 * monitor checks the grant (the key must allow openpgp or openpgp-clear
 * for this user), signs the digest on the token and audits it under a
 * name that says what it is.
 */
#include <stdio.h>

#include <openssl/x509.h>

#include "sandbox/hold.h"
#include "sandbox/sessionpriv.h"

/* The grant the self-signature goes under: openpgp, else openpgp-clear. */
static int
cert_format(const struct cached_key *c)
{
	if (c->info.formats & FMT_BIT(FMT_OPENPGP))
		return FMT_OPENPGP;
	return FMT_OPENPGP_CLEAR;
}

int
session_cert_openpgp(struct session *s, struct cached_key *c, const char *key)
{
	char name[ARTIFACT_NAME_MAX + 1];
	struct sign_input in = { .fd = -1, .outfd = -1, .key = key };
	struct sign_output out = { .status = ST_OK };
	int r;

	if (!(c->info.formats & OPENPGP_FORMATS))
		return session_reply(s, ST_DENIED,
		    "key not granted for openpgp");
	snprintf(name, sizeof(name), "openpgp self-signature: %s",
	    c->info.pgp_uid);
	in.name = name;
	in.format = cert_format(c);
	in.digest = c->info.default_digest;
	in.padding = c->info.padding;
	in.keytype = c->info.keytype;
	in.cert = c->cert;
	in.pub = X509_get0_pubkey(c->cert);
	in.pgp_created = c->info.pgp_created;
	in.pgp_uid = c->info.pgp_uid;
	in.hold = s->hold;
	hold_begin(s->hold, 0);
	buf_init(&out.data, FRAME_MAX);
	if (in.pub == NULL)
		sign_fail(&out, ST_INTERNAL, "certificate without a key");
	else
		(void)openpgp_export(&in, &out);
	if (out.status != ST_OK)
		r = session_reply(s, out.status, out.message);
	else if (frame_begin(&s->out, F_REPLY) == -1 ||
	    frame_add_u32(&s->out, T_STATUS, ST_OK) == -1 ||
	    frame_add_str(&s->out, T_MESSAGE, "ok") == -1 ||
	    frame_add_bytes(&s->out, T_CERT, buf_ptr(&out.data),
		buf_left(&out.data)) == -1)
		r = session_reply(s, ST_INTERNAL, "cannot encode the key");
	else
		r = session_send(s);
	hold_reset(s->hold);
	buf_free(&out.data);
	return r;
}
