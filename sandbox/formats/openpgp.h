/*
 * openpgp: RFC 4880 version 4 packets made with a key on the token.
 *
 * openpgp_packet.c encodes keys and signatures (the fingerprint, MPIs,
 * subpackets, the hashed trailer), openpgp_armor.c the ASCII armour,
 * openpgp_clear.c canonicalises the text of a cleartext signature, and
 * openpgp.c and openpgp_cert.c are the formats that use them.  Nothing
 * here signs: the digest goes to the monitor through signop_sign().
 */
#ifndef CSIGN_OPENPGP_H
#define CSIGN_OPENPGP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "proto/buf.h"

/* Algorithm numbers of RFC 4880 section 9 and RFC 6637. */
#define PGP_PK_RSA 1
#define PGP_PK_ECDSA 19
#define PGP_HASH_SHA256 8
#define PGP_HASH_SHA384 9
#define PGP_HASH_SHA512 10

/* Signature types (section 5.2.1). */
#define PGP_SIG_BINARY 0x00
#define PGP_SIG_TEXT 0x01
#define PGP_SIG_POSITIVE_CERT 0x13

/* Packet tags (section 4.3). */
#define PGP_TAG_SIGNATURE 2
#define PGP_TAG_PUBKEY 6
#define PGP_TAG_USERID 13

#define PGP_FPR_LEN 20
#define PGP_KEYID_LEN 8
#define PGP_KEYBODY_MAX 1100 /* RSA-8192: 6 + 2 + 1024 + 2 + 8 */
#define PGP_HASHED_MAX 64    /* the hashed part of our signatures */

/* A public key as OpenPGP sees it: its packet body and fingerprint. */
struct pgp_key {
	uint8_t body[PGP_KEYBODY_MAX]; /* public-key packet body */
	size_t bodylen;
	uint8_t fpr[PGP_FPR_LEN];     /* SHA-1 v4 fingerprint */
	uint8_t keyid[PGP_KEYID_LEN]; /* its low 64 bits */
	int pkalgo;		      /* PGP_PK_* */
};

/*
 * The key packet of pub (RSA, or ECDSA on P-256, P-384 or P-521) created
 * at created (Unix seconds), with its fingerprint.  0, or -1 if the key
 * is of another kind.
 */
int pgp_key_from_pkey(EVP_PKEY *pub, uint32_t created, struct pgp_key *k);

/* The OpenPGP number of a csign digest (enum csign_digest), or -1. */
int pgp_hash_algo(int digest);
/* "SHA256" and so on, as the Hash: header of a cleartext signature. */
const char *pgp_hash_name(int digest);

/*
 * Append an MPI: the bit count of the big-endian number p[0..len), then
 * its bytes without leading zero bytes.
 */
int pgp_put_mpi(struct buf *b, const uint8_t *p, size_t len);

/* Append a packet header (old format, as gpg writes) for len bytes. */
int pgp_put_header(struct buf *b, int tag, size_t len);

/*
 * The signature being made: what is hashed after the data (version,
 * type, algorithms and the hashed subpackets: creation time and issuer
 * fingerprint, and for a self-signature the key's flags and preferred
 * hashes), kept to be written into the packet too.
 */
struct pgp_sig {
	int type;     /* PGP_SIG_* */
	int hashalgo; /* PGP_HASH_* */
	const struct pgp_key *key;
	uint8_t hashed[PGP_HASHED_MAX];
	size_t hashedlen;
};

/* Fill s for a signature of type by key at time created; 0 or -1. */
int pgp_sig_init(struct pgp_sig *s, int type, int digest,
    const struct pgp_key *key, uint32_t created);
/*
 * Feed what follows the signed data into the hash: the hashed part and
 * the v4 trailer (0x04 0xff, then its length as four bytes).  0 or -1.
 */
int pgp_sig_trailer(const struct pgp_sig *s, EVP_MD_CTX *md);
/*
 * Append the signature packet: the hashed part, the unhashed issuer key
 * id, the digest's first two bytes and the signature as MPIs (sig is the
 * token's: RSA's raw value, or a DER ECDSA-Sig-Value).  0 or -1.
 */
