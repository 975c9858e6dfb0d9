/*
 * admin_keygen.c: key pairs generated on the token for csign-admin.
 *
 * Key generation goes to the module directly, in our own session (see
 * admin_open.c): libp11's PKCS11_generate_key is deprecated, RSA only,
 * and sets CKA_DECRYPT on the private key and no CKA_EXTRACTABLE at all,
 * so the attributes would be the module's defaults.  Ours are exact and
 * read back; a pair the token did not make as asked is destroyed.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "token/admin_priv.h"

/* What each key type is made of. */
static const struct keyspec {
	const char *name;
	int ec;
	CK_ULONG bits;
	const uint8_t *oid; /* EC: CKA_EC_PARAMS */
	size_t oidlen;
} keyspecs[P11A_KT_COUNT] = {
	[P11A_RSA3072] = { "rsa:3072", 0, 3072, NULL, 0 },
	[P11A_RSA4096] = { "rsa:4096", 0, 4096, NULL, 0 },
	[P11A_EC_P256] = { "ec:p256", 1, 256, p11a_oid_p256,
	    sizeof(p11a_oid_p256) },
	[P11A_EC_P384] = { "ec:p384", 1, 384, p11a_oid_p384,
	    sizeof(p11a_oid_p384) },
};

int
p11a_keytype_from_name(const char *name)
{
	for (int i = 0; i < P11A_KT_COUNT; i++)
		if (strcmp(keyspecs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
p11a_keytype_name(int kt)
{
	return kt >= 0 && kt < P11A_KT_COUNT ? keyspecs[kt].name : "unknown";
}

/* 1 if an object of the token has this label or (idlen > 0) this id. */
static int
object_exists(struct p11a *a, const char *label, const uint8_t *id,
    size_t idlen, char *err, size_t errlen)
{
	struct p11a_object *o;
	size_t n;
	int found = 0;

	if (p11a_objects(a, &o, &n, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < n && !found; i++) {
		if (strcmp(o[i].label, label) == 0)
			found = 1;
		else if (idlen > 0 && o[i].idlen == idlen &&
		    memcmp(o[i].id, id, idlen) == 0)
			found = 2;
	}
	p11a_objects_free(o, n);
	if (found == 1)
		snprintf(err, errlen,
		    "token %s: an object labelled \"%s\" "
		    "exists already",
		    a->name, label);
	else if (found == 2)
		snprintf(err, errlen,
		    "token %s: an object with that id "
		    "exists already",
		    a->name);
	return found ? -1 : 0;
}

/*
 * The attribute templates of a new pair.  The private key is a token
 * object, private, sensitive, never extractable, for signing only.
 *
 * tpm2-pkcs11 (1.9.0) derives the usage flags of both halves from the
 * TPM object it made: TPMA_OBJECT_SIGN_ENCRYPT gives CKA_SIGN and
 * CKA_ENCRYPT, TPMA_OBJECT_DECRYPT gives CKA_DECRYPT and CKA_VERIFY, and
 * a template that states one of them otherwise fails the whole generation
 * ("User specified and TPM specified attr mismatch: 0x10a", CKA_VERIFY
 * true on the public half of a signing-only key).  For that module the
 * public template leaves CKA_VERIFY and CKA_ENCRYPT out (nothing of the
 * private key's protection depends on them: check_private() still reads
 * back every attribute of the private half).
 *
 * tpm2-pkcs11 signs PKCS#1 v1.5 over a digest (CKM_RSA_PKCS, the only
 * mechanism that takes a precomputed digest) by padding on the host and
 * running TPM2_RSA_Decrypt with the null scheme, which the TPM allows only
 * on an object with TPMA_OBJECT_DECRYPT: a signing-only RSA key fails
 * every signature ("Esys_RSA_Decrypt: inconsistent attributes").  So an
 * RSA key on that module gets CKA_DECRYPT true, and check_private()
 * expects it; csignd never asks any token to decrypt, and the key stays
 * private, sensitive and never extractable (docs/tokens.md).  EC keys
 * stay signing-only (TPM2_Sign takes the digest as it is).
 */
struct gen_templates {
	CK_ATTRIBUTE pub[10];
	CK_ULONG npub;
	CK_ATTRIBUTE priv[12];
	CK_ULONG npriv;
};

static CK_BBOOL ck_true = CK_TRUE, ck_false = CK_FALSE;
static CK_BYTE rsa_e65537[] = { 0x01, 0x00, 0x01 };

#define ATTR(t, a, v, l) \
	((t)[n++] = (CK_ATTRIBUTE){ (a), (void *)(v), (CK_ULONG)(l) })

static void
gen_templates(struct gen_templates *g, const struct keyspec *ks,
    const char *label, const uint8_t *id, size_t idlen, CK_ULONG *bits,
    int tpm2)
{
	CK_ULONG n = 0;

	ATTR(g->pub, CKA_TOKEN, &ck_true, 1);
	ATTR(g->pub, CKA_PRIVATE, &ck_false, 1);
	if (!tpm2) {
		ATTR(g->pub, CKA_VERIFY, &ck_true, 1);
		ATTR(g->pub, CKA_ENCRYPT, &ck_false, 1);
	}
	ATTR(g->pub, CKA_WRAP, &ck_false, 1);
	ATTR(g->pub, CKA_LABEL, label, strlen(label));
	ATTR(g->pub, CKA_ID, id, idlen);
	if (ks->ec) {
		ATTR(g->pub, CKA_EC_PARAMS, ks->oid, ks->oidlen);
	} else {
		ATTR(g->pub, CKA_MODULUS_BITS, bits, sizeof(*bits));
		ATTR(g->pub, CKA_PUBLIC_EXPONENT, rsa_e65537,
		    sizeof(rsa_e65537));
	}
	g->npub = n;
	n = 0;
	ATTR(g->priv, CKA_TOKEN, &ck_true, 1);
	ATTR(g->priv, CKA_PRIVATE, &ck_true, 1);
	ATTR(g->priv, CKA_SENSITIVE, &ck_true, 1);
	ATTR(g->priv, CKA_EXTRACTABLE, &ck_false, 1);
	ATTR(g->priv, CKA_SIGN, &ck_true, 1);
	ATTR(g->priv, CKA_DECRYPT, tpm2 && !ks->ec ? &ck_true : &ck_false, 1);
	ATTR(g->priv, CKA_UNWRAP, &ck_false, 1);
	ATTR(g->priv, CKA_DERIVE, &ck_false, 1);
	ATTR(g->priv, CKA_LABEL, label, strlen(label));
	ATTR(g->priv, CKA_ID, id, idlen);
	g->npriv = n;
}

/*
 * Read back what the token made of the private key: every protection we
 * asked for must hold, and the key must never have been extractable.
 * CKA_DECRYPT must be what we asked, decrypt: false, except for RSA on
 * tpm2-pkcs11 (see gen_templates()).
 */
static int
check_private(struct p11a *a, CK_OBJECT_HANDLE h, CK_BBOOL decrypt, char *err,
    size_t errlen)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		CK_BBOOL want;
		const char *name;
	} checks[] = {
		{ CKA_TOKEN, CK_TRUE, "CKA_TOKEN" },
		{ CKA_PRIVATE, CK_TRUE, "CKA_PRIVATE" },
		{ CKA_SENSITIVE, CK_TRUE, "CKA_SENSITIVE" },
		{ CKA_ALWAYS_SENSITIVE, CK_TRUE, "CKA_ALWAYS_SENSITIVE" },
		{ CKA_EXTRACTABLE, CK_FALSE, "CKA_EXTRACTABLE" },
		{ CKA_NEVER_EXTRACTABLE, CK_TRUE, "CKA_NEVER_EXTRACTABLE" },
		{ CKA_SIGN, CK_TRUE, "CKA_SIGN" },
		{ CKA_DECRYPT, CK_FALSE, "CKA_DECRYPT" }, /* last */
	};
	/* The CKA_DECRYPT entry, whose wanted value is decrypt. */
	const size_t ndecrypt = sizeof(checks) / sizeof(checks[0]) - 1;

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		CK_BBOOL v = 2, want = i == ndecrypt ? decrypt : checks[i].want;
		CK_ATTRIBUTE at = { checks[i].type, &v, sizeof(v) };

		if (a->fl->C_GetAttributeValue(a->sess, h, &at, 1) != CKR_OK ||
		    at.ulValueLen != sizeof(v) || v != want) {
			snprintf(err, errlen,
			    "token %s: the new private key "
			    "does not have %s %s; destroyed it",
			    a->name, checks[i].name, want ? "true" : "false");
			return -1;
		}
	}
	return 0;
}

/*
 * Give both halves the key identifier as CKA_ID.  A module that refuses
 * to change CKA_ID keeps the random id the pair was made with (set back
 * on the public half if only the private half refused).
 */
static void
set_key_id(struct p11a *a, CK_OBJECT_HANDLE hpub, CK_OBJECT_HANDLE hpriv,
    struct p11a_key *k)
{
	uint8_t kid[P11A_KEY_ID_LEN];
	CK_ATTRIBUTE at = { CKA_ID, kid, sizeof(kid) };
	CK_ATTRIBUTE old = { CKA_ID, k->id, k->idlen };

	if (p11a_key_id(k->pub, kid) == -1 ||
	    a->fl->C_SetAttributeValue(a->sess, hpub, &at, 1) != CKR_OK)
		return;
	if (a->fl->C_SetAttributeValue(a->sess, hpriv, &at, 1) != CKR_OK) {
		a->fl->C_SetAttributeValue(a->sess, hpub, &old, 1);
		return;
	}
	memcpy(k->id, kid, sizeof(kid));
	k->idlen = sizeof(kid);
}

/* After C_GenerateKeyPair: check, read the public key, set the id. */
static int
keygen_finish(struct p11a *a, const struct keyspec *ks, CK_OBJECT_HANDLE hpub,
    CK_OBJECT_HANDLE hpriv, int derive_id, struct p11a_key *k, char *err,
    size_t errlen)
{
	CK_BBOOL decrypt = p11_module_is(&a->mod, P11_MOD_TPM2) && !ks->ec;

	if (check_private(a, hpriv, decrypt, err, errlen) == -1)
		return -1;
	if ((k->pub = p11a_raw_pub(a, hpub)) == NULL ||
	    (CK_ULONG)EVP_PKEY_get_bits(k->pub) != ks->bits) {
		snprintf(err, errlen,
		    "token %s: cannot read the new public "
		    "key; destroyed the pair",
		    a->name);
		return -1;
	}
	if (derive_id)
		set_key_id(a, hpub, hpriv, k);
	return 0;
}

/*
 * C_GenerateKeyPair said rv.  Some answers mean the token does not make
 * that type or size (a TPM, for one, stops at RSA-3072 or RSA-2048):
 * say so, rather than only the code.
 */
static void
keygen_refused(const struct p11a *a, const struct keyspec *ks, CK_RV rv,
    char *err, size_t errlen)
{
	if (rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_KEY_SIZE_RANGE ||
	    rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID)
		snprintf(err, errlen,
		    "token %s: key generation failed "
		    "(0x%lx): the token does not make %s keys (its mechanisms "
		    "and key sizes: pkcs11-tool -M)",
		    a->name, rv, ks->name);
	else
		snprintf(err, errlen,
		    "token %s: key generation failed "
		    "(0x%lx)",
		    a->name, rv);
}

int
p11a_keygen(struct p11a *a, const char *label, int kt, const uint8_t *id,
    size_t idlen, struct p11a_key *k, char *err, size_t errlen)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	const struct keyspec *ks;
	struct gen_templates g;
	CK_ULONG bits;
	CK_RV rv;

	memset(k, 0, sizeof(*k));
	if (kt < 0 || kt >= P11A_KT_COUNT || a->fl == NULL ||
	    idlen > sizeof(k->id)) {
		snprintf(err, errlen, "internal error: bad keygen request");
		return -1;
	}
	ks = &keyspecs[kt];
	if (object_exists(a, label, id, idlen, err, errlen) != 0)
		return -1;
	/* Without an id: a random one until the key identifier is known. */
	k->idlen = idlen > 0 ? idlen : 16;
	if (idlen > 0)
		memcpy(k->id, id, idlen);
	else if (RAND_bytes(k->id, (int)k->idlen) != 1) {
		snprintf(err, errlen, "no random bytes for the key id");
		return -1;
	}
	bits = ks->bits;
	if (ks->ec)
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
	gen_templates(&g, ks, label, k->id, k->idlen, &bits,
	    p11_module_is(&a->mod, P11_MOD_TPM2));
	rv = a->fl->C_GenerateKeyPair(a->sess, &mech, g.pub, g.npub, g.priv,
	    g.npriv, &hpub, &hpriv);
	if (rv != CKR_OK) {
		keygen_refused(a, ks, rv, err, errlen);
		return -1;
	}
	if (keygen_finish(a, ks, hpub, hpriv, idlen == 0, k, err, errlen) ==
	    -1) {
		a->fl->C_DestroyObject(a->sess, hpriv);
		a->fl->C_DestroyObject(a->sess, hpub);
		p11a_key_clear(k);
		return -1;
	}
	return 0;
}
