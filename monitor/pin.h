/*
 * pin: read a token PIN from a root-only PinFile.  The file must be a
 * regular file owned by the daemon's user and neither group- nor
 * world-accessible; its first line is the PIN.  The caller zeroes the
 * buffer with explicit_bzero() once the login is done.
 */
#ifndef CSIGN_PIN_H
#define CSIGN_PIN_H

#include <stddef.h>

#define PIN_MAX 256

/* Read the PIN into pin (pinlen bytes); 0, or -1 with err set. */
int pin_read(const char *path, char *pin, size_t pinlen, char *err,
    size_t errlen);

#endif
