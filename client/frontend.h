/*
 * frontend: what the drop-in front ends (csign-sign-file, csign-sbsign)
 * share.  They speak csignd's own protocol through the client library
 * (no second protocol); this adds what their reference tools do on the
 * client side: naming a csign key as "csign:NAME", checking the
 * certificate file the caller names against the key's certificate, and
 * cutting a detached PKCS#7 out of a signed module or PE image.
 */
#ifndef CSIGN_FRONTEND_H
#define CSIGN_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "client/client.h"

#define FE_KEY_PREFIX "csign:"

struct conn;

/*
 * The key name in "csign:NAME", or NULL (with a message in fl) when spec
 * does not name a csign key.
 */
const char *fe_key_name(const char *spec, struct failure *fl);

/*
 * Check that the certificate in file (PEM or DER) is the certificate of
 * csign key key, as the daemon reports it: 0, or -1 with fl set.
 */
int fe_cert_matches(struct conn *c, const char *key, const char *file,
    struct failure *fl);

/*
 * Connect to the daemon (CSIGN_SOCKET or the default path), run one sign
 * request for file as o describes, and close: 0, or -1 with fl set.
 */
int fe_sign(struct options *o, const char *certfile, struct failure *fl);

/*
 * The PKCS#7 DER appended to a signed kernel module (the last signature:
 * "~Module signature appended~"): its offset and length in p[0..len),
 * 0; -1 if p does not end in one.
 */
int fe_module_pkcs7(const uint8_t *p, size_t len, size_t *off, size_t *n);

/*
 * The PKCS#7 DER of the last WIN_CERTIFICATE of a signed PE image, without
 * the table's padding: 0, or -1 if there is none.
 */
int fe_pe_pkcs7(const uint8_t *p, size_t len, size_t *off, size_t *n);

/* Read all of file into *p (malloc'd), at most max bytes: 0 or -1. */
int fe_read_file(const char *file, size_t max, uint8_t **p, size_t *len);

#endif
