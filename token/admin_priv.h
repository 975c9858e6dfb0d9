/*
 * admin_priv: what the files of csign-admin's token operations share
 * (admin_open.c opens and logs in, admin_pubkey.c reads public keys,
 * admin_objects.c lists and finds, admin_keygen.c generates, admin_cert.c
 * stores and removes certificates).  Private to token/: it includes
 * libp11 and the PKCS#11 definitions.
 */
#ifndef CSIGN_ADMIN_PRIV_H
#define CSIGN_ADMIN_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <libp11.h>

#include "token/module.h"
#include "token/p11admin.h"
#include "token/pkcs11_min.h"

struct p11a {
	char name[KEY_NAME_MAX + 1];
	struct p11_module mod;
	PKCS11_SLOT *slot;
	int rw;			/* a read-write session */
	void *dl;		/* our reference to the module */
	CK_FUNCTION_LIST *fl;	/* the module's own functions */
	CK_SESSION_HANDLE sess; /* our own session, or 0 */
};

/* DER OIDs of the curves, as CKA_EC_PARAMS holds them. */
extern const uint8_t p11a_oid_p256[10];
extern const uint8_t p11a_oid_p384[7];

/* Read one attribute of up to *len bytes into buf, in our session: 0/-1. */
int p11a_get_attr(struct p11a *a, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    uint8_t *buf, size_t *len);
/* The first object of class cls with this id (and label, if not NULL). */
CK_OBJECT_HANDLE p11a_raw_find(struct p11a *a, CK_OBJECT_CLASS cls,
    const uint8_t *id, size_t idlen, const char *label);
/*
 * The public key held by object h: a public key, or an RSA private key
 * (whose modulus and exponent are public).  NULL if unreadable.
 */
EVP_PKEY *p11a_raw_pub(struct p11a *a, CK_OBJECT_HANDLE h);

#endif
