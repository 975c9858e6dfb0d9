/*
 * formats: the output formats a session child can build.  Each format
 * reads the artifact, asks for exactly the signatures it needs through
 * signop_sign(), and leaves its output bytes in out->data.
 */
#ifndef CSIGN_FORMATS_H
#define CSIGN_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto/buf.h"
#include "proto/msg.h"
#include "sandbox/formats/authenticode.h"
#include "sandbox/formats/openpgp.h"
#include "sandbox/formats/pe_parse.h"

struct hold;

/* What the session has established before a format runs. */
struct sign_input {
	int fd;		/* the artifact */
	int outfd;	/* output of artifact-writing formats,
					   else -1 */
	int fd_is_file; /* fd is a regular file of size bytes */
	uint64_t size;
	const char *name; /* artifact name as given */
	const char *key;  /* key name */
	int format;
	int digest;
	int padding;
	int keytype;	/* enum key_type */
	int pem;	/* PEM output requested (SIGN_F_PEM) */
	unsigned flags; /* SIGN_F_* of the request */
	uint64_t max_size;
	X509 *cert;	       /* the key's certificate */
	EVP_PKEY *pub;	       /* its public key */
	STACK_OF(X509) *chain; /* further certificates (Chain), or
					   NULL */
	int timestamp;	       /* 1: get an RFC 3161 timestamp */
	unsigned ntsa;	       /* the key's TSAs (sandbox/tsa.h) */
	struct hold *hold;     /* the session's (sandbox/hold.h) */
	uint32_t pgp_created;  /* OpenPGPCreated, Unix seconds; 0: unset */
	const char *pgp_uid;   /* OpenPGPUserID, or "" */
};

/*
 * What a format produced, or why it failed.  Detached formats leave their
 * output in data (sent back in the reply); artifact-writing formats write
 * the signed artifact to in->outfd and count it in written.
 */
struct sign_output {
	int status; /* enum csign_status */
	char message[MESSAGE_MAX + 1];
	struct buf data;	     /* the output bytes */
	uint64_t written;	     /* bytes written to in->outfd */
	uint8_t adigest[DIGEST_MAX]; /* artifact digest */
	size_t adigestlen;
	uint64_t size;
	uint16_t busy; /* the monitor's answer: sessions besides this one */
};

/*
 * Every format of proto/names.h (format_supported()) is built by
 * format_two_step_sign() (below); which ones write a signed artifact:
 * proto/names.h too.
 */

/*
 * A module in two steps, so that a batch hashes its next module while
 * the token signs this one (sandbox/pipeline.c).  module_begin() checks
 * the request and the module (a compressed one decompressed into a pair
 * of scratch files first), hashes it (out->adigest is what to sign) and
 * prepares the PKCS#7; module_end() writes the module with the checked
 * signature sig (compressed again onto the output, in the same format).
 * What is signed and audited is the uncompressed module, as the kernel
 * checks it.  Each is 0, or -1 with out's status set; module_job_free()
 * after both (also after a failed module_begin()).
 */
struct module_job {
	uint64_t body; /* module bytes before any old signature */
	uint8_t *keep; /* those bytes, read once (module.c), or NULL */
	CMS_ContentInfo *cms;
	int pair;		 /* compressed: its scratch pair + 1, else 0 */
	int comp;		 /* compressed: enum comp_kind */
	struct sign_input plain; /* compressed: the module decompressed */
};
int module_begin(const struct sign_input *in, struct sign_output *out,
    struct module_job *j);
int module_end(const struct sign_input *in, struct sign_output *out,
    struct module_job *j, const uint8_t *sig, size_t siglen);
void module_job_free(struct module_job *j);

/*
 * A PE image in the same two steps.  pe_begin() checks the request,
 * parses and hashes the image and builds the Authenticode structure
 * around its digest: tbs (DIGEST_MAX bytes) is what the key signs.
 * pe_end() puts the checked signature sig in (and the request's
 * timestamp, if any), lays out the certificate table and writes the
 * signed image.  Each is 0, or -1 with out's status set; pe_job_free()
 * after both (also after a failed pe_begin()).
 */
struct pe_job {
	struct pe_image img;
	struct pe_csum cs; /* the image's checksum, summed while hashed */
	struct authenticode ac;
};
int pe_begin(const struct sign_input *in, struct sign_output *out,
    struct pe_job *j, uint8_t *tbs, size_t *tbslen);
int pe_end(const struct sign_input *in, struct sign_output *out,
    struct pe_job *j, const uint8_t *sig, size_t siglen);
void pe_job_free(struct pe_job *j);

/*
 * cms and raw signatures in the same two steps: cms_begin() hashes
 * the artifact and builds the SignerInfo's signed attributes (tbs is
 * what the key signs), cms_end() puts the signature in (and the
 * timestamp) and encodes the structure into out->data; raw_begin()
 * hashes the artifact (out->adigest is what the key signs), raw_end()
 * puts the signature into out->data.
 */