int pgp_sig_packet(struct buf *b, const struct pgp_sig *s,
    const uint8_t *digest, const uint8_t *sig, size_t siglen);

/*
 * Feed the certified part of a self-signature into md: the key packet
 * (0x99, length, body) and the user ID (0xb4, length, the bytes).
 */
int pgp_hash_key_uid(EVP_MD_CTX *md, const struct pgp_key *k, const char *uid);

/* openpgp.c, shared with openpgp_cert.c. */
struct sign_input;
struct sign_output;
/*
 * Whether the request can make an OpenPGP signature (no --pem, no PSS,
 * an OpenPGPCreated, a digest and key OpenPGP knows), and the key.  0,
 * or -1 with out's status set.
 */
int openpgp_check(const struct sign_input *in, struct sign_output *out,
    struct pgp_key *k);
/* A signature's creation time: now, but never before the key's. */
uint32_t openpgp_now(const struct sign_input *in);
/* Two digest contexts of the request's digest; -1 if out of memory. */
int openpgp_md_new(const struct sign_input *in, EVP_MD_CTX **a, EVP_MD_CTX **b);
/*
 * Finish both hashes (the trailer into sig; audit is the artifact's
 * digest for the record), have the monitor sign, append the packet to
 * pkt.  0, or -1 with out's status set.
 */
int openpgp_sign(const struct sign_input *in, struct sign_output *out,
    const struct pgp_sig *s, EVP_MD_CTX *sig, EVP_MD_CTX *audit,
    struct buf *pkt);

/* openpgp_armor.c. */
/* The CRC-24 of RFC 4880 section 6.1. */
uint32_t pgp_crc24(const uint8_t *p, size_t len);
/*
 * Append p[0..len) in ASCII armour: "-----BEGIN PGP what-----", an empty
 * line, base64 in lines of 64 characters, "=" and the CRC-24, and the END
 * line, each ended by a newline.  0 or -1.
 */
int pgp_armor(struct buf *b, const char *what, const uint8_t *p, size_t len);

/* openpgp_clear.c: the text of a cleartext signature, streamed. */
#define PGP_BLANK_RUNS 32 /* space/tab alternations in one blank stretch */
struct pgp_clear {
	EVP_MD_CTX *md; /* gets the canonical text */
	/* gets the dash-escaped text (0, or -1 to stop) */
	int (*emit)(void *arg, const void *p, size_t len);
	void *arg;
	uint64_t line; /* 1-based, for messages */
	int at_start;  /* at the start of a line */
	int cr;	       /* a carriage return waits for its newline */
	int newline;   /* a line ending waits for the next line */
	/* spaces and tabs held back until the line goes on, as runs */
	struct {
		uint8_t ch;
		uint64_t n;
	} blank[PGP_BLANK_RUNS];
	size_t nblank;
	uint8_t utf8[4]; /* a UTF-8 sequence not yet complete */
	size_t nutf8;
	const char *error; /* why the text was refused */
};

/*
 * Start canonicalising into md (the hash) and emit (the text written
 * out).  Then feed the text in any pieces, and finish: each 0, or -1
 * with c->error saying why (and c->line where), or -1 if emit failed
 * (c->error NULL).
 *
 * The text must be UTF-8 without NUL bytes, with lines ended by LF or
 * CR LF.  As RFC 4880 section 7.1 says, the hash gets each line without
 * its trailing spaces and tabs, lines joined by CR LF, and not the line
 * ending of the last line; the text written out is the same lines
 * ended by LF, dash-escaped ("- " before a line that starts with '-').
 */
void pgp_clear_init(struct pgp_clear *c, EVP_MD_CTX *md,
    int (*emit)(void *, const void *, size_t), void *arg);
int pgp_clear_feed(struct pgp_clear *c, const uint8_t *p, size_t len);
int pgp_clear_finish(struct pgp_clear *c);

#endif
