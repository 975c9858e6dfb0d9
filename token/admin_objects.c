/*
 * admin_objects.c: what is on a token, for csign-admin: every private
 * key, public key and certificate (keys, show), and the one private key
 * of a label with its public key (csr, import).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/admin_priv.h"

#define OBJECTS_MAX 4096

/* Fill the common fields of an object; 0, or -1 if out of memory. */
static int
object_init(struct p11a_object *o, enum p11a_kind kind, const char *label,
    const unsigned char *id, size_t idlen)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	if ((o->label = strdup(label != NULL ? label : "")) == NULL)
		return -1;
	o->idlen = idlen < sizeof(o->id) ? idlen : sizeof(o->id);
	if (o->idlen > 0)
		memcpy(o->id, id, o->idlen);
	return 0;
}

/* The public key object of the same id as o, among objs[0..n). */
static EVP_PKEY *
pub_by_id(const struct p11a_object *objs, size_t n, const struct p11a_object *o)
{
	for (size_t i = 0; i < n; i++)
		if (objs[i].kind == P11A_PUBLIC && objs[i].pub != NULL &&
		    objs[i].idlen == o->idlen &&
		    memcmp(objs[i].id, o->id, o->idlen) == 0 &&
		    EVP_PKEY_up_ref(objs[i].pub) == 1)
			return objs[i].pub;
	return NULL;
}

/*
 * Copy out the certificates, then the public keys, then the private
 * keys, each list completely before asking libp11 for the next one (a
 * libp11 call may refresh a list and move its entries).
 */
static int
objects_fill(struct p11a *a, struct p11a_object *o, size_t *n, size_t max)
{
	PKCS11_TOKEN *tok = a->slot->token;
	PKCS11_CERT *c;
	PKCS11_KEY *k;
	unsigned int nc, nk;

	if (PKCS11_enumerate_certs(tok, &c, &nc) != 0)
		return -1;
	for (unsigned int i = 0; i < nc && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_CERT, c[i].label, c[i].id,
			c[i].id_len) == -1 ||
		    (c[i].x509 != NULL &&
			(o[*n].cert = X509_dup(c[i].x509)) == NULL))
			return -1;
		if (o[*n].cert != NULL &&
		    (o[*n].pub = X509_get_pubkey(o[*n].cert)) == NULL)
			ERR_clear_error();
	}
	if (PKCS11_enumerate_public_keys(tok, &k, &nk) != 0)
		return -1;
	for (unsigned int i = 0; i < nk && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_PUBLIC, k[i].label, k[i].id,
			k[i].id_len) == -1)
			return -1;
		o[*n].pub = p11a_raw_pub(a,
		    p11a_raw_find(a, CKO_PUBLIC_KEY, k[i].id, k[i].id_len,
			k[i].label));
	}
	if (PKCS11_enumerate_keys(tok, &k, &nk) != 0)
		return -1;
	for (unsigned int i = 0; i < nk && *n < max; i++, (*n)++) {
		if (object_init(&o[*n], P11A_PRIVATE, k[i].label, k[i].id,
			k[i].id_len) == -1)
			return -1;
		if ((o[*n].pub = pub_by_id(o, *n, &o[*n])) == NULL)
			o[*n].pub = p11a_raw_pub(a,
			    p11a_raw_find(a, CKO_PRIVATE_KEY, k[i].id,
				k[i].id_len, k[i].label));
	}
	return 0;
}

int
p11a_objects(struct p11a *a, struct p11a_object **objs, size_t *nobjs,
    char *err, size_t errlen)
{
	struct p11a_object *o;
	size_t n = 0;

	*objs = NULL;
	*nobjs = 0;
	if ((o = calloc(OBJECTS_MAX, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (objects_fill(a, o, &n, OBJECTS_MAX) == -1) {
		snprintf(err, errlen, "token %s: cannot list objects", a->name);
		p11a_objects_free(o, n + 1 < OBJECTS_MAX ? n + 1 : n);
		ERR_clear_error();
		return -1;
	}
	ERR_clear_error();
	*objs = o;
	*nobjs = n;
	return 0;
}

void
p11a_objects_free(struct p11a_object *objs, size_t nobjs)
{
	if (objs == NULL)
		return;
	for (size_t i = 0; i < nobjs; i++) {
		free(objs[i].label);
		EVP_PKEY_free(objs[i].pub);
		X509_free(objs[i].cert);
	}
	free(objs);
}

/* The public key of the certificate with k's id, if any. */
static EVP_PKEY *
cert_pub(struct p11a *a, const struct p11a_key *k)
{
	PKCS11_CERT *c;
	unsigned int n;

	if (PKCS11_enumerate_certs(a->slot->token, &c, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (c[i].x509 != NULL && c[i].id_len == k->idlen &&
		    memcmp(c[i].id, k->id, k->idlen) == 0)
			return X509_get_pubkey(c[i].x509);
	return NULL;
}

/*
 * The public key of the private key k labelled label: from the public
 * key object of its id, from the key itself (RSA), or from the
 * certificate of its id.
 */
static EVP_PKEY *
key_pub(struct p11a *a, const struct p11a_key *k, const char *label)
{
	EVP_PKEY *pub;

	if ((pub = p11a_raw_pub(a,
		 p11a_raw_find(a, CKO_PUBLIC_KEY, k->id, k->idlen, NULL))) !=
	    NULL)
		return pub;
	if ((pub = p11a_raw_pub(a,
		 p11a_raw_find(a, CKO_PRIVATE_KEY, k->id, k->idlen, label))) !=
	    NULL)
		return pub;
	return cert_pub(a, k);
}

int
p11a_find_key(struct p11a *a, const char *label, struct p11a_key *k, char *err,
    size_t errlen)
{
	PKCS11_KEY *keys, *found = NULL;
	unsigned int n, count = 0;

	memset(k, 0, sizeof(*k));
	if (PKCS11_enumerate_keys(a->slot->token, &keys, &n) != 0) {
		snprintf(err, errlen, "token %s: cannot list keys", a->name);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (keys[i].label == NULL || strcmp(keys[i].label, label) != 0)
			continue;
		found = &keys[i];
		count++;
	}
	if (count == 0) {
		snprintf(err, errlen,
		    "token %s: no private key labelled "
		    "\"%s\"",
		    a->name, label);
		return -1;
	}
	if (count > 1 || found->id_len > sizeof(k->id)) {
		snprintf(err, errlen,
		    "token %s: %u private keys labelled "
		    "\"%s\" (or an overlong id); give each key its own label",
		    a->name, count, label);
		return -1;
	}
	k->idlen = found->id_len;
	memcpy(k->id, found->id, k->idlen);
	/* The signing handle first: later listings may move *found. */
	if ((k->priv = PKCS11_get_private_key(found)) == NULL) {
		snprintf(err, errlen,
		    "token %s: cannot use the private key "
		    "\"%s\"",
		    a->name, label);
		return -1;
	}
	if ((k->pub = key_pub(a, k, label)) == NULL) {
		snprintf(err, errlen,
		    "token %s: cannot read the public key "
		    "of \"%s\"",
		    a->name, label);
		p11a_key_clear(k);
		ERR_clear_error();
		return -1;
	}
	ERR_clear_error();
	return 0;
}

void
p11a_key_clear(struct p11a_key *k)
{
	EVP_PKEY_free(k->priv);
	EVP_PKEY_free(k->pub);
	memset(k, 0, sizeof(*k));
}
