/*
 * upload: the bytes of inline uploads in flight, per uid
 * (MaxUploadPerUser in csignd.conf(5)).
 *
 * An artifact sent inline (F_DATA frames, where descriptors cannot be
 * passed) lives in its session child's memory from its first byte until
 * the request is done.  The monitor reserves the announced size before
 * the child reads a byte, against the sum of what the same uid's other
 * sessions hold, and releases it when the child reports its scratch space
 * emptied or when the session ends, whichever comes first.  One
 * reservation per session at a time.
 */
#ifndef CSIGN_UPLOAD_H
#define CSIGN_UPLOAD_H

#include <stdint.h>
#include <sys/types.h>

struct uploads;

struct uploads *uploads_new(void);
void uploads_free(struct uploads *u);

enum upload_result {
	UPLOAD_OK = 0,	    /* reserved */
	UPLOAD_OVER_BUDGET, /* the uid's uploads would exceed limit */
	UPLOAD_TOO_LARGE,   /* this upload alone exceeds limit */
	UPLOAD_TWICE	    /* owner already holds a reservation */
};

/*
 * Reserve bytes for owner (a session) of uid, if the uid's reservations
 * and this one stay within limit.  *in_use: the uid's bytes in flight
 * before this call.
 */
enum upload_result uploads_reserve(struct uploads *u, const void *owner,
    uid_t uid, uint64_t bytes, uint64_t limit, uint64_t *in_use);

/* Release owner's reservation: 1 if it had one, else 0. */
int uploads_release(struct uploads *u, const void *owner);

/* The bytes uid has in flight. */
uint64_t uploads_in_flight(const struct uploads *u, uid_t uid);

#endif
