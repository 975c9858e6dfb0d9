/*
 * admin_cert.c: certificates on the token for csign-admin: store one
 * (through libp11), find them, and remove them (through our own session).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "token/admin_priv.h"

int
p11a_store_cert(struct p11a *a, X509 *x, const char *label, const uint8_t *id,
    size_t idlen, char *err, size_t errlen)
{
	unsigned char idcopy[P11A_ID_MAX];
	char *lcopy;
	int r;

	/* libp11 takes non-const label and id. */
	if (idlen > sizeof(idcopy) || (lcopy = strdup(label)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (idlen > 0)
		memcpy(idcopy, id, idlen);
	r = PKCS11_store_certificate(a->slot->token, x, lcopy,
	    idlen > 0 ? idcopy : NULL, idlen, NULL);
	free(lcopy);
	ERR_clear_error();
	if (r != 0) {
		snprintf(err, errlen,
		    "token %s: cannot store the certificate "
		    "\"%s\"",
		    a->name, label);
		return -1;
	}
	return 0;
}

int
p11a_find_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, char *label, size_t labellen, char *err, size_t errlen)
{
	PKCS11_CERT *c;
	unsigned int n;
	int count = 0;

	if (PKCS11_enumerate_certs(a->slot->token, &c, &n) != 0) {
		snprintf(err, errlen, "token %s: cannot list certificates",
		    a->name);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		const char *l = c[i].label != NULL ? c[i].label : "";

		if (!match(l, c[i].id, c[i].id_len, arg))
			continue;
		if (count++ == 0)
			snprintf(label, labellen, "%s", l);
	}
	return count;
}

#define REMOVE_MAX 256 /* certificates looked at by one removal */

/* The handles of every certificate object, in our own session. */
static int
raw_certs(struct p11a *a, CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_RV rv;

	*n = 0;
	if (a->fl->C_FindObjectsInit(a->sess, &t, 1) != CKR_OK)
		return -1;
	rv = a->fl->C_FindObjects(a->sess, h, max, n);
	a->fl->C_FindObjectsFinal(a->sess);
	return rv == CKR_OK ? 0 : -1;
}

/* Does the certificate object h match?  Unreadable fields never do. */
static int
raw_cert_matches(struct p11a *a, CK_OBJECT_HANDLE h,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg)
{
	uint8_t label[256], id[P11A_ID_MAX];
	size_t llen = sizeof(label) - 1, idlen = sizeof(id);

	if (p11a_get_attr(a, h, CKA_LABEL, label, &llen) == -1)
		llen = 0;
	if (p11a_get_attr(a, h, CKA_ID, id, &idlen) == -1)
		idlen = 0;
	label[llen] = '\0';
	if (memchr(label, '\0', llen) != NULL)
		return 0;
	return match((const char *)label, id, idlen, arg);
}

/*
 * Removal goes through our own session: libp11 keeps listing an object
 * it has destroyed, so its list cannot tell what is left.  The matching
 * handles are collected first and destroyed after the search.
 */
int
p11a_remove_certs(struct p11a *a,
    int (*match)(const char *, const uint8_t *, size_t, const void *),
    const void *arg, size_t *removed, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE h[REMOVE_MAX], doomed[REMOVE_MAX];
	CK_ULONG n, ndoomed = 0;

	*removed = 0;
	if (a->fl == NULL || raw_certs(a, h, REMOVE_MAX, &n) == -1) {
		snprintf(err, errlen, "token %s: cannot list certificates",
		    a->name);
		return -1;
	}
	for (CK_ULONG i = 0; i < n; i++)
		if (raw_cert_matches(a, h[i], match, arg))
			doomed[ndoomed++] = h[i];
	for (CK_ULONG i = 0; i < ndoomed; i++) {
		if (a->fl->C_DestroyObject(a->sess, doomed[i]) != CKR_OK) {
			snprintf(err, errlen,
			    "token %s: cannot remove a "
			    "certificate",
			    a->name);
			return -1;
		}
		(*removed)++;
	}
	return 0;
}
