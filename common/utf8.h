/*
 * utf8: the checks every program makes on text from a less trusted peer
 * (artifact names, key names, reasons) before it shows or logs it.
 */
#ifndef CSIGN_UTF8_H
#define CSIGN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 sequence at p, of at most left bytes
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF);
 * 1 for any ASCII byte; 0 if there is none.
 */
size_t utf8_len(const uint8_t *p, size_t left);

/*
 * The code point of the bidirectional control (U+202A..U+202E,
 * U+2066..U+2069) encoded by the n-byte sequence at p, or 0.  Such a
 * character can make a terminal show a line in another order than it is
 * read ("Trojan Source"), so it is always shown escaped.
 */
unsigned utf8_bidi_control(const uint8_t *p, size_t n);

/*
 * 1 if p[0..len) is well-formed UTF-8 without control characters (C0,
 * DEL, C1): text that may be shown and logged as it is, such as a key's
 * OpenPGP user ID.  The empty string is such text.
 */
int utf8_text_valid(const void *p, size_t len);

#endif
