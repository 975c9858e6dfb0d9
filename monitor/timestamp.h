/*
 * timestamp: the monitor's part of RFC 3161 timestamps.
 *
 * After releasing a signature on a key with Timestamp, the monitor lets
 * the session child ask for connections to that key's TSAs, in order, one
 * at a time (tsaconn.c makes them; the child has no network), and audits
 * how the timestamp went when the child reports.  The child never names a
 * host: it can only reach the TSAs of the key it has just used.  A child
 * that does not report a required timestamp before its next signature or
 * its end is audited as having skipped it.
 *
 * With each socket go what the child checks the token against: the key's
 * TimestampCA anchors, read from that root-owned file for each TSA asked
 * (the monitor parses no network bytes, but its own config files are
 * fine), and the monitor's clock with the bound TS_MAX_SKEW.
 */
#ifndef CSIGN_TIMESTAMP_H
#define CSIGN_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "records/tsaurl.h"
#include "proto/names.h"

/* How far a token's genTime may be from the monitor's clock, seconds. */
#define TS_MAX_SKEW 300

struct buf;
struct mon_session;
struct config;
struct cfg_key;
struct msg_sign;
struct tsa_conn;
union chan_body;

/* A child's timestamp in progress. */
struct child_ts {
	int open;     /* a signature awaits its timestamp */
	int required; /* Timestamp required: it must come */
	char key[KEY_NAME_MAX + 1];
	int format;
	int digest;
	char artifact[ARTIFACT_NAME_MAX + 1];
	char digest_hex[2 * DIGEST_MAX + 1];
	uint64_t size;
	unsigned next;		   /* the TSA index it may ask for next */
	char url[TSA_URL_MAX + 1]; /* the TSA last connected to */
	struct tsa_conn *conn;	   /* a connection being made */
	uint8_t *anchors;	   /* its TimestampCA, DER, while */
	size_t anchorslen;	   /* ... connecting */
};

/*
 * The certificates of a TimestampCA file (PEM, at least one) as DER back
 * to back, at most TSA_ANCHORS_MAX bytes: 0 with *der (free()), or -1
 * with err saying what is wrong with the file.
 */
int ts_anchors_load(const char *path, uint8_t **der, size_t *len, char *err,
    size_t errlen);

/*
 * Can every TimestampCA of cfg be loaded?  0, or -1 with err naming the
 * key and the file (csignd -t, start and reload).
 */
int ts_anchors_check(const struct config *cfg, char *err, size_t errlen);

/* A signature was released to c for request m on key ck. */
void ts_released(struct mon_session *c, const struct cfg_key *ck,
    const struct msg_sign *m);

/* MSG_TSA_OPEN and MSG_TSA_DONE (monitor/dispatch.c); 0 or -1. */
int monitor_answer_tsa_open(struct mon_session *c, const union chan_body *m);
int monitor_answer_tsa_done(struct mon_session *c, const union chan_body *m);

/* The child is gone: stop connecting, audit a skipped timestamp. */
void ts_child_gone(struct mon_session *c);

#endif
