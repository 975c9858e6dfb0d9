/*
 * pin: read a token PIN from a root-only PinFile.  The file must be a
 * regular file owned by the daemon's user and neither group- nor
 * world-accessible; its first line is the PIN.  The caller zeroes the
 * buffer with explicit_bzero() once the login is done.
 *
 * A PinFile of "credential:NAME" is the systemd credential NAME, the file
 * $CREDENTIALS_DIRECTORY/NAME (LoadCredential= or LoadCredentialEncrypted=
 * in the unit): the same checks, except that it may be readable by its
 * group (systemd makes credentials 0400 or 0440 in a directory that only
 * the service can enter); others may have no access at all.
 */
#ifndef CSIGN_PIN_H
#define CSIGN_PIN_H

#include <stddef.h>

#define PIN_MAX 256

/*
 * Read the PIN of PinFile pinfile (a path or "credential:NAME") into pin
 * (pinlen bytes); 0, or -1 with err set.
 */
int pin_read(const char *pinfile, char *pin, size_t pinlen, char *err,
    size_t errlen);

#endif
