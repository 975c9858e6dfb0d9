/*
 * p11admin: the token operations of csign-admin (key provisioning).
 *
 * It opens a Token block through the path csignd takes (token/module.c:
 * one libp11 context per module, the slot by TokenLabel or Slot, a login
 * with the PIN of the block's PinFile, zeroed right after) and adds what
 * only an administrator does: list slots and objects, generate a key pair
 * on the token, and store certificates.  This header includes nothing of
 * libp11 or PKCS#11: admin/ reaches the token only through it.
 *
 * Key pairs are generated with the module's own C_GenerateKeyPair, in a
 * session of our own inside the module instance that libp11 loaded and
 * initialized, so that the private key's attributes are exactly ours:
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN true; CKA_EXTRACTABLE,
 * CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE false.  The attributes are read
 * back after generation and a pair the token did not make as asked is
 * destroyed.
 *
 * CKA_ID of a generated pair, unless given: the SHA-1 of the public key's
 * subjectPublicKey bits, which is RFC 5280's key identifier (method 1),
 * so that a CA that writes subjectKeyIdentifier the usual way issues a
 * certificate whose SKI equals the token's CKA_ID.
 *
 * Nothing here runs inside csignd; only csign-admin calls it (the files:
 * admin_open.c, admin_objects.c, admin_pubkey.c, admin_keygen.c,
 * admin_cert.c).
 */
#ifndef CSIGN_P11ADMIN_H
#define CSIGN_P11ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "records/config.h"

#define P11A_ID_MAX 64	   /* longest CKA_ID we handle */
#define P11A_KEY_ID_LEN 20 /* SHA-1 key identifier */

/* Key types that keygen makes. */
enum p11a_keytype {
	P11A_RSA3072 = 0,
	P11A_RSA4096,
	P11A_EC_P256,
	P11A_EC_P384,
	P11A_KT_COUNT
};

/* "rsa:3072", "rsa:4096", "ec:p256", "ec:p384" -> enum p11a_keytype, -1. */
int p11a_keytype_from_name(const char *name);
const char *p11a_keytype_name(int kt);

/* One slot of a module, for csign-admin tokens. */
struct p11a_slot {
	unsigned long id;
	int has_token;
	char label[33]; /* token label, trailing blanks removed */
	char model[17];
	char serial[17];
	int initialized;
	int login_required;
	int user_pin_set;
	int read_only;
	int pin_count_low;
	int pin_final_try;
	int pin_locked;
};

/* Every slot of the module at path; 0, or -1 with err set. */
int p11a_list_slots(const char *module, struct p11a_slot **slots,
    size_t *nslots, char *err, size_t errlen);

enum p11a_kind {
	P11A_PRIVATE = 0,
	P11A_PUBLIC,
	P11A_CERT
};

/* One object on the token (copies; valid after p11a_close()). */
struct p11a_object {
	enum p11a_kind kind;
	char *label; /* "" if the object has none */
	uint8_t id[P11A_ID_MAX];
	size_t idlen;
	EVP_PKEY *pub; /* the public key, or NULL if unreadable */
	X509 *cert;    /* P11A_CERT only */
};

/* A private key found by its label, ready to sign on the token. */
struct p11a_key {
	uint8_t id[P11A_ID_MAX];
	size_t idlen;
	EVP_PKEY *priv; /* operations go to the token */
	EVP_PKEY *pub;
};

struct p11a;

/*
 * Open and log in to the token of a Token block; rw for a read-write
 * session (keygen, storing certificates).  NULL with err set on failure;
 * a refused PIN is reported, never retried.
 */
struct p11a *p11a_open(const struct cfg_token *ct, int rw, char *err,
    size_t errlen);
void p11a_close(struct p11a *a);
/* The token's label and slot id. */
const char *p11a_token_label(const struct p11a *a);
unsigned long p11a_slot_id(const struct p11a *a);

/* Every private key, public key and certificate: 0, or -1 with err. */
int p11a_objects(struct p11a *a, struct p11a_object **objs, size_t *nobjs,
    char *err, size_t errlen);
void p11a_objects_free(struct p11a_object *objs, size_t nobjs);

/*
 * The one private key labelled label, with its public key (from the
 * public-key object of the same id, else from the key itself): 0, or -1
 * with err set (none, several, or its public key unreadable).
 */
int p11a_find_key(struct p11a *a, const char *label, struct p11a_key *k,
    char *err, size_t errlen);
void p11a_key_clear(struct p11a_key *k);

/*
 * Generate a key pair of type kt labelled label, with CKA_ID id (idlen
 * bytes) or, if idlen is 0, the key identifier of its public key.
 * Refused if an object with that label (or id) exists.  On success 0,
 * the id used in k->id and the public key in k->pub (k->priv stays
 * NULL); -1 with err set otherwise.
 */
int p11a_keygen(struct p11a *a, const char *label, int kt, const uint8_t *id,
    size_t idlen, struct p11a_key *k, char *err, size_t errlen);

/* Store a certificate with a label and an id (idlen may be 0): 0 or -1. */
int p11a_store_cert(struct p11a *a, X509 *x, const char *label,
    const uint8_t *id, size_t idlen, char *err, size_t errlen);

/*
 * Certificates for which match(label, id, idlen, arg) is true: how many
 * (the first one's label in label), or -1 with err set.
 */
int p11a_find_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, char *label, size_t labellen, char *err, size_t errlen);

/*
 * Remove every certificate for which match(label, id, idlen, arg) is
 * true; *removed counts them.  0, or -1 with err set.
 */
int p11a_remove_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, size_t *removed, char *err, size_t errlen);

/* Pure helpers, exported for the tests. */

/*
 * The EC point of a CKA_EC_POINT value: the DER OCTET STRING the
 * specification asks for, or the bare point some modules return.
 * ptlen is the curve's uncompressed point length.  0 with *pt and *len
 * set, or -1.
 */
int p11a_ec_point(const uint8_t *v, size_t vlen, size_t ptlen,
    const uint8_t **pt, size_t *len);

/* The key identifier of pub: SHA-1 of its subjectPublicKey bits; 0/-1. */
int p11a_key_id(EVP_PKEY *pub, uint8_t id[P11A_KEY_ID_LEN]);

/* SHA-256 of pub's DER SubjectPublicKeyInfo as hex (65 bytes); 0/-1. */
int p11a_spki_sha256(EVP_PKEY *pub, char hex[65]);

#endif
