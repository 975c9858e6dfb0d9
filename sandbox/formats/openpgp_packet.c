/*
 * openpgp_packet.c: RFC 4880 version 4 key and signature packets (see
 * openpgp.h).  The key material comes from the certificate the monitor
 * sent; its creation time from the key's OpenPGPCreated, since it is
 * part of the fingerprint.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include "proto/names.h"
#include "sandbox/formats/openpgp.h"

/* Subpacket types (section 5.2.3.1) and RFC 4880bis' issuer fingerprint. */
#define SUB_CREATED 2
#define SUB_PREF_HASH 21
#define SUB_KEY_FLAGS 27
#define SUB_ISSUER 16
#define SUB_ISSUER_FPR 33
#define KEY_FLAG_CERTIFY 0x01
#define KEY_FLAG_SIGN 0x02

/* The curves of RFC 6637 and their OIDs, without the DER tag and length. */
static const struct {
	int nid;
	uint8_t oid[8];
	uint8_t oidlen;
} curves[] = {
	{ NID_X9_62_prime256v1,
	    { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 8 },
	{ NID_secp384r1, { 0x2b, 0x81, 0x04, 0x00, 0x22 }, 5 },
	{ NID_secp521r1, { 0x2b, 0x81, 0x04, 0x00, 0x23 }, 5 },
};

int
pgp_hash_algo(int digest)
{
	switch (digest) {
	case DIG_SHA256:
		return PGP_HASH_SHA256;
	case DIG_SHA384:
		return PGP_HASH_SHA384;
	case DIG_SHA512:
		return PGP_HASH_SHA512;
	}
	return -1;
}

const char *
pgp_hash_name(int digest)
{
	switch (digest) {
	case DIG_SHA256:
		return "SHA256";
	case DIG_SHA384:
		return "SHA384";
	case DIG_SHA512:
		return "SHA512";
	}
	return NULL;
}

int
pgp_put_mpi(struct buf *b, const uint8_t *p, size_t len)
{
	unsigned bits;

	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > 0xffff / 8)
		return -1;
	bits = (unsigned)len * 8;
	/* Leading zero bits of the first byte do not count. */
	for (uint8_t top = len > 0 ? p[0] : 0x80; !(top & 0x80); top <<= 1)
		bits--;
	if (len == 0)
		bits = 0;
	if (buf_put_u16(b, (uint16_t)bits) == -1)
		return -1;
	return len == 0 ? 0 : buf_put(b, p, len);
}

int
pgp_put_header(struct buf *b, int tag, size_t len)
{
	uint8_t first = (uint8_t)(0x80 | tag << 2);

	if (len < 0x100)
		return buf_put_u8(b, first) == -1 ||
			buf_put_u8(b, (uint8_t)len) == -1
		    ? -1
		    : 0;
	if (len < 0x10000)
		return buf_put_u8(b, first | 1) == -1 ||
			buf_put_u16(b, (uint16_t)len) == -1
		    ? -1
		    : 0;
	return buf_put_u8(b, first | 2) == -1 ||
		buf_put_u32(b, (uint32_t)len) == -1
	    ? -1
	    : 0;
}

/* Append the big-endian bytes of the BIGNUM parameter name as an MPI. */
static int
put_bn_param(struct buf *b, EVP_PKEY *pub, const char *name)
{
	uint8_t tmp[1024];
	BIGNUM *bn = NULL;
	int n, r = -1;

	if (EVP_PKEY_get_bn_param(pub, name, &bn) == 1 &&
	    BN_num_bytes(bn) <= (int)sizeof(tmp) &&
	    (n = BN_bn2bin(bn, tmp)) >= 0)
		r = pgp_put_mpi(b, tmp, (size_t)n);
	BN_free(bn);
	return r;
}

/* RSA key material: n and e. */
static int
put_rsa(struct buf *b, EVP_PKEY *pub)
{
	if (put_bn_param(b, pub, OSSL_PKEY_PARAM_RSA_N) == -1)
		return -1;
	return put_bn_param(b, pub, OSSL_PKEY_PARAM_RSA_E);
}

