/*
 * admin: the parts of csign-admin, the key provisioning tool (see
 * csign-admin(8)): the command line (args.c), the listings (list.c), key
 * generation (keygen.c), certificate requests (csr.c), certificates
 * (cert.c) and shared helpers (util.c).  main.c runs the commands.
 *
 * csign-admin reads csignd's configuration for its Token blocks and talks
 * to the tokens through the monitor's token layer (token/p11admin.h).
 * Everything libadmin.a exports is named adm_*: the unit tests link the
 * archives of every program.
 */
#ifndef CSIGN_ADMIN_H
#define CSIGN_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "records/config.h"

#define ADM_NAME "csign-admin"

/* Exit statuses (csign-admin(8)). */
#define ADM_OK 0
#define ADM_FAIL 1
#define ADM_USAGE 2
#define ADM_MISMATCH 5 /* the certificate is not the key's */

#define ADM_ERR_MAX 512

/* Options a command may take (bits of struct adm_cmd's masks). */
enum {
	OPT_TOKEN = 1u << 0,	/* --token name */
	OPT_LABEL = 1u << 1,	/* --label label */
	OPT_TYPE = 1u << 2,	/* --type type */
	OPT_ID = 1u << 3,	/* --id hex */
	OPT_KEY = 1u << 4,	/* --key label */
	OPT_SUBJECT = 1u << 5,	/* --subject name */
	OPT_EKU = 1u << 6,	/* --eku purposes */
	OPT_CHAIN = 1u << 7,	/* --chain file */
	OPT_TO_TOKEN = 1u << 8, /* --to-token */
	OPT_REPLACE = 1u << 9,	/* --replace */
	OPT_OUT = 1u << 10	/* -o file, --output file */
};

/* One command line, parsed. */
struct adm_opts {
	const char *config; /* -f, or CONFIG_DEFAULT_PATH */
	int config_given;
	const char *token;
	const char *label;
	const char *type;
	const char *id;
	const char *key;
	const char *subject;
	const char *eku;
	const char *chain;
	const char *out;
	int to_token;
	int replace;
	const char *operand; /* the certificate file, if any */
	unsigned seen;	     /* OPT_* given */
};

/* A command: its options, the options it requires and its operand. */
struct adm_cmd {
	const char *name;
	unsigned allowed;
	unsigned required;
	int operand; /* 1 if it takes one file operand */
	int (*run)(struct adm_opts *);
};

/* Print the usage lines (the manual's synopsis) to out. */
void adm_usage(FILE *out);
/* Report a usage error, print the usage and return ADM_USAGE. */
int adm_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report an error on stderr ("csign-admin: ..."); returns code. */
int adm_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parse the options and operand of command cmd (argv[0] is its name)
 * into o: ADM_OK, or ADM_USAGE with the error printed.
 */
int adm_parse(const struct adm_cmd *cmd, int argc, char **argv,
    struct adm_opts *o);

/* The commands. */
int adm_cmd_tokens(struct adm_opts *o);
int adm_cmd_keys(struct adm_opts *o);
int adm_cmd_keygen(struct adm_opts *o);
int adm_cmd_csr(struct adm_opts *o);
int adm_cmd_import_cert(struct adm_opts *o);
int adm_cmd_show_cert(struct adm_opts *o);

/* Load o->config; NULL after reporting the error. */
struct config *adm_config(const struct adm_opts *o);
/* The Token block named name; NULL after reporting the error. */
const struct cfg_token *adm_token(const struct config *cfg, const char *name);

/* Hex (pairs of digits, ':' allowed between pairs) into at most max
 * bytes: the length, or -1. */
int adm_hex_parse(const char *s, uint8_t *out, size_t max);
/* s with bytes other than printable ASCII as \xNN, into dst. */
const char *adm_clean(const char *s, char *dst, size_t dstlen);
/* "rsa-3072", "ec-p256", ... for pub, or "unknown". */
const char *adm_key_type(EVP_PKEY *pub, char *dst, size_t dstlen);

/*
 * Write data to path atomically (a temporary file in the same directory,
 * then rename) with mode; 0, or -1 with err set.
 */
int adm_write_file(const char *path, const void *data, size_t len,
    unsigned mode, char *err, size_t errlen);

/*
 * Parse an OpenSSL-style subject, "/CN=name/O=org", into a new name.
 * A backslash escapes the next character.  NULL with err set.
 */
X509_NAME *adm_subject_parse(const char *s, char *err, size_t errlen);

/*
 * Check that chain[0] issued leaf and each chain[i+1] issued chain[i]
 * (names and signatures); 0, or -1 with err set.
 */
int adm_chain_check(X509 *leaf, STACK_OF(X509) *chain, char *err,
    size_t errlen);

/* What decides whether a token certificate belongs to a key. */
struct adm_cert_owner {
	const char *label; /* the key's label */
	const uint8_t *id; /* the key's CKA_ID */
	size_t idlen;
};
/*
 * 1 if a certificate with this label and id belongs to the key: the same
 * id, the key's label, or the key's chain label "LABEL-caN".
 */
int adm_cert_belongs(const char *label, const uint8_t *id, size_t idlen,
    const void *owner);

/*
 * Describe a certificate, one "    field  value" line each (subject,
 * issuer, not-after with the days left, SHA-256 fingerprint ...), with
 * the expiry marked against a window of warn_days.
 */
void adm_print_cert(FILE *fp, X509 *x, unsigned warn_days);

#endif
