/*
 * admin_pubkey.c: public keys as csign-admin reads and names them.
 *
 * Public keys are read through our own session (CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS and CKA_EC_POINT): libp11 0.4's
 * PKCS11_get_public_key leaks the key object and, through it, the slot
 * with libp11's copy of the PIN.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "common/util.h"
#include "token/admin_priv.h"

const uint8_t p11a_oid_p256[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07 };
const uint8_t p11a_oid_p384[7] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

/* The curves whose public keys we read, by CKA_EC_PARAMS. */
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const struct curve {
	const uint8_t *oid;
	size_t oidlen;
	const char *group;
	size_t ptlen;
} curves[] = {
	{ p11a_oid_p256, sizeof(p11a_oid_p256), "prime256v1", 65 },
	{ p11a_oid_p384, sizeof(p11a_oid_p384), "secp384r1", 97 },
	{ oid_p521, sizeof(oid_p521), "secp521r1", 133 },
};

int
p11a_get_attr(struct p11a *a, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    uint8_t *buf, size_t *len)
{
	CK_ATTRIBUTE at = { type, buf, (CK_ULONG)*len };

	if (a->fl->C_GetAttributeValue(a->sess, h, &at, 1) != CKR_OK ||
	    at.ulValueLen == CK_UNAVAILABLE_INFORMATION || at.ulValueLen > *len)
		return -1;
	*len = at.ulValueLen;
	return 0;
}

CK_OBJECT_HANDLE
p11a_raw_find(struct p11a *a, CK_OBJECT_CLASS cls, const uint8_t *id,
    size_t idlen, const char *label)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[3] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, idlen },
		{ CKA_LABEL, (void *)label, label != NULL ? strlen(label) : 0 },
	};
	CK_ULONG n = 0;

	if (a->fl->C_FindObjectsInit(a->sess, t, label != NULL ? 3 : 2) !=
	    CKR_OK)
		return CK_INVALID_HANDLE;
	if (a->fl->C_FindObjects(a->sess, &h, 1, &n) != CKR_OK || n != 1)
		h = CK_INVALID_HANDLE;
	a->fl->C_FindObjectsFinal(a->sess);
	return h;
}

/* Build a public EVP_PKEY of type name from params. */
static EVP_PKEY *
pkey_from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* An RSA public key from the modulus and exponent of object h. */
static EVP_PKEY *
rsa_pub(struct p11a *a, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld)
{
	uint8_t mod[1024], exp[64];
	size_t ml = sizeof(mod), el = sizeof(exp);
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;

	if (p11a_get_attr(a, h, CKA_MODULUS, mod, &ml) == 0 &&
	    p11a_get_attr(a, h, CKA_PUBLIC_EXPONENT, exp, &el) == 0 &&
	    (n = BN_bin2bn(mod, (int)ml, NULL)) != NULL &&
	    (e = BN_bin2bn(exp, (int)el, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pkey = pkey_from_params("RSA", bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* An EC public key from the curve and point of object h. */
static EVP_PKEY *
ec_pub(struct p11a *a, CK_OBJECT_HANDLE h, OSSL_PARAM_BLD *bld)
{
	uint8_t params[64], point[256];
	size_t parl = sizeof(params), ptl = sizeof(point), len;
	const struct curve *c = NULL;
	const uint8_t *pt;

	if (p11a_get_attr(a, h, CKA_EC_PARAMS, params, &parl) == -1 ||
	    p11a_get_attr(a, h, CKA_EC_POINT, point, &ptl) == -1)
		return NULL;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].oidlen == parl &&
		    memcmp(curves[i].oid, params, parl) == 0)
			c = &curves[i];
	if (c == NULL || p11a_ec_point(point, ptl, c->ptlen, &pt, &len) == -1 ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		c->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
		len) != 1)
		return NULL;
	return pkey_from_params("EC", bld);
}

EVP_PKEY *
p11a_raw_pub(struct p11a *a, CK_OBJECT_HANDLE h)
{
	OSSL_PARAM_BLD *bld;
	CK_KEY_TYPE kt;
	size_t l = sizeof(kt);
	EVP_PKEY *pkey = NULL;

	if (h == CK_INVALID_HANDLE ||
	    p11a_get_attr(a, h, CKA_KEY_TYPE, (uint8_t *)&kt, &l) == -1 ||
	    l != sizeof(kt) || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (kt == CKK_RSA)
		pkey = rsa_pub(a, h, bld);
	else if (kt == CKK_EC)
		pkey = ec_pub(a, h, bld);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return pkey;
}

int
p11a_ec_point(const uint8_t *v, size_t vlen, size_t ptlen, const uint8_t **pt,
    size_t *len)
{
	/* DER OCTET STRING, short length form: 04 len point. */
	if (ptlen < 128 && vlen == ptlen + 2 && v[0] == 0x04 && v[1] == ptlen &&
	    v[2] == 0x04) {
		*pt = v + 2;
		*len = ptlen;
		return 0;
	}
	/* Long length form (one length byte): 04 81 len point. */
	if (ptlen >= 128 && ptlen < 256 && vlen == ptlen + 3 && v[0] == 0x04 &&
	    v[1] == 0x81 && v[2] == ptlen && v[3] == 0x04) {
		*pt = v + 3;
		*len = ptlen;
		return 0;
	}
	/* A bare uncompressed point. */
	if (vlen == ptlen && ptlen > 0 && v[0] == 0x04) {
		*pt = v;
		*len = ptlen;
		return 0;
	}
	return -1;
}

int
p11a_key_id(EVP_PKEY *pub, uint8_t id[P11A_KEY_ID_LEN])
{
	X509_PUBKEY *xpk = NULL;
	const unsigned char *bits;
	int len, r = -1;

	if (X509_PUBKEY_set(&xpk, pub) == 1 &&
	    X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xpk) == 1 &&
	    len > 0 && SHA1(bits, (size_t)len, id) != NULL)
		r = 0;
	X509_PUBKEY_free(xpk);
	return r;
}

int
p11a_spki_sha256(EVP_PKEY *pub, char hex[65])
{
	unsigned char *der = NULL;
	int len, r;

	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return -1;
	r = util_sha256_hex(der, (size_t)len, hex);
	OPENSSL_free(der);
	return r;
}