/* ECDSA key material: the curve's OID and the uncompressed point. */
static int
put_ecdsa(struct buf *b, EVP_PKEY *pub)
{
	uint8_t point[200];
	char group[64];
	size_t plen = 0, i;
	int nid;

	if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), NULL) != 1 ||
	    (nid = OBJ_sn2nid(group)) == NID_undef)
		return -1;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].nid == nid)
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		return -1;
	/* The point as the certificate holds it: 04 || x || y. */
	if (EVP_PKEY_get_octet_string_param(pub,
		OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
		&plen) != 1 ||
	    plen == 0 || point[0] != 0x04)
		return -1;
	if (buf_put_u8(b, curves[i].oidlen) == -1 ||
	    buf_put(b, curves[i].oid, curves[i].oidlen) == -1)
		return -1;
	return pgp_put_mpi(b, point, plen);
}

/* SHA-1 over 0x99, the body's length and the body: the fingerprint. */
static int
key_fingerprint(struct pgp_key *k)
{
	uint8_t head[3] = { 0x99, (uint8_t)(k->bodylen >> 8),
		(uint8_t)k->bodylen };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(md, head, sizeof(head)) == 1 &&
	    EVP_DigestUpdate(md, k->body, k->bodylen) == 1 &&
	    EVP_DigestFinal_ex(md, k->fpr, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	memcpy(k->keyid, k->fpr + PGP_FPR_LEN - PGP_KEYID_LEN, PGP_KEYID_LEN);
	return 0;
}

int
pgp_key_from_pkey(EVP_PKEY *pub, uint32_t created, struct pgp_key *k)
{
	struct buf b;
	int r = -1;

	memset(k, 0, sizeof(*k));
	if (EVP_PKEY_is_a(pub, "RSA"))
		k->pkalgo = PGP_PK_RSA;
	else if (EVP_PKEY_is_a(pub, "EC"))
		k->pkalgo = PGP_PK_ECDSA;
	else
		return -1;
	buf_init(&b, sizeof(k->body));
	if (buf_put_u8(&b, 4) == 0 && buf_put_u32(&b, created) == 0 &&
	    buf_put_u8(&b, (uint8_t)k->pkalgo) == 0 &&
	    (k->pkalgo == PGP_PK_RSA ? put_rsa(&b, pub) : put_ecdsa(&b, pub)) ==
		0) {
		k->bodylen = buf_left(&b);
		memcpy(k->body, buf_ptr(&b), k->bodylen);
		r = key_fingerprint(k);
	}
	buf_free(&b);
	return r;
}

/* Append a subpacket: its length (one octet: ours are short), type, data. */
static int
put_sub(struct buf *b, int type, const uint8_t *p, size_t len)
{
	if (len + 1 >= 192 || buf_put_u8(b, (uint8_t)(len + 1)) == -1 ||
	    buf_put_u8(b, (uint8_t)type) == -1)
		return -1;
	return buf_put(b, p, len);
}

/* The hashed subpackets of a signature of s->type. */
static int
put_hashed_subs(struct buf *b, const struct pgp_sig *s, uint32_t created)
{
	uint8_t t[4] = { (uint8_t)(created >> 24), (uint8_t)(created >> 16),
		(uint8_t)(created >> 8), (uint8_t)created };
	uint8_t fpr[1 + PGP_FPR_LEN] = { 4 };
	uint8_t flags = KEY_FLAG_CERTIFY | KEY_FLAG_SIGN;
	uint8_t hashes[] = { PGP_HASH_SHA256, PGP_HASH_SHA384,
		PGP_HASH_SHA512 };

	memcpy(fpr + 1, s->key->fpr, PGP_FPR_LEN);
	if (put_sub(b, SUB_CREATED, t, sizeof(t)) == -1 ||
	    put_sub(b, SUB_ISSUER_FPR, fpr, sizeof(fpr)) == -1)
		return -1;
	/* A self-signature says what the key is for (sqv and rnp ask). */
	if (s->type == PGP_SIG_POSITIVE_CERT &&
	    (put_sub(b, SUB_KEY_FLAGS, &flags, 1) == -1 ||
		put_sub(b, SUB_PREF_HASH, hashes, sizeof(hashes)) == -1))
		return -1;
	return 0;
}

int
pgp_sig_init(struct pgp_sig *s, int type, int digest, const struct pgp_key *key,
    uint32_t created)
{
	struct buf b, subs;
	int r = -1;

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->key = key;
	if ((s->hashalgo = pgp_hash_algo(digest)) == -1)
		return -1;
	buf_init(&b, sizeof(s->hashed));
	buf_init(&subs, sizeof(s->hashed));
	if (put_hashed_subs(&subs, s, created) == 0 && buf_put_u8(&b, 4) == 0 &&
	    buf_put_u8(&b, (uint8_t)type) == 0 &&
	    buf_put_u8(&b, (uint8_t)key->pkalgo) == 0 &&
	    buf_put_u8(&b, (uint8_t)s->hashalgo) == 0 &&
	    buf_put_u16(&b, (uint16_t)buf_left(&subs)) == 0 &&
	    buf_put(&b, buf_ptr(&subs), buf_left(&subs)) == 0) {
		s->hashedlen = buf_left(&b);
		memcpy(s->hashed, buf_ptr(&b), s->hashedlen);
		r = 0;
	}
	buf_free(&subs);
	buf_free(&b);
	return r;
}

int
pgp_sig_trailer(const struct pgp_sig *s, EVP_MD_CTX *md)
{
	uint8_t t[6] = { 0x04, 0xff, (uint8_t)(s->hashedlen >> 24),
		(uint8_t)(s->hashedlen >> 16), (uint8_t)(s->hashedlen >> 8),
		(uint8_t)s->hashedlen };

	if (EVP_DigestUpdate(md, s->hashed, s->hashedlen) != 1 ||
	    EVP_DigestUpdate(md, t, sizeof(t)) != 1)
		return -1;
	return 0;
}

int
pgp_hash_key_uid(EVP_MD_CTX *md, const struct pgp_key *k, const char *uid)
{
	size_t n = strlen(uid);
	uint8_t kh[3] = { 0x99, (uint8_t)(k->bodylen >> 8),
		(uint8_t)k->bodylen };
	uint8_t uh[5] = { 0xb4, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
		(uint8_t)(n >> 8), (uint8_t)n };

	if (EVP_DigestUpdate(md, kh, sizeof(kh)) != 1 ||
	    EVP_DigestUpdate(md, k->body, k->bodylen) != 1 ||
	    EVP_DigestUpdate(md, uh, sizeof(uh)) != 1 ||
	    EVP_DigestUpdate(md, uid, n) != 1)
		return -1;
	return 0;
}

/* The signature's MPIs: RSA's value, or ECDSA's r and s from the DER. */
static int
put_sig_mpis(struct buf *b, int pkalgo, const uint8_t *sig, size_t siglen)
{
	const unsigned char *p = sig;
	const BIGNUM *r, *s;
	uint8_t tmp[80];
	ECDSA_SIG *es;
	int n, ret = -1;

	if (pkalgo == PGP_PK_RSA)
		return pgp_put_mpi(b, sig, siglen);
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)siglen)) == NULL)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (p == sig + siglen && BN_num_bytes(r) <= (int)sizeof(tmp) &&
	    (n = BN_bn2bin(r, tmp)) >= 0 && pgp_put_mpi(b, tmp, n) == 0 &&
	    BN_num_bytes(s) <= (int)sizeof(tmp) &&
	    (n = BN_bn2bin(s, tmp)) >= 0 && pgp_put_mpi(b, tmp, n) == 0)
		ret = 0;
	ECDSA_SIG_free(es);
	return ret;
}

int
pgp_sig_packet(struct buf *b, const struct pgp_sig *s, const uint8_t *digest,
    const uint8_t *sig, size_t siglen)
{
	struct buf body;
	int r = -1;

	buf_init(&body, 4096);
	if (buf_put(&body, s->hashed, s->hashedlen) == 0 &&
	    buf_put_u16(&body, 2 + PGP_KEYID_LEN) == 0 &&
	    put_sub(&body, SUB_ISSUER, s->key->keyid, PGP_KEYID_LEN) == 0 &&
	    buf_put(&body, digest, 2) == 0 &&
	    put_sig_mpis(&body, s->key->pkalgo, sig, siglen) == 0 &&
	    pgp_put_header(b, PGP_TAG_SIGNATURE, buf_left(&body)) == 0 &&
	    buf_put(b, buf_ptr(&body), buf_left(&body)) == 0)
		r = 0;
	buf_free(&body);
	return r;
}
