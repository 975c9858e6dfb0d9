/*
 * auditrec: the audit log's record format, shared by the writer in csignd
 * (records/audit.c) and the reader csign-audit (audit/).
 *
 * One JSON object per line, fields in a fixed order, ending with
 *     ..., "prev":"<64 hex>", "hash":"<64 hex>"}
 * where hash is the SHA-256 of the line's bytes up to (not including) the
 * ',"hash":' that precedes it, and prev is the hash of the previous record
 * (64 zeros for the first record of a chain).  Changing any byte of a
 * record breaks its own hash; removing or reordering records breaks prev
 * or seq.
 */
#ifndef CSIGN_AUDITREC_H
#define CSIGN_AUDITREC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AUDIT_HASH_HEX 64
#define AUDIT_LINE_MAX 8192
#define AUDIT_MAX_GROUPS 64

/* One event; NULL strings and has_* == 0 fields are left out. */
struct audit_event {
	const char *event; /* start, stop, reload, sign, deny, error, ... */
	int has_peer;
	uid_t uid;
	const char *user;
	gid_t groups[AUDIT_MAX_GROUPS]; /* primary first */
	size_t ngroups;
	pid_t pid;
	const char *via; /* the listener, if not csign-client's */
	const char *key;
	const char *cert_sha256; /* hex */
	const char *format;
	const char *artifact; /* as the client named it: escaped */
	int has_size;
	uint64_t size;
	const char *digest_alg;
	const char *digest_hex;
	const char *result; /* ok, denied, error */
	const char *reason;
	int has_request;
	uint64_t request;      /* id of a request held for approval */
	const char *approvers; /* user names, comma-separated */
	const char *tsa;       /* URL of the TSA that timestamped */
	const char *timestamp; /* the timestamp's genTime, as the TSA gave */
};

/* The chain state carried from one record to the next. */
struct audit_chain {
	uint64_t seq;		       /* seq of the last record, 0 if none */
	char hash[AUDIT_HASH_HEX + 1]; /* its hash, or 64 zeros */
};

void auditrec_chain_init(struct audit_chain *c);

/*
 * Format the record for ev as the next link of chain c at UTC time t
 * (unix seconds and microseconds) into line (with '\n', NUL-terminated).
 * On success update c and return the line length; -1 if it does not fit.
 */
int auditrec_format(char *line, size_t max, struct audit_chain *c, int64_t sec,
    long usec, const struct audit_event *ev);

/*
 * Check one line (without its '\n') as the next link of c.  Returns 0 and
 * advances c, or -1 with *why saying what is wrong (malformed, hash
 * mismatch, prev mismatch, seq out of order).
 */
int auditrec_check(const char *line, size_t len, struct audit_chain *c,
    const char **why);

/*
 * Read the chain fields (seq, prev, hash) of a line without checking the
 * link; 0 or -1 if the line is malformed or its own hash is wrong.
 */
int auditrec_fields(const char *line, size_t len, uint64_t *seq,
    char prev[AUDIT_HASH_HEX + 1], char hash[AUDIT_HASH_HEX + 1]);

/*
 * Extract a top-level string or number field's raw text (for search):
 * copies the unescaped value of "name" into dst; -1 if absent.
 */
int auditrec_get(const char *line, size_t len, const char *name, char *dst,
    size_t dstlen);

#endif
