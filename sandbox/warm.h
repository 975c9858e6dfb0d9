/*
 * warm: OpenSSL's first-use costs (decoders, provider tables), paid by a
 * pool child before it is ready rather than in a session.
 */
#ifndef CSIGN_WARM_H
#define CSIGN_WARM_H

/* Decode a built-in certificate and start work with its key; 0 or -1. */
int sandbox_warm(void);

#endif
