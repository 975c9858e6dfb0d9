/*
 * auditev: the one builder of audit events (proto/auditrec.h).  Every
 * record csignd writes starts with auditev_init(), which clears the event
 * and fills who (from the kernel-reported identity of a session, or
 * nobody for the daemon's own events); the setters add what the record
 * is about.  Strings are pointed to, not copied: they must outlive the
 * submission of the event.
 */
#ifndef CSIGN_AUDITEV_H
#define CSIGN_AUDITEV_H

#include <stddef.h>
#include <stdint.h>

#include "proto/auditrec.h"
#include "proto/names.h"

struct identity;

/* The hex of a digest, as the record carries it. */
#define AUDITEV_HEX_MAX (2 * DIGEST_MAX + 1)

/* Clear ev; event and, unless peer is NULL, the peer's identity. */
void auditev_init(struct audit_event *ev, const char *event,
    const struct identity *peer);
/* ok, denied or error, and why (NULL: no reason). */
void auditev_result(struct audit_event *ev, const char *result,
    const char *reason);
/* The key, the format (-1: none) and the artifact's name (NULL: none). */
void auditev_subject(struct audit_event *ev, const char *key, int format,
    const char *artifact);
/* The artifact's size and digest; hex receives the digest's hex. */
void auditev_digest(struct audit_event *ev, uint64_t size, int digest,
    const uint8_t *adigest, size_t adigestlen, char hex[AUDITEV_HEX_MAX]);
/* The id of a request held for approval, and its approvers (NULL/""). */
void auditev_request(struct audit_event *ev, uint64_t id,
    const char *approvers);

#endif
