/*
 * Names shared by every csign program: signature formats, digests, key
 * types, RSA paddings and reply status codes, each with its text form.
 */
#ifndef CSIGN_NAMES_H
#define CSIGN_NAMES_H

#include <stddef.h>

#define CSIGN_VERSION "0.1.0"
#define KEY_NAME_MAX 64	      /* key, token and group names */
#define ARTIFACT_NAME_MAX 255 /* artifact name as the client gave it */
#define DIGEST_MAX 64	      /* largest digest (SHA-512) */
#define SIG_MAX 1024	      /* largest signature (RSA-8192 or DER ECDSA) */
#define MESSAGE_MAX 255	      /* human-readable message in a reply */
#define TSA_URLS_MAX 4	      /* TSAs of one key, tried in order */

enum csign_format {
	FMT_RAW = 0,
	FMT_CMS,
	FMT_MODULE,
	FMT_PE,
	FMT_IMA,
	FMT_VERITY,
	FMT_OPENPGP,	   /* RFC 4880 detached signature */
	FMT_OPENPGP_CLEAR, /* RFC 4880 cleartext signature */
	FMT_COUNT
};
#define FMT_BIT(f) (1u << (f))

enum csign_digest {
	DIG_SHA256 = 0,
	DIG_SHA384,
	DIG_SHA512,
	DIG_COUNT
};
#define DIG_BIT(d) (1u << (d))

enum key_type {
	KT_NONE = 0,
	KT_RSA,
	KT_EC
};

enum rsa_padding {
	PAD_PKCS1 = 0,
	PAD_PSS
};

/* A key's RFC 3161 timestamps (Timestamp in csignd.conf(5)). */
enum ts_mode {
	TS_NONE = 0,
	TS_OPTIONAL,
	TS_REQUIRED
};
/* Formats that can carry a timestamp token. */
#define TS_FORMATS (FMT_BIT(FMT_CMS) | FMT_BIT(FMT_PE))
/*
 * Formats whose output is a whole signed artifact, which the session
 * child writes to a second descriptor the client passes after the
 * artifact (or sends back in F_DATA frames inline); the others come back
 * in the reply (openpgp-clear writes the text with its signature, which
 * may be larger than a reply frame).  Stated here once for the client and the sandbox.
 */
#define ARTIFACT_FORMATS \
	(FMT_BIT(FMT_MODULE) | FMT_BIT(FMT_PE) | FMT_BIT(FMT_OPENPGP_CLEAR))
/* Formats whose key needs an OpenPGP identity (csignd.conf(5)). */
#define OPENPGP_FORMATS (FMT_BIT(FMT_OPENPGP) | FMT_BIT(FMT_OPENPGP_CLEAR))

/*
 * The listener a client came through, so the protocol it speaks: set by
 * the loop from the socket that accepted it, never by what a child says,
 * and written into every audit record of the session (pesign only).
 */
enum via {
	VIA_CLIENT = 0,
	VIA_PESIGN,
	VIA_COUNT
};

/* Reply status: one table for every reply a client or child can get. */
enum csign_status {
	ST_OK = 0,
	ST_DENIED,
	ST_BAD_REQUEST,
	ST_BAD_ARTIFACT,
	ST_UNAVAILABLE,
	ST_TIMEOUT,
	ST_INTERNAL,
	ST_COUNT
};

/* Client exit codes (csign-client(1)). */
enum csign_exit {
	EXIT_OK_ = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_DENIED = 3,
	EXIT_UNAVAILABLE = 4,
	EXIT_BAD_ARTIFACT = 5
};

/*
 * 1 if p[0..len) is a key name as csignd.conf(5) allows one: 1 to
 * KEY_NAME_MAX of A-Z a-z 0-9 . _ -, so no byte of it can end a log line,
 * drive a terminal or pass for another name.  The frame decoder checks
 * T_KEY with it, the monitor every key name a child sends.
 */
int key_name_valid(const void *p, size_t len);

const char *format_name(int fmt);
/* -1 if unknown. */
int format_from_name(const char *name);
/* 1 if this build can produce the format. */
int format_supported(int fmt);
/*
 * 1 if the format writes a signed artifact (ARTIFACT_FORMATS): a sign
 * request for it takes two descriptors, the artifact and an output.
 */
int format_writes_artifact(int fmt);
/* The descriptors a sign request of the format passes: 1 or 2. */
int format_fd_count(int fmt);
/* Space-separated names of the formats in a bit mask, into dst. */
void formats_to_str(unsigned mask, char *dst, size_t dstlen);

const char *digest_name(int dig);
int digest_from_name(const char *name);
size_t digest_len(int dig);
void digests_to_str(unsigned mask, char *dst, size_t dstlen);

const char *ts_mode_name(int mode);
int padding_from_name(const char *name);

const char *status_name(int st);
/* "client" or "pesign"; "unknown". */
const char *via_name(int via);
/* The client's exit code for a reply status. */
int status_exit_code(int st);

#endif