struct cms_job {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si; /* owned by cms */
};
int cms_begin(const struct sign_input *in, struct sign_output *out,
    struct cms_job *j, uint8_t *tbs, size_t *tbslen);
int cms_end(const struct sign_input *in, struct sign_output *out,
    struct cms_job *j, const uint8_t *sig, size_t siglen);
void cms_job_free(struct cms_job *j);
int raw_begin(const struct sign_input *in, struct sign_output *out);
int raw_end(struct sign_output *out, const uint8_t *sig, size_t siglen);
/*
 * An ima signature in two steps, as raw (the header comes with the end):
 * ima_begin() finds the certificate's key identifier (IMA_KEYID_LEN
 * bytes into keyid) that ima_end() puts in the header.
 */
#define IMA_KEYID_LEN 4
int ima_begin(const struct sign_input *in, struct sign_output *out,
    uint8_t *keyid);
int ima_end(const struct sign_input *in, struct sign_output *out,
    const uint8_t *keyid, const uint8_t *sig, size_t siglen);
/*
 * A dm-verity root hash signature: verity_begin() checks the root hash,
 * hashes it (out->adigest is what the key signs) and makes the PKCS#7
 * (*cms, to free after both), verity_end() puts the signature in.
 */
int verity_begin(const struct sign_input *in, struct sign_output *out,
    CMS_ContentInfo **cms);
int verity_end(struct sign_output *out, CMS_ContentInfo *cms,
    const uint8_t *sig, size_t siglen);
/*
 * OpenPGP signatures, detached (openpgp) or cleartext (openpgp-clear), in
 * two steps: openpgp_begin() checks the request, hashes the artifact and
 * the signature's hashed part (tbs is what the key signs) and writes a
 * cleartext's text to the output; openpgp_end() encodes the packet with
 * the checked signature into out->data, armoured if asked or after a
 * text, which it then ends with.  The job holds the key the signature
 * points to: it stays where openpgp_begin() filled it.
 */
struct openpgp_job {
	struct pgp_key key;
	struct pgp_sig sig;
	uint64_t written; /* openpgp-clear: the text's bytes */
};
int openpgp_begin(const struct sign_input *in, struct sign_output *out,
    struct openpgp_job *j, uint8_t *tbs, size_t *tbslen);
int openpgp_end(const struct sign_input *in, struct sign_output *out,
    const struct openpgp_job *j, const uint8_t *tbs, const uint8_t *sig,
    size_t siglen);

/*
 * Every format is signed in two steps (sandbox/formats/twostep.c), for a
 * batch's session to start the next file while the token signs this one
 * (sandbox/pipeline.c).  format_job_begin() runs the format's first step
 * and leaves in j->tbs what the key signs, format_job_end() the second
 * with the checked signature; format_job_free() after both (also after a
 * failed begin, and on a job never begun if zeroed).  Each is 0, or -1
 * with out's status set.  format_two_step_sign(): both steps around one
 * signature, the builder of every format.
 */
struct format_job {
	int format; /* the request's, set by format_job_begin() */
	int begun;  /* u holds the first step's state, to free */
	uint8_t tbs[DIGEST_MAX];
	size_t tbslen;
	union {
		struct module_job module;
		struct pe_job pe;
		struct cms_job cms;
		struct openpgp_job openpgp;
		uint8_t ima_keyid[IMA_KEYID_LEN];
	} u;
};
int format_job_begin(const struct sign_input *in, struct sign_output *out,
    struct format_job *j);
int format_job_end(const struct sign_input *in, struct sign_output *out,
    struct format_job *j, const uint8_t *sig, size_t siglen);
void format_job_free(struct format_job *j);
int format_two_step_sign(const struct sign_input *in, struct sign_output *out);
/*
 * The first step of raw, cms and ima: the whole artifact hashed into out
 * (adigest, size).  0, or -1 with out's failure set.
 */
int format_hash_artifact(const struct sign_input *in, struct sign_output *out);

/*
 * The key's OpenPGP transferable public key, ASCII-armoured, into
 * out->data: key packet, user ID and a positive self-certification made
 * on the token (audited under in->name).  0, or -1 with out's status set.
 */
int openpgp_export(const struct sign_input *in, struct sign_output *out);

/* Set out's status and message; returns -1 for "return sign_fail(...)". */
int sign_fail(struct sign_output *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Ask the monitor to sign the digest tbs of the artifact (adigest, size)
 * and check the answer against the certificate before anyone uses it.
 * 0 with sig filled, or -1 with out's status and message set.
 */
int signop_sign(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);

/*
 * signop_sign() in two steps, for a request that waits beside another
 * (sandbox/pipeline.c): the request for tbs into m (0, or -1 with out
 * set), and the check of the monitor's reply r to it: 0 with sig filled,
 * or -1 with out's status and message set.
 */
int signop_request(const struct sign_input *in, struct sign_output *out,
    const uint8_t *tbs, size_t tbslen, struct msg_sign *m);
int signop_check(const struct sign_input *in, struct sign_output *out,
    const struct msg_sign *m, const struct msg_sign_reply *r, uint8_t *sig,
    size_t *siglen);

#endif
