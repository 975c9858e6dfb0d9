/*
 * certfile: certificates read from files named in the config or on the
 * command line (csignd's Certificate and Chain, csign-admin's operands).
 */
#ifndef CSIGN_CERTFILE_H
#define CSIGN_CERTFILE_H

#include <stddef.h>

#include <openssl/x509.h>

/* The first certificate of a PEM or DER file; NULL with err set. */
X509 *certfile_load(const char *path, char *err, size_t errlen);

/* Every certificate of a PEM file (at least one); NULL with err set. */
STACK_OF(X509) *certfile_load_chain(const char *path, char *err, size_t errlen);

#endif
